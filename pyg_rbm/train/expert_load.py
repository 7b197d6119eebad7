"""The experts a mixture student sends rows to, and each expert's share."""
from contextlib import contextmanager
from typing import Any, Callable, Iterator, List, Optional, Tuple

import torch
from torch import Tensor

from pyg_rbm.nn.moe import _MoELayer
from pyg_rbm.nn.rbm import RbMLayer

__all__ = ['ExpertLoad', 'expert_choices', 'mixture_layers']


def mixture_layers(model: torch.nn.Module) -> List[torch.nn.Module]:
    r"""The mixture layers of an :class:`~pyg_rbm.nn.RbM` or
    :class:`~pyg_rbm.nn.MoE` (none for other models), in order.
    """
    return [m for m in model.modules() if isinstance(m, (RbMLayer,
                                                         _MoELayer))]


@torch.no_grad()
def expert_choices(layer: torch.nn.Module, x: Tensor) -> Tuple[Tensor, Tensor]:
    r"""The experts :obj:`[N, k]` that the routed :obj:`layer` chooses for
    its input :obj:`x`, and their gates.
    """
    if isinstance(layer, RbMLayer):
        sim, index = layer.route(x)
        return index, sim.softmax(dim=-1)
    return layer.route(x)


class ExpertLoad:
    r"""Counts, while :meth:`recording`, the first-choice expert of every
    row that enters each mixture layer of :obj:`model`; the routing is
    computed again from the layer's input, on its device, without a host
    synchronisation until :meth:`shares`. An RbM in pretraining counts
    nothing (every row goes to expert 0).
    """
    def __init__(self, model: torch.nn.Module):
        self.model = model
        self.layers = mixture_layers(model)
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
            index = expert_choices(layer, args[0])[0]
            count = torch.bincount(index[:, 0], minlength=layer.num_experts)
            self.counts[i] = (count if self.counts[i] is None else
                              self.counts[i] + count)

        return hook

    def shares(
        self,
        reduce: Optional[Callable[[Tensor], Tensor]] = None,
    ) -> Optional[List[List[float]]]:
        r"""Per layer, each expert's share of the counted rows (of the
        counts summed by :obj:`reduce` first, e.g. over processes);
        :obj:`None` when nothing was counted.
        """
        if not self.layers or any(c is None for c in self.counts):
            return None
        counts = [c if reduce is None else reduce(c) for c in self.counts]
        return [(c / c.sum().clamp(min=1)).tolist() for c in counts]
