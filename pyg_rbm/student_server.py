"""Serving unseen nodes with a saved graph-free student."""
from typing import Any, Optional

import torch
from torch import Tensor
from torch_geometric.utils import scatter

from pyg_rbm.saved_student import SavedStudent

__all__ = ['StudentServer']


class StudentServer:
    r"""Predicts nodes that training never saw with a saved student
    (:func:`~pyg_rbm.load_student`), in batches, exactly as the trained
    model scores held-out nodes: from their raw features, plus the inputs
    that need the graph, built from :obj:`neighbor_index`, the new nodes'
    edges to the nodes of the dataset (global ids):

    * positional encodings: the mean encoding of their neighbours in the
      training graph (one hop, as
      :func:`~pyg_rbm.train.extras.extend_to_unseen` extends them);
    * label-propagation features: the new nodes join :obj:`graph` with
      their edges (and a self loop each where the student was trained with
      self loops), and labels propagate from its training nodes over the
      whole union, as in training
      (:func:`~pyg_rbm.train.extras.label_propagation_features`). This
      costs one propagation over :obj:`graph` per call of :meth:`predict`,
      whatever the number of new nodes: give them together.

    Unlike a GNN teacher (:class:`~pyg_rbm.serving.TeacherServer`) the
    student itself needs no neighbourhood; for a student without
    label-propagation inputs the cost of a node is its feature row and, at
    most, a lookup of its training-graph neighbours.

    Args:
        student (SavedStudent): The saved student.
        graph (torch_geometric.data.Data, optional): For a student with
            label-propagation inputs (and only then), the graph the new
            nodes join, with :obj:`edge_index`, :obj:`y` and
            :obj:`train_mask` (the run's split, e.g. from
            :func:`~pyg_rbm.datasets.load_dataset` with the run's seed; a
            boolean mask or node ids); its node ids are those
            :obj:`neighbor_index` refers to, and it must not already hold
            the new nodes' edges: nodes of the dataset itself are scored
            with :meth:`~pyg_rbm.saved_student.SavedStudent.dataset_features`
            instead. (default: :obj:`None`)
        batch_size (int, optional): Rows per forward pass.
            (default: :obj:`65536`)
    """
    def __init__(self, student: SavedStudent, graph: Optional[Any] = None,
                 batch_size: int = 65536):
        if batch_size < 1:
            raise ValueError(f"'batch_size' must be positive in "
                             f"'StudentServer' (got {batch_size})")
        self.student = student
        self.batch_size = batch_size
        device = next(student.model.parameters()).device
        self.table: Optional[Tensor] = None
        pe = student.feature_state.get('positional_encoding')
        if pe is not None:
            node_ids = pe['node_ids'].to(device)
            self.table = pe['table'].to(device)
            # Global id -> row of the table (-1: not in the training graph).
            self.row_of = torch.full((int(node_ids.max()) + 1, ), -1,
                                     dtype=torch.long, device=device)
            self.row_of[node_ids] = torch.arange(node_ids.numel(),
                                                 device=device)
        self.lp = student.feature_state.get('label_propagation')
        self.graph = None
        if self.lp is None and graph is not None:
            raise ValueError("'graph' is given but the student takes no "
                             "label-propagation inputs")
        if self.lp is not None:
            self.graph = self._known_graph(graph, device)

    def _known_graph(self, graph: Optional[Any], device: torch.device):
        from pyg_rbm.datasets import preprocess_graph
        if graph is None:
            raise ValueError("The student takes label-propagation inputs: "
                             "give 'graph', the dataset graph with 'y' and "
                             "'train_mask' of the run's split")
        for key in ('edge_index', 'y', 'train_mask'):
            if graph.get(key) is None:
                raise ValueError(f"'graph' must hold '{key}' for the "
                                 f"label-propagation inputs")
        mask, n = graph.train_mask, graph.num_nodes
        if mask.dtype == torch.bool:
            if mask.numel() != n:
                raise ValueError(f"'graph.train_mask' must have {n} entries "
                                 f"(got {mask.numel()})")
        else:
            if mask.dim() != 1 or (mask.numel() and (
                    int(mask.min()) < 0 or int(mask.max()) >= n)):
                raise ValueError(f"'graph.train_mask' must be a boolean mask "
                                 f"or node ids in [0, {n})")
            mask = torch.zeros(n, dtype=torch.bool,
                               device=mask.device).index_fill_(0, mask, True)
        graph = graph.__class__(edge_index=graph.edge_index, y=graph.y,
                                train_mask=mask, num_nodes=graph.num_nodes)
        graph = preprocess_graph(
            graph, self_loops=bool(self.student.feature_state.get(
                'self_loops', False)))
        return graph.to(device)

    def inputs(self, x: Tensor,
               neighbor_index: Optional[Tensor] = None) -> Tensor:
        r"""The student's input for new nodes with raw features :obj:`x`
        :obj:`[B, F]` and, for inputs that need the graph, the edges
        :obj:`neighbor_index` :obj:`[2, E]` from each new node (row: its
        position in :obj:`x`) to nodes of the dataset (global ids; see
        :meth:`graph_inputs`).
        """
        if not self.student.graph_features:
            if neighbor_index is not None:
                raise ValueError("'neighbor_index' is given but the student "
                                 "takes no inputs that need the graph")
            return self.student.features(x)
        out = torch.cat([self.student.preprocess(x),
                         self.graph_inputs(neighbor_index, x.size(0))],
                        dim=-1)
        expected = self.student.kwargs['in_channels']
        if out.size(-1) != expected:
            raise ValueError(f"'x' gives {out.size(-1)} input columns with "
                             f"the graph's, but the student takes "
                             f"{expected}")
        return out

    def graph_inputs(self, neighbor_index: Optional[Tensor],
                     num_nodes: int) -> Tensor:
        r"""The input columns that need the graph
        :obj:`[num_nodes, student.graph_channels]` of :obj:`num_nodes` new
        nodes with the edges :obj:`neighbor_index` :obj:`[2, E]` (row: the
        new node, from 0; column: a node of the dataset, global id; an edge
        given twice counts once): what an exported student takes as
        :obj:`graph_x` (see :class:`~pyg_rbm.export.StudentPipeline`). Ids
        beyond the training graph (positional encodings) or beyond
        :obj:`graph` (label propagation) are ignored; a node without such
        neighbours gets zeros there.
        """
        needs = self.student.graph_features
        if not needs:
            raise ValueError("The student takes no inputs that need the "
                             "graph")
        if neighbor_index is None:
            raise ValueError(f"The student takes {' and '.join(needs)} "
                             f"inputs: give 'neighbor_index', the new "
                             f"nodes' edges to the dataset's nodes")
        if (neighbor_index.dim() != 2 or neighbor_index.size(0) != 2
                or neighbor_index.is_floating_point()
                or neighbor_index.dtype == torch.bool):
            raise ValueError(f"'neighbor_index' must be an integer tensor of "
                             f"shape [2, E] (got {neighbor_index.dtype} of "
                             f"shape {list(neighbor_index.size())})")
        if neighbor_index.numel() and (
                int(neighbor_index.min()) < 0
                or int(neighbor_index[0].max()) >= num_nodes):
            raise ValueError(f"'neighbor_index' must hold new nodes in "
                             f"[0, {num_nodes}) in its first row and "
                             f"non-negative node ids in its second")
        device = next(self.student.model.parameters()).device
        row, col = neighbor_index.long().to(device).unique(dim=1)
        parts = []
        if self.table is not None:
            parts.append(self._encodings(row, col, num_nodes))
        if self.graph is not None:
            parts.append(self._label_propagation(row, col, num_nodes))
        return torch.cat(parts, dim=-1)

    def _encodings(self, row: Tensor, col: Tensor, size: int) -> Tensor:
        known = col < self.row_of.numel()
        row, col = row[known], col[known]
        table_row = self.row_of[col]
        known = table_row >= 0
        return scatter(self.table[table_row[known]], row[known], dim=0,
                       dim_size=size, reduce='mean')

    def _label_propagation(self, row: Tensor, col: Tensor,
                           size: int) -> Tensor:
        from pyg_rbm.train.extras import label_propagation_features
        graph = self.graph
        n = graph.num_nodes
        known = col < n
        new, old = row[known] + n, col[known]
        edges = [graph.edge_index, torch.stack([new, old]),
                 torch.stack([old, new])]
        if self.student.feature_state.get('self_loops', False):
            loop = torch.arange(n, n + size, device=row.device)
            edges.append(torch.stack([loop, loop]))
        y = torch.cat([graph.y, graph.y.new_zeros(size)])
        train = torch.cat([graph.train_mask,
                           graph.train_mask.new_zeros(size)])
        out = label_propagation_features(
            torch.cat(edges, dim=1), y, train, n + size,
            self.student.num_classes, num_layers=self.lp['num_layers'],
            alpha=self.lp['alpha'])
        return out[n:]

    def predict(self, x: Tensor,
                neighbor_index: Optional[Tensor] = None) -> Tensor:
        r"""Logits :obj:`[B, num_classes]` of new nodes (see
        :meth:`inputs`).
        """
        from pyg_rbm.train.evaluate import predict
        return predict(self.student.model, self.inputs(x, neighbor_index),
                       self.batch_size)
