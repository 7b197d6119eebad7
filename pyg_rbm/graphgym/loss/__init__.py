r"""GraphGym losses of :mod:`pyg_rbm`."""
from .distill import distill_loss

__all__ = ['distill_loss']
