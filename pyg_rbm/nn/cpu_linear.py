"""Float32 linear maps on the CPU through oneDNN where MKL is slow.

PyTorch multiplies float32 matrices on the CPU with MKL, which keeps to
its AVX2 kernels on processors other than Intel's. On the 2-core AMD EPYC
(AVX-512) host of the benchmarks, one thread, oneDNN's float32 kernels,
which PyTorch ships for :func:`torch.compile`, multiplied [4096, 512] by
[512, 512] at 199 GFLOP/s against MKL's 84, and a weight's gradient
([512, 2000] by [2000, 512]) in 8.2 ms against 13.1. Both compute IEEE
float32 products; they differ in rounding only.
"""
import functools
import os
from typing import Optional

import torch
import torch_geometric.nn.dense.linear as pyg_linear
from torch import Tensor

from pyg_rbm.cpuinfo import processor_vendor

__all__ = ['CPULinear', 'linear', 'matmul', 'onednn_linear',
           'cpu_linear_backend', 'uses_onednn', 'takes_onednn']

BACKENDS = ('auto', 'onednn', 'mkl')
# oneDNN's call costs about 17 microseconds more than MKL's (one row of 128
# features by a [128, 256] weight: 23 against 6 on one thread); from about
# a million multiply-adds (64 such rows) on, it is the faster.
MIN_MULTIPLY_ADDS = 1 << 20
ENV = 'PYG_RBM_CPU_LINEAR'


@functools.lru_cache(maxsize=None)
def _op():
    try:
        return torch.ops.mkldnn._linear_pointwise.default
    except (AttributeError, RuntimeError):
        return None


def cpu_linear_backend() -> str:
    r"""The kernels of :func:`linear` for float32 CPU tensors:
    :obj:`"onednn"` or :obj:`"mkl"` (PyTorch's own choice).

    The environment variable :obj:`PYG_RBM_CPU_LINEAR` sets it: :obj:`auto`
    (the default) takes oneDNN on x86 processors not made by Intel that
    PyTorch runs with AVX-512 kernels, where MKL keeps to AVX2; an unknown
    value is refused by name.
    """
    value = os.environ.get(ENV, 'auto')
    if value not in BACKENDS:
        raise ValueError(f"The environment variable '{ENV}' must be one "
                         f"of {BACKENDS} (got '{value}')")
    if _op() is None or not torch.backends.mkldnn.is_available():
        return 'mkl'
    if value != 'auto':
        return value
    vendor = processor_vendor()
    amd_like = vendor not in ('GenuineIntel', 'unknown')
    avx512 = torch.backends.cpu.get_cpu_capability().startswith('AVX512')
    return 'onednn' if amd_like and avx512 else 'mkl'


class _OneDNNLinear(torch.autograd.Function):
    @staticmethod
    def forward(x: Tensor, weight: Tensor, bias: Optional[Tensor]) -> Tensor:
        return _op()(x, weight, bias, 'none', [], '')

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, weight, bias = inputs
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None

    @staticmethod
    def backward(ctx, grad: Tensor):
        x, weight = ctx.saved_tensors
        grad_x = grad_weight = grad_bias = None
        op = _op()
        if ctx.needs_input_grad[0]:  # grad @ weight
            grad_x = op(grad, weight.t(), None, 'none', [], '')
        if ctx.needs_input_grad[1]:  # grad^T @ x
            grad_weight = op(grad.t(), x.t(), None, 'none', [], '')
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_bias = grad.sum(dim=0)
        return grad_x, grad_weight, grad_bias


def onednn_linear(x: Tensor, weight: Tensor,
                  bias: Optional[Tensor] = None) -> Tensor:
    r"""Applies :obj:`torch.nn.functional.linear(x, weight, bias)` to
    two-dimensional float32 CPU tensors with oneDNN's kernels, forward and
    backward.
    """
    return _OneDNNLinear.apply(x, weight, bias)


@functools.lru_cache(maxsize=None)
def uses_onednn() -> bool:
    r"""Whether :func:`cpu_linear_backend` is :obj:`"onednn"`, read once
    per process.
    """
    return cpu_linear_backend() == 'onednn'


def takes_onednn(x: Tensor) -> bool:
    r"""Whether :func:`linear` takes oneDNN's kernels for products of
    input :obj:`x` (a float32 CPU tensor, outside :func:`torch.compile`,
    tracing and export, where :func:`uses_onednn`), at least for large
    enough ones.
    """
    if (torch.compiler.is_compiling() or torch.compiler.is_exporting()
            or torch.jit.is_tracing() or torch.jit.is_scripting()):
        return False  # (exporters and Inductor know PyTorch's operator)
    return (x.device.type == 'cpu' and x.dtype == torch.float32
            and uses_onednn())


def _use_onednn(x: Tensor, weight: Tensor) -> bool:
    return (takes_onednn(x) and weight.device.type == 'cpu'
            and weight.dtype == torch.float32 and x.dim() == 2
            and weight.dim() == 2
            and x.numel() * weight.size(0) >= MIN_MULTIPLY_ADDS)


def linear(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    r"""Returns :obj:`torch.nn.functional.linear(x, weight, bias)`, with
    oneDNN's kernels where :func:`cpu_linear_backend` takes them (float32
    two-dimensional CPU tensors, products of at least
    :obj:`MIN_MULTIPLY_ADDS` multiply-adds, outside :func:`torch.compile`,
    tracing and export), else PyTorch's.

    Args:
        x (torch.Tensor): The input of shape :obj:`[N, in_channels]`.
        weight (torch.Tensor): The weight of shape
            :obj:`[out_channels, in_channels]`.
        bias (torch.Tensor, optional): The bias of shape
            :obj:`[out_channels]`. (default: :obj:`None`)
    """
    if _use_onednn(x, weight) and (bias is None
                                   or bias.dtype == torch.float32):
        return onednn_linear(x, weight, bias)
    return torch.nn.functional.linear(x, weight, bias)


def matmul(x: Tensor, weight: Tensor) -> Tensor:
    r"""Returns :obj:`x @ weight` for an input of shape :obj:`[N, F]` and a
    weight of shape :obj:`[F, C]`, through :func:`linear`.
    """
    return linear(x, weight.t())


class CPULinear(pyg_linear.Linear):
    r"""A :class:`torch_geometric.nn.dense.Linear` layer whose
    two-dimensional inputs go through :func:`linear`: the same parameters
    and function, up to float rounding, with oneDNN's kernels where
    :func:`cpu_linear_backend` takes them.

    It takes the arguments of :class:`~torch_geometric.nn.dense.Linear`.
    """
    def forward(self, x: Tensor) -> Tensor:
        r"""Forward pass.

        Args:
            x (torch.Tensor): The input features.
        """
        if x.dim() != 2 or pyg_linear.is_uninitialized_parameter(
                self.weight):
            return super().forward(x)
        return linear(x, self.weight, self.bias)
