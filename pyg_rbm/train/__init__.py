r"""The project's one training core: the epoch loop, the teacher and student
trainers, the distillation losses and the per-seed pipeline.
"""
from .early_stopping import EarlyStopping
from .loop import EpochRecord, FitResult, TrainingState, fit
from .loss import KD_VARIANTS, distillation_objective, kd_loss
from .objective import DistillationObjective
from .pipeline import (
    SeedResult,
    TeacherRun,
    best_over_epochs,
    distill_student,
    headline,
    prepare_teacher,
    run_seed,
    summarize,
)
from .student import StudentTrainer
from .student_extras import (
    AdversarialAugmentation,
    ReliableNeighbours,
    SimilarityDistillation,
)
from .teacher import train_teacher
from .weight_average import WeightAverage

__all__ = [
    'KD_VARIANTS',
    'kd_loss',
    'distillation_objective',
    'EarlyStopping',
    'EpochRecord',
    'FitResult',
    'TrainingState',
    'fit',
    'train_teacher',
    'StudentTrainer',
    'DistillationObjective',
    'AdversarialAugmentation',
    'ReliableNeighbours',
    'SimilarityDistillation',
    'WeightAverage',
    'SeedResult',
    'TeacherRun',
    'prepare_teacher',
    'distill_student',
    'headline',
    'best_over_epochs',
    'run_seed',
    'summarize',
]
