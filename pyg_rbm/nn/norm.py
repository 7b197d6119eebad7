from typing import Any, Callable, Dict, Optional, Union

from torch_geometric.nn.norm import LayerNorm
from torch_geometric.resolver import normalize_string

__all__ = ['node_norm_kwargs']


def node_norm_kwargs(
    norm: Union[str, Callable, None],
    norm_kwargs: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    r"""Returns the keyword arguments of a student's normalisation layer,
    with :pyg:`PyG`'s :class:`~torch_geometric.nn.norm.LayerNorm` set to
    :obj:`mode="node"` unless :obj:`norm_kwargs` chooses a mode.

    Its default :obj:`mode="graph"` takes statistics over all rows of the
    batch, which would make a per-node student's prediction depend on the
    other nodes of its batch.

    Args:
        norm (str or Callable, optional): The normalisation, as accepted by
            :func:`torch_geometric.nn.resolver.normalization_resolver`.
        norm_kwargs (Dict[str, Any], optional): Its keyword arguments.
            (default: :obj:`None`)
    """
    kwargs = dict(norm_kwargs or {})
    if isinstance(norm, str):
        is_layer_norm = normalize_string(norm) in {'layer', 'layernorm'}
    else:
        is_layer_norm = norm is LayerNorm
    if is_layer_norm:
        kwargs.setdefault('mode', 'node')
    return kwargs
