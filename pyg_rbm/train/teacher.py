"""Training of a GNN teacher through the project's one loop."""
from typing import Callable, Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Data

from pyg_rbm.config import SELECTIONS, TRAIN_GRAPHS
from pyg_rbm.datasets.validate import check_node_data
from pyg_rbm.teachers.inference import teacher_inference
from pyg_rbm.teachers.locality import neighbourhood_exact_reason
from pyg_rbm.train.adam import adam
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
    graph: str = 'full',
    ties: str = 'first',
    extra_metrics: Optional[Callable[[], Dict[str, float]]] = None,
    selection: str = 'accuracy',
) -> FitResult:
    r"""Trains a GNN :obj:`model(x, edge_index)` on the labelled nodes of
    :obj:`data` with Adam, full batch, early stopping on validation
    accuracy (or cross-entropy, see :obj:`selection`), and restores the
    best-validation state. Every epoch records :obj:`val_loss`, the
    validation cross-entropy, beside the metrics.

    In the inductive setting pass the observed graph only: held-out nodes
    and their edges must not reach the teacher.

    Only the training and validation nodes enter the loss and the model
    selection, so with :obj:`graph="labelled"` the teacher trains on their
    :obj:`model.num_layers`-hop in-neighbourhood
    (:func:`pyg_rbm.serving.neighborhood_subgraph`) instead of the whole
    graph. For a teacher whose outputs there are exact (see
    :func:`pyg_rbm.teachers.locality.neighbourhood_exact_reason`; GraphSAGE,
    GAT and GIN without batch or graph normalisation) the loss, gradients
    and validation scores are the same, while an epoch costs time and
    memory in the size of that neighbourhood, not of the graph. The test
    score of the restored best state is then computed once on the whole
    graph.

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
        graph (str, optional): The graph of the training epochs,
            :obj:`"full"` or :obj:`"labelled"` (the neighbourhood of the
            training and validation nodes). (default: :obj:`"full"`)
        ties (str, optional): Keep the :obj:`"first"` or the
            :obj:`"last"` of epochs tied on the selection score.
            (default: :obj:`"first"`)
        extra_metrics (callable, optional): Returns more metrics of the
            current model after each epoch's evaluation, e.g. accuracy on
            held-out nodes of a larger graph. (default: :obj:`None`)
        selection (str, optional): The validation score that selects the
            epoch: :obj:`"accuracy"` (the metric, highest) or
            :obj:`"loss"` (the cross-entropy, lowest). With features of
            small values (e.g. row-normalised) a teacher can reach its best
            validation accuracy within a few epochs while its outputs are
            still close to uniform; the loss passes over such an epoch.
            (default: :obj:`"accuracy"`)
    """
    if data.get('edge_index') is None:
        raise ValueError("'data' has no 'edge_index' in 'train_teacher'")
    check_node_data(data, 'train_teacher', masks=('train_mask', 'val_mask'),
                    num_classes=getattr(model, 'out_channels', None))
    if selection not in SELECTIONS:
        raise ValueError(f"'selection' must be one of "
                         f"{list(SELECTIONS)} in 'train_teacher' "
                         f"(got {selection!r})")
    if graph not in TRAIN_GRAPHS:
        raise ValueError(f"'graph' must be one of {list(TRAIN_GRAPHS)} in "
                         f"'train_teacher' (got {graph!r})")
    if graph == 'labelled':
        reason = neighbourhood_exact_reason(model)
        if reason is not None:
            raise ValueError(f"'graph=\"labelled\"' in 'train_teacher' needs "
                             f"a teacher whose outputs depend on the "
                             f"neighbourhood only, but {reason}; use "
                             f"'graph=\"full\"'")
        return _train_on_labelled_neighbourhood(
            model, data, lr, weight_decay, epochs, patience, evaluator,
            callbacks, progress, ties, extra_metrics, selection)
    optimizer = adam(model.parameters(), lr, weight_decay)
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
        metrics = accuracy_metrics(logits, data.y, masks, evaluator)
        metrics['val_loss'] = float(
            F.cross_entropy(logits[data.val_mask], data.y[data.val_mask]))
        if extra_metrics is not None:
            metrics.update(extra_metrics())
        return metrics

    return fit(model, optimizer, train_epoch, evaluate, epochs=epochs,
               patience=patience, ties=ties, callbacks=callbacks,
               progress=progress,
               **(dict(monitor='val_loss', mode='min')
                  if selection == 'loss' else {}),
               desc=f'teacher ({model.__class__.__name__})')


def _train_on_labelled_neighbourhood(
    model: torch.nn.Module,
    data: Data,
    lr: float,
    weight_decay: float,
    epochs: int,
    patience: Optional[int],
    evaluator: Optional[Callable[[Tensor, Tensor], float]],
    callbacks: Sequence[Callable[[EpochRecord], None]],
    progress: bool,
    ties: str,
    extra_metrics: Optional[Callable[[], Dict[str, float]]],
    selection: str,
) -> FitResult:
    from pyg_rbm.serving import neighborhood_subgraph

    labelled = (data.train_mask | data.val_mask).nonzero().view(-1)
    sub = neighborhood_subgraph(data, labelled, model.num_layers)
    if 'test_mask' in sub:  # outputs are exact at the labelled nodes only
        del sub.test_mask
    result = train_teacher(model, sub, lr=lr, weight_decay=weight_decay,
                           epochs=epochs, patience=patience,
                           evaluator=evaluator, callbacks=callbacks,
                           progress=progress, graph='full', ties=ties,
                           extra_metrics=extra_metrics, selection=selection)
    del sub
    if data.get('test_mask') is not None and data.test_mask.any():
        logits = teacher_inference(model, data.x, data.edge_index)
        result.best_metrics.update(accuracy_metrics(
            logits, data.y, dict(test=data.test_mask), evaluator))
    return result
