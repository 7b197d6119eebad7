"""Full-graph training of a GNN teacher through the project's one loop."""
from typing import Callable, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Data

from pyg_rbm.teachers.inference import teacher_inference
from pyg_rbm.train.evaluate import accuracy_metrics
from pyg_rbm.train.loop import EpochRecord, FitResult, fit


def train_teacher(
    model: torch.nn.Module,
    data: Data,
    lr: float = 0.01,
    weight_decay: float = 5e-4,
    epochs: int = 500,
    patience: Optional[int] = 50,
    evaluator: Optional[Callable[[Tensor, Tensor], float]] = None,
    callbacks: Sequence[Callable[[EpochRecord], None]] = (),
    progress: bool = True,
) -> FitResult:
    r"""Trains a GNN :obj:`model(x, edge_index)` on the labelled nodes of
    :obj:`data` with Adam, full graph, early stopping on validation
    accuracy, and restores the best-validation state.

    In the inductive setting pass the observed graph only: held-out nodes
    and their edges must not reach the teacher.

    Args:
        model (torch.nn.Module): The teacher, e.g. from
            :func:`~pyg_rbm.teachers.build_teacher`.
        data (torch_geometric.data.Data): The training graph with masks.
        lr (float, optional): Learning rate. (default: :obj:`0.01`)
        weight_decay (float, optional): Weight decay. (default: :obj:`5e-4`)
        epochs (int, optional): Maximum epochs. (default: :obj:`500`)
        patience (int, optional): Early-stopping patience.
            (default: :obj:`50`)
        evaluator (callable, optional): Metric replacing accuracy.
        callbacks (list, optional): Called with each epoch's record.
        progress (bool, optional): Show a progress bar.
            (default: :obj:`True`)
    """
    for key in ('x', 'edge_index', 'y', 'train_mask', 'val_mask'):
        if data.get(key) is None:
            raise ValueError(f"'data' has no '{key}' in 'train_teacher'")
    if not data.train_mask.any():
        raise ValueError("'data.train_mask' selects no node in "
                         "'train_teacher'")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr,
                                 weight_decay=weight_decay)
    masks = dict(train=data.train_mask, val=data.val_mask)
    if data.get('test_mask') is not None and data.test_mask.any():
        masks['test'] = data.test_mask

    def train_epoch(epoch: int) -> float:
        model.train()
        optimizer.zero_grad()
        out = model(data.x, data.edge_index)
        loss = F.cross_entropy(out[data.train_mask], data.y[data.train_mask])
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    def evaluate() -> dict:
        logits = teacher_inference(model, data.x, data.edge_index)
        return accuracy_metrics(logits, data.y, masks, evaluator)

    return fit(model, optimizer, train_epoch, evaluate, epochs=epochs,
               patience=patience, callbacks=callbacks, progress=progress,
               desc=f'teacher ({model.__class__.__name__})')
