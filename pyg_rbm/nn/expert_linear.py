from typing import Callable, Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from pyg_rbm.nn.cpu_linear import linear, matmul, takes_onednn, uses_onednn
from pyg_rbm.nn.derived import derived
from pyg_rbm.nn.dropout_mask import dropout_mask
from pyg_rbm.nn.expert_bank import ExpertBank
from pyg_rbm.nn.host_sync import host_sync_allowed
from pyg_rbm.nn.sparse_input import sparse_input

__all__ = ['ExpertLinear']


class ExpertLinear(ExpertBank):
    r"""The bank of linear experts of :class:`ExpertBank` (the same
    parameters, the same outputs up to float rounding), with dispatch
    paths tuned for the CPU; the students use it.

    Four equivalent dispatch paths are used, none with a Python loop over
    rows:

    * *sparse*: for a constant input (no gradient) with at most a share
      :obj:`sparse_density = 0.15` of non-zeros, such as bag-of-words
      features, only the non-zeros are multiplied, by one
      :func:`~torch.nn.functional.embedding_bag` over the stacked expert
      weights; dropout is then drawn per non-zero and slot, which has the
      distribution of the dense masks. With Cora's features (1.3%
      non-zeros, 4 experts of width 512, :math:`k = 3`) a training step
      measured about 10x faster than the sorted path on one thread.
      Counting the non-zeros synchronises with the host, so the default
      evaluation forward skips this path;

    * *grouped* (without autograd, float32 on the CPU): the :math:`N k`
      (row, slot) pairs are sorted by expert (a stable sort on the
      device), the rows gathered into expert-contiguous order, multiplied
      by their experts' weights in one :func:`torch._grouped_mm` whose
      group ends stay on the device, and the gated results summed back per
      row (:func:`~torch.nn.functional.embedding_bag` with the gates as
      per-sample weights; the biases enter as one thin matrix product with
      the dense gates). It makes no host synchronisation; in
      :obj:`benchmarks/latency.py` (128 features, width 256, 4 experts,
      :math:`k = 3`, batches of 256 and 4096, one CPU thread) RbM measured
      1.19 to 1.32 times three same-width MLPs;
    * *sorted*: as grouped, but with the rows counted per expert on the
      host and one matrix multiplication per expert slice; with several
      threads the groups are padded to the largest one and multiplied by a
      single :meth:`torch.bmm` (unless padding would exceed
      :obj:`max_padding` times the work), because every extra kernel
      synchronises the threads. It serves training (its gradients and
      dropout masks are those measured and pinned) and other devices;
    * *dense*: every expert runs on every row in one matrix multiplication
      and the :math:`k` chosen outputs are summed with their gates.

    The matrix products of the sorted and dense paths go through
    :func:`pyg_rbm.nn.cpu_linear.linear`, which takes oneDNN's float32
    kernels where MKL's are slow (processors other than Intel's with
    AVX-512). :func:`torch._grouped_mm` has no such kernel: where oneDNN's
    are taken, the evaluation forward takes the dense path instead of the
    grouped one (4 experts, :math:`k = 3`, 128 features, two layers of
    width 256, one thread: 1.2 against 2.0 ms for 256 rows, 17 against 30
    for 4096, 595 against 565 for 65536), and a forward that may count
    rows on the host weighs the dense path against the sorted one (one
    product per expert, in chunks of :obj:`onednn_chunk_size` rows without
    autograd, without :meth:`torch.bmm`'s padding) with
    :obj:`onednn_gather_cost = 128`: with 4 experts, dense took 1.5, 19
    and 587 ms against 2.3, 22 and 411 for the sorted path, with 8
    experts 2.7, 77 and 1163 against 2.8, 24 and 435.

    Without autograd on the CPU, the grouped path takes the rows in chunks
    of :obj:`chunk_size`, and the sorted path in chunks of
    :obj:`chunk_size` (one thread) or :obj:`threaded_chunk_size` (several;
    :obj:`None`: no chunks), so that the gathered copies stay in cache: a
    fresh [12288, 1433] copy took 36 ms to gather against 7 ms into memory
    already touched, and on two threads chunks took RbM from 1.99 to 1.20
    times :math:`k` same-width MLPs on a batch of 65,536 rows of 128
    features (:obj:`benchmarks/student_throughput.py`, shape c).

    The dense path wastes :math:`(E - k) \cdot F_{out}` multiply-adds per
    input value, the others pay for gathering :math:`k` copies of every
    input row. Measured on CPU (see
    :obj:`benchmarks/student_throughput.py`), a gathered value costs about
    as much as :obj:`gather_cost = 32` multiply-adds on the grouped path
    or with one thread (chunked, in cache), and
    :obj:`threaded_gather_cost = 256` on the sorted path with several
    threads (unchunked), so the dense path is taken iff
    :math:`(E - k) F_{out} \leq \textrm{cost} \cdot k` and no dropout
    mask has to be drawn (dense rows share one input). In practice it
    serves narrow output layers and :math:`k = E`. Under
    :func:`torch.compile` and off the CPU, the evaluation forward takes
    the dense path. The choice of path depends on the thread count, the
    device, the kernels (:mod:`pyg_rbm.nn.cpu_linear`) and autograd but
    never on the batch, except for the sparse
    path, which depends on the batch's share of non-zeros; all paths agree
    up to float rounding.

    Its arguments are those of :class:`ExpertBank`.
    """
    gather_cost: int = 32
    threaded_gather_cost: int = 256
    onednn_gather_cost: int = 128
    chunk_size: int = 1024
    threaded_chunk_size: Optional[int] = None
    onednn_chunk_size: Optional[int] = 4096
    max_padding: float = 1.25
    sparse_density: float = 0.15

    def use_dense(self, k: int, grouped: bool = False) -> bool:
        r"""Returns :obj:`True` if :meth:`forward` with :obj:`k` slots per
        row takes the dense all-experts path rather than the grouped
        (:obj:`grouped=True`) or sorted one.
        """
        if self.training and self.dropout > 0.0:
            return False  # Dense rows share one input, hence one mask.
        cost = self.gather_cost
        if not grouped and uses_onednn():
            cost = self.onednn_gather_cost
        elif torch.get_num_threads() > 1 and not grouped:
            cost = self.threaded_gather_cost
        waste = (self.num_experts - k) * self.out_channels
        return waste <= cost * k

    def use_grouped(self, x: Tensor) -> bool:
        r"""Returns :obj:`True` if a forward on input :obj:`x` without
        autograd may take the grouped path: float32 on the CPU, outside
        :func:`torch.compile` (which has no CPU kernel of
        :func:`torch._grouped_mm`), where the products run on PyTorch's
        kernels (see :mod:`pyg_rbm.nn.cpu_linear`).
        """
        return (x.device.type == 'cpu' and x.dtype == torch.float32
                and hasattr(torch, '_grouped_mm')
                and not torch.compiler.is_compiling()
                and not takes_onednn(x))

    def use_sparse(self, x: Tensor) -> bool:
        r"""Returns :obj:`True` if :meth:`forward` takes the sparse path for
        input :obj:`x`: a constant input (no gradient) with at most a share
        :obj:`sparse_density` of non-zeros, such as bag-of-words features.
        """
        return self._sparse(x) is not None

    def _sparse(self, x: Tensor) -> Optional[Tensor]:
        # Unlike a dense layer, the sparse path serves any batch, single
        # nodes included (it was the only rule before `sparse_input`).
        return sparse_input(x, self.sparse_density, min_rows=1)

    def forward(
        self,
        x: Tensor,
        index: Tensor,
        gate: Tensor,
        input_scale: Optional[Tensor] = None,
        check_index: bool = True,
    ) -> Tensor:
        r"""The forward pass of :class:`ExpertBank`, with the same
        arguments, through the fastest path.
        """
        if torch.compiler.is_exporting():
            # Exporters decompose `embedding_bag` into a loop over its bags
            # (ONNX: a `Loop` whose cost grew faster than the batch, 431 ms
            # for 4096 rows against 8 for 256): the plain formula instead.
            return super().forward(x, index, gate, input_scale, check_index)
        sync = host_sync_allowed(self.training)
        self._check_input(x, index, gate, input_scale,
                          check_index=check_index and sync)
        weight = self._scaled_weight(input_scale)
        gate = gate.to(x.dtype)
        N = x.size(0)
        if N == 0:
            return x.new_zeros(0, self.out_channels)
        track = torch.is_grad_enabled() and any(
            t is not None and t.requires_grad
            for t in (x, weight, gate, self.bias))
        grouped = not track and self.use_grouped(x)
        # oneDNN's products are chunked on every path: a [65536, 4 * 256]
        # dense product out of cache took 587 ms, its chunks 405.
        onednn = takes_onednn(x)
        if sync:
            csr = self._sparse(x)
            if csr is not None:
                return self._forward_sparse(csr, index, gate, weight, track)
        if (not sync and not grouped) or self.use_dense(index.size(1),
                                                        grouped):
            # (Without host counts, the dense path is the only one left.)
            path = self._forward_dense
            chunk = self.onednn_chunk_size if onednn else None
        elif grouped:
            path = self._forward_grouped
            weight = self._derived(weight, 'padded', _pad_to_multiple_of_4)
            chunk = self.chunk_size
        else:
            path = self._forward_sorted
            chunk = self.chunk_size
            if onednn:
                chunk = self.onednn_chunk_size
            elif torch.get_num_threads() > 1:
                # (The sorted path's extra kernel launches, each
                # synchronising the threads, measured slower: no chunks.)
                chunk = self.threaded_chunk_size
        if (track or chunk is None or N <= chunk
                or x.device.type != 'cpu'):
            return path(x, index, gate, weight, track)

        out = x.new_empty(N, self.out_channels)
        for start in range(0, N, chunk):
            end = start + chunk
            out[start:end] = path(x[start:end], index[start:end],
                                  gate[start:end], weight, track)
        return out

    def _forward_dense(self, x: Tensor, index: Tensor, gate: Tensor,
                       weight: Tensor, track: bool) -> Tensor:
        N, k = index.size()
        E, C = self.num_experts, self.out_channels
        # The biases join the product (one addition there), so the gated
        # sum of the chosen rows needs no bias term of its own.
        bias = None if self.bias is None else self.bias.view(E * C)
        flat = self._derived(weight, 'flat', _side_by_side)
        out = linear(x, flat.t(), bias).view(N * E, C)
        pos = index + torch.arange(0, N * E, E, device=x.device).view(-1, 1)
        return F.embedding_bag(pos, out, mode='sum', per_sample_weights=gate)

    def _derived(self, weight: Tensor, name: str,
                 fn: Callable[[Tensor], Tensor]) -> Tensor:
        # `fn(weight)`, reused while the weight is unchanged when it is the
        # parameter itself (not scaled by an input attention).
        if weight is self.weight:
            return derived(weight, name, fn)
        return fn(weight)

    def _forward_grouped(self, x: Tensor, index: Tensor, gate: Tensor,
                         weight: Tensor, track: bool) -> Tensor:
        # `weight` comes padded to sizes divisible by 4, as the strides of
        # `torch._grouped_mm` must be multiples of 16 bytes.
        N, k = index.size()
        E = self.num_experts
        # The (row, slot) pairs grouped by expert: a stable sort keeps each
        # expert's rows in order; group e ends at offs[e].
        expert, order = torch.sort(index.reshape(-1), stable=True)
        ends = torch.arange(1, E + 1, device=x.device)
        offs = torch.searchsorted(expert, ends).to(torch.int32)
        rows = order.div(k, rounding_mode='floor')
        if x.size(1) < weight.size(1):
            # Gathered straight into a zero-padded buffer (padding `x`
            # first would copy it once more).
            src = x.new_empty(rows.numel(), weight.size(1))
            src[:, x.size(1):] = 0.0
            torch.index_select(x, 0, rows, out=src[:, :x.size(1)])
        else:
            src = x.index_select(0, rows)
        out = torch._grouped_mm(self._dropout(src), weight, offs=offs)
        out = out[:, :self.out_channels]
        # pos[n, j] = position of the pair (n, j) in `out`:
        pos = torch.empty_like(order).scatter_(
            0, order, torch.arange(N * k, device=x.device))
        return self._combine(out, pos.view(N, k), index, gate, track)

    def _forward_sparse(self, csr: Tensor, index: Tensor, gate: Tensor,
                        weight: Tensor, track: bool) -> Tensor:
        # Only the non-zeros of the input are multiplied: the pair (n, j) is
        # the bag of row n's non-zeros, looked up in expert index[n, j]'s rows
        # of the stacked [E * F, C] weight. Dropout is drawn per non-zero
        # and slot; a zero input stays zero under any mask, so this has
        # the distribution of the dense per-slot dropout.
        N, k = index.size()
        F_in = self.in_channels
        start, col = csr.crow_indices(), csr.col_indices()
        row = torch.arange(N, device=col.device).repeat_interleave(
            start.diff())
        value = csr.values().expand(k, -1)
        value = self._dropout(value.contiguous())
        lookup = index.t()[:, row] * F_in + col  # [k, nnz], slot-major
        slot = torch.arange(k, device=col.device).view(-1, 1)
        offsets = (start[:-1] + slot * row.numel()).view(-1)
        out = F.embedding_bag(lookup.reshape(-1),
                              weight.reshape(self.num_experts * F_in, -1),
                              offsets, mode='sum',
                              per_sample_weights=value.view(-1))
        pos = torch.arange(N, device=col.device).view(-1, 1) + slot.t() * N
        return self._combine(out, pos, index, gate, track)

    def _combine(self, out: Tensor, pos: Tensor, index: Tensor, gate: Tensor,
                 track: bool) -> Tensor:
        # Row n sums gate[n, j] * (out[pos[n, j]] + bias[index[n, j]]).
        out = F.embedding_bag(pos, out, mode='sum', per_sample_weights=gate)
        if self.bias is None:
            return out
        # The bias term as one thin matrix multiplication with the dense
        # [N, E] gate matrix (cheaper than adding bias rows before):
        dense_gate = gate.new_zeros(index.size(0), self.num_experts)
        dense_gate = dense_gate.scatter(1, index, gate)
        if track:
            return torch.addmm(out, dense_gate, self.bias)
        return out.addmm_(dense_gate, self.bias)

    def _forward_sorted(self, x: Tensor, index: Tensor, gate: Tensor,
                        weight: Tensor, track: bool) -> Tensor:
        N, k = index.size()
        E = self.num_experts
        # Group the (row, slot) pairs by expert without a sort: the
        # non-zeros of the [E, N, k] one-hot mask come expert-major, each
        # expert's rows in order (a stable counting sort).
        experts = torch.arange(E, device=x.device)
        mask = index.unsqueeze(0) == experts.view(E, 1, 1)
        expert, row, slot = mask.nonzero(as_tuple=True)
        ptr = torch.searchsorted(expert, torch.arange(E + 1,
                                                      device=x.device))
        counts = ptr.diff().tolist()
        order = torch.arange(N * k, device=x.device)  # grouped position

        cap = max(counts)
        onednn = takes_onednn(x)
        if (torch.get_num_threads() > 1 and not onednn
                and E * cap <= self.max_padding * N * k):
            # One batched multiplication over [E, cap] padded groups: a
            # single multi-threaded kernel instead of E. Padding rows read
            # row 0 and are never combined.
            order = order + (experts * cap - ptr[:-1])[expert]
            rows = row.new_zeros(E * cap).index_put_((order, ), row)
            src = self._dropout(x.index_select(0, rows))
            out = torch.bmm(src.view(E, cap, -1), weight).view(E * cap, -1)
        else:
            src = self._dropout(x.index_select(0, row))
            # One matrix multiplication per contiguous expert slice.
            # (torch._grouped_mm exists on CPU but measured slower.)
            if track or onednn:  # (no `out=` with autograd or oneDNN)
                out = torch.cat([
                    matmul(src_e, weight[e])
                    for e, src_e in enumerate(src.split(counts))
                    if counts[e] > 0
                ], dim=0)
            else:
                out = x.new_empty(N * k, self.out_channels)
                for e, (src_e, out_e) in enumerate(
                        zip(src.split(counts), out.split(counts))):
                    if counts[e] > 0:
                        torch.mm(src_e, weight[e], out=out_e)

        # pos[n, j] = position of the pair (n, j) in `out`:
        pos = torch.empty_like(index)
        pos[row, slot] = order
        return self._combine(out, pos, index, gate, track)

    def _dropout(self, src: Tensor) -> Tensor:
        if self.training and self.dropout > 0.0:
            return src * dropout_mask(src.shape, self.dropout, src.dtype,
                                      src.device)
        return src


def _side_by_side(weight: Tensor) -> Tensor:
    # [E, F, C] -> [F, E * C]: every expert's map in one product.
    E, F_in, C = weight.size()
    return weight.permute(1, 0, 2).reshape(F_in, E * C)


def _pad_to_multiple_of_4(weight: Tensor) -> Tensor:
    # Zero input and output columns up to sizes divisible by 4.
    pad_in, pad_out = -weight.size(1) % 4, -weight.size(2) % 4
    if pad_in or pad_out:
        weight = F.pad(weight, (0, pad_out, 0, pad_in))
    return weight
