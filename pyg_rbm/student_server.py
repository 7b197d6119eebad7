"""Serving unseen nodes with a saved graph-free student."""
from typing import Optional

import torch
from torch import Tensor
from torch_geometric.utils import scatter

from pyg_rbm.saved_student import SavedStudent

__all__ = ['StudentServer']


class StudentServer:
    r"""Predicts nodes that training never saw with a saved student
    (:func:`~pyg_rbm.load_student`), in batches, exactly as the trained
    model scores held-out nodes: from their raw features, plus for a
    student with positional encodings the mean encoding of their neighbours
    in the training graph (one hop, as
    :func:`~pyg_rbm.train.extras.extend_to_unseen` extends them). Unlike a
    GNN teacher (:class:`~pyg_rbm.serving.TeacherServer`) it needs no
    multi-hop neighbourhood: the cost of a node is its feature row and, at
    most, a lookup of its training-graph neighbours.

    Label-propagation inputs depend on the whole graph and are refused.

    Args:
        student (SavedStudent): The saved student.
        batch_size (int, optional): Rows per forward pass.
            (default: :obj:`65536`)
    """
    def __init__(self, student: SavedStudent, batch_size: int = 65536):
        if 'label_propagation' in student.graph_features:
            raise ValueError("'StudentServer' cannot serve a student with "
                             "label-propagation inputs, which depend on the "
                             "whole graph")
        if batch_size < 1:
            raise ValueError(f"'batch_size' must be positive in "
                             f"'StudentServer' (got {batch_size})")
        self.student = student
        self.batch_size = batch_size
        self.table: Optional[Tensor] = None
        pe = student.feature_state.get('positional_encoding')
        if pe is not None:
            device = next(student.model.parameters()).device
            node_ids = pe['node_ids'].to(device)
            self.table = pe['table'].to(device)
            # Global id -> row of the table (-1: not in the training graph).
            self.row_of = torch.full((int(node_ids.max()) + 1, ), -1,
                                     dtype=torch.long, device=device)
            self.row_of[node_ids] = torch.arange(node_ids.numel(),
                                                 device=device)

    def inputs(self, x: Tensor,
               neighbor_index: Optional[Tensor] = None) -> Tensor:
        r"""The student's input for new nodes with raw features :obj:`x`
        :obj:`[B, F]` and, for positional encodings, the edges
        :obj:`neighbor_index` :obj:`[2, E]` from each new node (row: its
        position in :obj:`x`) to nodes of the dataset (global ids); those
        outside the training graph are ignored, and a node without
        neighbours in it gets a zero encoding.
        """
        if self.table is None:
            if neighbor_index is not None:
                raise ValueError("'neighbor_index' is given but the student "
                                 "takes no positional encodings")
            return self.student.features(x)
        if neighbor_index is None:
            raise ValueError("The student takes positional encodings: give "
                             "'neighbor_index', the new nodes' edges to the "
                             "training graph")
        base = self.student.preprocess(x)
        row, col = neighbor_index.to(x.device)
        known = col < self.row_of.numel()
        row, col = row[known], col[known]
        table_row = self.row_of[col]
        known = table_row >= 0
        pe = scatter(self.table[table_row[known]], row[known], dim=0,
                     dim_size=x.size(0), reduce='mean')
        out = torch.cat([base, pe], dim=-1)
        expected = self.student.kwargs['in_channels']
        if out.size(-1) != expected:
            raise ValueError(f"'x' gives {out.size(-1)} input columns with "
                             f"the encodings, but the student takes "
                             f"{expected}")
        return out

    def predict(self, x: Tensor,
                neighbor_index: Optional[Tensor] = None) -> Tensor:
        r"""Logits :obj:`[B, num_classes]` of new nodes (see
        :meth:`inputs`).
        """
        from pyg_rbm.train.evaluate import predict
        return predict(self.student.model, self.inputs(x, neighbor_index),
                       self.batch_size)
