r"""GraphGym loader of :mod:`pyg_rbm`'s datasets."""
from .pyg_rbm import OneGraphDataset, load_pyg_rbm
from .student_batch import student_batch

__all__ = ['OneGraphDataset', 'load_pyg_rbm', 'student_batch']
