"""Distil your own GNN: a GCN trained by hand on sparse adjacency (adj_t)
with edge weights, into RbM and into your own MLP, first with the
transform and the trainer, then through the whole pipeline (split,
students, scores).

    python examples/own_teacher.py --root data
"""
import argparse
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
import torch_geometric.transforms as T
from torch_geometric.nn import GCN

from pyg_rbm import KnowledgeDistillation, RbM
from pyg_rbm.config import load_config
from pyg_rbm.datasets import load_dataset
from pyg_rbm.nn import StudentAdapter
from pyg_rbm.train import DistillationObjective, StudentTrainer
from pyg_rbm.train.pipeline import run_seed


def train_gcn(data, epochs: int) -> GCN:
    torch.manual_seed(0)
    gcn = GCN(data.num_features, 64, num_layers=2,
              out_channels=int(data.num_classes), dropout=0.5)
    optimizer = torch.optim.Adam(gcn.parameters(), lr=0.01, weight_decay=5e-4)
    for _ in range(epochs):
        gcn.train()
        optimizer.zero_grad()
        out = gcn(data.x, data.adj_t, edge_weight=data.edge_weight)
        loss = F.cross_entropy(out[data.train_mask], data.y[data.train_mask])
        loss.backward()
        optimizer.step()
    return gcn


def main(argv: Optional[Sequence[str]] = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--root', default=None,
                   help='data root (default: $PYG_RBM_DATA or ./data)')
    p.add_argument('--teacher-epochs', type=int, default=200)
    p.add_argument('--epochs', type=int, default=100,
                   help='student epochs after pretraining')
    args = p.parse_args(argv)

    data = load_dataset('cora', args.root)
    # Your graph as you keep it: edge weights, a sparse adjacency.
    data.edge_weight = torch.ones(data.num_edges)
    sparse = T.ToSparseTensor(attr=None, remove_edge_index=False)(
        data.clone())
    gcn = train_gcn(sparse, args.teacher_epochs)

    # 1. The transform and the trainer. The teacher is called as
    #    gcn(x, edge_index, edge_weight=...); with adj_t only, as
    #    gcn(x, adj_t, edge_weight=...).
    distilled = KnowledgeDistillation(gcn)(sparse.clone())
    student = RbM(data.num_features, 256, int(data.num_classes), num_layers=2,
                  num_experts=4, k=2, dropout=0.3)
    result = StudentTrainer(student, DistillationObjective(lam=0.2),
                            epochs=args.epochs, pretrain_epochs=10,
                            progress=False).fit(distilled)
    print(f'RbM from your GCN: {result}')
    # Any module mapping features to logits is a student once adapted.
    mlp = StudentAdapter(torch.nn.Sequential(
        torch.nn.Linear(data.num_features, 128), torch.nn.ReLU(),
        torch.nn.Dropout(0.5), torch.nn.Linear(128, int(data.num_classes))))
    own = StudentTrainer(mlp, DistillationObjective(lam=0.2),
                         epochs=args.epochs, progress=False).fit(distilled)
    print(f'Your MLP from your GCN: {own}')

    # 2. The whole pipeline: the teacher's logits replace teacher training.
    config = load_config(overrides=dict(
        root=args.root, train=dict(epochs=args.epochs), baseline_mlp=True),
                         dataset='cora')
    seed = run_seed(config, 0, data=sparse, teacher=gcn, progress=False,
                    timing=False)
    print(seed)
    return dict(trainer=result.best_metrics, own=own.best_metrics,
                teacher=seed.teacher,
                student=seed.student, mlp=seed.mlp)


if __name__ == '__main__':
    main()
