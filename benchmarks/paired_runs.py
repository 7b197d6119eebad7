"""Paired comparison of `pyg-rbm distill` runs of one dataset and setting.

Each run folder holds one record per seed (``seeds/<seed>.json``); the
first run is the reference. For every run the table gives the student's
validation and test accuracy (%, at the best validation epoch; mean +- std
over seeds) and its test difference to the reference and, optionally, to a
student of an accuracy-matrix cell (e.g. GLNN), paired by seed (mean +-
standard error). Writes a Markdown table and a JSON file of every seed.

    python benchmarks/paired_runs.py runs/probe_citeseer/base \\
        runs/probe_citeseer/k2 ... \\
        --matrix docs/benchmarks/accuracy/citeseer_transductive.json \\
        --matrix-student mlp --out docs/benchmarks/citeseer_rbm_knobs
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
from typing import Any, Dict, List, Optional, Sequence

from pyg_rbm.experiment.store import finished_seeds
from pyg_rbm.train.pipeline import headline


def read_run(folder: str) -> Dict[str, Any]:
    seeds = {
        seed: dict(val=100 * record['student']['val'],
                   test=100 * headline(record['student'], record['setting']))
        for seed, record in finished_seeds(folder).items()
    }
    with open(osp.join(folder, 'run.json')) as f:
        config = json.load(f)['config']
    return dict(folder=folder, config=config, seeds=seeds)


def read_matrix(path: str, student: str) -> Dict[int, Dict[str, float]]:
    with open(path) as f:
        cell = json.load(f)
    return {int(seed): dict(val=100 * run['students'][student]['scores']
                            ['val'],
                            test=run['students'][student]['accuracy'])
            for seed, run in cell['runs'].items()
            if student in run['students']}


def _mean_std(values: Sequence[float]) -> str:
    if len(values) < 2:
        return f'{values[0]:.2f}' if values else ''
    return f'{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}'


def _paired(a: Dict[int, Dict[str, float]],
            b: Optional[Dict[int, Dict[str, float]]]) -> str:
    if b is None:
        return ''
    diff = [a[s]['test'] - b[s]['test'] for s in sorted(a) if s in b]
    if len(diff) < 2:
        return ''
    se = statistics.stdev(diff) / len(diff)**0.5
    return f'{statistics.mean(diff):+.2f} ± {se:.2f}'


def table(runs: List[Dict[str, Any]],
          others: Dict[str, Dict[int, Dict[str, float]]]) -> str:
    reference = runs[0]['seeds']
    name = osp.basename(runs[0]['folder'])
    head = ['run', 'seeds', 'val', 'test', f'test − {name} (paired)'] + [
        f'test − {label} (paired)' for label in others]
    lines = ['| ' + ' | '.join(head) + ' |',
             '|' + '---|' * len(head)]
    blank = ' |' * (len(others) + 1)
    for label, other in others.items():
        lines.append(f'| {label} | {len(other)} | '
                     f'{_mean_std([v["val"] for v in other.values()])} | '
                     f'{_mean_std([v["test"] for v in other.values()])} |'
                     f'{blank}')
    for run in runs:
        seeds = run['seeds']
        cells = [_paired(seeds, reference) if run is not runs[0] else '']
        cells += [_paired(seeds, other) for other in others.values()]
        lines.append(
            f'| {osp.basename(run["folder"])} | {len(seeds)} | '
            f'{_mean_std([v["val"] for v in seeds.values()])} | '
            f'{_mean_std([v["test"] for v in seeds.values()])} | ' +
            ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('runs', nargs='+', help='run folders; the first is the '
                   'reference')
    p.add_argument('--matrix', default=None,
                   help='an accuracy-matrix cell file to compare with')
    p.add_argument('--matrix-student', nargs='+', default=None,
                   help='students of the --matrix cell to compare with '
                   '(default: mlp)')
    p.add_argument('--out', required=True, help='output folder')
    args = p.parse_args(argv)
    runs = [read_run(folder) for folder in args.runs]
    if args.matrix_student is not None and args.matrix is None:
        p.error('--matrix-student needs --matrix')
    students = (args.matrix_student or ['mlp']) if args.matrix else []
    others = {student: read_matrix(args.matrix, student)
              for student in students}
    text = table(runs, {f'matrix {st}': v for st, v in others.items()})
    os.makedirs(args.out, exist_ok=True)
    with open(osp.join(args.out, 'paired.md'), 'w') as f:
        f.write(text)
    with open(osp.join(args.out, 'paired.json'), 'w') as f:
        json.dump(dict(command='python ' + ' '.join(sys.argv),
                       runs=[dict(name=osp.basename(r['folder']),
                                  overrides=r['config'].get('student'),
                                  train=r['config'].get('train'),
                                  seeds=r['seeds']) for r in runs],
                       matrix=dict(path=args.matrix, seeds=others)),
                  f, indent=1)
    print(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
