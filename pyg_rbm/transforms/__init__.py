from .knowledge_distillation import KnowledgeDistillation

__all__ = [
    'KnowledgeDistillation',
]
