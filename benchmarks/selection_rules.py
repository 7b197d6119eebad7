"""Which epoch to keep: selection rules replayed on recorded epochs.

For each seed of a cell (dataset, setting), the teacher trains once and
each student (RbM and GLNN's MLP) trains once with the shipped
configuration but a long patience (`--record-patience`) and selection on
the validation accuracy of the weights as trained
(`train.weight_average=0`, the default until the replays below chose the
average), recording after every selectable epoch the validation accuracy,
the validation cross-entropy against the labels and the test accuracy, both
of the weights as trained and of exponential moving averages of them
(`pyg_rbm.train.WeightAverage`, one per `--decays`, updated and started as
`train.weight_average` does). Each rule then replays early stopping with
the shipped patience on its own score (the first best epoch is kept) and
reports the test accuracy of the epoch it keeps:

* `accuracy`: validation accuracy, the rule of `train.weight_average=0`
  (it reproduces the selection of such a run);
* `loss`: validation cross-entropy;
* `average B accuracy` and `average B loss`: the same scores of the
  weight average of decay B; `average 0.9 accuracy` is the default,
  `train.weight_average=0.9`.

A rule still improving when the recorded epochs end is counted as
`unfinished` (its replay saw fewer epochs than its own early stopping
would have). Results go to `<out>/<dataset>_<setting>.json` after every
run (resumable); a table of each rule's mean ± std over the seeds, and of
RbM - GLNN paired by seed, is printed and written to `<out>/README.md`.
The test accuracy is the setting's headline: test nodes of the training
graph (transductive), held-out nodes (inductive), or 0.8 x the first +
0.2 x the second (production). The tables of `<out>/README.md` cover every
cell of `<out>`, not only those of the command.

    python benchmarks/selection_rules.py --datasets citeseer-npz cora
    python benchmarks/selection_rules.py --datasets cora --settings inductive
"""
import argparse
import json
import os
import statistics
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from _common import machine_info, write_json
from report import markdown_table

DEFAULT_OUT = os.path.join(os.path.dirname(__file__), '..', 'docs',
                           'benchmarks', 'selection_rules')
STUDENTS = ('rbm', 'mlp')


def replay(scores: Sequence[float], patience: Optional[int],
           mode: str = 'max') -> Tuple[int, bool]:
    """The shipped early stopping (:class:`pyg_rbm.train.EarlyStopping`,
    the first best kept) on :obj:`scores`: the index of the kept epoch, and
    whether the scores ended before the rule stopped.
    """
    from pyg_rbm.train import EarlyStopping
    stopper = EarlyStopping(patience, mode=mode)
    no_state = torch.nn.Module()
    for i, score in enumerate(scores):
        if stopper.step(i, score, no_state):
            return stopper.best_epoch, False
    return stopper.best_epoch, True


def rules(decays: Sequence[float]) -> Dict[str, Tuple[str, str, str]]:
    """Rule name -> (the recorded score it selects on, the matching test
    accuracy, :obj:`"max"` or :obj:`"min"`)."""
    out = {'accuracy': ('val', 'test', 'max'),
           'loss': ('val_loss', 'test', 'min')}
    for decay in decays:
        out[f'average {decay} accuracy'] = (f'avg{decay}_val',
                                            f'avg{decay}_test', 'max')
        out[f'average {decay} loss'] = (f'avg{decay}_val_loss',
                                        f'avg{decay}_test', 'min')
    return out


def apply_rules(epochs: List[Dict[str, float]], decays: Sequence[float],
                patience: Optional[int]) -> Dict[str, Dict[str, Any]]:
    """Each rule's kept epoch and its test accuracy (%) on one run."""
    out = {}
    for name, (score, test, mode) in rules(decays).items():
        kept, unfinished = replay([e[score] for e in epochs], patience, mode)
        out[name] = dict(epoch=epochs[kept]['epoch'],
                         test=100 * epochs[kept][test],
                         unfinished=unfinished)
    return out


