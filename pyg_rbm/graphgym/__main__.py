r"""``python -m pyg_rbm.graphgym --cfg FILE [--repeat N] [KEY VALUE ...]``:
GraphGym's entry point for :mod:`pyg_rbm`, without PyTorch Lightning.
"""
import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog='python -m pyg_rbm.graphgym',
        description='Runs a pyg_rbm distillation from a GraphGym YAML file '
        'for N seeds and reports validation and test accuracy at the best '
        'validation epoch (mean and std).')
    parser.add_argument('--cfg', dest='cfg_file', required=True,
                        help='the YAML configuration file')
    parser.add_argument('--repeat', type=int, default=1,
                        help='number of seeds: cfg.seed, cfg.seed + 1, ...')
    parser.add_argument('opts', nargs=argparse.REMAINDER,
                        help='KEY VALUE overrides, e.g. optim.max_epoch 10')
    args = parser.parse_args(argv)

    from pyg_rbm.cli.environment import refuse_bad_environment
    refuse_bad_environment(parser)

    from pyg_rbm.graphgym import (
        format_table,
        load_experiment_cfg,
        run_experiment,
    )
    from pyg_rbm.graphgym.run import _earlier_experiment, _launch_problem
    from pyg_rbm.graphgym.translate import num_processes
    try:  # A bad key or value fails here, naming it, before any work.
        load_experiment_cfg(args.cfg_file, args.opts)
    # (yacs asserts that an overridden key exists.)
    except (AssertionError, KeyError, ValueError, OSError) as error:
        text = error.args[0] if isinstance(error, KeyError) else error
        parser.error(str(text))
    from torch_geometric.graphgym.config import cfg
    problem = (_launch_problem(num_processes(cfg))
               or _earlier_experiment(args.cfg_file))
    if problem is not None:
        parser.error(problem)
    summary = run_experiment(args.cfg_file, args.repeat, args.opts)
    if summary is not None:  # (None: a process of rank > 0 under torchrun)
        print(format_table(summary))
        print(f'Wrote {summary["out_dir"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
