"""Trains a dataset's teacher and writes its logits of every node.

The first step of the scaling-out path (README, "Scaling out"): the logits
are computed where the graph fits, then any number of processes distil a
student from the file (`pyg-rbm distill --teacher-logits`), which they
read memory-mapped.

    python examples/teacher_logits.py --dataset csbm --out logits.npy
"""
import argparse
from typing import Optional, Sequence

import numpy as np

from pyg_rbm.cli.distill import format_scores
from pyg_rbm.config import load_config
from pyg_rbm.teachers import teacher_inference
from pyg_rbm.train.pipeline import prepare_teacher


def main(argv: Optional[Sequence[str]] = None) -> str:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--dataset', default='csbm')
    p.add_argument('--setting', default='transductive',
                   help='the teacher of the inductive and production '
                   'settings never sees the held-out nodes')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--root', default=None,
                   help='data root (default: $PYG_RBM_DATA or ./data)')
    p.add_argument('--out', default='logits.npy')
    args = p.parse_args(argv)
    overrides = {} if args.root is None else dict(root=args.root)
    config = load_config(overrides=overrides, dataset=args.dataset,
                         setting=args.setting)
    run = prepare_teacher(config, args.seed)
    full = run.split.full
    logits = teacher_inference(run.teacher, full.x, full.edge_index)
    np.save(args.out, logits.cpu().numpy())
    print(f"teacher: {format_scores(run.scores)}; wrote {args.out} "
          f'{tuple(logits.shape)}')
    return args.out


if __name__ == '__main__':
    main()
