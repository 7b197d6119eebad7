import math
from typing import Any, Callable, Dict, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn import Identity, Parameter
from torch_geometric.nn.resolver import (
    activation_resolver,
    normalization_resolver,
)

from pyg_rbm.nn.expert_linear import ExpertLinear
from pyg_rbm.nn.finite import all_finite
from pyg_rbm.nn.norm import node_norm_kwargs
from pyg_rbm.nn.shard_sum import shard_sum
from pyg_rbm.nn.sparse_input import SparseInputLinear
from pyg_rbm.nn.top_k import top_k

_MAX_LOG_SCALE = math.log(100.0)


def _cv_squared(value: Tensor) -> Tensor:
    # Population variance, as in Shazeer et al.; the epsilon keeps an all-zero
    # vector (e.g. an empty batch) at zero instead of NaN.
    return value.var(correction=0) / (value.mean().square() + 1e-10)


class _MoELayer(torch.nn.Module):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        routing_channels: int,
        num_experts: int,
        k: int,
        dropout: float,
        noise_std: float,
    ):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_experts = num_experts
        self.k = k
        self.noise_std = noise_std

        self.router = SparseInputLinear(in_channels, routing_channels,
                                        bias=False)
        self.keys = Parameter(torch.empty(num_experts, routing_channels))
        self.log_scale = Parameter(torch.empty(()))
        self.experts = ExpertLinear(num_experts, in_channels, out_channels,
                                    dropout=dropout)
        # Set when each process of a multi-process run holds one share of
        # every batch: the balance is then that of the whole batch.
        self.sync_shards = False

    def reset_parameters(self):
        self.router.reset_parameters()
        torch.nn.init.normal_(self.keys)
        torch.nn.init.constant_(self.log_scale, math.log(2.0))
        self.experts.reset_parameters()

    def route(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        r"""Returns the chosen experts :obj:`[N, k]` and their gates."""
        query = F.normalize(self.router(x), dim=-1)
        keys = F.normalize(self.keys, dim=-1)
        scale = self.log_scale.clamp(max=_MAX_LOG_SCALE).exp()
        logits = scale * (query @ keys.t())
        if self.training and self.noise_std > 0:
            logits = logits + self.noise_std * torch.randn_like(logits)
        top, index = top_k(logits, self.k)
        return index, top.softmax(dim=-1)

    def forward(
        self,
        x: Tensor,
        return_aux_loss: bool = False,
    ) -> Tuple[Tensor, Optional[Tensor]]:
        index, gate = self.route(x)
        out = self.experts(x, index, gate, check_index=False)
        if not return_aux_loss:
            return out, None

        flat_index = index.reshape(-1)
        importance = x.new_zeros(self.num_experts)
        importance = importance.index_add(0, flat_index, gate.reshape(-1))
        load = x.new_zeros(self.num_experts)
        load = load.index_add(0, flat_index, torch.ones_like(gate).view(-1))
        if self.sync_shards:
            importance, load = shard_sum(torch.stack([importance, load]))
        return out, _cv_squared(importance) + _cv_squared(load)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.in_channels}, '
                f'{self.out_channels}, num_experts={self.num_experts}, '
                f'k={self.k})')


