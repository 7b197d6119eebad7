"""Whether a teacher's outputs at a node depend on its neighbourhood only."""
from typing import Optional

import torch
from torch_geometric.nn import GATConv, GATv2Conv, GINConv, SAGEConv
from torch_geometric.nn.models.basic_gnn import BasicGNN
from torch_geometric.nn.norm import LayerNorm

__all__ = ['neighbourhood_exact_reason']

# Convolutions that read each target's incoming edges and their sources'
# features only, never a source's degree (unlike GCNConv's normalisation).
_LOCAL_CONVS = (SAGEConv, GATConv, GATv2Conv, GINConv)


def neighbourhood_exact_reason(model: torch.nn.Module) -> Optional[str]:
    r"""Returns :obj:`None` if :obj:`model`, a :pyg:`PyG`
    :class:`~torch_geometric.nn.models.basic_gnn.BasicGNN`, computes the same
    outputs at a node on its :obj:`model.num_layers`-hop in-neighbourhood
    (see :func:`pyg_rbm.serving.neighborhood_subgraph`) as on the whole
    graph, in training mode too; otherwise the reason why not.

    That holds when every convolution reads only the incoming edges of its
    targets and the features of their sources (GraphSAGE, GAT, GATv2, GIN;
    not GCN, which normalises by the degree of the source) and every
    normalisation acts on each node alone (none, :class:`torch.nn.LayerNorm`
    or :pyg:`PyG`'s :class:`~torch_geometric.nn.norm.LayerNorm` with
    :obj:`mode="node"`; batch or graph statistics differ on a subgraph).
    """
    if not isinstance(model, BasicGNN):
        return (f'{model.__class__.__name__} is not a BasicGNN, so its '
                f'receptive field is unknown')
    for conv in model.convs:
        if not isinstance(conv, _LOCAL_CONVS):
            return (f'{conv.__class__.__name__} depends on node degrees '
                    f'outside the neighbourhood')
    for norm in getattr(model, 'norms', None) or []:
        if isinstance(norm, (torch.nn.Identity, torch.nn.LayerNorm)):
            continue
        if isinstance(norm, LayerNorm) and norm.mode == 'node':
            continue
        return (f'{norm.__class__.__name__} normalises with statistics over '
                f'many nodes')
    return None
