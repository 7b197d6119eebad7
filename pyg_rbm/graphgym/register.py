"""Idempotent registration of this plugin's entries in GraphGym."""
from typing import Any, Callable, Dict, Tuple, TypeVar

import torch_geometric.graphgym.register as gg_register

__all__ = ['registered', 'register_all']

T = TypeVar('T')

# (kind, key) -> object, in registration order; kind names a GraphGym
# registry, e.g. 'network' for `network_dict`.
_ENTRIES: Dict[Tuple[str, str], Any] = {}


def _origin(obj: Any) -> Tuple[Any, Any]:
    return getattr(obj, '__module__', None), getattr(obj, '__qualname__',
                                                     None)


def _register(kind: str, key: str, obj: Any) -> None:
    mapping = getattr(gg_register, f'{kind}_dict')
    current = mapping.get(key)
    if current is obj:
        return
    if current is not None:
        if _origin(current) != _origin(obj):
            raise KeyError(f"GraphGym {kind} '{key}' is already registered "
                           f"by '{_origin(current)[0]}'")
        del mapping[key]  # the same entry from a reloaded module
    gg_register.register_base(mapping, key, obj)


def registered(kind: str, key: str) -> Callable[[T], T]:
    r"""Decorator registering :obj:`obj` as GraphGym :obj:`kind`
    :obj:`key` (*e.g.*, :obj:`registered('network', 'rbm')`), idempotently:
    registering the same entry again, or its copy from a reloaded module,
    is a no-op, while a clash with another package's entry raises a
    :class:`KeyError`.

    Args:
        kind (str): The GraphGym registry, *e.g.*, :obj:`"network"`,
            :obj:`"config"`, :obj:`"loss"`, :obj:`"loader"`,
            :obj:`"train"`.
        key (str): The registered name.
    """
    if not hasattr(gg_register, f'{kind}_dict'):
        raise ValueError(f"'kind' of 'registered' must name a GraphGym "
                         f"registry (got '{kind}')")

    def wrap(obj: T) -> T:
        _register(kind, key, obj)
        _ENTRIES[(kind, key)] = obj
        return obj

    return wrap


def register_all() -> None:
    r"""(Re-)registers every entry of :mod:`pyg_rbm.graphgym` in GraphGym's
    registries; safe to call any number of times. Call
    :func:`torch_geometric.graphgym.config.set_cfg` afterwards so that the
    config groups exist in :obj:`cfg`.
    """
    for (kind, key), obj in _ENTRIES.items():
        _register(kind, key, obj)
