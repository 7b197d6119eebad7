"""How RbM and MoE route nodes, beside their accuracy and GLNN's.

For every cell (dataset, setting) and seed, one teacher (the accuracy
matrix's configuration, `Matrix.student_config`) is distilled into RbM,
MoE and the MLP (GLNN); for RbM and MoE the routing of every node of the
full graph is summarised per layer by `pyg_rbm.analysis.routing_statistics`:
the share of nodes each expert takes first, its normalised entropy (one for
an even split, zero for a collapse onto one expert) and the normalised
mutual information between first expert and class. Test accuracy at the
best validation epoch, in percent.

Results go to `<out>/<dataset>_<setting>.json` after every seed, so an
interrupted run continues where it stopped; a table is printed and written
to `<out>/README.md`.

    python benchmarks/routing_evidence.py --datasets citeseer --seeds 5
"""
import argparse
import os
import os.path as osp
import statistics
import sys
import time
from typing import Any, Dict, List

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import machine_info, write_json  # noqa: E402
from pyg_rbm.experiment import load_matrix  # noqa: E402

MATRIX = load_matrix('accuracy')

DEFAULT_OUT = osp.join(osp.dirname(osp.abspath(__file__)), '..', 'docs',
                       'benchmarks', 'routing')
STUDENTS = ('rbm', 'moe', 'mlp')
ROUTED = ('rbm', 'moe')


def run_cell(dataset: str, setting: str, seeds: int, root: str,
             path: str) -> Dict[str, Any]:
    import json

    from pyg_rbm.analysis import routing_statistics
    from pyg_rbm.train import distill_student, headline, prepare_teacher

    results: Dict[str, Any] = dict(dataset=dataset, setting=setting,
                                   runs={})
    if osp.exists(path):
        with open(path) as f:
            results = json.load(f)
    configs = {st: MATRIX.student_config(dataset, setting, st, root=root)
               for st in STUDENTS}
    for seed in range(seeds):
        if str(seed) in results['runs']:
            continue
        t0 = time.process_time()
        run = prepare_teacher(configs['rbm'], seed, progress=False)
        full = run.split.full
        entry: Dict[str, Any] = dict(teacher=100 * headline(run.scores,
                                                            setting))
        for st in STUDENTS:
            student, scores, epochs, x_full = distill_student(
                run, configs[st], progress=False)
            entry[st] = dict(accuracy=100 * headline(scores, setting),
                             epochs=epochs)
            if st in ROUTED:
                entry[st]['routing'] = routing_statistics(
                    student, x_full, full.y)
        entry['cpu_s'] = time.process_time() - t0
        results['runs'][str(seed)] = entry
        results['machine'] = machine_info()
        write_json(path, results)
        print(f'{dataset} {setting} seed {seed}: RbM '
              f"{entry['rbm']['accuracy']:.2f}, MLP "
              f"{entry['mlp']['accuracy']:.2f}", flush=True)
    return results


def _stats(values: List[float]) -> str:
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f'{statistics.mean(values):.2f} ± {std:.2f}'


def summary_row(results: Dict[str, Any]) -> List[str]:
    """Cell, seeds, RbM, GLNN, their paired difference, MoE, and per layer
    of RbM and MoE the mean load entropy, largest first-choice share and
    expert-class mutual information."""
    runs = [results['runs'][s] for s in sorted(results['runs'], key=int)]

    def acc(st: str) -> List[float]:
        return [r[st]['accuracy'] for r in runs]

    def per_layer(st: str, key: str) -> str:
        layers = len(runs[0][st]['routing'])
        return ' / '.join(
            f"{statistics.mean(r[st]['routing'][i][key] for r in runs):.2f}"
            for i in range(layers))

    row = [f"{results['dataset']}, {results['setting']}", str(len(runs)),
           _stats(acc('rbm')), _stats(acc('mlp')),
           _stats([a - b for a, b in zip(acc('rbm'), acc('mlp'))]),
           _stats(acc('moe'))]
    for st in ROUTED:
        row += [per_layer(st, 'load_entropy'), per_layer(st, 'max_top1_load'),
                per_layer(st, 'nmi')]
    return row


def format_table(all_results: List[Dict[str, Any]]) -> str:
    head = ['cell', 'seeds', 'RbM', 'MLP (GLNN)', 'RbM - GLNN', 'MoE',
            'RbM load entropy', 'RbM max share', 'RbM NMI',
            'MoE load entropy', 'MoE max share', 'MoE NMI']
    lines = ['| ' + ' | '.join(head) + ' |',
             '|' + '---|' * len(head)]
    lines += ['| ' + ' | '.join(summary_row(r)) + ' |'
              for r in all_results if r['runs']]
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--datasets', nargs='+', default=list(MATRIX.datasets),
                        choices=MATRIX.datasets)
    parser.add_argument('--settings', nargs='+',
                        default=['transductive', 'inductive'],
                        choices=MATRIX.settings)
    parser.add_argument('--seeds', type=int, default=5)
    parser.add_argument('--root', default='data')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--out', default=DEFAULT_OUT)
    parser.add_argument('--report', action='store_true',
                        help='only write the table of the stored cells')
    args = parser.parse_args()
    if args.seeds < 1:
        parser.error('--seeds must be positive')
    import json

    import torch
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    if not args.report:
        for dataset in args.datasets:
            for setting in args.settings:
                path = osp.join(args.out, f'{dataset}_{setting}.json')
                run_cell(dataset, setting, args.seeds,
                         osp.abspath(args.root), path)
    all_results = []
    for name in sorted(os.listdir(args.out)):
        if name.endswith('.json'):
            with open(osp.join(args.out, name)) as f:
                all_results.append(json.load(f))
    text = format_table(all_results)
    print(text)
    with open(osp.join(args.out, 'README.md'), 'w') as f:
        f.write(
            '# Routing of RbM and MoE beside their accuracy\n\nWritten by '
            '`benchmarks/routing_evidence.py`: test accuracy (%) at the '
            'best validation epoch, mean ± std over the seeds, of RbM, the '
            'distilled MLP (GLNN) and MoE from the same teacher, and the '
            'paired difference of RbM and GLNN. Per mixture layer (first '
            '/ second / ...), averaged over seeds on every node of the '
            'graph: the entropy of the experts\' first-choice shares '
            'divided by log E (1 = even, 0 = every node to one expert), '
            'the largest first-choice share, and the normalised mutual '
            'information between first expert and class.\n\n' + text +
            '\n')


if __name__ == '__main__':
    main()
