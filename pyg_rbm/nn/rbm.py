import math
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn import Identity, Parameter
from torch_geometric.nn.resolver import (
    activation_resolver,
    normalization_resolver,
)

from pyg_rbm.nn.derived import derived
from pyg_rbm.nn.expert_bank import ExpertBank
from pyg_rbm.nn.finite import all_finite
from pyg_rbm.nn.kmeans import kmeans, kmeans_sample
from pyg_rbm.nn.norm import node_norm_kwargs
from pyg_rbm.nn.shard_sum import shard_sum, shard_sum_each
from pyg_rbm.nn.top_k import top_k

__all__ = ['RbM']

LOG_MAX_SCALE = math.log(100.0)
MEMORY_UPDATES = ('step', 'forward')


def _softmax_sums(logits: Tensor, x: Tensor) -> Tensor:
    # Per column of `logits` (gates in [0, 1], -inf: not routed), the sum of
    # the softmax numerators and the rows of `x` weighted by them, [E, 1 + F]:
    # summed over the processes' rows, they give the softmax-weighted mean
    # over all rows at once (`_softmax_mean`). Bounded gates need no shift.
    weight = logits.exp()
    return torch.cat([weight.sum(dim=0).unsqueeze(-1), weight.t() @ x],
                     dim=-1)


def _bounded_exp(log_scale: Tensor) -> Tensor:
    return log_scale.clamp(max=LOG_MAX_SCALE).exp()


def _unit_rows(memory: Tensor) -> Tensor:
    return F.normalize(memory.detach(), dim=-1)


def _bounded_softmax(sim: Tensor) -> Tensor:
    # The softmax over the last dimension of cosine similarities: bounded,
    # they need no shift, and for a few columns this is several times
    # faster than `Tensor.softmax` on the CPU.
    weight = sim.exp()
    return weight / weight.sum(dim=-1, keepdim=True)


def _softmax_mean(sums: Tensor) -> Tuple[Tensor, Tensor]:
    total = sums[:, :1]
    return sums[:, 1:] / total.clamp(min=1e-30), total.view(-1) > 0


