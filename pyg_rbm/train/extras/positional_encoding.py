from typing import Iterator, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn import Embedding
from torch_geometric.index import index2ptr
from torch_geometric.utils import scatter, sort_edge_index

from pyg_rbm.train.draws import generator_on

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
        generator (torch.Generator, optional): The random generator; off
            its device, the steps are drawn by a generator on the graph's
            device seeded from it. (default: :obj:`None`)

    Returns:
        torch.Tensor: The walks, :obj:`[num_nodes * walks_per_node,
        walk_length]`, on the device of :obj:`edge_index`.
    """
    _check_edge_index(edge_index, num_nodes, 'random_walks')
    if walk_length < 1:
        raise ValueError(f"'walk_length' must be positive in "
                         f"'random_walks' (got {walk_length})")
    if walks_per_node < 1:
        raise ValueError(f"'walks_per_node' must be positive in "
                         f"'random_walks' (got {walks_per_node})")

    csr = _csr(edge_index, num_nodes)
    start = torch.arange(num_nodes,
                        device=edge_index.device).repeat(walks_per_node)
    return _walk(csr, start, walk_length,
                 generator_on(generator, edge_index.device))


def _csr(edge_index: Tensor, num_nodes: int) -> Tuple[Tensor, Tensor]:
    row, col = sort_edge_index(edge_index, num_nodes=num_nodes)
    return index2ptr(row, num_nodes), col


def _walk(
    csr: Tuple[Tensor, Tensor],
    start: Tensor,
    walk_length: int,
    generator: Optional[torch.Generator],
) -> Tensor:
    rowptr, col = csr
    deg = rowptr[1:] - rowptr[:-1]
    walks = start.new_empty(start.numel(), walk_length)
    walks[:, 0] = cur = start
    if col.numel() == 0:
        return walks.copy_(start.view(-1, 1).expand_as(walks))
    for step in range(1, walk_length):
        d = deg[cur]
        rand = torch.rand(cur.numel(), generator=generator,
                          device=cur.device)
        offset = torch.minimum((rand * d).long(), (d - 1).clamp(min=0))
        pos = (rowptr[cur] + offset).clamp(max=col.numel() - 1)
        cur = torch.where(d > 0, col[pos], cur)
        walks[:, step] = cur
    return walks


def _skipgram_loss(
    node_emb: Embedding,
    ctx_emb: Embedding,
    walks: Tensor,
    window_size: int,
    num_negative: int,
    generator: torch.Generator,
) -> Tensor:
    num_walks, length = walks.shape
    num_neg = 2 * window_size * num_negative
    negative = torch.randint(node_emb.num_embeddings, (num_walks, num_neg),
                             generator=generator, device=walks.device)
    # Look up every node of the batch once (small sparse gradients), then
    # score all pairs within a walk by one batched matmul.
    nodes, inv = torch.cat([walks.view(-1),
                            negative.view(-1)]).unique(return_inverse=True)
    z_all, w_all = node_emb(nodes), ctx_emb(nodes)
    inv_walk, inv_neg = inv.split([walks.numel(), negative.numel()])
    z = z_all[inv_walk].view(num_walks, length, -1)
    w = w_all[inv_walk].view(num_walks, length, -1)
    w_neg = w_all[inv_neg].view(num_walks, num_neg, -1)

    pos = torch.bmm(z, w.transpose(1, 2))
    dist = torch.arange(length, device=walks.device)
    dist = (dist.view(-1, 1) - dist.view(1, -1)).abs()
    band = (dist > 0) & (dist <= window_size)
    pos = pos[:, band]
    neg = torch.bmm(z, w_neg.transpose(1, 2))
    loss = -F.logsigmoid(pos).sum() - F.logsigmoid(-neg).sum()
    return loss / pos.numel()


def _walk_batches(
    csr: Tuple[Tensor, Tensor],
    start: Tensor,
    walk_length: int,
    batch_size: int,
    generator: torch.Generator,
    batches_per_chunk: int = 64,
) -> Iterator[Tensor]:
    # Walks are sampled a chunk of batches at a time to bound memory.
    for chunk in start.split(batch_size * batches_per_chunk):
        yield from _walk(csr, chunk, walk_length, generator).split(batch_size)


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
    num_threads: Optional[int] = 1,
) -> Tensor:
    r"""DeepWalk node embeddings, as used for the positional encodings of
    `"Learning MLPs on Graphs: A Unified View of Effectiveness, Robustness,
    and Efficiency" <https://arxiv.org/abs/2208.10010>`_ (NOSMOG) and of the
    `RbM <https://arxiv.org/abs/2406.11919>`_ student.

    Uniform random walks (:func:`random_walks`, fresh walks every epoch)
    form the corpus of a skip-gram model with negative sampling
    (`"DeepWalk" <https://arxiv.org/abs/1403.6652>`_). It minimises

    .. math::
        -\sum_{(c, o)} \log \sigma(\mathbf{z}_c^{\top} \mathbf{w}_o)
        - \sum_{(c, n)} \log \sigma(-\mathbf{z}_c^{\top} \mathbf{w}_n),

    where :math:`(c, o)` runs over the node pairs at most
    :obj:`window_size` steps apart on a walk (both directions) and
    :math:`(c, n)` pairs every node of a walk with the
    :math:`2 \cdot` :obj:`window_size` :math:`\cdot` :obj:`num_negative`
    uniformly drawn negatives of that walk (shared by its nodes, so that
    all scores of a walk are two batched matrix products). The node
    (:math:`\mathbf{z}`, uniform in :math:`\pm 0.5 / d`) and context
    (:math:`\mathbf{w}`, zero) tables are separate, as in word2vec, and are
    trained with sparse gradients and :class:`torch.optim.SparseAdam`; the
    loss is divided by the number of positive pairs of a batch of
    :obj:`batch_size` walks. The node table :math:`\mathbf{Z}` is returned.
    This is essentially the model that :class:`torch_geometric.nn.Node2Vec`
    trains with :math:`p = q = 1`, without its need for :obj:`pyg-lib` or
    :obj:`torch-cluster`. On small graphs lower :obj:`batch_size` or raise
    :obj:`epochs`: an epoch takes
    :obj:`num_nodes * walks_per_node / batch_size` optimiser steps.

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
        num_threads (int, optional): PyTorch's intra-op threads during
            training, restored afterwards; :obj:`None` keeps the current
            setting. The many small operations gain nothing from more
            threads and slow down badly when cores are shared (Cora: about
            1 s on one thread, 20 to 50 s on two threads of a busy two-core
            machine). (default: :obj:`1`)

    Returns:
        torch.Tensor: The embeddings :obj:`[num_nodes, embedding_dim]`,
        trained on the device of :obj:`edge_index`. The initial table and
        the order of the walks' start nodes are drawn on the CPU; the steps
        of the walks and the negatives off the CPU by a generator on the
        device seeded from the CPU one (so a seed gives the same embeddings
        on every CPU, other ones on a GPU).
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
    if num_threads is not None and num_threads < 1:
        raise ValueError(f"'num_threads' must be positive in "
                         f"'deepwalk_embeddings' (got {num_threads})")

    previous = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    try:
        return _deepwalk(edge_index, num_nodes, embedding_dim, walk_length,
                         walks_per_node, window_size, num_negative, epochs,
                         lr, batch_size, seed, progress)
    finally:
        torch.set_num_threads(previous)


