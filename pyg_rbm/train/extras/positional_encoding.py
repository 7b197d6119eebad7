from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn import Embedding
from torch_geometric.index import index2ptr
from torch_geometric.utils import scatter, sort_edge_index

__all__ = ['random_walks', 'deepwalk_embeddings', 'extend_to_unseen']


def _check_edge_index(edge_index: Tensor, num_nodes: int, name: str) -> None:
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"'edge_index' must have shape [2, E] in '{name}' "
                         f"(got {tuple(edge_index.shape)})")
    if num_nodes < 1:
        raise ValueError(f"'num_nodes' must be positive in '{name}' "
                         f"(got {num_nodes})")
    if edge_index.numel() > 0 and (int(edge_index.min()) < 0
                                   or int(edge_index.max()) >= num_nodes):
        raise ValueError(f"'edge_index' holds node indices outside "
                         f"[0, {num_nodes}) in '{name}'")


def random_walks(
    edge_index: Tensor,
    num_nodes: int,
    walk_length: int,
    walks_per_node: int = 1,
    generator: Optional[torch.Generator] = None,
) -> Tensor:
    r"""Samples uniform random walks, vectorised over all walkers per step.

    Walker :math:`i` starts at node :obj:`i % num_nodes` and at every step
    moves to a uniformly drawn out-neighbour (edges point from
    :obj:`edge_index[0]` to :obj:`edge_index[1]`; pass an undirected
    :obj:`edge_index` for undirected walks). A walker on a node without
    out-neighbours stays in place.

    Args:
        edge_index (torch.Tensor): The edge indices :obj:`[2, E]`.
        num_nodes (int): The number of nodes.
        walk_length (int): The number of nodes per walk, start included.
        walks_per_node (int, optional): The number of walks started from
            every node. (default: :obj:`1`)
        generator (torch.Generator, optional): The random generator.
            (default: :obj:`None`)

    Returns:
        torch.Tensor: The walks, :obj:`[num_nodes * walks_per_node,
        walk_length]`.
    """
    _check_edge_index(edge_index, num_nodes, 'random_walks')
    if walk_length < 1:
        raise ValueError(f"'walk_length' must be positive in "
                         f"'random_walks' (got {walk_length})")
    if walks_per_node < 1:
        raise ValueError(f"'walks_per_node' must be positive in "
                         f"'random_walks' (got {walks_per_node})")

    row, col = sort_edge_index(edge_index.cpu(), num_nodes=num_nodes)
    rowptr = index2ptr(row, num_nodes)
    deg = rowptr[1:] - rowptr[:-1]

    cur = torch.arange(num_nodes).repeat(walks_per_node)
    walks = cur.new_empty(cur.numel(), walk_length)
    walks[:, 0] = cur
    if col.numel() == 0:
        return walks.copy_(cur.view(-1, 1).expand_as(walks))

    for step in range(1, walk_length):
        d = deg[cur]
        rand = torch.rand(cur.numel(), generator=generator)
        offset = torch.minimum((rand * d).long(), (d - 1).clamp(min=0))
        pos = (rowptr[cur] + offset).clamp(max=col.numel() - 1)
        cur = torch.where(d > 0, col[pos], cur)
        walks[:, step] = cur
    return walks


def _skipgram_pairs(walks: Tensor, window_size: int) -> Tensor:
    # All (center, context) pairs at distance 1..window_size, both ways.
    pairs = []
    for dist in range(1, min(window_size, walks.size(1) - 1) + 1):
        a = walks[:, :-dist].reshape(-1)
        b = walks[:, dist:].reshape(-1)
        pairs.append(torch.stack([a, b]))
        pairs.append(torch.stack([b, a]))
    return torch.cat(pairs, dim=1)