class MoE(torch.nn.Module):
    r"""The sparse Mixture-of-Experts baseline student from the `"Graph
    Knowledge Distillation to Mixture of Experts"
    <https://arxiv.org/abs/2406.11919>`_ paper, a stack of noisy top-:math:`k`
    gated layers in the style of the `"Outrageously Large Neural Networks:
    The Sparsely-Gated Mixture-of-Experts Layer"
    <https://arxiv.org/abs/1701.06538>`_ paper.

    Every layer, the output layer included, is a mixture of
    :obj:`num_experts` experts, each dropout followed by one linear map.
    A learned router projects the layer input :math:`\mathbf{x}` to
    :obj:`hidden_channels` dimensions and scores it against one learned key
    :math:`\mathbf{e}_j` per expert:

    .. math::
        h_j(\mathbf{x}) &= \exp(s) \cos(\mathbf{W}_r \mathbf{x},
        \mathbf{e}_j) + \epsilon_j, \quad
        \epsilon_j \sim \mathcal{N}(0, \sigma^2) \textrm{ in training only}

        \mathbf{y} &= \sum_{j \in \mathcal{T}(\mathbf{x})}
        \frac{\exp(h_j(\mathbf{x}))}{\sum_{i \in \mathcal{T}(\mathbf{x})}
        \exp(h_i(\mathbf{x}))} \left( \mathbf{W}_j \, \mathrm{dropout}
        (\mathbf{x}) + \mathbf{b}_j \right)

    where :math:`\mathcal{T}(\mathbf{x})` are the :math:`k` experts with the
    largest :math:`h_j` and :math:`s` is a learnable log-temperature
    (starting at :math:`\log 2`, clamped at :math:`\log 100`).
    The gates are not detached, so the task loss trains the router, a
    :class:`~pyg_rbm.nn.SparseInputLinear` without bias (sparse node
    features are multiplied in their non-zeros). Without a bias the routing
    does not change when the input is multiplied by a positive factor.
    Between layers, an optional normalization and the activation are applied.

    The auxiliary loss balances the experts: per layer, the squared
    coefficient of variation (population variance over squared mean) of the
    gate mass each expert received (importance) plus that of the number of
    rows routed to it (load), summed over layers and multiplied by
    :obj:`load_balance_weight`. The load term is a count and has no
    gradient; it is part of the reported value only.

    .. note::
        The authors' code routes to the top-:math:`(k+1)` experts; this is
        treated as a quirk of that code, and exactly :obj:`k` experts are
        used here. Their router projection also has a bias. On
        row-normalised bag-of-words features (CiteSeer), a bias of the
        default initialisation is about 5.6 times longer than
        :math:`\mathbf{W}_r \mathbf{x}`, so every node starts with nearly
        the same query and the same experts.

    Args:
        in_channels (int): Size of each input sample.
        hidden_channels (int): Size of each hidden sample, and of the
            router's projection.
        out_channels (int): Size of each output sample.
        num_layers (int, optional): The number of mixture layers.
            (default: :obj:`2`)
        num_experts (int, optional): The number of experts per layer.
            (default: :obj:`4`)
        k (int, optional): The number of experts each row is routed to.
            (default: :obj:`2`)
        dropout (float, optional): Dropout probability on the input of every
            expert. (default: :obj:`0.`)
        norm (str or Callable, optional): The normalization applied between
            layers, resolved by
            :meth:`torch_geometric.nn.resolver.normalization_resolver`.
            A :obj:`"layer_norm"` string normalizes each row on its own.
            (default: :obj:`None`)
        act (str or Callable, optional): The non-linear activation applied
            between layers. (default: :obj:`"relu"`)
        noise_std (float, optional): Standard deviation of the Gaussian noise
            added to the router logits in training. (default: :obj:`1.`)
        load_balance_weight (float, optional): Weight of the load-balance
            auxiliary loss. (default: :obj:`0.01`)
        norm_kwargs (Dict[str, Any], optional): Arguments passed to the
            normalization. (default: :obj:`None`)
        act_kwargs (Dict[str, Any], optional): Arguments passed to the
            activation. (default: :obj:`None`)
    """
    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        out_channels: int,
        num_layers: int = 2,
        num_experts: int = 4,
        k: int = 2,
        dropout: float = 0.,
        norm: Union[str, Callable, None] = None,
        act: Union[str, Callable, None] = 'relu',
        noise_std: float = 1.,
        load_balance_weight: float = 0.01,
        norm_kwargs: Optional[Dict[str, Any]] = None,
        act_kwargs: Optional[Dict[str, Any]] = None,
    ):
        super().__init__()
        name = self.__class__.__name__
        if num_layers < 1:
            raise ValueError(f"'num_layers' must be at least 1 in '{name}' "
                             f"(got {num_layers})")
        if num_experts < 1:
            raise ValueError(f"'num_experts' must be at least 1 in '{name}' "
                             f"(got {num_experts})")
        if k < 1 or k > num_experts:
            raise ValueError(f"'k' must be in [1, num_experts={num_experts}] "
                             f"in '{name}' (got {k})")
        if not 0. <= dropout < 1.:
            raise ValueError(f"'dropout' must be in [0, 1) in '{name}' "
                             f"(got {dropout})")
        if noise_std < 0:
            raise ValueError(f"'noise_std' must be non-negative in '{name}' "
                             f"(got {noise_std})")
        if load_balance_weight < 0:
            raise ValueError(f"'load_balance_weight' must be non-negative in "
                             f"'{name}' (got {load_balance_weight})")

        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.out_channels = out_channels
        self.num_layers = num_layers
        self.num_experts = num_experts
        self.k = k
        self.dropout = dropout
        self.noise_std = noise_std
        self.load_balance_weight = load_balance_weight

        channels = [in_channels] + [hidden_channels] * (num_layers - 1)
        channels.append(out_channels)
        self.layers = torch.nn.ModuleList([
            _MoELayer(channels[i], channels[i + 1], hidden_channels,
                      num_experts, k, dropout, noise_std)
            for i in range(num_layers)
        ])

        self.norms = torch.nn.ModuleList()
        for _ in range(num_layers - 1):
            if norm is None:
                self.norms.append(Identity())
            else:
                self.norms.append(
                    normalization_resolver(
                        norm, hidden_channels,
                        **node_norm_kwargs(norm, norm_kwargs)))
        self.act = None
        if act is not None:
            self.act = activation_resolver(act, **(act_kwargs or {}))

        self.reset_parameters()

    @property
    def output_layer(self) -> torch.nn.Module:
        r"""The last mixture layer; its input is the last hidden
        representation.
        """
        return self.layers[-1]

    def reset_parameters(self):
        r"""Resets all learnable parameters of the module."""
        for layer in self.layers:
            layer.reset_parameters()
        for norm in self.norms:
            if hasattr(norm, 'reset_parameters'):
                norm.reset_parameters()

    def forward(
        self,
        x: Tensor,
        return_aux_loss: bool = False,
    ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        r"""Forward pass.

        Args:
            x (torch.Tensor): The node features of shape
                :obj:`[num_nodes, in_channels]`.
            return_aux_loss (bool, optional): If set to :obj:`True`, will
                additionally return the weighted load-balance loss as a
                0-dimensional tensor. (default: :obj:`False`)
        """
        name = self.__class__.__name__
        if x.dim() != 2 or x.size(-1) != self.in_channels:
            raise ValueError(f"'x' must have shape [num_nodes, "
                             f"{self.in_channels}] in '{name}' "
                             f"(got {list(x.size())})")
        if self.training and not all_finite(x):
            raise ValueError(f"'x' contains non-finite values in '{name}'")

        aux_loss = x.new_zeros(())
        for i, layer in enumerate(self.layers):
            x, layer_loss = layer(x, return_aux_loss)
            if layer_loss is not None:
                aux_loss = aux_loss + layer_loss
            if i < self.num_layers - 1:
                x = self.norms[i](x)
                if self.act is not None:
                    x = self.act(x)

        if return_aux_loss:
            return x, self.load_balance_weight * aux_loss
        return x

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.in_channels}, '
                f'{self.out_channels}, num_layers={self.num_layers}, '
                f'num_experts={self.num_experts}, k={self.k})')
