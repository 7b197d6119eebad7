"""The ``pyg-rbm`` command line."""
import argparse
import sys
from typing import List, Optional

import pyg_rbm
from pyg_rbm.cli import (
    analyze,
    bench,
    data,
    distill,
    export,
    grid,
    predict,
    show,
)
from pyg_rbm.cli.environment import refuse_bad_environment
from pyg_rbm.heap import retain_freed_memory

COMMANDS = dict(distill=distill, show=show, predict=predict, export=export,
                analyze=analyze, data=data, grid=grid, bench=bench)


class UsageError(Exception):
    r"""A user's bad argument, found before any work: printed as one line
    (no traceback), exit code 2.
    """


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog='pyg-rbm',
        description='Routing-by-Memory graph knowledge distillation.')
    parser.add_argument('--version', action='version',
                        version=f'%(prog)s {pyg_rbm.__version__}')
    sub = parser.add_subparsers(dest='command', required=True)
    for name, module in COMMANDS.items():
        module.add_parser(sub)
    args = parser.parse_args(argv)
    retain_freed_memory()  # a process of its own: see pyg_rbm.heap
    refuse_bad_environment(parser)
    try:
        return COMMANDS[args.command].run(args) or 0
    except UsageError as error:
        parser.exit(2, f'{parser.prog} {args.command}: error: {error}\n')


if __name__ == '__main__':
    sys.exit(main())
