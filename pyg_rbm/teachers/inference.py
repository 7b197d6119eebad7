import warnings
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, Optional, Tuple, Union

import torch
from torch import Tensor
from torch_geometric.nn.conv import GATConv, GATv2Conv, GCNConv, SAGEConv
from torch_geometric.nn.conv.gcn_conv import gcn_norm
from torch_geometric.nn.models.basic_gnn import BasicGNN
from torch_geometric.nn.norm import BatchNorm
from torch_geometric.nn.norm import LayerNorm as PyGLayerNorm
from torch_geometric.utils import index_sort, spmm, to_torch_csr_tensor
from tqdm import tqdm

__all__ = ['teacher_inference']

# Target nodes per chunk when `batch_size` is not given. With 256 channels a
# chunk's temporaries take 64 MB, small next to a 1M-node hidden layer.
DEFAULT_CHUNK: int = 2**16


@contextmanager
def _quiet_sparse_warnings() -> Iterator[None]:
    # PyTorch warns that sparse CSR support is in beta and that invariant
    # checks are off; both are expected here.
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', r'Sparse (CSR|invariant)')
        yield


class _Graph:
    # The full graph sorted by target node, built once per inference call:
    # it serves every layer's row chunks and subgraphs.
    def __init__(self, edge_index: Tensor, num_nodes: int) -> None:
        self.edge_index = edge_index
        self.num_nodes = num_nodes
        self._csr: Dict[Tuple, Tensor] = {}

    def adj_t(self, key: Tuple) -> Tensor:
        # Transposed adjacency (rows are targets) as a CSR tensor, either
        # `('ones', dtype)` or GCN-normalised. Duplicate edges stay separate
        # entries so that `mean` counts them as scatter-based message
        # passing does.
        if key not in self._csr:
            edge_index = self.edge_index
            value = torch.ones(edge_index.size(1), dtype=key[-1],
                               device=edge_index.device)
            if key[0] == 'gcn':
                _, improved, add_self_loops, dtype = key
                edge_index, value = gcn_norm(edge_index, None,
                                             self.num_nodes, improved,
                                             add_self_loops, dtype=dtype)
            col, row = edge_index
            row, perm = index_sort(row, max_value=self.num_nodes)
            value = value[perm]
            with _quiet_sparse_warnings():
                self._csr[key] = to_torch_csr_tensor(
                    torch.stack([row, col[perm]]), value,
                    size=self.num_nodes, is_coalesced=True)
        return self._csr[key]

    def row_chunk(self, adj_t: Tensor, start: int, end: int) -> Tensor:
        ptr = adj_t.crow_indices()
        lo, hi = int(ptr[start]), int(ptr[end])
        with _quiet_sparse_warnings():
            return torch.sparse_csr_tensor(
                ptr[start:end + 1] - lo,
                adj_t.col_indices()[lo:hi],
                adj_t.values()[lo:hi],
                size=(end - start, self.num_nodes),
                check_invariants=False,
            )

    def subgraph(self, start: int, end: int) -> Tuple[Tensor, Tensor]:
        # The edges into targets `start:end` as a bipartite graph whose
        # sources are the chunk's own nodes first (local id = global id -
        # start, so conv-internal self-loops stay correct) and then every
        # other source node.
        adj_t = self.adj_t(('ones', torch.float))
        ptr = adj_t.crow_indices()
        lo, hi = int(ptr[start]), int(ptr[end])
        src = adj_t.col_indices()[lo:hi]
        dst = torch.arange(end - start, device=src.device)
        dst = dst.repeat_interleave(ptr[start + 1:end + 1] - ptr[start:end])

        outside = (src < start) | (src >= end)
        local = src - start
        others, inverse = torch.unique(src[outside], return_inverse=True)
        local[outside] = inverse + (end - start)
        node_ids = torch.cat([
            torch.arange(start, end, device=src.device),
            others,
        ])
        return node_ids, torch.stack([local, dst])


def _conv_route(conv: torch.nn.Module) -> str:
    if getattr(conv, 'flow', None) != 'source_to_target':
        return 'full'
    aggr = getattr(conv, 'aggr', None)
    if isinstance(conv, GCNConv):
        if not conv.cached and aggr in ('add', 'sum'):
            return 'gcn'
        return 'full'
    if isinstance(conv, SAGEConv):
        if not conv.project and aggr in ('add', 'sum', 'mean'):
            return 'spmm'
        return 'subgraph'
    if isinstance(conv, (GATConv, GATv2Conv)):
        return 'subgraph'
    return 'full'


