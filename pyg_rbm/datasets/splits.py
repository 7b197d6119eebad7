import copy
from typing import Optional, Tuple

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.transforms import LargestConnectedComponents

__all__ = ['per_class_split', 'random_split_lcc']


def per_class_split(
    y: Tensor,
    num_train: int = 20,
    num_val: int = 30,
    generator: Optional[torch.Generator] = None,
) -> Tuple[Tensor, Tensor, Tensor]:
    r"""Draws :obj:`num_train` training and :obj:`num_val` validation nodes
    per class at random; all other nodes are test nodes (the CPF / GLNN
    protocol).

    A class with fewer than :obj:`num_train + num_val` nodes gives all its
    nodes to training first, then to validation. Runs in
    :math:`O(N \log N)` time.

    Args:
        y (torch.Tensor): Node labels of shape :obj:`[num_nodes]`.
        num_train (int, optional): Training nodes per class.
            (default: :obj:`20`)
        num_val (int, optional): Validation nodes per class.
            (default: :obj:`30`)
        generator (torch.Generator, optional): The random generator.
            (default: :obj:`None`)

    Returns:
        Boolean :obj:`(train_mask, val_mask, test_mask)`.
    """
    if y.dim() != 1:
        raise ValueError(f"'y' of 'per_class_split' must be 1-D "
                         f"(got shape {tuple(y.shape)})")
    if num_train < 0 or num_val < 0:
        raise ValueError(f"'num_train' and 'num_val' of 'per_class_split' "
                         f"must be non-negative (got {num_train}, "
                         f"{num_val})")
    num_nodes = y.numel()
    # Drawn on the CPU, so that a seed gives the same split on every device.
    perm = torch.randperm(num_nodes, generator=generator,
                          device='cpu').to(y.device)
    # A stable sort by label keeps the random order within each class, so
    # the position inside the class block is a random rank:
    _, order = torch.sort(y[perm], stable=True)
    nodes = perm[order]
    count = torch.bincount(y, minlength=int(y.max()) + 1 if num_nodes else 0)
    start = torch.cumsum(count, dim=0) - count
    rank = torch.arange(num_nodes, device=y.device) - start[y[nodes]]

    train_mask = torch.zeros(num_nodes, dtype=torch.bool, device=y.device)
    val_mask = torch.zeros(num_nodes, dtype=torch.bool, device=y.device)
    train_mask[nodes[rank < num_train]] = True
    val_mask[nodes[(rank >= num_train) & (rank < num_train + num_val)]] = True
    test_mask = ~(train_mask | val_mask)
    return train_mask, val_mask, test_mask


def random_split_lcc(
    data: Data,
    seed: int = 0,
    num_train: int = 20,
    num_val: int = 30,
) -> Data:
    r"""Keeps the largest connected component of :obj:`data` and attaches
    a :meth:`per_class_split` drawn from :obj:`seed`, as in the CPF
    protocol for random-split datasets.

    Args:
        data (torch_geometric.data.Data): An undirected graph with
            :obj:`x`, :obj:`edge_index` and :obj:`y`.
        seed (int, optional): The split seed. (default: :obj:`0`)
        num_train (int, optional): Training nodes per class.
            (default: :obj:`20`)
        num_val (int, optional): Validation nodes per class.
            (default: :obj:`30`)
    """
    num_classes = int(data.y.max()) + 1
    data = LargestConnectedComponents()(copy.copy(data))
    generator = torch.Generator().manual_seed(seed)
    masks = per_class_split(data.y, num_train, num_val, generator)
    data.train_mask, data.val_mask, data.test_mask = masks
    data.num_classes = num_classes
    data.public_split = False
    return data
