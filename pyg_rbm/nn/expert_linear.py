import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn import Parameter
from torch_geometric.nn.inits import kaiming_uniform, uniform

__all__ = ['ExpertLinear']


class ExpertLinear(torch.nn.Module):
    r"""A bank of :obj:`num_experts` linear experts, each applied to the rows
    routed to it and combined with per-row gate weights.

    For a row :math:`\mathbf{x}_n` routed to the experts
    :math:`e_{n,1}, \ldots, e_{n,k}` with gates :math:`g_{n,j}`, it computes

    .. math::
        \mathbf{x}^{\prime}_n = \sum_{j=1}^{k} g_{n,j} \left(
        \mathrm{dropout}(\mathbf{x}_n \odot \mathbf{s}_{e_{n,j}})
        \mathbf{W}_{e_{n,j}} + \mathbf{b}_{e_{n,j}} \right),

    where :math:`\mathbf{s}_e` is an optional per-expert input scale.
    Dropout is drawn independently per (row, slot), so each expert sees
    its own dropout mask.

    Two equivalent dispatch paths are used:

    * *sorted*: the :math:`N k` (row, slot) pairs are stable-sorted by
      expert, the rows gathered into expert-contiguous order, one matrix
      multiplication runs per expert slice, and the gated results are
      summed back with :meth:`~torch.Tensor.index_add_`;
    * *dense*: every expert runs on every row in a single matrix
      multiplication and the :math:`k` chosen outputs are gathered.

    The dense path costs :math:`E / k` times the multiply-adds of the sorted
    path but avoids gathering and scattering rows; it is used when
    :obj:`dense_ratio * k >= num_experts` and no dropout mask has to be
    drawn (evaluation mode, or :obj:`dropout=0`). The default
    :obj:`dense_ratio` was chosen by measurement on CPU (see
    :obj:`benchmarks/student_throughput.py`). The choice never depends on
    the batch, so evaluation is batch-size invariant.

    Args:
        num_experts (int): The number of experts :math:`E`.
        in_channels (int): Size of each input sample.
        out_channels (int): Size of each output sample.
        dropout (float, optional): Dropout probability applied to each
            expert's input. (default: :obj:`0.0`)
        bias (bool, optional): If set to :obj:`False`, the experts will not
            learn an additive bias. (default: :obj:`True`)
    """
    dense_ratio: float = 1.5

    def __init__(
        self,
        num_experts: int,
        in_channels: int,
        out_channels: int,
        dropout: float = 0.0,
        bias: bool = True,
    ):
        super().__init__()
        if num_experts < 1:
            raise ValueError(f"'num_experts' must be at least 1 in "
                             f"'{self.__class__.__name__}' "
                             f"(got {num_experts})")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"'dropout' must be in [0, 1) in "
                             f"'{self.__class__.__name__}' (got {dropout})")

        self.num_experts = num_experts
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.dropout = dropout

        self.weight = Parameter(
            torch.empty(num_experts, in_channels, out_channels))
        if bias:
            self.bias = Parameter(torch.empty(num_experts, out_channels))
        else:
            self.register_parameter('bias', None)

        self.reset_parameters()

    def reset_parameters(self):
        r"""Resets all learnable parameters of the module, each expert as
        :class:`torch.nn.Linear` would.
        """
        kaiming_uniform(self.weight, fan=self.in_channels, a=math.sqrt(5))
        uniform(self.in_channels, self.bias)

    @torch.no_grad()
    def copy_expert(self, src: int = 0) -> None:
        r"""Copies the weight and bias of expert :obj:`src` into every
        expert.

        Args:
            src (int, optional): The expert to copy. (default: :obj:`0`)
        """
        if not 0 <= src < self.num_experts:
            raise ValueError(f"'src' must be in [0, {self.num_experts}) in "
                             f"'{self.__class__.__name__}' (got {src})")
        self.weight.copy_(self.weight[src:src + 1].expand_as(self.weight))
        if self.bias is not None:
            self.bias.copy_(self.bias[src:src + 1].expand_as(self.bias))

    def use_dense(self, k: int) -> bool:
        r"""Returns :obj:`True` if :meth:`forward` with :obj:`k` slots per
        row takes the dense all-experts path.
        """
        needs_mask = self.training and self.dropout > 0.0
        return not needs_mask and self.num_experts <= self.dense_ratio * k

    def forward(
        self,
        x: Tensor,
        index: Tensor,
        gate: Tensor,
        input_scale: Optional[Tensor] = None,
    ) -> Tensor:
        r"""The forward pass.

        Args:
            x (torch.Tensor): The input features of shape
                :obj:`[N, in_channels]`.
            index (torch.Tensor): The chosen experts of each row, a long
                tensor of shape :obj:`[N, k]`.
            gate (torch.Tensor): The gate weight of each chosen expert, of
                shape :obj:`[N, k]`.
            input_scale (torch.Tensor, optional): Per-expert multiplier of
                the expert input, of shape :obj:`[E, in_channels]`.
                (default: :obj:`None`)
        """
        weight = self.weight
        if input_scale is not None:
            # Dropout commutes with an elementwise scale, so the scale can
            # be folded into the weight: (x * s) @ W = x @ (s[:, None] * W).
            weight = input_scale.unsqueeze(-1) * weight
        if self.use_dense(index.size(1)):
            return self._forward_dense(x, index, gate, weight)
        return self._forward_sorted(x, index, gate, weight)

    def _forward_dense(self, x: Tensor, index: Tensor, gate: Tensor,
                       weight: Tensor) -> Tensor:
        E, C = self.num_experts, self.out_channels
        flat = weight.permute(1, 0, 2).reshape(self.in_channels, E * C)
        bias = None if self.bias is None else self.bias.reshape(E * C)
        out = F.linear(x, flat.t(), bias).view(-1, E, C)
        out = out.gather(1, index.unsqueeze(-1).expand(-1, -1, C))
        return torch.bmm(gate.unsqueeze(1).to(out.dtype), out).squeeze(1)

    def _forward_sorted(self, x: Tensor, index: Tensor, gate: Tensor,
                        weight: Tensor) -> Tensor:
        N, k = index.size()
        expert, perm = index.reshape(-1).sort(stable=True)
        row = perm.div(k, rounding_mode='floor')
        counts = torch.bincount(expert, minlength=self.num_experts).tolist()

        src = x.index_select(0, row)
        if self.training and self.dropout > 0.0:
            src = F.dropout(src, p=self.dropout, training=True)

        outs = []
        start = 0
        for e, count in enumerate(counts):
            if count == 0:
                continue
            end = start + count
            if self.bias is None:
                outs.append(src[start:end] @ weight[e])
            else:
                outs.append(torch.addmm(self.bias[e], src[start:end],
                                        weight[e]))
            start = end
        out = torch.cat(outs, dim=0) if len(outs) > 1 else outs[0]
        out = out * gate.reshape(-1)[perm].unsqueeze(-1)
        return x.new_zeros(N, self.out_channels).index_add_(0, row, out)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.in_channels}, '
                f'{self.out_channels}, num_experts={self.num_experts})')
