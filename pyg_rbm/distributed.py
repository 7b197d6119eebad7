"""Multi-process runs on :mod:`torch.distributed`.

A run is multi-process when a default process group of more than one rank
exists, e.g. when :obj:`torchrun --nproc-per-node N -m pyg_rbm distill`
started it (:func:`init_from_env` then creates the group). Every rank holds
the whole training graph; rank 0 alone writes files and shows progress.
"""
import gc
import logging
import os
import uuid
from contextlib import contextmanager
from typing import Any, Callable, Iterator, List, Tuple

import torch
import torch.distributed as dist
from torch import Tensor

__all__ = [
    'launched',
    'started_processes',
    'launch',
    'init_from_env',
    'shutdown',
    'main_process_first',
    'is_distributed',
    'rank',
    'world_size',
    'is_main_process',
    'broadcast_object',
    'broadcast_module',
    'shard',
    'shard_range',
    'gather_shards',
    'collective_wait',
    'polls_collectives',
    'wait',
    'all_reduce',
]

# How a process waits for a collective of the gloo backend (see `wait`).
WAIT_ENV = 'PYG_RBM_COLLECTIVE_WAIT'
WAIT_MODES = ('poll', 'block')


def launched() -> bool:
    r"""Whether this process is one of several that a launcher such as
    :obj:`torchrun` started (its :obj:`WORLD_SIZE` exceeds one), or a
    process group exists already.
    """
    return started_processes() > 1 or (dist.is_available()
                                       and dist.is_initialized())


def started_processes() -> int:
    r"""The number of processes of this run: those of the process group
    if one exists, else those a launcher started (:obj:`WORLD_SIZE`; one
    outside a launch).
    """
    if is_distributed():
        return world_size()
    return int(os.environ.get('WORLD_SIZE', '1'))


