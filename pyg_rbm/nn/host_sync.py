"""Whether a student's eval forward may synchronise with the host.

The default eval forward of the students makes no data-dependent host
synchronisation, so that it runs asynchronously on a GPU and compiles into
one graph (``torch.compile(fullgraph=True)``): mixture layers multiply the
routed rows grouped by expert with group ends on the device (float32 on the
CPU) or compute every expert densely and keep the chosen ones, and sparse
inputs are multiplied as dense ones. Entry points that see a whole input at
once, such as :func:`pyg_rbm.train.evaluate.predict` and
:meth:`pyg_rbm.nn.RbM.init_routing`, allow the faster paths that count rows
per expert or non-zeros on the host (with identical choices of experts;
outputs equal up to float rounding).
A training forward always may.
"""
from contextlib import contextmanager
from typing import Iterator

import torch

__all__ = ['allow_host_sync', 'host_sync_allowed']

_depth = 0


@contextmanager
def allow_host_sync() -> Iterator[None]:
    r"""Within this context, eval forwards may take the paths that
    synchronise with the host (never while :func:`torch.compile` traces).
    """
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1


def host_sync_allowed(training: bool = False) -> bool:
    r"""Whether a forward may synchronise with the host: in training, or
    within :func:`allow_host_sync`, and never while compiling.

    Args:
        training (bool, optional): The calling module's training flag.
            (default: :obj:`False`)
    """
    if torch.compiler.is_compiling():
        return False
    return training or _depth > 0
