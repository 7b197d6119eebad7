r"""GraphGym loader of :mod:`pyg_rbm`'s datasets."""
from .pyg_rbm import load_pyg_rbm
from .student_batch import student_batch

__all__ = ['load_pyg_rbm', 'student_batch']
