from ..teachers.inference import teacher_inference
from .knowledge_distillation import KnowledgeDistillation

# The transform's file is PyG-only (it is the contrib patch's source); the
# package adds its layer-wise teacher inference.
KnowledgeDistillation.inference = staticmethod(teacher_inference)

__all__ = [
    'KnowledgeDistillation',
]
