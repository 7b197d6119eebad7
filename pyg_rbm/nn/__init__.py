from .build import build_student
from .expert_linear import ExpertLinear
from .host_sync import allow_host_sync
from .kmeans import kmeans
from .mlp_student import MLPStudent
from .moe import MoE
from .rbm import RbM
from .sparse_input import SparseInputLinear
from .student_protocol import Student, StudentAdapter, check_student

__all__ = [
    'ExpertLinear',
    'kmeans',
    'RbM',
    'MoE',
    'MLPStudent',
    'build_student',
    'SparseInputLinear',
    'allow_host_sync',
    'Student',
    'StudentAdapter',
    'check_student',
]
