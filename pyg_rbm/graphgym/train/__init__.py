r"""The GraphGym train loop of :mod:`pyg_rbm` and its epoch logger."""
from .distill import train_distill
from .epoch_logger import EpochLogger

__all__ = ['EpochLogger', 'train_distill']
