"""An exponential moving average of a student's weights over epochs."""
from typing import Any, Dict, Optional

import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

__all__ = ['WeightAverage']


class WeightAverage:
    r"""The exponential moving average, over epochs, of :obj:`model`'s
    parameters and buffers (RbM's memory keys included):

    .. math::
        \bar{\theta}_t = \beta \, \bar{\theta}_{t-1} + (1 - \beta) \,
        \theta_t,

    started from the weights of the first epoch it sees
    (:class:`torch.optim.swa_utils.AveragedModel`). Evaluating and
    selecting the average instead of the weights as trained smooths the
    swings between consecutive epochs that a small validation set turns
    into a costly selection.

    Args:
        model (torch.nn.Module): The model being trained.
        decay (float): The decay :math:`\beta` per epoch, in :math:`(0, 1)`.
    """
    def __init__(self, model: torch.nn.Module, decay: float):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"'decay' must be in (0, 1) in "
                             f"'{self.__class__.__name__}' (got {decay})")
        self.model = model
        self.decay = decay
        self.averaged: Optional[AveragedModel] = None

    def _new(self) -> AveragedModel:
        return AveragedModel(self.model,
                             multi_avg_fn=get_ema_multi_avg_fn(self.decay),
                             use_buffers=True)

    def update(self) -> None:
        """Takes the model's current weights into the average."""
        if self.averaged is None:
            self.averaged = self._new()
        self.averaged.update_parameters(self.model)

    def reset(self) -> None:
        """Forgets the average; the next :meth:`update` starts it again
        (e.g. once RbM's routing replaces its pretrained weights).
        """
        self.averaged = None

    @property
    def module(self) -> torch.nn.Module:
        """The averaged copy of the model, or the model itself before the
        first :meth:`update`.
        """
        return self.model if self.averaged is None else self.averaged.module

    def state_dict(self) -> Dict[str, Any]:
        return {} if self.averaged is None else self.averaged.state_dict()

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        if not state:
            self.averaged = None
            return
        self.averaged = self._new()
        self.averaged.load_state_dict(state)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(decay={self.decay})'