def launch(num_processes: int, entrypoint: Callable[..., Any],
           *args: Any) -> Any:
    r"""Runs :obj:`entrypoint(*args)` in :obj:`num_processes` new processes
    on this machine, as :obj:`torchrun --standalone --nproc-per-node N`
    would (PyTorch's elastic launcher: each process finds :obj:`RANK`,
    :obj:`LOCAL_RANK`, :obj:`WORLD_SIZE` and the rendezvous in its
    environment, for :func:`init_from_env`), and returns rank 0's return
    value. The processes share this one's torch threads (at least one
    each). A failing process stops the others and raises
    :class:`~torch.distributed.elastic.multiprocessing.errors.ChildFailedError`
    with its traceback; nothing is restarted.

    :obj:`entrypoint` and :obj:`args` must be picklable (a module-level
    function): the processes are spawned, not forked.
    """
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch
    if num_processes < 1:
        raise ValueError(f"'num_processes' must be positive in 'launch' "
                         f"(got {num_processes})")
    config = LaunchConfig(min_nodes=1, max_nodes=1,
                          nproc_per_node=num_processes, run_id=str(
                              uuid.uuid4()), rdzv_backend='c10d',
                          rdzv_endpoint='localhost:0', max_restarts=0)
    # The launcher logs a failed process's traceback, which its error
    # raised here carries already: quiet, so that it is shown once.
    loggers = [logging.getLogger(name) for name in
               ('torch.distributed.elastic', 'torch.multiprocessing')]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    threads = max(1, torch.get_num_threads() // num_processes)
    try:
        return elastic_launch(config, _sharing_threads)(threads, entrypoint,
                                                         *args)[0]
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _sharing_threads(threads: int, entrypoint: Callable[..., Any],
                     *args: Any) -> Any:
    # A launched process: its share of the launching process's threads.
    torch.set_num_threads(threads)
    return entrypoint(*args)


def init_from_env(device: torch.device) -> bool:
    r"""Joins the process group that :obj:`torchrun` describes in the
    environment (:obj:`WORLD_SIZE`, :obj:`RANK`, :obj:`MASTER_ADDR`, ...),
    with NCCL for a CUDA :obj:`device` and gloo otherwise. Returns whether
    it joined (then :func:`shutdown` leaves at the end); does nothing
    outside :obj:`torchrun` or when a group exists already.
    """
    collective_wait()  # (a bad value fails before any work)
    if int(os.environ.get('WORLD_SIZE', '1')) <= 1 or dist.is_initialized():
        return False
    backend = 'nccl' if device.type == 'cuda' else 'gloo'
    dist.init_process_group(backend)
    return True


def shutdown() -> None:
    r"""Waits for every process, then leaves the process group (a process
    that exits while others still hold the group aborts in gloo).
    """
    if dist.is_available() and dist.is_initialized():
        # What still holds the group, such as the DistributedDataParallel of
        # a trainer in a reference cycle, goes first: freed after the group,
        # its reducer aborts the process.
        gc.collect()
        dist.barrier()
        dist.destroy_process_group()


@contextmanager
def main_process_first() -> Iterator[None]:
    r"""Rank 0 runs the block first, the other processes once it is done,
    so that what rank 0 writes there (such as a dataset's processed files,
    which every process would otherwise write at once) is theirs to read.
    Outside a multi-process run, the block just runs. If rank 0 fails in
    the block, the others wait at the barrier until the launcher stops
    them (:obj:`torchrun` and :func:`launch` do at once).
    """
    if is_main_process():
        yield
    if is_distributed():
        dist.barrier()
    if not is_main_process():
        yield


def is_distributed() -> bool:
    """Whether a default process group of more than one rank exists."""
    return (dist.is_available() and dist.is_initialized()
            and dist.get_world_size() > 1)


def rank() -> int:
    """This process's rank (0 outside a multi-process run)."""
    return dist.get_rank() if is_distributed() else 0


def world_size() -> int:
    """The number of processes (1 outside a multi-process run)."""
    return dist.get_world_size() if is_distributed() else 1


def is_main_process() -> bool:
    """Whether this process writes files and shows progress (rank 0)."""
    return rank() == 0


def broadcast_object(obj: Any, src: int = 0) -> Any:
    r"""Rank :obj:`src`'s :obj:`obj` on every rank (picklable objects)."""
    if not is_distributed():
        return obj
    box: List[Any] = [obj]
    dist.broadcast_object_list(box, src=src)
    return box[0]


@torch.no_grad()
def broadcast_module(module: torch.nn.Module, src: int = 0) -> None:
    r"""Copies rank :obj:`src`'s parameters and buffers into
    :obj:`module` on every rank, then reloads them so that load hooks
    (such as :class:`~pyg_rbm.nn.RbM`'s routing phase) follow.
    """
    if not is_distributed():
        return
    state = module.state_dict()
    for value in state.values():
        if isinstance(value, Tensor):
            dist.broadcast(value, src=src)
    module.load_state_dict(state)


def shard_range(num_rows: int) -> Tuple[int, int]:
    r"""The rows :obj:`[start, end)` of this rank's :func:`shard` of a
    tensor of :obj:`num_rows` rows.
    """
    size, index = world_size(), rank()
    base, extra = divmod(num_rows, size)
    start = index * base + min(index, extra)
    return start, start + base + (index < extra)


def shard(tensor: Tensor) -> Tensor:
    r"""This rank's share of :obj:`tensor`'s rows: contiguous parts whose
    sizes differ by at most one, rank 0 first (the whole tensor outside a
    multi-process run).
    """
    if not is_distributed():
        return tensor
    start, end = shard_range(tensor.size(0))
    return tensor[start:end]


def collective_wait() -> str:
    r"""How a process waits for a gloo collective: the environment variable
    :obj:`PYG_RBM_COLLECTIVE_WAIT`, :obj:`"poll"` (the default) or
    :obj:`"block"` (PyTorch's wait); any other value is refused.
    """
    mode = os.environ.get(WAIT_ENV, 'poll')
    if mode not in WAIT_MODES:
        raise ValueError(f"The environment variable '{WAIT_ENV}' must be "
                         f"one of {WAIT_MODES} (got '{mode}')")
    return mode


def polls_collectives() -> bool:
    r"""Whether :func:`wait` polls: in a multi-process run on the gloo
    backend, unless :func:`collective_wait` is :obj:`"block"`.

    A process blocked in a gloo collective sleeps until gloo's threads
    wake it; on the 2-core virtual machine of the benchmarks, a quarter of
    the all-reduces of a few values then took 2 to 4 ms instead of 0.3 to
    0.4. Polling keeps the waiting process on its core (which it would
    leave idle) and took a two-process RbM epoch 15 to 20% faster there
    (:obj:`benchmarks/data_parallel.py --collective-wait poll block`).
    NCCL's collectives do not block the host, so they are waited for as
    PyTorch does.
    """
    return (collective_wait() == 'poll' and is_distributed()
            and dist.get_backend() == 'gloo')


def wait(work: Any) -> None:
    r"""Waits for the asynchronous collective :obj:`work` (the handle that
    an :obj:`async_op=True` call returns), by polling where
    :func:`polls_collectives`, otherwise by :meth:`work.wait`.
    """
    if polls_collectives():
        while not work.is_completed():
            os.sched_yield()  # (gloo's threads may share this core)
    work.wait()


def all_reduce(tensor: Tensor) -> Tensor:
    r"""Sums :obj:`tensor` over the processes in place (as
    :func:`torch.distributed.all_reduce`), waiting by :func:`wait`;
    returns it.
    """
    wait(dist.all_reduce(tensor, async_op=True))
    return tensor


def gather_shards(part: Tensor, num_rows: int) -> Tensor:
    r"""The rows of every rank's :func:`shard` of a tensor of
    :obj:`num_rows` rows, put back together in order on every rank.
    """
    if not is_distributed():
        return part
    size = world_size()
    base, extra = divmod(num_rows, size)
    sizes = [base + (index < extra) for index in range(size)]
    padded = part.new_zeros((max(sizes), ) + tuple(part.shape[1:]))
    padded[:part.size(0)] = part
    out = [torch.empty_like(padded) for _ in range(size)]
    wait(dist.all_gather(out, padded, async_op=True))
    return torch.cat([chunk[:n] for chunk, n in zip(out, sizes)])
