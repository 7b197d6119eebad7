"""Which device a run's tensors live on."""
import os
import re
from typing import Union

import torch

__all__ = ['DEVICES', 'check_device', 'resolve_device']

# What the 'device' option accepts: 'auto', 'cpu', 'cuda' or 'cuda:N'.
DEVICES = re.compile(r'^(auto|cpu|cuda(:\d+)?)$')


def check_device(name: str, key: str = 'device') -> None:
    r"""Raises a :class:`ValueError` naming :obj:`key` unless :obj:`name` is
    :obj:`"auto"`, :obj:`"cpu"`, :obj:`"cuda"` or :obj:`"cuda:N"` and
    usable on this machine.
    """
    if not isinstance(name, str) or not DEVICES.match(name):
        raise ValueError(f"'{key}' must be 'auto', 'cpu', 'cuda' or "
                         f"'cuda:N' (got {name!r})")
    if name.startswith('cuda'):
        if not torch.cuda.is_available():
            raise ValueError(f"'{key}' is {name!r} but CUDA is not "
                             f"available on this machine")
        index = int(name.split(':')[1]) if ':' in name else 0
        if index >= torch.cuda.device_count():
            raise ValueError(f"'{key}' is {name!r} but this machine has "
                             f"{torch.cuda.device_count()} CUDA device(s)")


def resolve_device(name: Union[str, torch.device] = 'auto') -> torch.device:
    r"""The device of :obj:`name`; :obj:`"auto"` is the current CUDA device
    when CUDA is available, else the CPU. Under :obj:`torchrun`,
    :obj:`"auto"` and :obj:`"cuda"` mean the process's own GPU (its
    :obj:`LOCAL_RANK`), which becomes the current CUDA device.
    """
    if isinstance(name, torch.device):
        return name
    check_device(name)
    if name == 'auto' and not torch.cuda.is_available():
        return torch.device('cpu')
    if name in ('auto', 'cuda') and 'LOCAL_RANK' in os.environ:
        device = torch.device('cuda', int(os.environ['LOCAL_RANK']))
        torch.cuda.set_device(device)
        return device
    if name == 'auto':
        return torch.device('cuda')
    return torch.device(name)
