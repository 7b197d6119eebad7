r"""Routing-by-Memory: graph knowledge distillation into a Mixture-of-Experts
student, for PyTorch Geometric.
"""
from .nn import MLPStudent, MoE, RbM
from .transforms import KnowledgeDistillation

__version__ = '0.1.0'

__all__ = [
    'RbM',
    'MoE',
    'MLPStudent',
    'KnowledgeDistillation',
    '__version__',
]