class RbMLayer(torch.nn.Module):
    r"""One routing-by-memory mixture layer of :class:`RbM`."""
    # The module of the layer's experts; a backend may replace it by one
    # with the same parameters and interface but faster paths.
    expert_bank: type = ExpertBank

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        num_experts: int,
        k: int,
        dropout: float,
        momentum: float,
        commitment_weight: float,
        similarity_weight: float,
        load_balance_weight: float,
        input_attention: bool,
        memory_update: str = 'step',
        scaled_pretraining: bool = True,
    ):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_experts = num_experts
        self.k = k
        self.momentum = momentum
        self.commitment_weight = commitment_weight
        self.similarity_weight = similarity_weight
        self.load_balance_weight = load_balance_weight
        self.memory_update = memory_update
        self.scaled_pretraining = scaled_pretraining

        # A parameter: the self-similarity loss trains it, while
        # `update_memory` moves it in place by the moving average.
        self.memory = Parameter(torch.empty(num_experts, in_channels))
        self.log_scale = Parameter(torch.empty(()))
        if input_attention:
            self.attention = Parameter(torch.empty(num_experts, in_channels))
        else:
            self.register_parameter('attention', None)
        self.experts = self.expert_bank(num_experts, in_channels,
                                        out_channels, dropout=dropout)

        # (weighted mean of normalised inputs [E, F], expert got rows [E]),
        # or with `sync_shards` this process's `_softmax_sums` [E, 1 + F]
        # until `RbM.forward` sums them over the processes:
        self._pending: Optional[Union[Tuple[Tensor, Tensor], Tensor]] = None
        # Set when each process of a multi-process run holds one share of
        # every batch: the auxiliary losses and the memory statistics are
        # then those of the whole batch (see shard_sum). Each collective
        # costs every process a wait, so `RbM` sums those of all its
        # layers at once: `forward` then returns this process's
        # `aux_partials` in place of the auxiliary loss, and pending memory
        # statistics stay this process's until `RbM.update_memory`.
        self.sync_shards = False

        self.reset_parameters()

    def reset_parameters(self):
        with torch.no_grad():
            torch.nn.init.normal_(self.memory)
            self.memory.copy_(F.normalize(self.memory, dim=-1))
            self.log_scale.fill_(math.log(2.0))
            if self.attention is not None:
                self.attention.fill_(math.log(1.1))
        self.experts.reset_parameters()
        self._pending = None

    def _scales(self) -> Tuple[Tensor, Optional[Tensor]]:
        scale = derived(self.log_scale, 'scale', _bounded_exp)
        input_scale = None
        if self.attention is not None:
            input_scale = derived(self.attention, 'scale', _bounded_exp)
        return scale, input_scale

    def forward_pretraining(self, x: Tensor) -> Tensor:
        # Expert 0 alone, by default with the layer's output scale as its
        # gate and its input attention, so that `init_routing` leaves the
        # output unchanged; without them as in the authors' code.
        index = x.new_zeros(x.size(0), 1, dtype=torch.long)
        if not self.scaled_pretraining:
            return self.experts(x, index, x.new_ones(x.size(0), 1),
                                check_index=False)
        scale, input_scale = self._scales()
        gate = scale.expand(x.size(0), 1)
        return self.experts(x, index, gate, input_scale, check_index=False)

    def route(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        r"""Returns the cosine similarities of the top-:obj:`k` memory keys
        and their indices, both of shape :obj:`[N, k]`.
        """
        key = derived(self.memory, 'key', _unit_rows)
        # The row norm does not change the ranking: divide after top-k.
        score, index = top_k(x @ key.t(), self.k)
        norm = torch.linalg.vector_norm(x, dim=-1, keepdim=True)
        return score / norm.clamp(min=1e-12), index

    def forward(
        self,
        x: Tensor,
        pretraining: bool = False,
        return_aux_loss: bool = False,
    ) -> Tuple[Tensor, Optional[Tensor]]:
        # The output, and with `return_aux_loss` the auxiliary loss (zero in
        # pretraining) or with `sync_shards` its `aux_partials`.
        if pretraining:
            aux = x.new_zeros(()) if return_aux_loss else None
            return self.forward_pretraining(x), aux

        sim, index = self.route(x)
        gate = _bounded_softmax(sim)
        scale, input_scale = self._scales()
        out = self.experts(x, index, gate.detach() * scale, input_scale,
                           check_index=False)  # (our own top-k)

        if self.training and self.memory_update == 'forward':
            stats = self._memory_statistics(x, index, gate)
            if self.sync_shards:
                stats = _softmax_mean(shard_sum(stats))
            self._apply_memory_update(*stats)
        elif self.training and self._pending is None:
            self._pending = self._memory_statistics(x, index, gate)

        if not return_aux_loss:
            return out, None
        if self.sync_shards:
            return out, self.aux_partials(sim, index, gate)
        return out, self.aux_loss(sim, index, gate)

    def aux_loss(self, sim: Tensor, index: Tensor, gate: Tensor) -> Tensor:
        r"""The weighted sum of the commitment, self-similarity and load
        balance losses.
        """
        if self.sync_shards:
            return self.aux_loss_of_sums(
                shard_sum(self.aux_partials(sim, index, gate)))
        loss = sim.new_zeros(())
        if self.commitment_weight != 0.0:
            commitment = -(gate * sim).sum(dim=-1).mean()
            loss = loss + self.commitment_weight * commitment
        loss = loss + self._similarity_loss()
        if self.load_balance_weight != 0.0 and self.num_experts > 1:
            load = gate.new_zeros(self.num_experts)
            load = load.index_add(0, index.reshape(-1), gate.reshape(-1))
            balance = load.var() / (load.mean().pow(2) + 1e-10)
            loss = loss + self.load_balance_weight * balance
        return loss

    def _similarity_loss(self) -> Tensor:
        if self.similarity_weight == 0.0:
            return self.memory.new_zeros(())
        key = F.normalize(self.memory, dim=-1)
        return self.similarity_weight * (key @ key.detach().t()).mean()

    def aux_partials(self, sim: Tensor, index: Tensor,
                     gate: Tensor) -> Tensor:
        r"""This process's sums behind the batch terms of :meth:`aux_loss`,
        :obj:`[2 + num_experts]`: the gated similarities, the rows and the
        expert loads. Summed over the processes, they give
        :meth:`aux_loss_of_sums` the loss of the whole batch.
        """
        load = gate.new_zeros(self.num_experts)
        load = load.index_add(0, index.reshape(-1), gate.reshape(-1))
        return torch.cat([(gate * sim).sum().view(1),
                          sim.new_full((1, ), float(sim.size(0))), load])

    def aux_loss_of_sums(self, sums: Tensor) -> Tensor:
        r""":meth:`aux_loss` from the :meth:`aux_partials` of a batch."""
        loss = self._similarity_loss()
        if self.commitment_weight != 0.0:
            loss = loss - self.commitment_weight * sums[0] / sums[1]
        if self.load_balance_weight != 0.0 and self.num_experts > 1:
            load = sums[2:]
            balance = load.var() / (load.mean().pow(2) + 1e-10)
            loss = loss + self.load_balance_weight * balance
        return loss

    @torch.no_grad()
    def _memory_statistics(
            self, x: Tensor, index: Tensor,
            gate: Tensor) -> Union[Tuple[Tensor, Tensor], Tensor]:
        x = F.normalize(x.detach(), dim=-1)
        logits = x.new_full((x.size(0), self.num_experts), -math.inf)
        logits.scatter_(1, index, gate.detach().to(x.dtype))
        if self.sync_shards:
            return _softmax_sums(logits, x)
        has_rows = torch.isfinite(logits).any(dim=0)
        # Softmax over the rows routed to each expert (zero for the rest):
        weight = logits.softmax(dim=0).nan_to_num(nan=0.0)
        return weight.t() @ x, has_rows

    @torch.no_grad()
    def update_memory(self) -> None:
        if self._pending is None:
            return
        pending, self._pending = self._pending, None
        if isinstance(pending, Tensor):  # this process's sums
            pending = _softmax_mean(shard_sum(pending))
        self._apply_memory_update(*pending)

    @torch.no_grad()
    def _apply_memory_update(self, mean: Tensor, has_rows: Tensor) -> None:
        mu = self.momentum
        new = mu * F.normalize(self.memory, dim=-1) + (1.0 - mu) * mean
        new = torch.where(has_rows.unsqueeze(-1), new, self.memory)
        if self.memory_update == 'forward':
            # Rebinding the data (as the authors' code does) rather than
            # writing into it keeps autograd from refusing a graph built
            # before this forward, e.g. a clean pass followed by PGD passes.
            self.memory.data = new
        else:
            self.memory.copy_(new)

    @torch.no_grad()
    def init_memory(self, x: Tensor, seed: int = 0) -> None:
        key = kmeans(F.normalize(x, dim=-1), self.num_experts, seed=seed)
        self.memory.copy_(F.normalize(key, dim=-1))
        self.experts.copy_expert(0)
        if self.attention is not None:
            self.attention.copy_(self.attention[:1].expand_as(self.attention))
        self._pending = None

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.in_channels}, '
                f'{self.out_channels}, num_experts={self.num_experts}, '
                f'k={self.k})')


