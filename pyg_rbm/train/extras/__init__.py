r"""Optional extras of the distillation objective, each behind a flag."""
from .adversarial import pgd_perturbation
from .label_propagation import label_propagation_features
from .positional_encoding import (
    deepwalk_embeddings,
    extend_to_unseen,
    random_walks,
)
from .reliable_sampling import ReliableSampler
from .similarity import representation_similarity_loss

__all__ = [
    'ReliableSampler',
    'random_walks',
    'deepwalk_embeddings',
    'extend_to_unseen',
    'label_propagation_features',
    'pgd_perturbation',
    'representation_similarity_loss',
]
