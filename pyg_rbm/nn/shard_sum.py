"""Batch statistics summed over the processes of a multi-process run."""
from typing import Any, List

import torch
import torch.distributed as dist
from torch import Tensor

__all__ = ['shard_sum', 'shard_sum_each']


def _block(work: Any) -> None:
    work.wait()


class _AllReduceSum(torch.autograd.Function):
    # torch.distributed.nn.functional.all_reduce does the same but is
    # deprecated; its suggested successor is private.

    # How a process waits for the collective's handle; a backend may
    # replace it, as `RbMLayer.expert_bank`.
    wait = staticmethod(_block)

    @staticmethod
    def forward(ctx, tensor: Tensor) -> Tensor:
        out = tensor.clone()
        _AllReduceSum.wait(dist.all_reduce(out, async_op=True))
        return out

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        # Every process computes the same function of the same sums, so
        # `grad` is the same everywhere: its sum over the processes needs
        # no collective.
        return grad * dist.get_world_size()


def shard_sum(tensor: Tensor) -> Tensor:
    r"""The sum of :obj:`tensor` over the processes of the default process
    group, differentiable.

    Every process then holds the same loss of the whole batch. The
    gradient that reaches each process's share is the sum of every
    process's upstream gradient, so that the averaging of
    :class:`~torch.nn.parallel.DistributedDataParallel` yields the
    gradient of the loss of the whole batch. The sums must enter the same
    computation on every process (as a loss of the whole batch does): the
    upstream gradient is then the same everywhere, and the backward
    multiplies it by the number of processes instead of summing it in a
    second collective.
    """
    return _AllReduceSum.apply(tensor)


def shard_sum_each(tensors: List[Tensor]) -> List[Tensor]:
    r""":func:`shard_sum` of each of :obj:`tensors` (shapes kept), in one
    collective: each one makes every process wait for the slowest.
    """
    sums = shard_sum(torch.cat([t.reshape(-1) for t in tensors]))
    return [part.view_as(t) for part, t in zip(
        sums.split([t.numel() for t in tensors]), tensors)]