def _metrics(model: torch.nn.Module, x: torch.Tensor, data: Any,
             batch_size: Optional[int], evaluator: Any, setting: str,
             held_out: Optional[Tuple[torch.Tensor, torch.Tensor]] = None
             ) -> Dict[str, float]:
    # Validation scores on the training graph; `test` is the setting's
    # headline: test nodes of the training graph, held-out nodes, or both.
    from pyg_rbm.train.evaluate import accuracy_metrics, predict
    from pyg_rbm.train.pipeline import headline
    logits = predict(model, x, batch_size)
    masks = dict(val=data.val_mask)
    if data.test_mask.any():
        masks['test'] = data.test_mask
    metrics = accuracy_metrics(logits, data.y, masks, evaluator)
    if held_out is not None:
        held_x, held_y = held_out
        metrics.update(accuracy_metrics(
            predict(model, held_x, batch_size), held_y,
            dict(inductive=torch.ones_like(held_y, dtype=torch.bool)),
            evaluator))
    metrics['val_loss'] = float(
        F.cross_entropy(logits[data.val_mask], data.y[data.val_mask]))
    metrics['test'] = headline(metrics, setting)
    return metrics


def record_run(run: Any, config: Any, decays: Sequence[float],
               features: Any) -> Tuple[List[Dict[str, float]], float]:
    """Trains the config's student on :obj:`run`'s teacher; returns the
    recorded selectable epochs and the test accuracy (%) the trainer
    selected."""
    from pyg_rbm.nn import build_student
    from pyg_rbm.train import WeightAverage, distill_student
    from pyg_rbm.train.pipeline import headline, student_kwargs

    built: List[torch.nn.Module] = []

    def student_fn(in_channels: int, out_channels: int) -> torch.nn.Module:
        built.append(build_student(config.student.name, in_channels,
                                   out_channels, **student_kwargs(config)))
        return built[-1]

    routed = config.student.name == 'rbm'
    start = config.train.pretrain_epochs if routed else 0
    x, data = features[0], run.split.observed
    held = run.split.held_out
    held_out = ((features[1][held], run.split.full.y[held])
                if held.numel() else None)
    setting = config.setting
    batch_size = config.train.batch_size
    averages: Dict[float, WeightAverage] = {}
    epochs: List[Dict[str, float]] = []

    def record(entry: Any) -> None:
        if entry.epoch < start:
            return
        model = built[-1]
        if not averages:
            averages.update({d: WeightAverage(model, d) for d in decays})
        row = dict(epoch=entry.epoch,
                   **_metrics(model, x, data, batch_size, run.evaluator,
                              setting, held_out))
        for decay, average in averages.items():
            average.update()
            for key, value in _metrics(average.module, x, data,
                                       batch_size, run.evaluator, setting,
                                       held_out).items():
                row[f'avg{decay}_{key}'] = value
        epochs.append(row)

    _, scores, _, _ = distill_student(run, config, callbacks=[record],
                                      progress=False, student_fn=student_fn,
                                      features=features)
    return epochs, 100 * headline(scores, setting)


def run_cell(dataset: str, setting: str, seeds: int, decays: Sequence[float],
             root: str, record_patience: int,
             out_dir: str) -> Dict[str, Any]:
    from pyg_rbm.config import load_config, merge_config
    from pyg_rbm.train import prepare_teacher
    from pyg_rbm.train.pipeline import build_features

    path = os.path.join(out_dir, f'{dataset}_{setting}.json')
    results: Dict[str, Any] = dict(dataset=dataset, setting=setting,
                                   decays=list(decays), runs={})
    if os.path.exists(path):
        with open(path) as f:
            results = json.load(f)
        if results['decays'] != list(decays):
            raise SystemExit(f"'{path}' holds decays {results['decays']}; "
                             f"pass those or another --out")
    shipped = load_config(dataset=dataset, setting=setting,
                          overrides=dict(root=root))
    results['patience'] = shipped.train.patience
    for seed in range(seeds):
        todo = [s for s in STUDENTS
                if f'{seed}/{s}' not in results['runs']]
        if not todo:
            continue
        run = prepare_teacher(shipped, seed, progress=False)
        for student in todo:
            config = merge_config(shipped, dict(
                student=dict(name=student),
                train=dict(patience=record_patience, weight_average=0.0)))
            t0 = time.process_time()
            epochs, selected = record_run(
                run, config, decays, build_features(run.split, config, seed))
            kept = apply_rules(epochs, decays, shipped.train.patience)
            results['runs'][f'{seed}/{student}'] = dict(
                rules=kept, recorded_test=selected, epochs=len(epochs),
                cpu_s=time.process_time() - t0)
            print(f'{dataset} {setting} seed {seed} {student}: ' + ', '.join(
                f"{name} {r['test']:.2f}" for name, r in kept.items()),
                  flush=True)
            results['machine'] = machine_info()
            write_json(path, results)
    return results


