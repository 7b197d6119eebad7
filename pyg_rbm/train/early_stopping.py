"""Early stopping on a validation metric, keeping the best state."""
import copy
from typing import Any, Dict, Optional

import torch

from pyg_rbm.config import TIES

MODES = ('max', 'min')


class EarlyStopping:
    r"""Tracks the best validation score and the model state that gave it.

    An epoch improves when its score is strictly better than the best so
    far (higher, or lower with :obj:`mode="min"`; with
    :obj:`ties="last"`, as the RbM authors' code does, also when it
    equals it, so that the later of tied epochs is kept); training
    stops once :obj:`patience` epochs passed without one. Epochs before
    :obj:`start_epoch` are neither selected nor counted (RbM's pretraining
    epochs).

    Args:
        patience (int, optional): Epochs without improvement before
            stopping; :obj:`None` never stops. (default: :obj:`50`)
        start_epoch (int, optional): First epoch that may be selected.
            (default: :obj:`0`)
        ties (str, optional): Which of epochs with the same best score is
            kept, :obj:`"first"` or :obj:`"last"`.
            (default: :obj:`"first"`)
        mode (str, optional): :obj:`"max"` for a score such as accuracy,
            :obj:`"min"` for a loss. (default: :obj:`"max"`)
    """
    def __init__(self, patience: Optional[int] = 50, start_epoch: int = 0,
                 ties: str = 'first', mode: str = 'max'):
        if patience is not None and patience < 1:
            raise ValueError(f"'patience' must be positive or None in "
                             f"'{self.__class__.__name__}' (got {patience})")
        if ties not in TIES:
            raise ValueError(f"'ties' must be one of {TIES} in "
                             f"'{self.__class__.__name__}' (got {ties!r})")
        if mode not in MODES:
            raise ValueError(f"'mode' must be one of {MODES} in "
                             f"'{self.__class__.__name__}' (got {mode!r})")
        self.patience = patience
        self.start_epoch = start_epoch
        self.ties = ties
        self.mode = mode
        # Scores are compared as `sign * score`, so higher is always better.
        self._sign = 1.0 if mode == 'max' else -1.0
        self.best_score = self._sign * float('-inf')
        self.best_epoch = -1
        self.best_state: Optional[Dict[str, Any]] = None
        self.bad_epochs = 0

    def step(self, epoch: int, score: float,
             model: torch.nn.Module) -> bool:
        """Records an epoch; returns :obj:`True` when training should stop."""
        if epoch < self.start_epoch:
            return False
        signed, best = self._sign * score, self._sign * self.best_score
        if signed > best or (self.ties == 'last' and signed == best):
            self.best_score = score
            self.best_epoch = epoch
            self.best_state = copy.deepcopy(model.state_dict())
            self.bad_epochs = 0
            return False
        self.bad_epochs += 1
        return self.patience is not None and self.bad_epochs >= self.patience

    def restore(self, model: torch.nn.Module) -> None:
        """Loads the best state into :obj:`model` (no-op if none)."""
        if self.best_state is not None:
            model.load_state_dict(self.best_state)

    def state_dict(self) -> Dict[str, Any]:
        return dict(best_score=self.best_score, best_epoch=self.best_epoch,
                    best_state=self.best_state, bad_epochs=self.bad_epochs)

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        self.best_score = state['best_score']
        self.best_epoch = state['best_epoch']
        self.best_state = state['best_state']
        self.bad_epochs = state['bad_epochs']

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(patience={self.patience}, '
                f'start_epoch={self.start_epoch}, ties={self.ties!r}, '
                f'mode={self.mode!r})')
