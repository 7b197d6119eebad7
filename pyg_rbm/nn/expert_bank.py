"""The linear experts of a mixture layer, in plain PyTorch."""
import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn import Parameter
from torch_geometric.nn.inits import kaiming_uniform, uniform

__all__ = ['ExpertBank']


class ExpertBank(torch.nn.Module):
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

    Every expert runs on every row in one matrix multiplication and the
    :math:`k` chosen outputs are kept, with no data-dependent host
    synchronisation, so that the evaluation forward compiles into one
    graph. Training with dropout instead multiplies, expert by expert, the
    (row, slot) pairs routed to it, each with its own mask. A subclass
    may compute the same with faster paths.

    Args:
        num_experts (int): The number of experts :math:`E`.
        in_channels (int): Size of each input sample.
        out_channels (int): Size of each output sample.
        dropout (float, optional): Dropout probability applied to each
            expert's input. (default: :obj:`0.0`)
        bias (bool, optional): If set to :obj:`False`, the experts will not
            learn an additive bias. (default: :obj:`True`)
    """
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

    def forward(
        self,
        x: Tensor,
        index: Tensor,
        gate: Tensor,
        input_scale: Optional[Tensor] = None,
        check_index: bool = True,
    ) -> Tensor:
        r"""The forward pass.

        Args:
            x (torch.Tensor): The input features of shape
                :obj:`[N, in_channels]`.
            index (torch.Tensor): The chosen experts of each row, a long
                tensor of shape :obj:`[N, k]` with distinct values in
                :obj:`[0, num_experts)`.
            gate (torch.Tensor): The gate weight of each chosen expert, of
                shape :obj:`[N, k]`.
            input_scale (torch.Tensor, optional): Per-expert multiplier of
                the expert input, of shape :obj:`[E, in_channels]`.
                (default: :obj:`None`)
            check_index (bool, optional): If set to :obj:`False`, the
                values of :obj:`index` are not checked in training, where
                reading them synchronises with the host; for callers that
                chose the experts themselves. (default: :obj:`True`)
        """
        self._check_input(x, index, gate, input_scale,
                          check_index=check_index and self.training)
        weight = self._scaled_weight(input_scale)
        gate = gate.to(x.dtype)
        if self.training and self.dropout > 0.0:
            out = self._per_expert(x, index, gate, weight)
        else:
            out = self._all_experts(x, index, gate, weight)
        return self._add_bias(out, index, gate)

    def _scaled_weight(self, input_scale: Optional[Tensor]) -> Tensor:
        # Dropout commutes with an elementwise scale, so the scale is
        # folded into the weight: (x * s) @ W = x @ (s[:, None] * W).
        if input_scale is None:
            return self.weight
        return input_scale.unsqueeze(-1) * self.weight

    def _all_experts(self, x: Tensor, index: Tensor, gate: Tensor,
                     weight: Tensor) -> Tensor:
        N, k = index.size()
        E, C = self.num_experts, self.out_channels
        out = x @ weight.permute(1, 0, 2).reshape(self.in_channels, E * C)
        out = out.view(N, E, C).gather(1, index.unsqueeze(-1).expand(-1, -1,
                                                                     C))
        return (gate.unsqueeze(-1) * out).sum(dim=1)

    def _per_expert(self, x: Tensor, index: Tensor, gate: Tensor,
                    weight: Tensor) -> Tensor:
        out = x.new_zeros(x.size(0), self.out_channels)
        for e in range(self.num_experts):
            row, slot = (index == e).nonzero(as_tuple=True)
            src = F.dropout(x[row], self.dropout, training=True)
            gated = gate[row, slot].unsqueeze(-1) * (src @ weight[e])
            out = out.index_add(0, row, gated)
        return out

    def _add_bias(self, out: Tensor, index: Tensor, gate: Tensor) -> Tensor:
        if self.bias is None:
            return out
        # Each row's gated sum of its experts' biases, as one product with
        # the dense [N, E] gate matrix:
        dense_gate = gate.new_zeros(index.size(0), self.num_experts)
        return out + dense_gate.scatter(1, index, gate) @ self.bias

    def _check_input(self, x: Tensor, index: Tensor, gate: Tensor,
                     input_scale: Optional[Tensor],
                     check_index: bool = True) -> None:
        name = self.__class__.__name__
        if x.dim() != 2 or x.size(1) != self.in_channels:
            raise ValueError(f"'x' must have shape [N, {self.in_channels}] "
                             f"in '{name}' (got {list(x.size())})")
        if index.dim() != 2 or index.size(0) != x.size(0):
            raise ValueError(f"'index' must have shape [{x.size(0)}, k] in "
                             f"'{name}' (got {list(index.size())})")
        if gate.size() != index.size():
            raise ValueError(f"'gate' must have the shape of 'index' "
                             f"{list(index.size())} in '{name}' (got "
                             f"{list(gate.size())})")
        size = [self.num_experts, self.in_channels]
        if input_scale is not None and list(input_scale.size()) != size:
            raise ValueError(f"'input_scale' must have shape {size} in "
                             f"'{name}' (got {list(input_scale.size())})")
        # Reading the values synchronises with the host: training only.
        if check_index and index.numel() and (
                int(index.min()) < 0 or int(index.max()) >= self.num_experts):
            raise ValueError(f"'index' must lie in [0, {self.num_experts}) "
                             f"in '{name}'")

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.in_channels}, '
                f'{self.out_channels}, num_experts={self.num_experts})')
