from pyg_rbm.distributed import wait

from .build import build_student
from .expert_bank import ExpertBank
from .expert_linear import ExpertLinear
from .host_sync import allow_host_sync
from .kmeans import kmeans
from .mlp_student import MLPStudent
from .moe import MoE
from .rbm import RbM, RbMLayer
from .shard_sum import _AllReduceSum
from .sparse_input import SparseInputLinear
from .student_protocol import Student, StudentAdapter, check_student

# RbM's file is PyG-only (the contrib patch's source); the package gives
# its layers the CPU-tuned experts, as `torch_geometric.backend` switches
# the kernels of PyG's HeteroLinear.
RbMLayer.expert_bank = ExpertLinear
# ... and polls for their multi-process sums on gloo (see `wait`).
_AllReduceSum.wait = staticmethod(wait)

__all__ = [
    'ExpertBank',
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
