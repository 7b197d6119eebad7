import copy

import torch.nn.functional as F
from torch_geometric.data import Data
from torch_geometric.utils import add_remaining_self_loops

__all__ = ['preprocess_graph']


def preprocess_graph(
    data: Data,
    normalize_features: bool = False,
    self_loops: bool = False,
) -> Data:
    r"""Returns a shallow copy of :obj:`data` with the feature and graph
    preprocessing of a protocol applied; :obj:`data` is left unchanged.

    Args:
        data (torch_geometric.data.Data): The graph.
        normalize_features (bool, optional): If set to :obj:`True`, divides
            each feature row by the sum of its absolute values (rows of
            zeros stay zero). For non-negative features such as bag-of-words
            this makes each row sum to one, as DGL's Cora, CiteSeer and
            PubMed, which the RbM authors' code loads. (default:
            :obj:`False`)
        self_loops (bool, optional): If set to :obj:`True`, gives every
            node exactly one self loop, as the RbM authors' code does on
            Planetoid and OGB graphs. (default: :obj:`False`)
    """
    out = copy.copy(data)
    if normalize_features:
        out.x = F.normalize(data.x, p=1.0, dim=-1)
    if self_loops:
        if data.get('edge_attr') is not None or data.get(
                'edge_weight') is not None:
            raise ValueError("'self_loops=True' in 'preprocess_graph' does "
                             "not support edge features or weights")
        out.edge_index, _ = add_remaining_self_loops(data.edge_index,
                                                     num_nodes=data.num_nodes)
    return out
