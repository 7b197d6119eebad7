"""``pyg-rbm predict``: a saved student's predictions for nodes."""
import argparse
import csv
import json
import os
import sys

import torch


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser('predict', help="a saved student's predictions",
                       description='Predicts classes with the student that '
                       '`pyg-rbm distill` saved in a run folder: for nodes '
                       "of the run's dataset, or for the rows of a features "
                       'file.')
    add_student_arguments(p)
    source = p.add_mutually_exclusive_group()
    source.add_argument('--nodes', type=int, nargs='+', default=None,
                        help="node ids of the run's dataset (default: all "
                        'nodes)')
    source.add_argument('--features', default=None, metavar='FILE',
                        help='raw node features [N, F] of new nodes as a '
                        'torch tensor (.pt) or a NumPy array (.npy)')
    p.add_argument('--neighbors', default=None, metavar='FILE',
                   help='with --features, for a student with positional '
                   'encodings or label propagation: the new nodes\' edges '
                   "[2, E] (row in --features, node id of the run's "
                   'dataset), .pt or .npy')
    add_device_argument(p)
    p.add_argument('--root', default=None,
                   help="data root (default: the run's)")
    p.add_argument('--out', default=None, metavar='FILE',
                   help='write a CSV (row, node, class, probability) '
                   'instead of printing')


def add_student_arguments(p: argparse.ArgumentParser,
                          many: bool = False) -> None:
    """The saved student(s) a command reads: RUN and --seed."""
    p.add_argument('runs' if many else 'run', metavar='RUN',
                   nargs='+' if many else None,
                   help='the run folder of `pyg-rbm distill` (or a student '
                   'file students/<seed>.pt)')
    p.add_argument('--seed', type=int, default=None,
                   help="the seed's student (default: the run's first)")


def add_device_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument('--device', default='auto',
                   help="'auto' (CUDA when available), 'cpu', 'cuda' or "
                   "'cuda:N' (default: auto)")


def _student_file(args: argparse.Namespace) -> str:
    from pyg_rbm.cli.main import UsageError
    if os.path.isfile(args.run):
        return args.run
    folder = os.path.join(args.run, 'students')
    if not os.path.isdir(folder):
        raise UsageError(f"'{args.run}' holds no saved student (no "
                         f"students/ folder): run pyg-rbm distill first")
    seeds = sorted(int(n[:-3]) for n in os.listdir(folder)
                   if n.endswith('.pt') and n[:-3].isdigit())
    seed = seeds[0] if args.seed is None and seeds else args.seed
    if seed not in seeds:
        raise UsageError(f"'--seed': '{args.run}' holds students of seeds "
                         f"{seeds} (got {args.seed})")
    return os.path.join(folder, f'{seed}.pt')


def _tensor(path: str, option: str) -> torch.Tensor:
    from pyg_rbm.cli.main import UsageError
    if path.endswith('.npy'):
        import numpy as np
        value = torch.from_numpy(np.load(path))
    else:
        value = torch.load(path, weights_only=True)
    if not isinstance(value, torch.Tensor):
        raise UsageError(f"'{option}': '{path}' holds no tensor")
    return value


def _dataset(args: argparse.Namespace, student):
    from pyg_rbm.cli.main import UsageError
    from pyg_rbm.datasets import load_dataset
    info = student.info
    if 'dataset' not in info:
        raise UsageError("The student does not name its dataset: give "
                         "'--features'")
    return load_dataset(info['dataset'], args.root or info.get('root'),
                        seed=info.get('seed', 0),
                        **info.get('dataset_options', {}))


def _new_nodes(args: argparse.Namespace, student, device) -> torch.Tensor:
    # The rows of --features as new nodes, with --neighbors for the inputs
    # that need the graph (see StudentServer).
    from pyg_rbm.cli.main import UsageError
    from pyg_rbm.serving import StudentServer
    x = _tensor(args.features, '--features').float().to(device)
    if not student.graph_features:
        if args.neighbors is not None:
            raise UsageError("'--neighbors' is given but the student takes "
                             "no inputs that need the graph")
        return student.predict(x)
    if args.neighbors is None:
        raise UsageError(f"The student also takes "
                         f"{' and '.join(student.graph_features)} inputs: "
                         f"give '--neighbors', the new nodes' edges to the "
                         f"dataset's nodes")
    neighbors = _tensor(args.neighbors, '--neighbors')
    if neighbors.dim() != 2 or neighbors.size(0) != 2:
        raise UsageError(f"'--neighbors' must hold edges [2, E] (got shape "
                         f"{list(neighbors.size())})")
    neighbors = neighbors.to(device)
    graph = None
    if 'label_propagation' in student.graph_features:
        graph = _dataset(args, student).to(device)
    return StudentServer(student, graph=graph).predict(x, neighbors)


def _logits(args: argparse.Namespace, student, device) -> tuple:
    # The student's logits for the rows of --features, or for --nodes of
    # its dataset (with the inputs that need the graph, as in training).
    from pyg_rbm.cli.main import UsageError
    from pyg_rbm.train.evaluate import predict
    if args.features is not None:
        return _new_nodes(args, student, device), None
    if args.neighbors is not None:
        raise UsageError("'--neighbors' goes with '--features'")
    data = _dataset(args, student)
    nodes = (torch.arange(data.num_nodes) if args.nodes is None else
             torch.tensor(args.nodes))
    if nodes.numel() and (int(nodes.min()) < 0
                          or int(nodes.max()) >= data.num_nodes):
        raise UsageError(f"'--nodes' must lie in [0, {data.num_nodes}) for "
                         f"{student.info['dataset']}")
    if student.graph_features:
        inputs = student.dataset_features(data.to(device))
        return predict(student.model, inputs[nodes.to(device)]), nodes
    return student.predict(data.x[nodes].to(device)), nodes


def run(args: argparse.Namespace) -> int:
    from pyg_rbm.cli.main import UsageError
    from pyg_rbm.device import resolve_device
    from pyg_rbm.saved_student import load_student
    try:
        device = resolve_device(args.device)
        student = load_student(_student_file(args), map_location=device)
        logits, nodes = _logits(args, student, device)
        probs = logits.softmax(dim=-1).cpu()
    except (ValueError, FileNotFoundError) as error:
        raise UsageError(error) from error
    prob, label = probs.max(dim=-1)
    ids = nodes.tolist() if nodes is not None else [''] * len(label)
    rows = [(i, ids[i], int(label[i]), round(float(prob[i]), 6))
            for i in range(len(label))]
    out = open(args.out, 'w', newline='') if args.out else sys.stdout
    try:
        writer = csv.writer(out)
        writer.writerow(['row', 'node', 'class', 'probability'])
        writer.writerows(rows)
    finally:
        if args.out:
            out.close()
    if args.out:
        print(f'Wrote {len(rows)} predictions to {args.out} (student: '
              f'{student.name}, {json.dumps(student.info.get("scores"))})')
    return 0
