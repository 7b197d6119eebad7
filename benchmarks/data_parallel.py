"""Student training on 1 and on several processes (torch.distributed).

The scaling-out path of the README ("Scaling out") on a CSBM graph: the
teacher's logits of every node are computed once and written to a file,
then `pyg-rbm distill --teacher-logits FILE` trains the RbM student under
`torchrun --nproc-per-node R` for each R of `--ranks` (gloo on the CPU),
with the same seed, global batches and epochs. The figure is the median
wall time of a routed student epoch (training and evaluation, from the
run's `history/0/student.csv`; the first routed epoch, which also runs
the routing switch, left out), and the speed-up against one process; the
scores show that the runs learn the same. Each process runs `--threads`
torch threads, so R processes need R free cores for a fair figure.
`--collective-wait poll block` times each multi-process run both ways a
process may wait for gloo's collectives (`PYG_RBM_COLLECTIVE_WAIT`; poll,
the default, and PyTorch's blocking wait).

`--concurrent R` also runs R independent one-process trainings at once:
the cores' own limit (memory bandwidth, other load of the host). R times
the one-process epoch over their epoch is the speed-up no data-parallel
code could exceed on this host (`ceiling`).

    python benchmarks/data_parallel.py --concurrent 2 \
        --collective-wait poll block --out docs/benchmarks
    python benchmarks/data_parallel.py --nodes 100000 --epochs 2  # quick
"""
import argparse
import csv
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import machine_info, write_json  # noqa: E402


def write_teacher_logits(path: str, nodes: int, root: str) -> Dict[str, Any]:
    import numpy as np

    from pyg_rbm.config import load_config
    from pyg_rbm.teachers import teacher_inference
    from pyg_rbm.train.pipeline import prepare_teacher

    # The labelled nodes' neighbourhood trains GraphSAGE exactly as the
    # full graph does, at a fraction of the cost on a large graph.
    config = load_config(dataset='csbm', overrides=dict(
        root=root, data=dict(num_nodes=nodes),
        teacher=dict(train_graph='labelled')))
    run = prepare_teacher(config, 0, progress=False)
    full = run.split.full
    logits = teacher_inference(run.teacher, full.x, full.edge_index)
    np.save(path, logits.numpy())
    return dict(scores=run.scores, edges=int(full.edge_index.size(1)))


def epoch_seconds(run_dir: str) -> List[float]:
    """Wall seconds of each routed student epoch of seed 0 but the first,
    which also runs the routing switch (k-means)."""
    with open(osp.join(run_dir, 'history', '0', 'student.csv')) as f:
        return [float(row['seconds']) for row in csv.DictReader(f)
                if row['phase'] == 'route'][1:]


def distill_command(ranks: int, args: argparse.Namespace, logits: str,
                    out: str) -> List[str]:
    return [
        sys.executable, '-m', 'torch.distributed.run', '--standalone',
        '--nproc-per-node', str(ranks), '-m', 'pyg_rbm', 'distill',
        '--dataset', 'csbm', '--root', args.root, '--student', 'rbm',
        '--teacher-logits', logits, '--no-progress', '--out', out,
        '--set', f'data.num_nodes={args.nodes}',
        '--set', f'train.epochs={args.epochs}',
        '--set', f'train.pretrain_epochs={args.pretrain_epochs}',
        '--set', f'train.patience={args.epochs}',
    ]


def _env(args: argparse.Namespace, wait: str = 'poll') -> Dict[str, str]:
    return dict(os.environ, OMP_NUM_THREADS=str(args.threads),
                MKL_NUM_THREADS=str(args.threads),
                PYG_RBM_COLLECTIVE_WAIT=wait)


def run_ranks(ranks: int, args: argparse.Namespace, logits: str, out: str,
              wait: str = 'poll') -> Dict[str, Any]:
    cmd = distill_command(ranks, args, logits, out)
    load = os.getloadavg()
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=_env(args, wait))
    wall = time.perf_counter() - t0
    seconds = epoch_seconds(out)
    with open(osp.join(out, 'results.json')) as f:
        student = json.load(f)['per_seed'][0]['student']
    return dict(ranks=ranks, collective_wait=wait if ranks > 1 else None,
                command=' '.join(cmd[1:]), wall_s=wall,
                routed_epoch_s=seconds,
                median_epoch_s=statistics.median(seconds),
                student=student, load_average_before=list(load))


def run_concurrent(copies: int, args: argparse.Namespace, logits: str,
                   out: str) -> Dict[str, Any]:
    """`copies` one-process trainings started together; the median of all
    their timed epochs."""
    outs = [osp.join(out, str(i)) for i in range(copies)]
    load = os.getloadavg()
    t0 = time.perf_counter()
    procs = [subprocess.Popen(distill_command(1, args, logits, o),
                              env=_env(args)) for o in outs]
    if any(p.wait() != 0 for p in procs):
        raise RuntimeError('a concurrent one-process run failed')
    wall = time.perf_counter() - t0
    seconds = [s for o in outs for s in epoch_seconds(o)]
    return dict(copies=copies, wall_s=wall, routed_epoch_s=seconds,
                median_epoch_s=statistics.median(seconds),
                load_average_before=list(load))


