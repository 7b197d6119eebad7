"""``pyg-rbm bench NAME``: runs a script of the repository's benchmarks/."""
import argparse
import os
import runpy
import sys

BENCHMARKS = dict(throughput='student_throughput.py', latency='latency.py',
                  scale='scale.py', accuracy='accuracy.py',
                  data_parallel='data_parallel.py')


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser('bench', help='run a benchmark script')
    p.add_argument('name', choices=sorted(BENCHMARKS))
    p.add_argument('--dir', default='benchmarks',
                   help='folder of the benchmark scripts (default: '
                   './benchmarks)')
    p.add_argument('args', nargs=argparse.REMAINDER,
                   help='arguments passed on to the script')


def run(args: argparse.Namespace) -> int:
    path = os.path.join(args.dir, BENCHMARKS[args.name])
    if not os.path.exists(path):
        raise SystemExit(f"Benchmark script '{path}' not found: the "
                         f"benchmarks ship with the source repository, not "
                         f"the installed package; run from the repository "
                         f"root or pass --dir")
    sys.argv = [path] + [a for a in args.args if a != '--']
    runpy.run_path(path, run_name='__main__')
    return 0
