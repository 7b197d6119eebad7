"""The share of nodes each expert of a mixture student takes first."""
from contextlib import contextmanager
from typing import Any, Iterator, List, Optional, Tuple

import torch
from torch import Tensor

__all__ = ['ExpertLoad']


class ExpertLoad:
    r"""Counts, while :meth:`recording`, the first-choice expert of every
    row that enters each mixture layer of :obj:`model` (modules with a
    :obj:`route` method and :obj:`num_experts`, as in
    :class:`~pyg_rbm.nn.RbM` and :class:`~pyg_rbm.nn.MoE`); the routing is
    computed again from the layer's input, on its device, without a host
    synchronisation until :meth:`shares`. An RbM layer in pretraining
    counts nothing (every row goes to expert 0).
    """
    def __init__(self, model: torch.nn.Module):
        self.model = model
        self.layers = [
            m for m in model.modules()
            if hasattr(m, 'route') and hasattr(m, 'num_experts')
        ]
        self.counts: List[Optional[Tensor]] = [None] * len(self.layers)

    @contextmanager
    def recording(self) -> Iterator['ExpertLoad']:
        self.counts = [None] * len(self.layers)
        handles = [
            layer.register_forward_pre_hook(self._hook(i))
            for i, layer in enumerate(self.layers)
        ]
        try:
            yield self
        finally:
            for handle in handles:
                handle.remove()

    def _hook(self, i: int) -> Any:
        def hook(layer: torch.nn.Module, args: Tuple) -> None:
            if getattr(self.model, 'in_pretraining', False):
                return
            with torch.no_grad():
                routed = layer.route(args[0])
            index = next(t for t in routed if t.dtype == torch.long)
            count = torch.bincount(index[:, 0], minlength=layer.num_experts)
            self.counts[i] = (count if self.counts[i] is None else
                              self.counts[i] + count)

        return hook

    def shares(self) -> Optional[List[List[float]]]:
        r"""Per layer, each expert's share of the counted rows; :obj:`None`
        when nothing was counted.
        """
        if not self.layers or any(c is None for c in self.counts):
            return None
        return [(c / c.sum().clamp(min=1)).tolist() for c in self.counts]