def _conv_chunks(
    conv: torch.nn.Module,
    x: Tensor,
    graph: _Graph,
    chunk: int,
) -> Iterator[Tuple[int, int, Tensor]]:
    # Yields `(start, end, out[start:end])` for one layer applied to the
    # whole graph.
    route, N = _conv_route(conv), graph.num_nodes
    if route == 'full':
        yield 0, N, conv(x, graph.edge_index)
        return

    if route == 'gcn':
        key = ('gcn', conv.improved, conv.add_self_loops, x.dtype)
        adj_t = graph.adj_t(key if conv.normalize else ('ones', x.dtype))
        h = conv.lin(x)  # [N, out]: GCN transforms before propagating.

    for start in range(0, N, chunk):
        end = min(start + chunk, N)
        if route == 'gcn':
            out = spmm(graph.row_chunk(adj_t, start, end), h, conv.aggr)
            if conv.bias is not None:
                out = out + conv.bias
        elif route == 'spmm':
            adj_t = graph.adj_t(('ones', x.dtype))
            adj_chunk = graph.row_chunk(adj_t, start, end)
            out = conv((x, x[start:end]), adj_chunk)
        else:
            node_ids, edge_index = graph.subgraph(start, end)
            out = conv((x[node_ids], x[start:end]), edge_index)
        yield start, end, out


def _is_rowwise(norm: torch.nn.Module) -> bool:
    # Whether the (eval-mode) norm treats every node independently, so that
    # it may run chunk by chunk.
    if isinstance(norm, BatchNorm):
        norm = norm.module
    if isinstance(norm, torch.nn.modules.batchnorm._BatchNorm):
        return norm.running_mean is not None
    if isinstance(norm, PyGLayerNorm):
        return norm.mode == 'node'
    return isinstance(norm, (torch.nn.Identity, torch.nn.LayerNorm))


def _post_process(model: BasicGNN, layer: int) -> Callable[[Tensor], Tensor]:
    # Mirrors what `BasicGNN.forward` applies after a hidden conv in eval
    # mode (dropout is the identity there).
    norm = model.norms[layer]

    def apply(x: Tensor) -> Tensor:
        if model.act is not None and model.act_first:
            x = model.act(x)
        x = norm(x)
        if model.act is not None and not model.act_first:
            x = model.act(x)
        return x

    return apply


def _layerwise(
    model: BasicGNN,
    x: Tensor,
    edge_index: Tensor,
    chunk: int,
    progress: bool,
) -> Tuple[Tensor, Tensor]:
    N = x.size(0)
    graph = _Graph(edge_index, N)
    num_chunks = (N + chunk - 1) // chunk
    pbar = tqdm(total=model.num_layers * num_chunks, desc='Teacher',
                disable=not progress)

    hidden = x
    for layer, conv in enumerate(model.convs):
        is_last = layer == model.num_layers - 1
        post = None if is_last else _post_process(model, layer)
        rowwise = post is not None and _is_rowwise(model.norms[layer])

        hidden, out = x, None
        for start, end, x_chunk in _conv_chunks(conv, x, graph, chunk):
            if rowwise:
                x_chunk = post(x_chunk)
            if start == 0 and end == N:
                out = x_chunk
            else:
                if out is None:
                    out = x_chunk.new_empty(N, x_chunk.size(-1))
                out[start:end] = x_chunk
            pbar.update(num_chunks if end - start == N else 1)
        assert out is not None
        x = out if rowwise or post is None else post(out)
    pbar.close()
    return x, hidden


def _check_edge_index(edge_index: Tensor, num_nodes: int) -> None:
    if (edge_index.dim() != 2 or edge_index.size(0) != 2
            or edge_index.is_floating_point()
            or edge_index.layout != torch.strided):
        raise ValueError(f"'edge_index' in 'teacher_inference' must be an "
                         f"integer tensor of shape [2, num_edges] (got "
                         f"shape {list(edge_index.shape)} and dtype "
                         f"{edge_index.dtype})")
    if edge_index.numel() > 0 and (int(edge_index.min()) < 0
                                   or int(edge_index.max()) >= num_nodes):
        raise ValueError(f"'edge_index' in 'teacher_inference' holds node "
                         f"ids outside [0, {num_nodes}) (the rows of 'x')")


