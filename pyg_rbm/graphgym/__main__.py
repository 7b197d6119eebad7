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

    from pyg_rbm.graphgym import format_table, run_experiment
    summary = run_experiment(args.cfg_file, args.repeat, args.opts)
    print(format_table(summary))
    print(f'Wrote {summary["out_dir"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
