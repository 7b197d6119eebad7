r"""Per-node serving of a message-passing teacher from a CSR graph index."""
import itertools
import warnings
from typing import List, NamedTuple, Optional, Tuple

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.nn.conv import (
    GATConv,
    GATv2Conv,
    GINConv,
    GraphConv,
    SAGEConv,
)
from torch_geometric.nn.models.basic_gnn import BasicGNN
from torch_geometric.utils import index_sort
from torch_geometric.utils.sparse import index2ptr

__all__ = [
    'Neighborhood',
    'NeighborhoodIndex',
    'neighborhood_subgraph',
    'TeacherServer',
    'StudentServer',
]

# Convolutions that aggregate with a sparse matrix product (no
# [num_edges, channels] message tensor) and those that need messages.
_SPMM_CONVS = (SAGEConv, GraphConv)
_EDGE_CONVS = (GATConv, GATv2Conv, GINConv)


class Neighborhood(NamedTuple):
    r"""The in-neighbourhood of a batch of seed nodes, in hop order.

    Local node :obj:`i` is global node :obj:`node_id[i]`; the first
    :obj:`num_nodes_per_hop[0]` local nodes are the (unique, sorted) seeds,
    followed by the nodes first reached at hop 1, 2, ... The local CSR
    (:obj:`rowptr`, :obj:`col`) holds every incoming edge of the nodes of
    hops :math:`0, \ldots, K - 1` (rows in local order, columns are local
    source ids), so the rows of any hop prefix are a prefix of it.
    :obj:`seed_inverse` maps each requested node to its seed's local id.
    """
    node_id: Tensor
    rowptr: Tensor
    col: Tensor
    num_nodes_per_hop: List[int]
    seed_inverse: Tensor

    def edge_index(self, num_dst: Optional[int] = None) -> Tensor:
        r"""The local edges (source, target) into the first
        :obj:`num_dst` local nodes (all gathered edges by default), in
        :obj:`edge_index` form.

        A :math:`K`-layer model run on
        :obj:`(x[node_id], edge_index())` gives the full-graph outputs for
        the first :obj:`num_nodes_per_hop[0]` (seed) nodes.
        """
        if num_dst is None:
            num_dst = self.rowptr.numel() - 1
        deg = self.rowptr[1:num_dst + 1] - self.rowptr[:num_dst]
        dst = torch.repeat_interleave(
            torch.arange(num_dst, device=deg.device), deg)
        return torch.stack([self.col[:dst.numel()], dst])


class NeighborhoodIndex:
    r"""A CSR index of a graph over its target nodes that gathers the full
    :math:`K`-hop in-neighbourhood of a batch of nodes (no sampling) in
    time and memory linear in the size of that neighbourhood, not of the
    graph (unlike :func:`~torch_geometric.utils.k_hop_subgraph`, which scans
    all edges per hop).

    Args:
        edge_index (torch.Tensor): The graph connectivity of shape
            :obj:`[2, num_edges]` (messages flow from :obj:`edge_index[0]`
            to :obj:`edge_index[1]`).
        num_nodes (int): The number of nodes.
    """
    def __init__(self, edge_index: Tensor, num_nodes: int):
        name = self.__class__.__name__
        if (edge_index.dim() != 2 or edge_index.size(0) != 2
                or edge_index.is_floating_point()
                or edge_index.layout != torch.strided):
            raise ValueError(f"'edge_index' in '{name}' must be an integer "
                             f"tensor of shape [2, num_edges] (got "
                             f"{list(edge_index.shape)})")
        if edge_index.numel() and (int(edge_index.min()) < 0 or int(
                edge_index.max()) >= num_nodes):
            raise ValueError(f"'edge_index' in '{name}' holds node ids "
                             f"outside [0, {num_nodes})")
        self.num_nodes = num_nodes
        dst, perm = index_sort(edge_index[1], max_value=num_nodes)
        self.rowptr = index2ptr(dst, num_nodes)
        self.col = edge_index[0][perm]
        # Global -> local id map, reset after every request so that a
        # request touches only its own neighbourhood.
        self._local = torch.full((num_nodes, ), -1, dtype=torch.long,
                                 device=edge_index.device)

    @property
    def num_edges(self) -> int:
        return self.col.numel()

    def gather(self, nodes: Tensor, num_hops: int) -> Neighborhood:
        r"""Collects the :obj:`num_hops`-hop in-neighbourhood of
        :obj:`nodes`.

        Args:
            nodes (torch.Tensor): Global ids of the requested nodes
                (duplicates allowed; moved to the index's device).
            num_hops (int): The number of hops :math:`K`.
        """
        name = self.__class__.__name__
        if nodes.dim() != 1 or nodes.numel() == 0 or \
                nodes.is_floating_point():
            raise ValueError(f"'nodes' in '{name}' must be a non-empty 1-D "
                             f"integer tensor (got shape "
                             f"{list(nodes.shape)})")
        if int(nodes.min()) < 0 or int(nodes.max()) >= self.num_nodes:
            raise ValueError(f"'nodes' in '{name}' holds ids outside "
                             f"[0, {self.num_nodes})")
        if num_hops < 1:
            raise ValueError(f"'num_hops' in '{name}' must be positive "
                             f"(got {num_hops})")
        seeds, inverse = torch.unique(nodes.to(self.col.device),
                                      return_inverse=True)
        local = self._local
        node_ids, degs, cols = [seeds], [], []
        count = seeds.numel()
        local[seeds] = torch.arange(count, device=seeds.device)
        try:
            frontier = seeds
            for _ in range(num_hops):
                start = self.rowptr[frontier]
                deg = self.rowptr[frontier + 1] - start
                # Edge positions of all frontier rows: start[i] + 0..deg[i].
                offset = torch.cumsum(deg, dim=0) - deg
                pos = torch.repeat_interleave(start - offset, deg)
                pos += torch.arange(pos.numel(), device=pos.device)
                nbr = self.col[pos]
                new = torch.unique(nbr[local[nbr] < 0])
                node_ids.append(new)
                local[new] = torch.arange(count, count + new.numel(),
                                          device=new.device)
                count += new.numel()
                degs.append(deg)
                cols.append(local[nbr])
                frontier = new
        finally:
            for ids in node_ids:
                local[ids] = -1
        deg = torch.cat(degs)
        rowptr = deg.new_zeros(deg.numel() + 1)
        torch.cumsum(deg, dim=0, out=rowptr[1:])
        return Neighborhood(torch.cat(node_ids), rowptr, torch.cat(cols),
                            [ids.numel() for ids in node_ids], inverse)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_nodes={self.num_nodes}, '
                f'num_edges={self.num_edges})')


