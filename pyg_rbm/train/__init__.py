r"""The project's one training core: the epoch loop, the teacher and student
trainers, the distillation losses and the per-seed pipeline."""
from .loss import KD_VARIANTS, kd_loss, distillation_objective
from .early_stopping import EarlyStopping
from .loop import EpochRecord, FitResult, TrainingState, fit
from .teacher import train_teacher
from .student import StudentTrainer
from .pipeline import SeedResult, headline, run_seed, summarize

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
    'SeedResult',
    'headline',
    'run_seed',
    'summarize',
]
