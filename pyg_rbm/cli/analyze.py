"""``pyg-rbm analyze``: how a saved student's experts are used."""
import argparse
import json
import os

from pyg_rbm.cli.predict import add_device_argument, add_student_arguments


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser('analyze', help="how a student's experts specialise",
                       description='Routes the nodes of the run\'s dataset '
                       'through saved RbM or MoE students and writes, per '
                       'layer, expert load, routing entropy, purity and '
                       'normalised mutual information between first expert '
                       'and class (analysis.json), and a figure of the '
                       'loads and of PCA projections of each layer\'s input '
                       'coloured by expert (routing.png). Several runs '
                       '(e.g. RbM and MoE) are drawn side by side.')
    add_student_arguments(p, many=True)
    p.add_argument('--nodes', default='all', choices=['all', 'test'],
                   help='the nodes routed (default: all)')
    p.add_argument('--max-points', type=int, default=2000,
                   help='nodes in each projection (default: 2000)')
    add_device_argument(p)
    p.add_argument('--root', default=None,
                   help="data root (default: each run's)")
    p.add_argument('--out', default=None, metavar='DIR',
                   help='output folder (default: <first RUN>/analysis)')


def run(args: argparse.Namespace) -> int:
    from pyg_rbm.analysis import analyse_routing, plot_routing
    from pyg_rbm.cli.main import UsageError
    from pyg_rbm.cli.predict import _student_file
    from pyg_rbm.datasets import load_dataset
    from pyg_rbm.saved_student import load_student

    if args.max_points < 1:
        raise UsageError(f"'--max-points' must be positive "
                         f"(got {args.max_points})")
    first = args.runs[0]
    out = args.out or os.path.join(
        first if os.path.isdir(first) else os.path.dirname(first),
        'analysis')
    if os.path.isdir(out) and os.listdir(out):
        raise UsageError(f"'--out': '{out}' is not empty; choose another "
                         f"folder")
    from pyg_rbm.device import resolve_device
    try:
        device = resolve_device(args.device)
    except ValueError as error:
        raise UsageError(error) from error
    students = {}
    for run_path in args.runs:
        path = _student_file(argparse.Namespace(run=run_path, seed=args.seed))
        try:
            student = load_student(path, map_location=device)
        except ValueError as error:
            raise UsageError(error) from error
        if student.name == 'mlp':
            raise UsageError(f"'{path}' holds an MLP student, which has no "
                             f"experts to analyse")
        name = os.path.basename(os.path.normpath(run_path))
        label = f'{student.name} ({name})'
        students[label] = student
    analyses = {}
    for label, student in students.items():
        info = student.info
        try:
            data = load_dataset(info['dataset'], args.root or info.get('root'),
                                seed=info.get('seed', 0),
                                **info.get('dataset_options', {}))
            x, y = student.features(data.x.to(device)), data.y.to(device)
        except (ValueError, KeyError) as error:
            raise UsageError(error) from error
        if args.nodes == 'test':
            mask = data.test_mask.to(device)
            x, y = x[mask], y[mask]
        analyses[label] = dict(
            dataset=info['dataset'], seed=info.get('seed'),
            nodes=args.nodes,
            **analyse_routing(student.model, x, y, args.max_points))
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, 'analysis.json'), 'w') as f:
        json.dump(analyses, f, indent=1)
    for label, analysis in analyses.items():
        layers = '; '.join(
            f'layer {i}: entropy {s["load_entropy"]:.2f}, NMI '
            f'{s["nmi"]:.2f}, purity {s["purity"]:.2f}'
            for i, s in enumerate(analysis['layers']))
        print(f'{label}: {layers}')
    try:
        figure = plot_routing(analyses, os.path.join(out, 'routing.png'))
        print(f'Wrote {out}/analysis.json and {figure}')
    except ImportError:
        print(f'Wrote {out}/analysis.json (install matplotlib for the '
              f'figure: pip install -e .[plot])')
    return 0