def neighborhood_subgraph(
    data: Data,
    nodes: Tensor,
    num_hops: int,
    index: Optional[NeighborhoodIndex] = None,
) -> Data:
    r"""Returns the part of :obj:`data` that a :obj:`num_hops`-layer
    message-passing model reads to compute its outputs at :obj:`nodes`:
    every node within :obj:`num_hops` hops and every incoming edge of the
    nodes within :obj:`num_hops - 1` hops.

    The first :obj:`num_seed_nodes` nodes of the result are the unique
    :obj:`nodes` in increasing order; :obj:`node_id` maps every node to its
    global id. A model whose messages do not depend on the degree of their
    source (*e.g.*, GraphSAGE, GAT, GIN; not GCN) and whose normalisation
    acts row by row gives the same outputs at the seeds as on :obj:`data`,
    and so the same loss and gradients for a loss on the seeds only.
    Node-level tensors are gathered; boolean :obj:`*_mask` attributes are
    kept on the seeds only (:obj:`False` elsewhere, where outputs are not
    exact); edge-level attributes are dropped.

    Args:
        data (torch_geometric.data.Data): The graph.
        nodes (torch.Tensor): Global ids of the seed nodes.
        num_hops (int): The number of message-passing layers.
        index (NeighborhoodIndex, optional): An index of
            :obj:`data.edge_index`, if already built. (default: :obj:`None`)
    """
    if index is None:
        index = NeighborhoodIndex(data.edge_index, data.num_nodes)
    elif index.num_nodes != data.num_nodes:
        raise ValueError(f"'index' in 'neighborhood_subgraph' has "
                         f"{index.num_nodes} nodes but 'data' "
                         f"{data.num_nodes}")
    nb = index.gather(nodes, num_hops)
    node_id, num_seeds = nb.node_id, nb.num_nodes_per_hop[0]
    out = Data(edge_index=nb.edge_index(), num_nodes=node_id.numel())
    for key, value in data.items():
        if key == 'edge_index' or data.is_edge_attr(key):
            continue
        if isinstance(value, Tensor) and data.is_node_attr(key):
            if key.endswith('_mask') and value.dtype == torch.bool:
                mask = value.new_zeros(node_id.numel())
                mask[:num_seeds] = value[node_id[:num_seeds]]
                out[key] = mask
            else:
                out[key] = value[node_id]
        elif not isinstance(value, Tensor):
            out[key] = value
    out.node_id = node_id
    out.num_seed_nodes = num_seeds
    return out