@torch.no_grad()
def teacher_inference(
    model: torch.nn.Module,
    x: Tensor,
    edge_index: Tensor,
    batch_size: Optional[int] = None,
    return_hidden: bool = False,
    progress: bool = False,
) -> Union[Tensor, Tuple[Tensor, Tensor]]:
    r"""Runs a trained teacher over the full graph in evaluation mode and
    without gradients, e.g., to produce the soft targets of knowledge
    distillation. The training flag of every submodule is restored
    afterwards.

    :class:`~torch_geometric.nn.models.basic_gnn.BasicGNN` models
    (:class:`~torch_geometric.nn.models.GraphSAGE`,
    :class:`~torch_geometric.nn.models.GCN`,
    :class:`~torch_geometric.nn.models.GAT`, ...) without jumping knowledge
    run layer by layer: each layer is applied to the whole graph and only
    its input and output are kept. Within a layer, target nodes are
    processed in chunks of :obj:`batch_size`:

    * :class:`~torch_geometric.nn.conv.SAGEConv` (:obj:`"mean"` or
      :obj:`"sum"` aggregation) aggregates with a row chunk of a sparse CSR
      adjacency built once, so no :obj:`[num_edges, channels]` message
      tensor is ever materialised;
    * :class:`~torch_geometric.nn.conv.GCNConv` transforms all nodes, then
      propagates with row chunks of the normalised CSR adjacency;
    * :class:`~torch_geometric.nn.conv.GATConv`,
      :class:`~torch_geometric.nn.conv.GATv2Conv` and other
      :class:`~torch_geometric.nn.conv.SAGEConv` variants run on the
      bipartite subgraph of the edges into the chunk, so messages take
      memory for the chunk's edges only;
    * any other convolution (or a cached :class:`GCNConv`) runs on the full
      graph in one go.

    Peak memory is thus about the input features plus two hidden layers
    plus one chunk's temporaries.
    Any other model is called as :obj:`model(x, edge_index)`.
    Both paths give the same output as :obj:`model(x, edge_index)` in
    evaluation mode, up to floating-point summation order.

    Args:
        model (torch.nn.Module): The trained teacher.
        x (torch.Tensor): The node features of shape
            :obj:`[num_nodes, in_channels]`.
        edge_index (torch.Tensor): The graph connectivity (for models other
            than :class:`BasicGNN`, anything their :meth:`forward` accepts).
        batch_size (int, optional): The number of target nodes per chunk in
            the layer-wise path. (default: :obj:`None`, meaning
            :obj:`65536`)
        return_hidden (bool, optional): If set to :obj:`True`, will
            additionally return the last hidden embedding (the input of the
            last layer, after its activation). Only for :class:`BasicGNN`
            models without jumping knowledge. (default: :obj:`False`)
        progress (bool, optional): If set to :obj:`True`, will show a
            progress bar over layers and chunks. (default: :obj:`False`)

    :rtype: :class:`torch.Tensor` or (:class:`torch.Tensor`,
        :class:`torch.Tensor`)
    """
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"'model' in 'teacher_inference' must be a "
                         f"'torch.nn.Module' (got '{type(model).__name__}')")
    if not isinstance(x, Tensor):
        raise ValueError(f"'x' in 'teacher_inference' must be a tensor (got "
                         f"'{type(x).__name__}')")
    if batch_size is not None and (not isinstance(batch_size, int)
                                   or batch_size < 1):
        raise ValueError(f"'batch_size' in 'teacher_inference' must be a "
                         f"positive integer or None (got {batch_size!r})")

    layerwise = isinstance(model, BasicGNN) and model.jk_mode is None
    if return_hidden and not layerwise:
        raise ValueError(f"'return_hidden' in 'teacher_inference' is only "
                         f"supported for 'BasicGNN' models without jumping "
                         f"knowledge (got '{type(model).__name__}')")
    if layerwise:
        if x.dim() != 2 or x.size(0) == 0:
            raise ValueError(f"'x' in 'teacher_inference' must be of shape "
                             f"[num_nodes, in_channels] with num_nodes > 0 "
                             f"(got {list(x.shape)})")
        _check_edge_index(edge_index, x.size(0))

    flags: List[Tuple[torch.nn.Module, bool]] = [(module, module.training)
                                                 for module in model.modules()]
    model.eval()
    try:
        if layerwise:
            out, hidden = _layerwise(model, x, edge_index, batch_size
                                     or DEFAULT_CHUNK, progress)
        else:
            out = model(x, edge_index)
    finally:
        for module, training in flags:
            module.training = training

    if return_hidden:
        return out, hidden
    return out
