import warnings
import weakref
from collections import OrderedDict
from typing import Optional, Tuple

import torch
from torch import Tensor
from torch_geometric.nn.dense.linear import is_uninitialized_parameter

from pyg_rbm.nn.cpu_linear import CPULinear, linear
from pyg_rbm.nn.host_sync import host_sync_allowed

__all__ = [
    'sparse_input',
    'gather_rows',
    'sparse_input_linear',
    'SparseInputLinear',
]

# The share of non-zeros up to which a constant input is multiplied as a
# sparse CSR matrix. Bag-of-words features hold about 1% (Cora 1.3%,
# CiteSeer 0.85%), hidden ReLU outputs about half.
MAX_DENSITY: float = 0.15
# Below this many rows, counting and converting cost more than the dense
# product saves: serving one Cora node measured 4.6x slower through CSR.
MIN_ROWS: int = 64
# Before counting a whole input, a sample of this many evenly spaced rows
# with over twice the largest share rules it dense: counting every entry of
# a [4096, 256] ReLU output took 7.6 ms on one CPU thread (its branches
# mispredict on half-zero data), as long as two RbM layers' routing.
SAMPLE_ROWS: int = 64

# The last few inputs, so that one seen every epoch (the feature matrix of a
# full-batch teacher or of an evaluation pass) is counted and converted
# once: its number of non-zeros and, if sparse, its CSR matrix. Entries hold
# the input weakly and are checked against its version counter, so an
# in-place change is never missed.
_CACHE_SIZE = 8
_Entry = Tuple[weakref.ref, int, int, Optional[Tensor]]
_cache: 'OrderedDict[int, _Entry]' = OrderedDict()


def _cached(x: Tensor) -> Optional[Tuple[int, Optional[Tensor]]]:
    if x.is_inference():  # no version counter: never cached
        return None
    entry = _cache.get(id(x))
    if entry is None:
        return None
    ref, version, nnz, csr = entry
    if ref() is not x or version != x._version:
        del _cache[id(x)]
        return None
    _cache.move_to_end(id(x))
    return nnz, csr


def _store(x: Tensor, nnz: int, csr: Optional[Tensor]) -> None:
    if x.is_inference():
        return
    key = id(x)

    def forget(ref: weakref.ref) -> None:  # frees the CSR with its input
        entry = _cache.get(key)
        if entry is not None and entry[0] is ref:
            del _cache[key]

    _cache[key] = (weakref.ref(x, forget), x._version, nnz, csr)
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)


def sparse_input(x: Tensor, max_density: float = MAX_DENSITY,
                 min_rows: int = MIN_ROWS) -> Optional[Tensor]:
    r"""Returns :obj:`x` as a sparse CSR matrix if it is a constant (no
    gradient) two-dimensional dense matrix of at least :obj:`min_rows` rows
    with at most a share :obj:`max_density` of non-zeros, such as
    bag-of-words features, and :obj:`None` otherwise. An input of at least
    128 rows whose 64 evenly spaced sample rows hold over twice that share
    is taken as dense without counting the rest.

    Off the CPU it returns :obj:`None`, so that the dense product runs
    there: the gains below are CPU measurements, and counting the
    non-zeros would make a GPU wait for the host.

    Multiplying such a matrix by a dense weight costs time in its non-zeros
    instead of its size: for CiteSeer's features and a :obj:`[3703, 256]`
    weight, a forward and backward pass measured 4x faster on one CPU
    thread, the conversion included. The result equals the dense product up
    to float rounding.

    Args:
        x (torch.Tensor): The input.
        max_density (float, optional): The largest share of non-zeros taken
            as sparse. (default: :obj:`0.15`)
        min_rows (int, optional): The fewest rows taken as sparse.
            (default: :obj:`64`)
    """
    if (x.requires_grad or x.dim() != 2 or x.layout != torch.strided
            or not x.is_floating_point() or x.size(0) < min_rows
            or x.numel() == 0 or x.device.type != 'cpu'):
        return None
    cached = _cached(x)
    if cached is None and _sample_is_dense(x, max_density):
        return None
    if cached is None:
        nnz, csr = int(torch.count_nonzero(x)), None
    else:
        nnz, csr = cached
    if nnz > max_density * x.numel():
        if cached is None:
            _store(x, nnz, None)
        return None
    if csr is None:
        csr = _rows_of_cached_base(x)
        if csr is None:
            csr = _to_csr(x)
        _store(x, nnz, csr)
    return csr


def _sample_is_dense(x: Tensor, max_density: float) -> bool:
    step = x.size(0) // SAMPLE_ROWS
    if step < 2:  # the sample would be most of the input
        return False
    sample = x[::step]
    # Counted as a sum of signs, branch-free: `torch.count_nonzero` took 38
    # against 10 microseconds on 64 rows of a ReLU output (its branches
    # mispredict on half-zero data) and 64 against 37 on bag-of-words rows.
    # A NaN counts as zero here; the full count decides then.
    nnz = float(sample.abs().sign().nansum(dtype=torch.float32))
    return nnz > 2 * max_density * sample.numel()