class RbM(torch.nn.Module):
    r"""The Routing-by-Memory (RbM) student from the `"Graph Knowledge
    Distillation to Mixture of Experts"
    <https://arxiv.org/abs/2406.11919>`_ paper: a stack of mixture-of-experts
    layers whose experts are routed by similarity to a memory of keys in
    the layer's input space.

    Every layer holds :math:`E` experts (dropout followed by a linear map),
    one memory key :math:`\mathbf{m}_e` per expert, a learnable output
    log-scale :math:`s` and, optionally, a per-expert input log-scale
    :math:`\mathbf{a}_e` (input attention). A row :math:`\mathbf{x}` is
    routed to the :math:`k` experts :math:`\mathcal{T}(\mathbf{x})` whose
    keys have the highest cosine similarity with it:

    .. math::
        \mathbf{x}^{\prime} = e^{s} \sum_{j \in \mathcal{T}(\mathbf{x})}
        w_j \, f_j\left(e^{\mathbf{a}_j} \odot \mathbf{x}\right),
        \qquad
        w_j = \frac{\exp(\cos(\mathbf{x}, \mathbf{m}_j))}
        {\sum_{i \in \mathcal{T}(\mathbf{x})}
        \exp(\cos(\mathbf{x}, \mathbf{m}_i))}.

    The gates :math:`w_j` are detached in this sum, so the task loss does
    not move the routing. Routing moves through the memory update and the
    auxiliary losses (summed over layers):

    * commitment, :math:`-\frac{1}{N}\sum_n \sum_j w_{n,j}
      \cos(\mathbf{x}_n, \mathbf{m}_j)` with the memory detached; the gates
      are *not* detached here (as in the authors' code), so the gradient
      reaches the layer input through both the cosines and the gates;
    * self-similarity, the mean of the :math:`E \times E` cosine matrix of
      the keys with one side detached; it is the only gradient path into
      the memory, which is therefore a :class:`~torch.nn.Parameter` (the
      optimizer updates it, and so does the moving average, in place);
    * load balance, the squared coefficient of variation (unbiased
      variance over squared mean, as in the authors' code) of the total
      gate weight each expert received in the batch.

    Training has two phases. In pretraining every layer uses expert 0 only
    (a plain MLP; by default its output scale and input attention are
    applied too, so that the switch leaves the output unchanged, whereas
    the authors' code applies them only after the switch, see
    :obj:`scaled_pretraining`) and the auxiliary loss is zero.
    :meth:`init_routing` ends it: layer by layer, :math:`k`-means on
    the :math:`L_2`-normalised layer inputs gives the keys and expert 0 is
    copied into every expert. Afterwards, a training-mode forward stashes
    the routing statistics of the *first* training forward since the last
    update, and :meth:`update_memory` applies them once: for each expert,
    the mean of the normalised inputs routed to it, weighted by a softmax
    over the batch of its gate weights, enters
    :math:`\mathbf{m}_e \leftarrow \mu \, \mathbf{m}_e / \|\mathbf{m}_e\|
    + (1 - \mu) \, \bar{\mathbf{x}}_e` (with :obj:`memory_update="forward"`
    every training forward applies its own statistics instead; an expert
    that received no rows is
    left as it is). Evaluation never touches the memory. A training loop:

    .. code-block:: python

        model = RbM(1433, 512, 7, num_layers=3, num_experts=4, k=3)
        ...  # pretraining epochs: a plain MLP
        model.init_routing(x_train)
        for x, y in loader:
            out, aux_loss = model(x, return_aux_loss=True)
            (F.cross_entropy(out, y) + aux_loss).backward()
            optimizer.step()
            optimizer.zero_grad()
            model.update_memory()

    The phase is a buffer, so :meth:`state_dict` round-trips it; change it
    only through :meth:`init_routing`, :meth:`reset_parameters` or
    :meth:`load_state_dict`. Routing only reads the direction of the keys,
    so weight decay on :obj:`memory` is harmless but pointless.

    Args:
        in_channels (int): Size of each input sample.
        hidden_channels (int): Size of each hidden sample.
        out_channels (int): Size of each output sample.
        num_layers (int, optional): The number of mixture layers.
            (default: :obj:`2`)
        num_experts (int, optional): The number of experts :math:`E` per
            layer. (default: :obj:`4`)
        k (int, optional): The number of experts each row is routed to.
            (default: :obj:`3`)
        dropout (float, optional): Dropout probability of each expert's
            input. (default: :obj:`0.0`)
        norm (str or Callable, optional): The normalization applied to the
            hidden layers (e.g. :obj:`"batch_norm"`, :obj:`"layer_norm"`;
            layer norm defaults to per-node :obj:`mode="node"`).
            (default: :obj:`None`)
        act (str or Callable, optional): The non-linear activation.
            (default: :obj:`"relu"`)
        momentum (float, optional): The memory moving-average momentum
            :math:`\mu`. (default: :obj:`0.9`)
        commitment_weight (float, optional): Weight of the commitment loss.
            (default: :obj:`0.05`)
        similarity_weight (float, optional): Weight of the self-similarity
            loss. (default: :obj:`0.01`)
        load_balance_weight (float, optional): Weight of the load balance
            loss. (default: :obj:`0.01`)
        input_attention (bool, optional): If set to :obj:`True`, learns a
            per-expert, per-feature input log-scale. (default: :obj:`False`)
        memory_update (str, optional): When the memory moves:
            :obj:`"step"` applies the statistics of the first training
            forward at each :meth:`update_memory` call (once per optimizer
            step); :obj:`"forward"` applies every training forward's own
            statistics at once, as the authors' code does, and
            :meth:`update_memory` does nothing. (default: :obj:`"step"`)
        scaled_pretraining (bool, optional): If set to :obj:`False`,
            pretraining runs expert 0 without the output scale and input
            attention, as the authors' code does, so that the output jumps
            by the scale at :meth:`init_routing`. (default: :obj:`True`)
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
        k: int = 3,
        dropout: float = 0.0,
        norm: Union[str, Callable, None] = None,
        act: Union[str, Callable, None] = 'relu',
        momentum: float = 0.9,
        commitment_weight: float = 0.05,
        similarity_weight: float = 0.01,
        load_balance_weight: float = 0.01,
        input_attention: bool = False,
        memory_update: str = 'step',
        scaled_pretraining: bool = True,
        norm_kwargs: Optional[Dict[str, Any]] = None,
        act_kwargs: Optional[Dict[str, Any]] = None,
    ):
        super().__init__()
        name = self.__class__.__name__
        if memory_update not in MEMORY_UPDATES:
            raise ValueError(f"'memory_update' must be one of "
                             f"{MEMORY_UPDATES} in '{name}' "
                             f"(got {memory_update!r})")
        for arg, value in (('in_channels', in_channels),
                           ('hidden_channels', hidden_channels),
                           ('out_channels', out_channels),
                           ('num_layers', num_layers),
                           ('num_experts', num_experts), ('k', k)):
            if value < 1:
                raise ValueError(f"'{arg}' must be at least 1 in '{name}' "
                                 f"(got {value})")
        if k > num_experts:
            raise ValueError(f"'k' ({k}) must not exceed 'num_experts' "
                             f"({num_experts}) in '{name}'")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"'momentum' must be in [0, 1] in '{name}' "
                             f"(got {momentum})")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"'dropout' must be in [0, 1) in '{name}' "
                             f"(got {dropout})")
        for arg, value in (('commitment_weight', commitment_weight),
                           ('similarity_weight', similarity_weight),
                           ('load_balance_weight', load_balance_weight)):
            if value < 0.0:
                raise ValueError(f"'{arg}' must be non-negative in "
                                 f"'{name}' (got {value})")

        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.out_channels = out_channels
        self.num_layers = num_layers
        self.num_experts = num_experts
        self.k = k
        self.dropout = dropout
        self.momentum = momentum
        self.commitment_weight = commitment_weight
        self.similarity_weight = similarity_weight
        self.load_balance_weight = load_balance_weight
        self.input_attention = input_attention
        self.memory_update = memory_update
        self.scaled_pretraining = scaled_pretraining

        channels = [in_channels] + [hidden_channels] * (num_layers - 1)
        channels.append(out_channels)
        self.layers = torch.nn.ModuleList([
            RbMLayer(channels[i], channels[i + 1], num_experts, k, dropout,
                     momentum, commitment_weight, similarity_weight,
                     load_balance_weight, input_attention, memory_update,
                     scaled_pretraining)
            for i in range(num_layers)
        ])

        self.act = Identity()
        if act is not None:
            self.act = activation_resolver(act, **(act_kwargs or {}))
        self.norms = torch.nn.ModuleList()
        for _ in range(num_layers - 1):
            self.norms.append(self._make_norm(norm, norm_kwargs))

        self.register_buffer('pretraining', torch.tensor(True))
        self._in_pretraining = True
        self.register_load_state_dict_post_hook(_sync_phase)

        self.reset_parameters()

    def _make_norm(self, norm: Union[str, Callable, None],
                   norm_kwargs: Optional[Dict[str, Any]]) -> torch.nn.Module:
        if norm is None:
            return Identity()
        return normalization_resolver(norm, self.hidden_channels,
                                      **node_norm_kwargs(norm, norm_kwargs))

    def reset_parameters(self):
        r"""Resets all learnable parameters of the module and returns it to
        pretraining.
        """
        for layer in self.layers:
            layer.reset_parameters()
        for norm in self.norms:
            if hasattr(norm, 'reset_parameters'):
                norm.reset_parameters()
        self._set_phase(True)

    @property
    def in_pretraining(self) -> bool:
        r"""Whether the model is in the pretraining phase (expert 0 only)."""
        return self._in_pretraining

    @property
    def output_layer(self) -> RbMLayer:
        r"""The last mixture layer; its input is the last hidden
        representation.
        """
        return self.layers[-1]

    def _set_phase(self, pretraining: bool) -> None:
        self.pretraining.fill_(pretraining)
        self._in_pretraining = pretraining

    def _check_input(self, x: Tensor, check_finite: bool) -> None:
        name = self.__class__.__name__
        if x.dim() != 2 or x.size(-1) != self.in_channels:
            raise ValueError(f"'x' must have shape [N, {self.in_channels}] "
                             f"in '{name}' (got {list(x.size())})")
        if check_finite and not all_finite(x):
            raise ValueError(f"'x' must contain only finite values in "
                             f"'{name}'")

    def forward(
        self,
        x: Tensor,
        return_aux_loss: bool = False,
    ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        r"""The forward pass.

        Args:
            x (torch.Tensor): The input features of shape
                :obj:`[N, in_channels]`.
            return_aux_loss (bool, optional): If set to :obj:`True`, also
                returns the weighted auxiliary loss (a 0-dim tensor, zero in
                pretraining). (default: :obj:`False`)
        """
        self._check_input(x, check_finite=self.training)

        aux_loss = x.new_zeros(()) if return_aux_loss else None
        partials = []  # (see `RbMLayer.sync_shards`)
        for i, layer in enumerate(self.layers):
            x, layer_loss = layer(x, self._in_pretraining, return_aux_loss)
            if return_aux_loss and layer.sync_shards and \
                    not self._in_pretraining:
                partials.append(layer_loss)
            elif return_aux_loss:
                aux_loss = aux_loss + layer_loss
            if i < self.num_layers - 1:
                x = self.act(self.norms[i](x))

        if partials:
            # The memory statistics this forward recorded travel in the
            # same collective: `update_memory` then needs none.
            pending = self._layers_with_local_statistics()
            sums = shard_sum_each(
                partials + [layer._pending for layer in pending])
            for layer, layer_sums in zip(self.layers, sums):
                aux_loss = aux_loss + layer.aux_loss_of_sums(layer_sums)
            for layer, layer_sums in zip(pending, sums[len(partials):]):
                layer._pending = _softmax_mean(layer_sums.detach())
        if return_aux_loss:
            return x, aux_loss
        return x

    def _layers_with_local_statistics(self) -> List[RbMLayer]:
        # The layers whose pending memory statistics are this process's
        # sums, not yet summed over the processes (see `sync_shards`).
        return [layer for layer in self.layers
                if isinstance(layer._pending, Tensor)]

    @torch.no_grad()
    def update_memory(self) -> None:
        r"""Applies the memory moving-average update with the routing
        statistics of the first training-mode forward since the previous
        call. Does nothing in pretraining, in evaluation mode, or when no
        statistics are pending.
        """
        if self._in_pretraining or not self.training:
            return
        pending = self._layers_with_local_statistics()
        if pending:  # every layer's statistics in one collective
            sums = shard_sum_each([layer._pending for layer in pending])
            for layer, layer_sums in zip(pending, sums):
                layer._pending = None
                layer._apply_memory_update(*_softmax_mean(layer_sums))
        for layer in self.layers:
            layer.update_memory()

    @torch.no_grad()
    def init_routing(self, x: Tensor, seed: int = 0) -> None:
        r"""Ends pretraining: layer by layer, initialises the memory keys by
        :math:`k`-means on the :math:`L_2`-normalised layer inputs and
        copies expert 0 (and its input attention) into every expert.

        Args:
            x (torch.Tensor): The input features to cluster, e.g. those of
                the training-graph nodes, of shape :obj:`[N, in_channels]`
                (above 200,000 rows, only a seeded sample of them is
                clustered).
            seed (int, optional): The random state of :math:`k`-means.
                (default: :obj:`0`)
        """
        self._check_input(x, check_finite=True)
        if x.size(0) < self.num_experts:
            raise ValueError(f"'x' must have at least 'num_experts' "
                             f"({self.num_experts}) rows in "
                             f"'{self.__class__.__name__}.init_routing' "
                             f"(got {x.size(0)})")
        # k-means fits at most a sample of the rows, the same at every
        # layer: forwarding that sample alone gives the same keys and keeps
        # the memory and time of a large graph bounded.
        sample = kmeans_sample(x.size(0), seed)
        if sample is not None:
            x = x[sample.to(x.device)]
        training = self.training
        self.eval()
        for i, layer in enumerate(self.layers):
            layer.init_memory(x, seed=seed)
            if i < self.num_layers - 1:
                # The next layer clusters what it will receive once routed;
                # with scaled pretraining the pretraining output equals it.
                out = layer(x, pretraining=self.scaled_pretraining)[0]
                x = self.act(self.norms[i](out))
        self._set_phase(False)
        self.train(training)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.in_channels}, '
                f'{self.out_channels}, num_layers={self.num_layers}, '
                f'num_experts={self.num_experts}, k={self.k})')


def _sync_phase(module: RbM, incompatible_keys: Any) -> None:
    module._in_pretraining = bool(module.pretraining)