class TeacherServer:
    r"""Serves exact predictions of a trained message-passing teacher for a
    batch of requested nodes, as a deployed GNN must: it gathers the full
    :math:`K`-hop in-neighbourhood of the batch (no sampling) from a
    :class:`NeighborhoodIndex` and runs the :math:`K`-layer model on it,
    layer :math:`l` only for the nodes within :math:`K - 1 - l` hops of the
    batch. A request thus costs time and memory in the size of its
    neighbourhood, not of the graph.

    The output rows equal those of :obj:`model(x, edge_index)` in
    evaluation mode for the requested nodes, up to floating-point summation
    order, for :class:`~torch_geometric.nn.models.basic_gnn.BasicGNN`
    models without jumping knowledge whose normalisation acts row by row in
    evaluation (none, batch norm, node-wise layer norm) and whose
    convolutions take bipartite inputs:
    :class:`~torch_geometric.nn.conv.SAGEConv` and
    :class:`~torch_geometric.nn.conv.GraphConv` (aggregated with a sparse
    CSR product),
    :class:`~torch_geometric.nn.conv.GATConv`,
    :class:`~torch_geometric.nn.conv.GATv2Conv` and
    :class:`~torch_geometric.nn.conv.GINConv` (message passing on the
    neighbourhood's edges). Not :class:`~torch_geometric.nn.conv.GCNConv`:
    its edge weights depend on the degrees of border nodes.

    Args:
        model (torch_geometric.nn.models.basic_gnn.BasicGNN): The teacher,
            *e.g.* from :func:`~pyg_rbm.teachers.build_teacher`.
        x (torch.Tensor): Node features of shape
            :obj:`[num_nodes, in_channels]`.
        edge_index (torch.Tensor): The graph connectivity of shape
            :obj:`[2, num_edges]` (messages flow from :obj:`edge_index[0]`
            to :obj:`edge_index[1]`).
    """
    def __init__(self, model: BasicGNN, x: Tensor, edge_index: Tensor):
        name = self.__class__.__name__
        if not isinstance(model, BasicGNN) or model.jk_mode is not None:
            raise ValueError(f"'model' in '{name}' must be a 'BasicGNN' "
                             f"without jumping knowledge (got "
                             f"'{type(model).__name__}')")
        for conv in model.convs:
            if not isinstance(conv, _SPMM_CONVS + _EDGE_CONVS):
                raise ValueError(f"'model' in '{name}' has a convolution "
                                 f"'{type(conv).__name__}' without "
                                 f"bipartite support")
            if getattr(conv, 'flow', 'source_to_target') != \
                    'source_to_target':
                raise ValueError(f"'model' in '{name}' must use flow "
                                 f"'source_to_target'")
        if x.dim() != 2 or x.size(0) == 0:
            raise ValueError(f"'x' in '{name}' must be of shape "
                             f"[num_nodes, in_channels] (got "
                             f"{list(x.shape)})")
        self.model = model
        self.x = x
        self.num_hops = model.num_layers
        self.index = NeighborhoodIndex(edge_index, x.size(0))

    @property
    def num_nodes(self) -> int:
        return self.index.num_nodes

    def gather(self, nodes: Tensor) -> Neighborhood:
        r"""Collects the :math:`K`-hop in-neighbourhood of :obj:`nodes`.

        Args:
            nodes (torch.Tensor): Global ids of the requested nodes
                (duplicates allowed).
        """
        return self.index.gather(nodes, self.num_hops)

    def _adj(self, conv: torch.nn.Module, nb: Neighborhood, num_dst: int,
             num_src: int) -> Tensor:
        nnz = int(nb.rowptr[num_dst])
        if isinstance(conv, _SPMM_CONVS):
            with warnings.catch_warnings():
                warnings.filterwarnings('ignore', '.*Sparse CSR.*beta')
                return torch.sparse_csr_tensor(
                    nb.rowptr[:num_dst + 1], nb.col[:nnz],
                    self.x.new_ones(nnz),
                    size=(num_dst, num_src), check_invariants=False)
        return nb.edge_index(num_dst)

    def _post(self, layer: int, x: Tensor) -> Tensor:
        model = self.model
        norm = model.norms[layer]
        if model.act is not None and model.act_first:
            x = model.act(x)
        x = norm(x, None, None) if model.supports_norm_batch else norm(x)
        if model.act is not None and not model.act_first:
            x = model.act(x)
        return x

    @torch.no_grad()
    def predict(self, nodes: Tensor,
                neighborhood: Optional[Neighborhood] = None) -> Tensor:
        r"""Returns the teacher's evaluation-mode outputs for :obj:`nodes`,
        of shape :obj:`[len(nodes), out_channels]`.

        Args:
            nodes (torch.Tensor): Global ids of the requested nodes.
            neighborhood (Neighborhood, optional): The result of
                :meth:`gather` for :obj:`nodes`, if already computed.
                (default: :obj:`None`)
        """
        nb = self.gather(nodes) if neighborhood is None else neighborhood
        flags: List[Tuple[torch.nn.Module, bool]] = [
            (m, m.training) for m in self.model.modules()
        ]
        self.model.eval()
        try:
            x = self.x.index_select(0, nb.node_id)
            within = list(itertools.accumulate(nb.num_nodes_per_hop))
            K = self.num_hops
            for layer, conv in enumerate(self.model.convs):
                num_dst, num_src = within[K - 1 - layer], within[K - layer]
                adj = self._adj(conv, nb, num_dst, num_src)
                x = conv((x[:num_src], x[:num_dst]), adj)
                if layer < K - 1:
                    x = self._post(layer, x)
        finally:
            for module, training in flags:
                module.training = training
        return x[nb.seed_inverse]

    def __call__(self, nodes: Tensor) -> Tensor:
        return self.predict(nodes)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}('
                f'{self.model.__class__.__name__}, '
                f'num_nodes={self.num_nodes}, '
                f'num_edges={self.index.num_edges}, '
                f'num_hops={self.num_hops})')


from pyg_rbm.student_server import StudentServer  # noqa: E402