def deepwalk_embeddings(
    edge_index: Tensor,
    num_nodes: int,
    embedding_dim: int = 64,
    walk_length: int = 50,
    walks_per_node: int = 5,
    window_size: int = 5,
    num_negative: int = 1,
    epochs: int = 1,
    lr: float = 0.01,
    batch_size: int = 128,
    seed: int = 0,
    progress: bool = False,
) -> Tensor:
    r"""DeepWalk node embeddings, as used for the positional encodings of
    `"Learning MLPs on Graphs: A Unified View of Effectiveness, Robustness,
    and Efficiency" <https://arxiv.org/abs/2208.10010>`_ (NOSMOG) and of the
    `RbM <https://arxiv.org/abs/2406.11919>`_ student.

    Uniform random walks (:func:`random_walks`, fresh walks every epoch)
    form the corpus of a skip-gram model with negative sampling
    (`"DeepWalk" <https://arxiv.org/abs/1403.6652>`_): for every pair of
    nodes :math:`(c, o)` at most :obj:`window_size` steps apart on a walk
    (both directions) and :obj:`num_negative` uniformly drawn nodes
    :math:`n`, it minimises

    .. math::
        -\log \sigma(\mathbf{z}_c^{\top} \mathbf{w}_o)
        - \sum_{n} \log \sigma(-\mathbf{z}_c^{\top} \mathbf{w}_n)

    with separate node (:math:`\mathbf{z}`) and context
    (:math:`\mathbf{w}`) tables, sparse gradients and
    :class:`torch.optim.SparseAdam`, averaged over the positive pairs of a
    batch of :obj:`batch_size` walks. The node table :math:`\mathbf{Z}` is
    returned. This is the model that
    :class:`torch_geometric.nn.Node2Vec` trains with :math:`p = q = 1`
    (without its need for :obj:`pyg-lib` / :obj:`torch-cluster`).

    .. note::
        :class:`torch_geometric.transforms.AddRandomWalkPE` is a simpler,
        training-free alternative: the landing probabilities of
        :math:`k`-step random walks returning to their start node.

    Args:
        edge_index (torch.Tensor): The edge indices :obj:`[2, E]`.
        num_nodes (int): The number of nodes.
        embedding_dim (int, optional): The embedding size.
            (default: :obj:`64`)
        walk_length (int, optional): The number of nodes per walk.
            (default: :obj:`50`)
        walks_per_node (int, optional): Walks started from every node per
            epoch. (default: :obj:`5`)
        window_size (int, optional): The largest distance on a walk between
            a node and its context. (default: :obj:`5`)
        num_negative (int, optional): Negative samples per positive pair.
            (default: :obj:`1`)
        epochs (int, optional): Passes over freshly sampled walks.
            (default: :obj:`1`)
        lr (float, optional): The learning rate of
            :class:`~torch.optim.SparseAdam`. (default: :obj:`0.01`)
        batch_size (int, optional): The number of walks per optimiser
            step. (default: :obj:`128`)
        seed (int, optional): The seed of every random draw.
            (default: :obj:`0`)
        progress (bool, optional): If set to :obj:`True`, shows a progress
            bar. (default: :obj:`False`)

    Returns:
        torch.Tensor: The embeddings :obj:`[num_nodes, embedding_dim]`.
    """
    _check_edge_index(edge_index, num_nodes, 'deepwalk_embeddings')
    for name, value in [('embedding_dim', embedding_dim),
                        ('walk_length', walk_length),
                        ('walks_per_node', walks_per_node),
                        ('window_size', window_size),
                        ('num_negative', num_negative), ('epochs', epochs),
                        ('batch_size', batch_size)]:
        if value < 1:
            raise ValueError(f"'{name}' must be positive in "
                             f"'deepwalk_embeddings' (got {value})")
    if walk_length < 2:
        raise ValueError(f"'walk_length' must be at least 2 in "
                         f"'deepwalk_embeddings' (got {walk_length})")
    if lr <= 0:
        raise ValueError(f"'lr' must be positive in 'deepwalk_embeddings' "
                         f"(got {lr})")

    gen = torch.Generator().manual_seed(seed)
    node_emb = Embedding(num_nodes, embedding_dim, sparse=True)
    ctx_emb = Embedding(num_nodes, embedding_dim, sparse=True)
    with torch.no_grad():
        bound = 0.5 / embedding_dim
        node_emb.weight.copy_(
            torch.rand(num_nodes, embedding_dim, generator=gen) * 2 * bound -
            bound)
        ctx_emb.weight.zero_()
    optimizer = torch.optim.SparseAdam(
        list(node_emb.parameters()) + list(ctx_emb.parameters()), lr=lr)

    num_walks = num_nodes * walks_per_node
    num_batches = (num_walks + batch_size - 1) // batch_size
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=epochs * num_batches, desc='DeepWalk')

    for _ in range(epochs):
        walks = random_walks(edge_index, num_nodes, walk_length,
                             walks_per_node, generator=gen)
        walks = walks[torch.randperm(num_walks, generator=gen)]
        for batch in walks.split(batch_size):
            center, context = _skipgram_pairs(batch, window_size)
            negative = torch.randint(num_nodes,
                                     (center.numel() * num_negative, ),
                                     generator=gen)
            # Look up each node once so that the sparse gradients stay small.
            nodes, inv = torch.cat([center, context, negative]).unique(
                return_inverse=True)
            c, o, n = inv.split([center.numel(), context.numel(),
                                 negative.numel()])
            z, w = node_emb(nodes), ctx_emb(nodes)
            pos = (z[c] * w[o]).sum(dim=-1)
            neg = (z[c.repeat(num_negative)] * w[n]).sum(dim=-1)
            loss = (-F.logsigmoid(pos).sum() -
                    F.logsigmoid(-neg).sum()) / center.numel()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    return node_emb.weight.detach().clone()


