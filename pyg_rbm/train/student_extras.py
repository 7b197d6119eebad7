"""The optional extras a StudentTrainer takes, one typed value each."""
import math
from dataclasses import dataclass
from typing import Any, Optional

__all__ = ['AdversarialAugmentation', 'ReliableNeighbours',
           'SimilarityDistillation']


@dataclass(frozen=True)
class AdversarialAugmentation:
    r"""Adversarial feature augmentation of `"Learning MLPs on Graphs: A
    Unified View of Effectiveness, Robustness, and Efficiency"
    <https://arxiv.org/abs/2208.10010>`_ (NOSMOG): each batch
    adds :obj:`weight` times the objective on inputs perturbed by PGD
    (:func:`~pyg_rbm.train.extras.pgd_perturbation`) within an
    :math:`L_\infty` ball.

    Args:
        epsilon (float, optional): Radius of the ball. (default: :obj:`0.04`)
        steps (int, optional): PGD steps. (default: :obj:`5`)
        step_size (float, optional): PGD step; :obj:`None` for
            :obj:`epsilon / 4`. (default: :obj:`None`)
        weight (float, optional): Weight of the adversarial term.
            (default: :obj:`0.05`)
        fraction (float, optional): Share of each batch's nodes perturbed,
            a random subset drawn per batch (its distillation pairs give an
            unbiased estimate of the batch's adversarial loss at that share
            of the cost); :obj:`1.0` for all. (default: :obj:`1.0`)
    """
    epsilon: float = 0.04
    steps: int = 5
    step_size: Optional[float] = None
    weight: float = 0.05
    fraction: float = 1.0

    def __post_init__(self):
        name = self.__class__.__name__
        for key in ('epsilon', 'steps', 'step_size', 'weight', 'fraction'):
            value = getattr(self, key)
            if value is None and key == 'step_size':
                continue
            if (isinstance(value, bool) or not isinstance(value, (int, float))
                    or not math.isfinite(value) or not value >= 0):
                raise ValueError(f"'{key}' must be a non-negative number in "
                                 f"'{name}' (got {value!r})")
        if not 0.0 < self.fraction <= 1.0:
            raise ValueError(f"'fraction' must lie in (0, 1] in '{name}' "
                             f"(got {self.fraction})")


@dataclass(frozen=True)
class ReliableNeighbours:
    r"""Reliable neighbour distillation of `"Quantifying the Knowledge in
    GNNs for Reliable Distillation into MLPs"
    <https://arxiv.org/abs/2306.05628>`_ (KRD): besides each node's own
    teacher output, a batch distils the outputs of neighbours that
    :obj:`sampler` draws (:class:`~pyg_rbm.train.extras.ReliableSampler`).

    Args:
        sampler (ReliableSampler): Draws the neighbour pairs per epoch.
        start_epoch (int, optional): First epoch at which the sampler's
            reliability estimate is refitted to the student.
            (default: :obj:`50`)
    """
    sampler: Any
    start_epoch: int = 50

    def __post_init__(self):
        if self.start_epoch < 0:
            raise ValueError(f"'start_epoch' must be non-negative in "
                             f"'{self.__class__.__name__}' "
                             f"(got {self.start_epoch})")


@dataclass(frozen=True)
class SimilarityDistillation:
    r"""Representation-similarity distillation (NOSMOG): :obj:`weight`
    times :func:`~pyg_rbm.train.extras.representation_similarity_loss`
    between the student's input to its output layer and the teacher's
    hidden embedding (:obj:`KnowledgeDistillation(store_hidden=True)`).

    Args:
        weight (float, optional): Weight of the term, positive.
            (default: :obj:`0.1`)
    """
    weight: float = 0.1

    def __post_init__(self):
        if not self.weight > 0:
            raise ValueError(f"'weight' must be positive in "
                             f"'{self.__class__.__name__}' "
                             f"(got {self.weight})")
