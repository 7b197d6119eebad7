from .build import TEACHERS, build_teacher
from .gcn_aggr_sage import GCNAggrGraphSAGE, GCNAggrSAGEConv
from .inference import teacher_inference
from .locality import neighbourhood_exact_reason
from .sparse_sage import SparseInputGraphSAGE, SparseInputSAGEConv

__all__ = [
    'TEACHERS',
    'build_teacher',
    'teacher_inference',
    'neighbourhood_exact_reason',
    'SparseInputGraphSAGE',
    'SparseInputSAGEConv',
    'GCNAggrSAGEConv',
    'GCNAggrGraphSAGE',
]
