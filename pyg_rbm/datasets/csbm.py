import math

import torch
from torch import Tensor
from torch_geometric.data import Data

from pyg_rbm.datasets.splits import per_class_split

__all__ = ['make_csbm']


def _sample_edges(
    y: Tensor,
    num_classes: int,
    num_samples: int,
    homophily: float,
    generator: torch.Generator,
) -> Tensor:
    num_nodes = y.numel()
    nodes = torch.sort(y, stable=True)[1]  # Nodes grouped by class.
    count = torch.bincount(y, minlength=num_classes)
    start = torch.cumsum(count, dim=0) - count

    src = torch.randint(num_nodes, (num_samples, ), generator=generator)
    intra = torch.rand(num_samples, generator=generator) < homophily
    u = torch.rand(num_samples, generator=generator, dtype=torch.float64)
    # Large graphs hold several arrays of `num_samples` integers at once:
    # each is freed (or overwritten) as soon as it is used.
    # `index_select` is much faster than advanced indexing on large inputs.
    c = y.index_select(0, src)
    count_c, start_c = count.index_select(0, c), start.index_select(0, c)
    del c
    # Intra-class: a uniform position inside the block of class `c`.
    # Inter-class: a uniform position among the `N - count[c]` nodes of the
    # other classes, skipping over the block of class `c`.
    size = torch.where(intra, count_c, num_nodes - count_c)
    pos = torch.minimum(u.mul_(size).long(), size.sub_(1))
    del u, size
    pos = torch.where(intra, pos + start_c,
                      torch.where(pos >= start_c, pos + count_c, pos))
    del intra, count_c, start_c
    dst = nodes.index_select(0, pos)
    del pos, nodes

    row = torch.minimum(src, dst)
    col = torch.maximum(src, dst)
    del src, dst
    keep = row != col
    key = row.mul_(num_nodes).add_(col)[keep]
    del row, col, keep
    key = torch.unique(key)
    m = key.numel()
    edge_index = torch.empty(2, 2 * m, dtype=torch.long)
    torch.div(key, num_nodes, rounding_mode='floor', out=edge_index[0, :m])
    torch.remainder(key, num_nodes, out=edge_index[1, :m])
    del key
    edge_index[0, m:] = edge_index[1, :m]
    edge_index[1, m:] = edge_index[0, :m]
    return edge_index


def make_csbm(
    num_nodes: int,
    num_classes: int,
    num_features: int,
    avg_degree: float,
    homophily: float,
    seed: int = 0,
    feature_noise: float = 1.0,
    num_train: int = 20,
    num_val: int = 30,
) -> Data:
    r"""Generates a graph from a contextual stochastic block model (CSBM),
    as in the `"Contextual Stochastic Block Models"
    <https://arxiv.org/abs/1807.09596>`_ paper, in time and memory linear
    in the number of nodes and edges.

    Labels are balanced over the classes and shuffled. Features are
    class-conditional Gaussians

    .. math::
        \mathbf{x}_i = \boldsymbol{\mu}_{y_i} + \sigma \boldsymbol{\epsilon}_i,
        \quad \boldsymbol{\mu}_c \sim \mathcal{N}(\mathbf{0},
        \mathbf{I} / F), \quad \boldsymbol{\epsilon}_i \sim
        \mathcal{N}(\mathbf{0}, \mathbf{I}),

    so that the distance between two class means is about :math:`\sqrt{2}`
    whatever the number of features :math:`F`, and :math:`\sigma`
    (:obj:`feature_noise`) sets how hard the features alone are.

    Edges are sampled directly: :obj:`num_nodes * avg_degree / 2` times, a
    source node is drawn uniformly, and with probability :obj:`homophily`
    a target uniformly from its class, otherwise uniformly from the other
    classes. Self-loops and duplicates are dropped and the graph is made
    undirected, so the expected fraction of intra-class edges is
    :obj:`homophily` and the average degree slightly below
    :obj:`avg_degree` on small dense graphs.

    The split draws :obj:`num_train` training and :obj:`num_val` validation
    nodes per class, all other nodes are test nodes (as for the random-split
    benchmarks). Everything is determined by :obj:`seed`.

    Args:
        num_nodes (int): The number of nodes.
        num_classes (int): The number of classes (at least 2).
        num_features (int): The number of node features.
        avg_degree (float): The expected average node degree.
        homophily (float): The expected fraction of intra-class edges, in
            :math:`[0, 1]`.
        seed (int, optional): The random seed. (default: :obj:`0`)
        feature_noise (float, optional): The standard deviation
            :math:`\sigma` of the feature noise. (default: :obj:`1.0`)
        num_train (int, optional): Training nodes per class.
            (default: :obj:`20`)
        num_val (int, optional): Validation nodes per class.
            (default: :obj:`30`)
    """
    if num_classes < 2:
        raise ValueError(f"'num_classes' of 'make_csbm' must be at least 2 "
                         f"(got {num_classes})")
    if num_nodes < num_classes:
        raise ValueError(f"'num_nodes' of 'make_csbm' must be at least "
                         f"'num_classes' (got {num_nodes})")
    if num_features < 1:
        raise ValueError(f"'num_features' of 'make_csbm' must be positive "
                         f"(got {num_features})")
    if avg_degree < 0:
        raise ValueError(f"'avg_degree' of 'make_csbm' must be "
                         f"non-negative (got {avg_degree})")
    if not 0.0 <= homophily <= 1.0:
        raise ValueError(f"'homophily' of 'make_csbm' must be in [0, 1] "
                         f"(got {homophily})")
    if feature_noise < 0:
        raise ValueError(f"'feature_noise' of 'make_csbm' must be "
                         f"non-negative (got {feature_noise})")

    generator = torch.Generator().manual_seed(seed)
    y = torch.randperm(num_nodes, generator=generator) % num_classes

    mean = torch.randn(num_classes, num_features, generator=generator)
    mean.div_(math.sqrt(num_features))
    x = torch.randn(num_nodes, num_features, generator=generator)
    x.mul_(feature_noise).add_(mean.index_select(0, y))

    num_samples = round(num_nodes * avg_degree / 2)
    edge_index = _sample_edges(y, num_classes, num_samples, homophily,
                               generator)

    train_mask, val_mask, test_mask = per_class_split(
        y, num_train, num_val, generator)
    data = Data(x=x, edge_index=edge_index, y=y, train_mask=train_mask,
                val_mask=val_mask, test_mask=test_mask)
    data.num_classes = num_classes
    data.public_split = False
    return data
