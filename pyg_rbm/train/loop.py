"""The one epoch loop of the project: teachers and students both use it."""
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

import torch
from tqdm.auto import tqdm

from pyg_rbm.train.checkpoint import (
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from pyg_rbm.train.early_stopping import EarlyStopping


@dataclass
class EpochRecord:
    """What one epoch did: its loss and the evaluation metrics after it;
    :obj:`extra` holds what the trainer observed besides (e.g. RbM's
    expert load).
    """
    epoch: int
    phase: str
    loss: float
    metrics: Dict[str, float]
    seconds: float
    extra: Dict[str, Any] = field(default_factory=dict)


def format_metric(key: str, value: float) -> str:
    r"""A metric as printed: fractions as percentages, losses (keys ending
    in :obj:`loss`) as they are.
    """
    return f'{value:.4f}' if key.endswith('loss') else f'{100 * value:.2f}%'


@dataclass
class FitResult:
    """The outcome of :func:`fit`; the model holds its best state."""
    best_epoch: int
    best_metrics: Dict[str, float]
    history: List[EpochRecord] = field(default_factory=list)

    @property
    def epochs_run(self) -> int:
        return len(self.history)

    def __str__(self) -> str:
        scores = ', '.join(f'{key} {format_metric(key, value)}'
                           for key, value in self.best_metrics.items())
        return (f'best epoch {self.best_epoch} of {self.epochs_run}: '
                f'{scores}')


class TrainingState:
    """Extra state a caller wants saved with a checkpoint (e.g. samplers).

    Subclasses implement :meth:`state_dict` and :meth:`load_state_dict`.
    """
    def state_dict(self) -> Dict[str, Any]:
        return {}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        pass


def fit(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    train_epoch: Callable[[int], float],
    evaluate: Callable[[], Dict[str, float]],
    epochs: int,
    patience: Optional[int] = 50,
    selection_start: int = 0,
    ties: str = 'first',
    phase_of: Callable[[int], str] = lambda epoch: 'train',
    on_epoch_start: Optional[Callable[[int], None]] = None,
    callbacks: Sequence[Callable[[EpochRecord], None]] = (),
    monitor: str = 'val',
    mode: str = 'max',
    generator: Optional[torch.Generator] = None,
    extra_state: Optional[TrainingState] = None,
    checkpoint_path: Optional[str] = None,
    checkpoint_every: int = 1,
    resume: bool = False,
    fingerprint: Optional[Dict[str, Any]] = None,
    progress: bool = True,
    write_checkpoints: bool = True,
    observe: Optional[Callable[[], Dict[str, Any]]] = None,
    selected: Optional[Callable[[], torch.nn.Module]] = None,
    desc: str = 'train',
) -> FitResult:
    r"""Runs epochs with early stopping and restores the best model state.

    Each epoch calls :obj:`on_epoch_start(epoch)`, then
    :obj:`train_epoch(epoch)` (returns the mean loss), then
    :obj:`evaluate()` (returns metrics such as :obj:`train`, :obj:`val`,
    :obj:`test`), then every callback with the :class:`EpochRecord`.
    The epoch whose :obj:`monitor` metric is highest (lowest with
    :obj:`mode="min"`; the first or last one on ties, see :obj:`ties`,
    from :obj:`selection_start` on) is
    selected; its metrics are reported
    and its state restored into :obj:`model`.

    With :obj:`checkpoint_path`, the model, optimizer, epoch, every random
    number generator, the early-stopping state, the history and
    :obj:`extra_state` are saved every :obj:`checkpoint_every` epochs; with
    :obj:`resume=True` an existing checkpoint is loaded and the run goes on
    after its epoch, reaching the same result as an uninterrupted run.

    Args:
        model (torch.nn.Module): The trained model.
        optimizer (torch.optim.Optimizer): Its optimizer.
        train_epoch (callable): One epoch of training.
        evaluate (callable): Metrics of the current model.
        epochs (int): The total number of epochs.
        patience (int, optional): Early-stopping patience counted from
            :obj:`selection_start`; :obj:`None` disables it.
            (default: :obj:`50`)
        selection_start (int, optional): First epoch that may be selected.
            (default: :obj:`0`)
        ties (str, optional): Keep the :obj:`"first"` or the :obj:`"last"`
            of epochs with the same best score. (default: :obj:`"first"`)
        phase_of (callable, optional): Names the phase of an epoch, for logs.
        on_epoch_start (callable, optional): Called before each epoch.
        callbacks (list, optional): Called with each :class:`EpochRecord`.
        monitor (str, optional): The metric to select on.
            (default: :obj:`"val"`)
        mode (str, optional): :obj:`"max"` selects the highest
            :obj:`monitor`, :obj:`"min"` the lowest (a loss).
            (default: :obj:`"max"`)
        generator (torch.Generator, optional): A generator the caller draws
            from, saved and restored with checkpoints.
        extra_state (TrainingState, optional): More state to checkpoint.
        checkpoint_path (str, optional): Where to save checkpoints.
        checkpoint_every (int, optional): Epochs between checkpoints.
            (default: :obj:`1`)
        resume (bool, optional): Resume from :obj:`checkpoint_path` if it
            exists. (default: :obj:`False`)
        fingerprint (dict, optional): What the run must match to resume
            (e.g. hyperparameters and a summary of the data): saved with
            each checkpoint; resuming a checkpoint of another fingerprint
            raises a :class:`ValueError` that names the differing keys.
            (default: :obj:`None`)
        progress (bool, optional): Show a progress bar.
            (default: :obj:`True`)
        write_checkpoints (bool, optional): Write the checkpoints (in a
            multi-process run, one process writes what every process
            resumes from). (default: :obj:`True`)
        observe (callable, optional): Called after each evaluation; what
            it returns becomes the record's :obj:`extra`.
        selected (callable, optional): Returns the module that
            :obj:`evaluate` scored, whose state a selected epoch keeps and
            :obj:`model` receives at the end, such as an average of
            :obj:`model`'s weights with the same keys. (default: the
            model)
        desc (str, optional): The progress bar's label.
    """
    if epochs < 0:
        raise ValueError(f"'epochs' must be non-negative in 'fit' "
                         f"(got {epochs})")
    if checkpoint_every < 1:
        raise ValueError(f"'checkpoint_every' must be positive in 'fit' "
                         f"(got {checkpoint_every})")
    if resume and checkpoint_path is None:
        raise ValueError("'resume=True' needs a 'checkpoint_path' in 'fit'")

    stopper = EarlyStopping(patience, start_epoch=selection_start, ties=ties,
                            mode=mode)
    history: List[EpochRecord] = []
    start = 0
    if resume and checkpoint_path and os.path.exists(checkpoint_path):
        state = load_checkpoint(checkpoint_path)
        stored = state.get('fingerprint')
        if fingerprint is not None and stored != fingerprint:
            keys = sorted(k for k in set(stored or {}) | set(fingerprint)
                          if (stored or {}).get(k) != fingerprint.get(k))
            raise ValueError(f"The checkpoint '{checkpoint_path}' belongs "
                             f"to another run ({', '.join(keys)} differ); "
                             f"it cannot be resumed with this one")
        model.load_state_dict(state['model'])
        optimizer.load_state_dict(state['optimizer'])
        stopper.load_state_dict(state['early_stopping'])
        history = state['history']
        if extra_state is not None:
            extra_state.load_state_dict(state['extra'])
        set_rng_state(state['rng'], generator)
        start = state['epoch'] + 1
        if state['stopped']:
            start = epochs

    bar = tqdm(range(start, epochs), desc=desc, disable=not progress,
               leave=False, dynamic_ncols=True)
    for epoch in bar:
        t0 = time.perf_counter()
        if on_epoch_start is not None:
            on_epoch_start(epoch)
        loss = train_epoch(epoch)
        metrics = evaluate()
        if monitor not in metrics:
            raise ValueError(f"'evaluate' returned no '{monitor}' metric "
                             f"in 'fit' (got {sorted(metrics)})")
        record = EpochRecord(epoch, phase_of(epoch), float(loss), metrics,
                             time.perf_counter() - t0,
                             observe() if observe is not None else {})
        history.append(record)
        stop = stopper.step(epoch, metrics[monitor],
                            model if selected is None else selected())
        for callback in callbacks:
            callback(record)
        bar.set_postfix(loss=f'{loss:.4f}', **{
            monitor: f'{metrics[monitor]:.4f}'
        }, phase=record.phase)
        if write_checkpoints and checkpoint_path and (
                (epoch + 1) % checkpoint_every == 0 or stop
                or epoch + 1 == epochs):
            save_checkpoint(
                checkpoint_path,
                dict(model=model.state_dict(),
                     optimizer=optimizer.state_dict(), epoch=epoch,
                     stopped=stop, early_stopping=stopper.state_dict(),
                     history=history, rng=rng_state(generator),
                     fingerprint=fingerprint,
                     extra=(extra_state.state_dict()
                            if extra_state is not None else {})))
        if stop:
            break
    bar.close()
    if progress:
        for line in phase_summaries(history, monitor, stopper.best_epoch,
                                    epochs, mode):
            tqdm.write(f'{desc} {line}', file=sys.stderr)

    if stopper.best_epoch < 0:  # nothing selectable: keep the last state
        best_epoch = history[-1].epoch if history else -1
        best_metrics = history[-1].metrics if history else {}
    else:
        stopper.restore(model)
        best_epoch = stopper.best_epoch
        best_metrics = next(r.metrics for r in history
                            if r.epoch == best_epoch)
    return FitResult(best_epoch, dict(best_metrics), history)


def phase_summaries(history: Sequence[EpochRecord], monitor: str,
                    best_epoch: int, epochs: int,
                    mode: str = 'max') -> List[str]:
    r"""One line per phase of :obj:`history`: its epochs, its best
    :obj:`monitor` score (highest, or lowest with :obj:`mode="min"`), the
    selected epoch and an early stop.
    """
    lines = []
    phases = list(dict.fromkeys(r.phase for r in history))
    pick = max if mode == 'max' else min
    for phase in phases:
        records = [r for r in history if r.phase == phase]
        best = pick(records, key=lambda r: r.metrics[monitor])
        shown = format_metric(monitor, best.metrics[monitor])
        line = (f'{phase}: epochs {records[0].epoch}-{records[-1].epoch}, '
                f'best {monitor} {shown} '
                f'(epoch {best.epoch}), loss {records[-1].loss:.4f}')
        if any(r.epoch == best_epoch for r in records):
            line += f'; selected epoch {best_epoch}'
        if phase == phases[-1] and records[-1].epoch + 1 < epochs:
            line += '; stopped early'
        lines.append(line)
    return lines
