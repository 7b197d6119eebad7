"""``pyg-rbm show``: a run's results table and learning curves."""
import argparse
import glob
import json
import os


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser('show', help="a run's results and learning curves",
                       description='Prints the results table of a '
                       '`pyg-rbm distill` run folder (finished seeds only, '
                       'while it runs) and draws the learning curves of '
                       'every seed from its per-epoch logs '
                       '(<RUN>/curves.png; needs matplotlib).')
    p.add_argument('run', metavar='RUN', help='the run folder (--out)')
    p.add_argument('--out', default=None, metavar='FILE',
                   help='the figure (default: <RUN>/curves.png)')
    p.add_argument('--no-plot', action='store_true',
                   help='print the table only')


def run(args: argparse.Namespace) -> int:
    from pyg_rbm.cli.distill import format_scores, format_table
    from pyg_rbm.cli.main import UsageError
    from pyg_rbm.config import load_config
    from pyg_rbm.experiment.history import read_history
    from pyg_rbm.experiment.store import finished_seeds
    from pyg_rbm.train.pipeline import SeedResult, mean_timings, summarize

    path = os.path.join(args.run, 'run.json')
    if not os.path.exists(path):
        raise UsageError(f"'RUN': '{args.run}' holds no run (no run.json); "
                         f"give the --out folder of `pyg-rbm distill`")
    with open(path) as f:
        identity = dict(json.load(f)['config'])
    logits = identity.pop('teacher_logits', None)
    records = [
        SeedResult.from_record(record)
        for record in finished_seeds(args.run).values()
    ]
    if not records:
        raise UsageError(f"The run in '{args.run}' has no finished seed yet")
    config = load_config(overrides=dict(identity,
                                        seeds=[r.seed for r in records]))
    for result in records:
        print(f'seed {result.seed}: teacher {format_scores(result.teacher)}'
              f'; student {format_scores(result.student)}')
    summary = summarize(records, config.setting)
    print(format_table(summary, mean_timings(records), config,
                       'logits' if logits is not None else None))
    if args.no_plot:
        return 0
    histories = {}
    for result in records:
        folder = os.path.join(args.run, 'history', str(result.seed))
        logs = {
            os.path.splitext(os.path.basename(name))[0]: read_history(name)
            for name in glob.glob(os.path.join(folder, '*.csv'))
        }
        if logs:
            histories[result.seed] = logs
    if not histories:
        print('This run has no per-epoch logs (history/<seed>/<model>.csv; '
              'runs before they were written)')
        return 0
    try:
        from pyg_rbm.analysis.curves import plot_learning_curves
        figure = plot_learning_curves(
            histories, args.out or os.path.join(args.run, 'curves.png'),
            title=f'{config.dataset}, {config.setting}, '
            f'{config.student.name}')
    except ImportError:
        print('Install matplotlib for the learning curves: '
              'pip install -e .[plot]')
        return 0
    print(f'Wrote {figure}')
    return 0
