from .build import TEACHERS, build_teacher
from .inference import teacher_inference
from .locality import neighbourhood_exact_reason

__all__ = [
    'TEACHERS',
    'build_teacher',
    'teacher_inference',
    'neighbourhood_exact_reason',
]
