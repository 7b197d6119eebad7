from typing import Any, Callable, Dict, Tuple, Type, Union

from torch_geometric.nn.models import GAT, GCN
from torch_geometric.nn.models.basic_gnn import BasicGNN

from pyg_rbm.teachers.gcn_aggr_sage import GCNAggrGraphSAGE
from pyg_rbm.teachers.sparse_sage import SparseInputGraphSAGE

__all__ = ['TEACHERS', 'build_teacher']

TEACHERS: Tuple[str, ...] = ('sage', 'sage-gcn', 'gcn', 'gat')

_MODELS: Dict[str, Type[BasicGNN]] = {
    'sage': SparseInputGraphSAGE,
    'sage-gcn': GCNAggrGraphSAGE,
    'gcn': GCN,
    'gat': GAT,
}
_ALIASES: Dict[str, str] = {'graphsage': 'sage'}


def build_teacher(
    name: str,
    in_channels: int,
    hidden_channels: int,
    out_channels: int,
    num_layers: int = 2,
    dropout: float = 0.5,
    norm: Union[str, Callable, None] = None,
    act: Union[str, Callable, None] = 'relu',
    heads: int = 1,
    **kwargs: Any,
) -> BasicGNN:
    r"""Builds a GNN teacher for knowledge distillation as one of
    :pyg:`PyG`'s basic models: :class:`~torch_geometric.nn.models.GraphSAGE`
    (:obj:`"sage"` or :obj:`"graphsage"`; :obj:`"sage-gcn"` with the GCN
    aggregator and no root weight, the teacher of the RbM authors' code,
    see :class:`~pyg_rbm.teachers.gcn_aggr_sage.GCNAggrSAGEConv`),
    :class:`~torch_geometric.nn.models.GCN` (:obj:`"gcn"`) or
    :class:`~torch_geometric.nn.models.GAT` (:obj:`"gat"`).
    GraphSAGE is built as its subclass
    :class:`~pyg_rbm.teachers.sparse_sage.SparseInputGraphSAGE`, the same
    model with products in the non-zeros of sparse node features.

    Args:
        name (str): The teacher, case-insensitive (see :obj:`TEACHERS`).
        in_channels (int): Size of each input sample.
        hidden_channels (int): Size of each hidden sample.
        out_channels (int): Size of each output sample (number of classes).
        num_layers (int, optional): Number of message passing layers.
            (default: :obj:`2`)
        dropout (float, optional): Dropout probability (for GAT also the
            attention dropout). (default: :obj:`0.5`)
        norm (str or Callable, optional): The normalization between layers,
            e.g., :obj:`"batch_norm"`. (default: :obj:`None`)
        act (str or Callable, optional): The activation between layers.
            (default: :obj:`"relu"`)
        heads (int, optional): Number of attention heads of GAT; hidden
            heads are concatenated, so :obj:`hidden_channels` must be
            divisible by it. Must be :obj:`1` for other teachers.
            (default: :obj:`1`)
        **kwargs (optional): Additional arguments of the :pyg:`PyG` model
            (e.g., :obj:`aggr` of GraphSAGE).
    """
    key = name.lower() if isinstance(name, str) else name
    key = _ALIASES.get(key, key)
    if key not in _MODELS:
        choices = ', '.join(f"'{n}'" for n in TEACHERS + tuple(_ALIASES))
        raise ValueError(f"'name' in 'build_teacher' must be one of "
                         f"{choices} (got {name!r})")
    for arg, value in (('in_channels', in_channels),
                       ('hidden_channels', hidden_channels),
                       ('out_channels', out_channels),
                       ('num_layers', num_layers), ('heads', heads)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"'{arg}' in 'build_teacher' must be a "
                             f"positive integer (got {value!r})")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"'dropout' in 'build_teacher' must lie in [0, 1) "
                         f"(got {dropout!r})")
    if key != 'gat' and heads != 1:
        raise ValueError(f"'heads' in 'build_teacher' only applies to 'gat' "
                         f"(got heads={heads} for {name!r})")
    if key == 'gat' and num_layers > 1 and hidden_channels % heads != 0:
        raise ValueError(f"'hidden_channels' in 'build_teacher' must be "
                         f"divisible by 'heads' for 'gat' (got "
                         f"{hidden_channels} and {heads})")

    extra: Dict[str, Any] = dict(kwargs)
    if key == 'gat':
        extra['heads'] = heads
    return _MODELS[key](in_channels, hidden_channels, num_layers,
                        out_channels, dropout=dropout, act=act, norm=norm,
                        **extra)
