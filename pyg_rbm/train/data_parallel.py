"""Data-parallel student training: each process takes one share of every
global batch (see :class:`~pyg_rbm.train.StudentTrainer`).
"""
import inspect
from typing import Any

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.parallel import DistributedDataParallel

from pyg_rbm import distributed
from pyg_rbm.train.objective import DistillationObjective

__all__ = ['data_parallel_module', 'has_unused_parameters',
           'keeps_running_statistics', 'polled_mean_hook',
           'sharded_objective', 'global_count']


def data_parallel_module(model: torch.nn.Module,
                         caller: str) -> DistributedDataParallel:
    r""":obj:`model` wrapped for data-parallel training: its mixture layers
    compute their batch statistics over every process's share, and
    :class:`~torch.nn.parallel.DistributedDataParallel` averages the
    gradients.
    """
    device = next(model.parameters()).device
    if any(isinstance(m, _BatchNorm) for m in model.modules()):
        if device.type != 'cuda':
            raise ValueError(f"A student with batch normalisation needs CUDA"
                             f" to train on several processes in '{caller}'"
                             f" (PyTorch's SyncBatchNorm); set 'norm' to "
                             f"another normalisation or none")
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    for module in model.modules():
        if hasattr(module, 'sync_shards'):
            module.sync_shards = True
    # RbM's buffer changes only at the routing switch, which broadcasts the
    # whole module, and SyncBatchNorm's statistics are the whole batch's:
    # DDP broadcasts buffers before every forward (a collective a step) only
    # for statistics each process would keep of its own share.
    # (PyTorch 2.13 renamed the option; its buffers sync at the start.)
    sync = ('forward_sync_buffers' if 'forward_sync_buffers' in
            inspect.signature(DistributedDataParallel).parameters else
            'broadcast_buffers')
    module = DistributedDataParallel(
        model, device_ids=[device] if device.type == 'cuda' else None,
        find_unused_parameters=has_unused_parameters(model),
        **{sync: keeps_running_statistics(model)})
    if distributed.polls_collectives():
        module.register_comm_hook(None, polled_mean_hook)
    return module


def polled_mean_hook(
        state: Any,
        bucket: dist.GradBucket) -> torch.futures.Future[torch.Tensor]:
    r"""A communication hook of
    :class:`~torch.nn.parallel.DistributedDataParallel`: the mean of a
    gradient bucket over the processes, as DDP's own, waited for by
    :func:`pyg_rbm.distributed.wait` (polling on gloo) before the backward
    goes on. A CPU process runs its backward and gloo's threads on the
    same cores, so little overlap is lost.
    """
    tensor = bucket.buffer().div_(dist.get_world_size())
    distributed.wait(dist.all_reduce(tensor, async_op=True))
    future: torch.futures.Future[Tensor] = torch.futures.Future()
    future.set_result(tensor)
    return future


def keeps_running_statistics(model: torch.nn.Module) -> bool:
    r"""Whether a normalisation layer of :obj:`model` other than
    :class:`~torch.nn.SyncBatchNorm` keeps running statistics, which each
    process of a multi-process run would update from its own share.
    """
    return any(getattr(module, 'track_running_stats', False)
               and not isinstance(module, torch.nn.SyncBatchNorm)
               for module in model.modules())


def has_unused_parameters(model: torch.nn.Module) -> bool:
    r"""Whether a training step of :obj:`model` leaves parameters without
    a gradient: RbM's memory keys take one only from the self-similarity
    loss of routed layers, so none in pretraining and none where its
    weight is zero. DistributedDataParallel must then search for them at
    every step, a cost the trainer avoids by wrapping a routed RbM again
    at the switch.
    """
    if not hasattr(model, 'init_routing'):
        return False
    return bool(model.in_pretraining) or any(
        getattr(module, 'similarity_weight', None) == 0.0
        for module in model.modules())


def sharded_objective(objective: DistillationObjective, logits: Tensor,
                      teacher_logits: Tensor, y: Tensor, labeled: Tensor,
                      counts: Tensor) -> Tensor:
    r"""The :class:`~pyg_rbm.train.DistillationObjective` of the pairs of
    every process's share of a batch, with no collective: each term is
    this process's sum normalised by its count over the whole batch
    (:obj:`counts`, the numbers of pairs and of labelled pairs, which every
    process counts from the global batch), times the number of processes.
    The mean over the processes is the whole batch's objective, so that
    the averaged gradients equal those of one process holding the whole
    batch.
    """
    world = dist.get_world_size()
    pairs, labels = counts.to(logits.dtype).unbind()
    # (A term without pairs sums to zero: clamping the count keeps it so.)
    kd = objective.kd(logits, teacher_logits) * logits.size(0)
    loss = (1.0 - objective.lam) * world * kd / pairs.clamp(min=1)
    if objective.lam > 0:
        ce = F.cross_entropy(logits[labeled], y[labeled], reduction='sum')
        loss = loss + objective.lam * world * ce / labels.clamp(min=1)
    return loss


def global_count(count: Tensor) -> Tensor:
    r"""The sum of the tensor :obj:`count` over every process."""
    return distributed.all_reduce(count.clone())
