from .build import TEACHERS, build_teacher
from .inference import teacher_inference

__all__ = [
    'TEACHERS',
    'build_teacher',
    'teacher_inference',
]
