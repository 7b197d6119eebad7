r"""GraphGym networks wrapping :mod:`pyg_rbm`'s students."""
from .mlp import MLPNetwork
from .moe import MoENetwork
from .rbm import RbMNetwork
from .student import StudentNetwork

__all__ = [
    'StudentNetwork',
    'RbMNetwork',
    'MoENetwork',
    'MLPNetwork',
]