def _deepwalk(
    edge_index: Tensor,
    num_nodes: int,
    embedding_dim: int,
    walk_length: int,
    walks_per_node: int,
    window_size: int,
    num_negative: int,
    epochs: int,
    lr: float,
    batch_size: int,
    seed: int,
    progress: bool,
) -> Tensor:
    device = edge_index.device
    gen = torch.Generator().manual_seed(seed)
    # Built and initialised on the CPU (its global generator too, as on a
    # CPU run), then moved.
    node_emb = Embedding(num_nodes, embedding_dim, sparse=True)
    ctx_emb = Embedding(num_nodes, embedding_dim, sparse=True)
    with torch.no_grad():
        bound = 0.5 / embedding_dim
        node_emb.weight.copy_(
            torch.rand(num_nodes, embedding_dim, generator=gen, device='cpu')
            * 2 * bound - bound)
        ctx_emb.weight.zero_()
    node_emb, ctx_emb = node_emb.to(device), ctx_emb.to(device)
    # The walks' steps and the negatives, drawn where the graph is (the
    # CPU generator itself on the CPU).
    step_gen = generator_on(gen, device)
    optimizer = torch.optim.SparseAdam(
        list(node_emb.parameters()) + list(ctx_emb.parameters()), lr=lr)

    csr = _csr(edge_index, num_nodes)
    num_walks = num_nodes * walks_per_node
    num_batches = (num_walks + batch_size - 1) // batch_size
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=epochs * num_batches, desc='DeepWalk')

    for _ in range(epochs):
        start = torch.arange(num_nodes, device=device).repeat(walks_per_node)
        order = torch.randperm(num_walks, generator=gen, device='cpu')
        start = start[order.to(device)]
        for batch in _walk_batches(csr, start, walk_length, batch_size,
                                   step_gen):
            loss = _skipgram_loss(node_emb, ctx_emb, batch, window_size,
                                  num_negative, step_gen)
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
    observed = torch.zeros(num_nodes, dtype=torch.bool,
                           device=node_ids.device)
    observed[node_ids] = True

    src, dst = edge_index_full
    mask = observed[src] & ~observed[dst]
    mean = scatter(out[src[mask]], dst[mask], dim=0, dim_size=num_nodes,
                   reduce='mean')
    return torch.where(observed.view(-1, 1), out, mean)
