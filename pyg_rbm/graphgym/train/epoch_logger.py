"""Logging the training core's student epochs through GraphGym's loggers."""
import logging
import time
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.graphgym.logger import Logger, infer_task
from torch_geometric.graphgym.loss import compute_loss
from torch_geometric.graphgym.utils.comp_budget import params_count

from pyg_rbm.train.loop import EpochRecord
from pyg_rbm.train.student import StudentTrainer

SPLITS = ('train', 'val', 'test', 'inductive', 'observed_test')

# split -> (labels, scores, loss, seconds)
_Evaluation = Dict[str, Tuple[Tensor, Tensor, float, float]]


class EpochLogger:
    r"""A callback for :func:`pyg_rbm.train.pipeline.run_seed` that logs
    every student epoch through GraphGym's
    :class:`~torch_geometric.graphgym.logger.Logger` objects.

    After each epoch the GraphGym network (set as :obj:`network` once
    built), holding the student the core evaluates (its weights as trained,
    or their average, :attr:`~pyg_rbm.train.StudentTrainer.evaluated_model`),
    is evaluated on :obj:`batch` with :obj:`batch.split` set to each split
    that has nodes; predictions, labels and the registered loss
    (:func:`~torch_geometric.graphgym.loss.compute_loss`) go to
    :meth:`Logger.update_stats`, then :meth:`Logger.write_epoch` with the
    core's epoch index. Epochs of the core's pretraining phase, which
    early stopping never selects, go to loggers named
    :obj:`"pretrain/<split>"`, so that GraphGym's
    :func:`~torch_geometric.graphgym.utils.agg_runs.agg_runs` selects the
    same best-validation epoch as the core. The :obj:`"train"` loss is the
    hard-label loss of the logged model, like every other split's; the
    objective the core minimised is the epoch record's loss.

    Evaluation runs in eval mode without gradients and draws no random
    numbers, so logging leaves training unchanged.

    Args:
        loggers (List[Logger]): GraphGym's loggers, *e.g.*, from
            :func:`~torch_geometric.graphgym.logger.create_logger`; more
            are created by name as needed.
        batch (torch_geometric.data.Data): The student's inputs and masks,
            see :func:`~pyg_rbm.graphgym.loader.student_batch`.
        lr (float): The learning rate to log.
        total_epochs (int, optional): Pretraining plus training epochs, for
            the loggers' time estimates. (default: :obj:`None`: GraphGym's
            :obj:`cfg.optim.max_epoch`)
        ties (str, optional): :obj:`"first"` or :obj:`"last"`: which of
            epochs tied on validation accuracy the core keeps.
            (default: :obj:`"first"`)
    """
    def __init__(self, loggers: Sequence[Logger], batch: Data, lr: float,
                 total_epochs: Optional[int] = None, ties: str = 'first'):
        self.total_epochs = total_epochs
        self.ties = ties
        self.loggers = {}
        for logger in loggers:
            self._count_epochs(logger)
            self.loggers[logger.name] = logger
        self.batch = batch
        self.lr = lr
        self.network: Optional[torch.nn.Module] = None
        self.splits = [
            split for split in SPLITS
            if batch.get(f'{split}_mask') is not None
            and bool(batch[f'{split}_mask'].any())
        ]
        self.pretrain_epochs = 0
        self.last_epoch = -1
        self.val_history: List[Tuple[int, float]] = []
        self.trainer: Optional[StudentTrainer] = None

    def on_fit_start(self, trainer: StudentTrainer) -> None:
        r"""Called by :class:`~pyg_rbm.train.StudentTrainer` as training
        starts: epochs are then logged with the module it evaluates.
        """
        self.trainer = trainer

    @property
    def best_epoch(self) -> int:
        r"""The selectable epoch with the highest core validation score
        (of tied ones, the one the core keeps); :obj:`-1` if none.
        """
        best, best_val = -1, float('-inf')
        for epoch, val in self.val_history:
            if val > best_val or (val == best_val and self.ties == 'last'):
                best, best_val = epoch, val
        return best

    def _count_epochs(self, logger: Logger) -> None:
        # GraphGym's Logger estimates the time left from cfg.optim.max_epoch
        # (its private _epoch_total), which leaves out pretraining epochs:
        # its estimate would turn negative.
        if self.total_epochs is not None:
            logger._epoch_total = self.total_epochs

    def _logger(self, name: str) -> Logger:
        if name not in self.loggers:
            self.loggers[name] = Logger(name=name, task_type=infer_task())
            self._count_epochs(self.loggers[name])
        return self.loggers[name]

    @torch.no_grad()
    def _evaluate(self) -> _Evaluation:
        if self.network is None:
            raise ValueError("'EpochLogger' has no 'network' to evaluate: "
                             "set it once the student is built")
        network = self.network
        training = network.training
        trained = network.model
        if self.trainer is not None:
            network.model = self.trainer.evaluated_model
        network.eval()
        out: _Evaluation = {}
        try:
            for split in self.splits:
                t0 = time.perf_counter()
                self.batch.split = split
                pred, true = network(self.batch)
                loss, score = compute_loss(pred, true)
                out[split] = (true, score, float(loss),
                              time.perf_counter() - t0)
        finally:
            network.model = trained
            network.train(training)
        return out

    def _write(self, evaluation: _Evaluation, epoch: int, prefix: str,
               train_seconds: float) -> None:
        params = params_count(self.network)
        for split, (true, score, loss, seconds) in evaluation.items():
            logger = self._logger(prefix + split)
            logger.update_stats(
                true=true, pred=score, loss=loss, lr=self.lr,
                time_used=train_seconds if split == 'train' else seconds,
                params=params)
            logger.write_epoch(epoch)

    def __call__(self, record: EpochRecord) -> None:
        pretrain = record.phase == 'pretrain'
        if pretrain:
            self.pretrain_epochs += 1
        else:
            self.val_history.append((record.epoch, record.metrics['val']))
        self._write(self._evaluate(), record.epoch,
                    'pretrain/' if pretrain else '', record.seconds)
        self.last_epoch = record.epoch

    def finish(self, epochs: int) -> None:
        r"""Carries the final model forward to the planned last epoch.

        GraphGym runs a fixed number of epochs and
        :func:`~torch_geometric.graphgym.utils.agg_runs.agg_runs` averages
        the per-epoch logs of all seeds, which must then be equally long.
        When the core stopped early, its model holds the restored
        best-validation state; that model is logged for the remaining
        epochs up to the pretraining epochs plus :obj:`epochs`. Its
        validation score equals the best one, so these epochs never change
        the selected best epoch.

        Args:
            epochs (int): Epochs after pretraining the core would have run
                without early stopping.
        """
        total = self.pretrain_epochs + epochs
        if self.last_epoch + 1 < total:
            logging.info(f'Early stopped after epoch {self.last_epoch}; '
                         f'epochs {self.last_epoch + 1} to {total - 1} log '
                         f'the restored best-validation model')
            evaluation = self._evaluate()
            previous = logging.root.manager.disable
            logging.disable(logging.INFO)
            try:
                for epoch in range(self.last_epoch + 1, total):
                    self._write(evaluation, epoch, '', 0.0)
            finally:
                logging.disable(previous)

    def close(self) -> None:
        r"""Closes all loggers."""
        for logger in self.loggers.values():
            logger.close()
