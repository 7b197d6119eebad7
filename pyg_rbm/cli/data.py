"""``pyg-rbm data``: copy the shared raw files and summarise datasets."""
import argparse

DEFAULT_SUMMARY = ('cora', 'citeseer', 'actor')


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser('data', help='prepare the data root, print a summary')
    p.add_argument('--root', default=None,
                   help='data root (default: $PYG_RBM_DATA or ./data)')
    p.add_argument('--copy-from', default=None, metavar='DIR',
                   help='copy raw files from DIR (e.g. ../shared/data) '
                   'into the root; skipped if DIR does not exist')
    p.add_argument('--summary', nargs='*', default=None, metavar='NAME',
                   help='print counts of these datasets '
                   f'(default: {" ".join(DEFAULT_SUMMARY)})')


def run(args: argparse.Namespace) -> int:
    import os

    from pyg_rbm.datasets import load_dataset
    from pyg_rbm.datasets.root import copy_shared_data, resolve_root
    from pyg_rbm.datasets.summary import dataset_summary, format_summary_table
    root = resolve_root(args.root)
    if args.copy_from is not None:
        if os.path.isdir(args.copy_from):
            copy_shared_data(args.copy_from, root)
            print(f'Copied {args.copy_from} into {root}')
        else:
            print(f'{args.copy_from} does not exist; nothing copied '
                  f'(PyG downloads the data where there is internet)')
    if args.summary is not None:
        names = args.summary or DEFAULT_SUMMARY
        rows = []
        for name in names:
            row = dataset_summary(load_dataset(name, root))
            rows.append(dict(dataset=name, **row))
        print(format_summary_table(rows))
    return 0