def markdown(result: Dict[str, Any]) -> str:
    lines = ['| processes | collective wait | median routed epoch s | '
             'speed-up | wall s (whole command) | student val | '
             'student test |', '|---|---|---|---|---|---|---|']
    for run in result['runs']:
        lines.append(
            f"| {run['ranks']} | {run['collective_wait'] or ''} | "
            f"{run['median_epoch_s']:.2f} | "
            f"{run['speedup']:.2f} | {run['wall_s']:.1f} | "
            f"{100 * run['student']['val']:.2f} | "
            f"{100 * run['student']['test']:.2f} |")
    concurrent = result.get('concurrent')
    if concurrent:
        lines.append(
            f"| {concurrent['copies']} independent one-process runs at "
            f"once | | {concurrent['median_epoch_s']:.2f} | "
            f"{concurrent['ceiling']:.2f} (ceiling) | "
            f"{concurrent['wall_s']:.1f} | | |")
    return '\n'.join(lines) + '\n'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--nodes', type=int, default=2_000_000)
    parser.add_argument('--ranks', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--epochs', type=int, default=3,
                        help='routed student epochs (the first is not '
                        'timed)')
    parser.add_argument('--pretrain-epochs', type=int, default=1)
    parser.add_argument('--concurrent', type=int, default=0, metavar='R',
                        help='also run R independent one-process trainings '
                        'at once: the speed-up ceiling of the host '
                        '(default: 0, not run)')
    parser.add_argument('--collective-wait', nargs='+', default=['poll'],
                        choices=['poll', 'block'],
                        help='how the processes of each multi-process run '
                        'wait for gloo collectives, one run per choice '
                        '(default: poll)')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch threads per process')
    parser.add_argument('--root', default=None,
                        help='data root (default: $PYG_RBM_DATA or ./data)')
    parser.add_argument('--out', default='results',
                        help='folder of data_parallel.json and .md')
    args = parser.parse_args()
    if min(args.ranks) < 1 or args.nodes < 1000 or args.epochs < 2:
        parser.error("'--ranks' must be positive, '--epochs' at least 2 "
                     "and '--nodes' at least 1000")
    if args.concurrent == 1 or args.concurrent < 0:
        parser.error("'--concurrent' must be 0 (not run) or at least 2")
    if 1 not in args.ranks:
        parser.error("'--ranks' must include 1 (the speed-up's reference)")
    args.root = args.root or os.environ.get('PYG_RBM_DATA', 'data')

    info = machine_info()
    info['torch_threads'] = args.threads
    with tempfile.TemporaryDirectory() as tmp:
        logits = osp.join(tmp, 'logits.npy')
        print(f'teacher logits of {args.nodes:,} nodes', flush=True)
        teacher = write_teacher_logits(logits, args.nodes, args.root)
        runs = []
        for ranks in sorted(set(args.ranks)):
            for wait in (dict.fromkeys(args.collective_wait)
                         if ranks > 1 else ['poll']):
                print(f'{ranks} process(es), {wait}', flush=True)
                runs.append(run_ranks(ranks, args, logits,
                                      osp.join(tmp, f'ranks{ranks}{wait}'),
                                      wait))
        concurrent = None
        if args.concurrent:
            print(f'{args.concurrent} one-process runs at once', flush=True)
            concurrent = run_concurrent(args.concurrent, args, logits,
                                        osp.join(tmp, 'concurrent'))
    reference = next(r['median_epoch_s'] for r in runs if r['ranks'] == 1)
    for run in runs:
        run['speedup'] = reference / run['median_epoch_s']
    if concurrent:
        concurrent['ceiling'] = (concurrent['copies'] * reference /
                                 concurrent['median_epoch_s'])
    result = dict(benchmark='data_parallel', command=' '.join(sys.argv),
                  machine=info, nodes=args.nodes, edges=teacher['edges'],
                  teacher=teacher['scores'], config=vars(args), runs=runs,
                  concurrent=concurrent)
    os.makedirs(args.out, exist_ok=True)
    write_json(osp.join(args.out, 'data_parallel.json'), result)
    table = markdown(result)
    with open(osp.join(args.out, 'data_parallel.md'), 'w') as f:
        f.write(f"Measured {info['date']} on {info['cpu']} "
                f"({info['cpu_count']} cores, {args.threads} torch thread(s) "
                f"per process, load average {info['load_average'][0]:.2f} "
                f"at start): RbM on a CSBM graph of {args.nodes:,} nodes "
                f"and {teacher['edges']:,} edges, teacher logits from a "
                f"file.\n\n" + table)
    print(table)


if __name__ == '__main__':
    main()
