"""Saving and resuming a training run exactly."""
import os
import random
from typing import Any, Dict, Optional

import numpy as np
import torch


def rng_state(generator: Optional[torch.Generator] = None) -> Dict[str, Any]:
    """The state of every random number generator a run draws from."""
    state = dict(torch=torch.get_rng_state(), numpy=np.random.get_state(),
                 python=random.getstate())
    if generator is not None:
        state['generator'] = generator.get_state()
    return state


def set_rng_state(state: Dict[str, Any],
                  generator: Optional[torch.Generator] = None) -> None:
    """Restores what :func:`rng_state` returned."""
    torch.set_rng_state(state['torch'])
    np.random.set_state(state['numpy'])
    random.setstate(state['python'])
    if generator is not None and 'generator' in state:
        generator.set_state(state['generator'])


def save_checkpoint(path: str, state: Dict[str, Any]) -> None:
    """Writes :obj:`state` atomically, so a crash never leaves half a file."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f'{path}.tmp'
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str) -> Dict[str, Any]:
    """Reads a checkpoint written by :func:`save_checkpoint`."""
    try:
        # The file holds RNG and optimizer states, not only tensors.
        return torch.load(path, map_location='cpu', weights_only=False)
    except Exception as error:
        raise ValueError(f"The checkpoint '{path}' cannot be read "
                         f"({type(error).__name__}: {error})") from error
