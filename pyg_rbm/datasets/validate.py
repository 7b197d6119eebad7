"""Checks that a node-classification graph means what it says."""
from typing import Optional, Sequence

import torch
from torch_geometric.data import Data

from pyg_rbm.nn.finite import all_finite

__all__ = ['check_node_data']

MASKS = ('train_mask', 'val_mask', 'test_mask')


def check_node_data(
    data: Data,
    where: str,
    masks: Sequence[str] = MASKS,
    num_classes: Optional[int] = None,
) -> None:
    r"""Raises a :class:`ValueError` that names the attribute and
    :obj:`where` if :obj:`data` is not a graph whose numbers can be trusted:

    * :obj:`x` two-dimensional and finite (no NaN or infinity);
    * :obj:`y` one label per node;
    * each of :obj:`masks` present, boolean (0/1 integers would index nodes
      0 and 1), one entry per node, selecting at least one node, and no two
      masks selecting the same node;
    * the labels of the masked nodes within :obj:`[0, num_classes)`
      (:obj:`num_classes` defaults to :obj:`data.num_classes`, else to the
      largest label plus one, which only rules out negative labels);
    * :obj:`edge_index` (when present) pointing at existing nodes.

    Args:
        data (torch_geometric.data.Data): The graph.
        where (str): The caller, named in the message.
        masks (Sequence[str], optional): The masks to check.
            (default: :obj:`("train_mask", "val_mask", "test_mask")`)
        num_classes (int, optional): The number of classes.
            (default: :obj:`None`)
    """
    x, y = data.get('x'), data.get('y')
    if x is None or x.dim() != 2:
        raise ValueError(f"'data.x' must be a [num_nodes, num_features] "
                         f"tensor in '{where}'")
    num_nodes = x.size(0)
    if not all_finite(x):
        raise ValueError(f"'data.x' holds NaN or infinite values in "
                         f"'{where}'")
    if y is None or y.dim() != 1 or y.numel() != num_nodes:
        raise ValueError(f"'data.y' must hold one label per node "
                         f"({num_nodes}) in '{where}'")
    edge_index = data.get('edge_index')
    if edge_index is not None and edge_index.numel() and (
            int(edge_index.min()) < 0 or int(edge_index.max()) >= num_nodes):
        raise ValueError(f"'data.edge_index' points at nodes outside "
                         f"[0, {num_nodes}) in '{where}'")
    if num_classes is None:
        num_classes = data.get('num_classes')
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.numel() else 0
    union = torch.zeros(num_nodes, dtype=torch.bool, device=x.device)
    for key in masks:
        mask = data.get(key)
        if mask is None:
            raise ValueError(f"'data' has no '{key}' in '{where}'")
        if mask.dtype != torch.bool:
            raise ValueError(f"'data.{key}' must be a boolean mask (got "
                             f"{mask.dtype}; index tensors or 0/1 integers "
                             f"select other nodes) in '{where}'")
        if mask.dim() != 1 or mask.numel() != num_nodes:
            raise ValueError(f"'data.{key}' must have one entry per node "
                             f"({num_nodes}, got {list(mask.shape)}) in "
                             f"'{where}'")
        if not bool(mask.any()):
            raise ValueError(f"'data.{key}' selects no node in '{where}'")
        if bool((union & mask).any()):
            raise ValueError(f"'data.{key}' selects nodes that another of "
                             f"{list(masks)} selects too in '{where}'")
        union |= mask
        labels = y[mask]
        if bool((labels < 0).any()) or bool((labels >= num_classes).any()):
            raise ValueError(f"'data.y' holds labels outside "
                             f"[0, {num_classes}) on '{key}' nodes in "
                             f"'{where}'")