def extend_to_unseen(
    pe_observed: Tensor,
    node_ids: Tensor,
    edge_index_full: Tensor,
    num_nodes: int,
) -> Tensor:
    r"""Extends positional encodings of the observed nodes to the full graph
    (inductive setting of NOSMOG and RbM).

    Observed node :obj:`i` (global id :obj:`node_ids[i]`) keeps
    :obj:`pe_observed[i]`; every other node :math:`v` takes the mean of the
    encodings of its observed in-neighbours :math:`u` (edges :math:`u \to v`
    of :obj:`edge_index_full`), or zeros if it has none. Unseen neighbours
    do not count towards the mean.

    Args:
        pe_observed (torch.Tensor): Encodings of the observed nodes
            :obj:`[N_obs, D]`.
        node_ids (torch.Tensor): Global ids of the observed nodes
            :obj:`[N_obs]`.
        edge_index_full (torch.Tensor): Edge indices of the full graph.
        num_nodes (int): The number of nodes of the full graph.

    Returns:
        torch.Tensor: The encodings :obj:`[num_nodes, D]`.
    """
    _check_edge_index(edge_index_full, num_nodes, 'extend_to_unseen')
    if pe_observed.dim() != 2:
        raise ValueError(f"'pe_observed' must be 2-dimensional in "
                         f"'extend_to_unseen' (got {pe_observed.dim()})")
    node_ids = node_ids.view(-1)
    if node_ids.numel() != pe_observed.size(0):
        raise ValueError(f"'node_ids' ({node_ids.numel()}) and "
                         f"'pe_observed' ({pe_observed.size(0)}) differ in "
                         f"length in 'extend_to_unseen'")
    if node_ids.numel() > 0 and (int(node_ids.min()) < 0
                                 or int(node_ids.max()) >= num_nodes):
        raise ValueError(f"'node_ids' holds ids outside [0, {num_nodes}) in "
                         f"'extend_to_unseen'")
    if node_ids.unique().numel() != node_ids.numel():
        raise ValueError("'node_ids' holds duplicates in 'extend_to_unseen'")

    out = pe_observed.new_zeros(num_nodes, pe_observed.size(1))
    out[node_ids] = pe_observed
    observed = torch.zeros(num_nodes, dtype=torch.bool)
    observed[node_ids] = True

    src, dst = edge_index_full
    mask = observed[src] & ~observed[dst]
    mean = scatter(out[src[mask]], dst[mask], dim=0, dim_size=num_nodes,
                   reduce='mean')
    return torch.where(observed.view(-1, 1), out, mean)
