"""How much a student's test accuracy moves from one epoch to the next.

Reads the per-epoch histories that `pyg-rbm distill` writes
(`<RUN>/history/<seed>/student.csv`) and prints, per run and seed, over
the epochs after a warm-up (for RbM, counted from the switch to routing):
the median test accuracy, the mean and largest change between consecutive
epochs, for a mixture student the median over epochs of the smallest
expert share of its output layer, and the test accuracy of the selected
epoch (from the run's results). A student whose accuracy jumps from epoch
to epoch is selected on the noise of the validation set.

    python benchmarks/epoch_stability.py runs/rbm runs/mlp --out stability.json
"""
import argparse
import os
import statistics
from typing import Any, Dict, List, Optional, Sequence

from _common import write_json
from pyg_rbm.experiment.history import read_history
from pyg_rbm.experiment.store import finished_seeds
from pyg_rbm.train.pipeline import headline
from report import markdown_table


def seed_stability(rows: Sequence[Dict[str, Any]], warmup: int = 10,
                   setting: str = 'transductive') -> Dict[str, Any]:
    """The figures of one seed's history (accuracies in percent; the test
    accuracy of :obj:`setting`).
    """
    routed = [r for r in rows if r.get('phase') != 'pretrain']
    kept = routed[warmup:]
    if len(kept) < 2:
        raise ValueError(f'a history needs more than {warmup + 1} epochs '
                         f'after pretraining (got {len(routed)})')
    test = [100 * headline(r, setting) for r in kept]
    steps = [abs(b - a) for a, b in zip(test, test[1:])]
    out = dict(epochs=len(kept), median_test=statistics.median(test),
               mean_step=statistics.mean(steps), max_step=max(steps))
    loads = [r['expert_load'][-1] for r in kept if 'expert_load' in r]
    if loads:
        out['median_min_output_share'] = statistics.median(
            min(load) for load in loads)
    return out


def run_stability(run: str, warmup: int = 10) -> Dict[str, Any]:
    """Every finished seed of a run folder (an unfinished run too), with
    the selected epoch's test score.
    """
    out = {}
    for number, record in finished_seeds(run).items():
        seed, setting = str(number), record['setting']
        rows = read_history(os.path.join(run, 'history', seed,
                                         'student.csv'))
        out[seed] = seed_stability(rows, warmup, setting)
        out[seed]['selected_test'] = 100 * headline(record['student'],
                                                    setting)
    return out


def table(runs: Dict[str, Dict[str, Any]]) -> str:
    rows = []
    for run, seeds in runs.items():
        for seed, s in seeds.items():
            share = s.get('median_min_output_share')
            rows.append([
                run, seed, f"{s.get('selected_test', float('nan')):.2f}",
                f"{s['median_test']:.2f}", f"{s['mean_step']:.2f}",
                f"{s['max_step']:.2f}",
                '' if share is None else f'{share:.3f}'
            ])
    return markdown_table(
        ['run', 'seed', 'selected test', 'median test', 'mean change',
         'largest change', 'smallest output share (median)'], rows)


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('runs', nargs='+', help='run folders of pyg-rbm distill')
    p.add_argument('--warmup', type=int, default=10,
                   help='epochs skipped after pretraining (default: 10)')
    p.add_argument('--out', default=None, help='a JSON file to write')
    args = p.parse_args(argv)
    if args.warmup < 0:
        p.error(f'--warmup must be non-negative (got {args.warmup})')
    missing: List[str] = [r for r in args.runs if not all(
        os.path.isdir(os.path.join(r, d)) for d in ('history', 'seeds'))]
    if missing:
        p.error(f"no history/ or seeds/ in {', '.join(missing)} (run "
                f"folders of 'pyg-rbm distill')")
    runs = {run: run_stability(run, args.warmup) for run in args.runs}
    print(table(runs))
    if args.out:
        write_json(args.out, dict(warmup=args.warmup, runs=runs))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
