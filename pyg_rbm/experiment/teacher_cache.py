"""Trained teachers kept on disk, reused by every student of a seed."""
import hashlib
import json
import os
from typing import Any, Dict, Optional

import torch

__all__ = ['teacher_cache_key', 'load_teacher', 'save_teacher']


def teacher_cache_key(config: Any, seed: int) -> Dict[str, Any]:
    r"""What determines a trained teacher: dataset, setting (hence split),
    seed, preprocessing, teacher configuration, the kind of device, and the
    versions of the code that trains it.
    """
    import torch_geometric

    import pyg_rbm
    from pyg_rbm.device import resolve_device
    return dict(dataset=config.dataset, setting=config.setting, seed=seed,
                data=vars(config.data), teacher=vars(config.teacher),
                # Another device trains another teacher (floating point).
                device=resolve_device(config.device).type,
                pyg_rbm=pyg_rbm.__version__, torch=torch.__version__,
                torch_geometric=torch_geometric.__version__)


def _path(cache_dir: str, key: Dict[str, Any]) -> str:
    digest = hashlib.sha256(
        json.dumps(key, sort_keys=True).encode()).hexdigest()[:20]
    return os.path.join(cache_dir, f'teacher-{digest}.pt')


def load_teacher(cache_dir: str, key: Dict[str, Any],
                 teacher: torch.nn.Module) -> Optional[Dict[str, float]]:
    r"""Loads the cached weights of :obj:`key` into :obj:`teacher` and
    returns its stored scores, or returns :obj:`None` when none is cached.
    A corrupt file raises a :class:`ValueError` that names it.
    """
    path = _path(cache_dir, key)
    if not os.path.exists(path):
        return None
    try:
        entry = torch.load(path, weights_only=True, map_location='cpu')
        teacher.load_state_dict(entry['state_dict'])
    except Exception as error:
        raise ValueError(f"The cached teacher '{path}' cannot be read "
                         f"({type(error).__name__}: {error}); delete it "
                         f"to train the teacher again") from error
    if entry.get('key') != json.loads(json.dumps(key)):
        raise ValueError(f"The cached teacher '{path}' belongs to another "
                         f"configuration; delete it")
    return dict(entry['scores'])


def save_teacher(cache_dir: str, key: Dict[str, Any],
                 teacher: torch.nn.Module, scores: Dict[str, float]) -> str:
    r"""Stores :obj:`teacher`'s weights and scores under :obj:`key`
    (written to a temporary file, then renamed); returns the path.
    """
    os.makedirs(cache_dir, exist_ok=True)
    path = _path(cache_dir, key)
    tmp = f'{path}.tmp{os.getpid()}'
    torch.save(dict(key=json.loads(json.dumps(key)),
                    state_dict=teacher.state_dict(), scores=scores), tmp)
    os.replace(tmp, path)
    return path
