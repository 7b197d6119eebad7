r"""Routing-by-Memory: graph knowledge distillation into a Mixture-of-Experts
student, for PyTorch Geometric.
"""
from .nn import MLPStudent, MoE, RbM
from .saved_student import SavedStudent, load_student, save_student
from .transforms import KnowledgeDistillation

__version__ = '0.1.0'

__all__ = [
    'RbM',
    'MoE',
    'MLPStudent',
    'KnowledgeDistillation',
    'SavedStudent',
    'save_student',
    'load_student',
    '__version__',
]
