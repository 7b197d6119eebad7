"""``pyg-rbm grid``: a GraphGym grid of distillation configs, one CSV."""
import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        'grid', help='run a GraphGym grid of distillation configs',
        description='Generates configs from a GraphGym base YAML and grid '
        'file (rows "KEY ALIAS [V1,V2,...]", blank lines separate blocks), '
        'runs each and writes results.csv: the grid values, validation and '
        'test accuracy at the best validation epoch (mean and std over '
        'repeats) and a status. A failing config is reported, not fatal.')
    p.add_argument('--config', required=True, metavar='BASE.yaml',
                   help='the base GraphGym YAML file')
    p.add_argument('--grid', required=True, metavar='GRID.txt',
                   help='the grid file')
    p.add_argument('--jobs', type=int, default=1,
                   help='configs run at once, in separate processes')
    p.add_argument('--repeat', type=int, default=1,
                   help='seeds per config: cfg.seed, cfg.seed + 1, ...')
    p.add_argument('--out', default=None, metavar='DIR',
                   help='output folder (default: results/<base>_grid_<grid>)')
    p.add_argument('opts', nargs=argparse.REMAINDER, metavar='KEY VALUE',
                   help='overrides of the base config, e.g. '
                   'optim.max_epoch 10 (grid values take precedence)')


def run(args: argparse.Namespace) -> int:
    from pyg_rbm.cli.main import UsageError
    from pyg_rbm.graphgym import run_grid

    try:  # bad files and an occupied --out fail before any run
        rows, csv_path = run_grid(args.config, args.grid, out_dir=args.out,
                                  jobs=args.jobs, repeat=args.repeat,
                                  opts=args.opts)
    except ValueError as error:
        raise UsageError(error) from error
    width = max(len(row['config']) for row in rows)
    print(f'{"config":<{width}}  {"val (%)":>15}  {"test (%)":>15}  status')
    for row in rows:
        cells = [
            f'{row[f"{key}_mean"]:.2f} +- {row[f"{key}_std"]:.2f}'
            if row['status'] == 'ok' else '' for key in ('val', 'test')
        ]
        print(f'{row["config"]:<{width}}  {cells[0]:>15}  {cells[1]:>15}  '
              f'{row["status"]}')
    failed = [row for row in rows if row['status'] != 'ok']
    for row in failed:
        print(f'FAILED {row["config"]}: {row["error"]}')
    print(f'{len(rows) - len(failed)} of {len(rows)} configs ran; '
          f'wrote {csv_path}')
    return 1 if failed else 0
