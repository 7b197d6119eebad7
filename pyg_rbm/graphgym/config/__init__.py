r"""GraphGym config groups of :mod:`pyg_rbm` (one per file)."""
from .distill import set_cfg_distill
from .extras import set_cfg_extras
from .rbm import set_cfg_rbm
from .teacher import set_cfg_teacher
from .train_mode import set_cfg_train_mode

__all__ = [
    'set_cfg_rbm',
    'set_cfg_teacher',
    'set_cfg_distill',
    'set_cfg_extras',
    'set_cfg_train_mode',
]