def summary_rows(results: Dict[str, Any]) -> List[List[str]]:
    runs = results['runs']
    seeds = sorted({int(k.split('/')[0]) for k in runs})
    paired = [s for s in seeds if all(f'{s}/{st}' in runs for st in STUDENTS)]
    rows = []
    for name in rules(results['decays']):
        row = [name]
        for student in STUDENTS:
            tests = [runs[f'{s}/{student}']['rules'][name]['test']
                     for s in seeds if f'{s}/{student}' in runs]
            if not tests:  # (a cell interrupted before its first run)
                row.append('')
                continue
            unfinished = sum(runs[f'{s}/{student}']['rules'][name]
                             ['unfinished'] for s in seeds
                             if f'{s}/{student}' in runs)
            std = statistics.stdev(tests) if len(tests) > 1 else 0.0
            row.append(f'{statistics.mean(tests):.2f} ± {std:.2f}' +
                       (f' ({unfinished} unfinished)' if unfinished else ''))
        diff = [runs[f'{s}/rbm']['rules'][name]['test'] -
                runs[f'{s}/mlp']['rules'][name]['test'] for s in paired]
        se = (statistics.stdev(diff) / len(diff)**0.5
              if len(diff) > 1 else 0.0)
        row.append(f'{statistics.mean(diff):+.2f} ± {se:.2f}'
                   if diff else '')
        rows.append(row)
    return rows


def format_tables(all_results: Sequence[Dict[str, Any]]) -> str:
    parts = []
    for results in all_results:
        seeds = len({k.split('/')[0] for k in results['runs']})
        cpu = results.get('machine', {}).get('cpu')
        parts.append(
            f"### {results['dataset']}, {results['setting']} "
            f"({seeds} seeds{'; ' + cpu if cpu else ''})\n\n" +
            markdown_table(
                ['rule', 'RbM', 'GLNN', 'RbM - GLNN'],
                summary_rows(results)))
    return '\n\n'.join(parts) + '\n'


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--datasets', nargs='+',
                        default=['citeseer-npz', 'cora'])
    parser.add_argument('--settings', nargs='+', default=['transductive'],
                        choices=['transductive', 'inductive', 'production'])
    parser.add_argument('--seeds', type=int, default=10)
    parser.add_argument('--decays', type=float, nargs='+',
                        default=[0.8, 0.9, 0.95])
    parser.add_argument('--record-patience', type=int, default=150,
                        help='patience of the recorded runs, on validation '
                        'accuracy')
    parser.add_argument('--root', default=None,
                        help='data root (default: $PYG_RBM_DATA or ./data)')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--out', default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    from pyg_rbm.datasets.registry import dataset_info
    for dataset in args.datasets:  # fails before any work on a bad name
        dataset_info(dataset)
    if any(not 0.0 < d < 1.0 for d in args.decays):
        parser.error("'--decays' must lie in (0, 1)")
    if args.seeds < 1 or args.record_patience < 1:
        parser.error("'--seeds' and '--record-patience' must be positive")
    torch.set_num_threads(args.threads)
    root = args.root or os.environ.get('PYG_RBM_DATA', 'data')
    os.makedirs(args.out, exist_ok=True)
    for dataset in args.datasets:
        for setting in args.settings:
            run_cell(dataset, setting, args.seeds, args.decays, root,
                     args.record_patience, args.out)
    all_results = []
    for name in sorted(os.listdir(args.out)):
        if name.endswith('.json'):
            with open(os.path.join(args.out, name)) as f:
                all_results.append(json.load(f))
    text = format_tables(all_results)
    with open(os.path.join(args.out, 'README.md'), 'w') as f:
        f.write('# Selection rules replayed on recorded epochs\n\n'
                'Written by `benchmarks/selection_rules.py`: test accuracy '
                '(%) of the epoch each rule keeps, mean ± sample std over the '
                'seeds, and RbM - GLNN paired by seed (mean ± standard '
                'error). The default rule is `average 0.9 accuracy` '
                '(`train.weight_average=0.9`; `accuracy` until these replays '
                'chose it). Each cell names '
                'the processor it ran on: runs of a seed differ between '
                'processor models, so compare rules within a cell.\n\n' +
                text)
    print(text)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
