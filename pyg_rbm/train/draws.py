"""Random draws of the training core, reproducible on every device.

Batch orders and node subsets are drawn by a CPU generator and moved to the
data's device, so that a seed gives the same batches on a CPU and a GPU
(a CUDA generator draws other permutations). Large draws on another
device (perturbations) come from a generator on that device, seeded from
the CPU one.
"""
from typing import Optional, Union

import torch
from torch import Tensor

__all__ = ['randperm', 'generator_on']


def randperm(n: int, generator: torch.Generator,
             device: Union[str, torch.device, None] = None) -> Tensor:
    r"""A permutation of :obj:`n` drawn by the CPU :obj:`generator`, on
    :obj:`device`.
    """
    return torch.randperm(n, generator=generator, device='cpu').to(device)


def generator_on(
    generator: Optional[torch.Generator],
    device: Union[str, torch.device],
) -> Optional[torch.Generator]:
    r""":obj:`generator` if it lives on :obj:`device`; else a new generator
    on :obj:`device` seeded by one draw of :obj:`generator` (so that the
    CPU stream, and every CPU result, stays the same).
    """
    device = torch.device(device)
    if generator is None or generator.device.type == device.type:
        return generator
    seed = int(torch.randint(2**62, (1, ), generator=generator))
    return torch.Generator(device).manual_seed(seed)