def _csr(crow: Tensor, col: Tensor, value: Tensor,
         size: Tuple[int, int]) -> Tensor:
    with warnings.catch_warnings():  # "Sparse CSR support is in beta"
        warnings.filterwarnings('ignore', 'Sparse CSR')
        return torch.sparse_csr_tensor(crow, col, value, size,
                                       check_invariants=False)


def _to_csr(x: Tensor) -> Tensor:
    # The matrix of `x.to_sparse_csr()` (the same indices and values,
    # columns ascending in each row) from one scan for the non-zeros: about
    # 3x cheaper on one CPU thread (4096 rows at Cora's density: 12 ms
    # against 34).
    row, col = x.nonzero(as_tuple=True)
    crow = torch.searchsorted(row, torch.arange(x.size(0) + 1,
                                                device=x.device))
    return _csr(crow, col, x[row, col], (x.size(0), x.size(1)))


def _rows_of_cached_base(x: Tensor) -> Optional[Tensor]:
    # A block of whole rows of an input whose CSR matrix is cached (a chunk
    # of `x.split(batch_size)`, say) takes its rows from that matrix.
    base = x._base
    if base is None or base.dim() != 2 or not base.is_contiguous():
        return None
    cached = _cached(base)
    if cached is None or cached[1] is None:
        return None
    width = base.size(1)
    offset = x.storage_offset() - base.storage_offset()
    if x.size(1) != width or x.stride() != (width, 1) or offset % width:
        return None
    start, length = offset // width, x.size(0)
    crow = cached[1].crow_indices()[start:start + length + 1]
    first, last = int(crow[0]), int(crow[-1])
    return _csr(crow - first, cached[1].col_indices()[first:last],
                cached[1].values()[first:last], (length, width))


def gather_rows(x: Tensor, index: Tensor) -> Tensor:
    r"""Returns :obj:`x.index_select(0, index)`. If :func:`sparse_input`
    takes :obj:`x` as sparse, the CSR matrix of the result is gathered from
    that of :obj:`x` and remembered with it, so that a student's first
    layer does not scan the gathered batch for its non-zeros again (the
    matrix equals the conversion of the batch).

    Args:
        x (torch.Tensor): The input, such as the node features.
        index (torch.Tensor): The indices of the rows to gather.
    """
    out = x.index_select(0, index)
    if x.dim() != 2 or x.is_inference() or out.is_inference():
        return out  # (no cache, so no matrix of `x` to gather from)
    csr = sparse_input(x, min_rows=1)
    if csr is None:
        return out
    start = csr.crow_indices()
    begin = start[index]
    count = start[index + 1] - begin
    crow = torch.cat([count.new_zeros(1), count.cumsum(0)])
    nnz = int(crow[-1])
    # Where each gathered non-zero sits in `csr`: the first non-zero of its
    # row there, plus its rank within the row.
    pos = torch.repeat_interleave(begin - crow[:-1], count, output_size=nnz)
    pos += torch.arange(nnz, device=x.device)
    _store(out, nnz, _csr(crow, csr.col_indices()[pos], csr.values()[pos],
                          (index.numel(), x.size(1))))
    return out


def sparse_input_linear(x: Tensor, weight: Tensor,
                        bias: Optional[Tensor] = None,
                        max_density: float = MAX_DENSITY,
                        min_rows: int = MIN_ROWS) -> Tensor:
    r"""Applies :obj:`torch.nn.functional.linear(x, weight, bias)`, as a
    sparse-dense product when :func:`sparse_input` takes :obj:`x` as sparse.

    Args:
        x (torch.Tensor): The input of shape :obj:`[N, in_channels]`.
        weight (torch.Tensor): The weight of shape
            :obj:`[out_channels, in_channels]`.
        bias (torch.Tensor, optional): The bias of shape
            :obj:`[out_channels]`. (default: :obj:`None`)
        max_density (float, optional): The largest share of non-zeros taken
            as sparse. (default: :obj:`0.15`)
        min_rows (int, optional): The fewest rows taken as sparse.
            (default: :obj:`64`)
    """
    csr = sparse_input(x, max_density, min_rows)
    if csr is None:
        return linear(x, weight, bias)
    if bias is None:
        return torch.sparse.mm(csr, weight.t())
    return torch.addmm(bias, csr, weight.t())


class SparseInputLinear(CPULinear):
    r"""A :class:`torch_geometric.nn.dense.Linear` layer that multiplies a
    sparse constant input, such as bag-of-words node features, as a sparse
    CSR matrix (see :func:`sparse_input`), and any other input as
    :class:`~pyg_rbm.nn.cpu_linear.CPULinear` does.

    It takes the arguments of :class:`~torch_geometric.nn.dense.Linear`,
    holds the same parameters and computes the same function up to float
    rounding.
    """
    max_density: float = MAX_DENSITY
    min_rows: int = MIN_ROWS

    def forward(self, x: Tensor) -> Tensor:
        r"""Forward pass.

        Args:
            x (torch.Tensor): The input features.
        """
        if (x.dim() != 2 or is_uninitialized_parameter(self.weight)
                or not host_sync_allowed(self.training)):
            # Counting the non-zeros would synchronise with the host.
            return super().forward(x)
        return sparse_input_linear(x, self.weight, self.bias,
                                   self.max_density, self.min_rows)
