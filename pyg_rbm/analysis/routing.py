"""Where a Mixture-of-Experts student sends each node, and how evenly."""
import math
from typing import Dict, List, Optional, Tuple

import torch
from sklearn.metrics import normalized_mutual_info_score
from torch import Tensor

from pyg_rbm.nn.rbm import RbMLayer
from pyg_rbm.train.expert_load import expert_choices, mixture_layers

__all__ = ['routing_choices', 'routing_statistics']


@torch.no_grad()
def routing_choices(model: torch.nn.Module, x: Tensor,
                    inputs: Optional[List[Tensor]] = None
                    ) -> List[Tuple[Tensor, Tensor]]:
    r"""Runs :obj:`model` (an :class:`~pyg_rbm.nn.RbM` or
    :class:`~pyg_rbm.nn.MoE`) in evaluation mode on :obj:`x` and returns,
    for each mixture layer, the chosen experts and their gates, both of
    shape :obj:`[N, k]`; each layer's input is appended to :obj:`inputs`
    when it is given.

    An RbM still in pretraining sends every node to expert 0 alone (gate
    one), as its forward does.
    """
    layers = mixture_layers(model)
    if not layers:
        raise ValueError(f"'model' must hold RbM or MoE layers in "
                         f"'routing_choices' (got "
                         f"'{model.__class__.__name__}')")
    choices: List[Tuple[Tensor, Tensor]] = []

    def hook(layer: torch.nn.Module, args: Tuple) -> None:
        h = args[0]
        if inputs is not None:
            inputs.append(h)
        if isinstance(layer, RbMLayer) and len(args) > 1 and args[1]:
            # Pretraining: expert 0 alone.
            index = h.new_zeros(h.size(0), 1, dtype=torch.long)
            choices.append((index, h.new_ones(h.size(0), 1)))
            return
        choices.append(expert_choices(layer, h))

    handles = [layer.register_forward_pre_hook(hook) for layer in layers]
    training = model.training
    model.eval()
    try:
        model(x)
    finally:
        model.train(training)
        for handle in handles:
            handle.remove()
    return choices


def routing_statistics(model: torch.nn.Module, x: Tensor,
                       y: Optional[Tensor] = None) -> List[Dict[str, object]]:
    r"""Per mixture layer of :obj:`model`, how the nodes of :obj:`x` are
    routed (see :func:`routing_choices`):

    * :obj:`top1_load`: the share of nodes whose first expert is each
      expert (sums to one);
    * :obj:`gate_load`: each expert's share of the summed gates;
    * :obj:`load_entropy`: the entropy of :obj:`top1_load` divided by
      :math:`\log E`, one for an even split, zero when one expert takes
      every node (routing collapse);
    * :obj:`max_top1_load`, :obj:`unused_experts` (first choice of no node);
    * with labels :obj:`y`: :obj:`purity` (the share of nodes whose first
      expert's most common class is theirs) and :obj:`nmi` (normalised
      mutual information between first expert and class, scikit-learn's).

    Args:
        model (torch.nn.Module): An :class:`~pyg_rbm.nn.RbM` or
            :class:`~pyg_rbm.nn.MoE`.
        x (torch.Tensor): Node features :obj:`[N, F]`.
        y (torch.Tensor, optional): Node labels :obj:`[N]`.
            (default: :obj:`None`)
    """
    if y is not None and y.shape != x.shape[:1]:
        raise ValueError(f"'y' must have shape [{x.size(0)}] in "
                         f"'routing_statistics' (got {list(y.shape)})")
    choices = routing_choices(model, x)  # refuses a model without layers
    num_experts = mixture_layers(model)[0].num_experts
    out = []
    for index, gate in choices:
        first = index[:, 0]
        count = torch.bincount(first, minlength=num_experts).double()
        top1 = count / count.sum().clamp(min=1)
        gates = torch.zeros(num_experts, dtype=torch.double,
                            device=x.device)
        gates.index_add_(0, index.reshape(-1), gate.reshape(-1).double())
        gates = gates / gates.sum().clamp(min=1e-12)
        share = top1[top1 > 0]
        entropy = -(share * share.log()).sum().item()
        stats: Dict[str, object] = dict(
            top1_load=top1.tolist(),
            gate_load=gates.tolist(),
            load_entropy=(entropy / math.log(num_experts)
                          if num_experts > 1 else 0.0),
            max_top1_load=top1.max().item(),
            unused_experts=int((count == 0).sum()),
        )
        if y is not None:
            pairs = torch.zeros(num_experts, int(y.max()) + 1,
                                dtype=torch.long, device=x.device)
            pairs.index_put_((first, y), torch.ones_like(first),
                             accumulate=True)
            stats['purity'] = pairs.max(dim=1).values.sum().item() / max(
                y.numel(), 1)
            stats['nmi'] = float(
                normalized_mutual_info_score(y.cpu().numpy(),
                                             first.cpu().numpy()))
        out.append(stats)
    return out
