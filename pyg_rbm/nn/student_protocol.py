"""What the training core needs of a student, and an adapter for any
feature-to-logits module.
"""
import inspect
from typing import Any, Optional, Protocol, Tuple, Union, runtime_checkable

import torch
from torch import Tensor

__all__ = ['Student', 'StudentAdapter', 'check_student']


@runtime_checkable
class Student(Protocol):
    r"""A graph-free student that :class:`~pyg_rbm.train.StudentTrainer`
    trains: node features in, class logits out.

    :class:`~pyg_rbm.nn.RbM`, :class:`~pyg_rbm.nn.MoE` and
    :class:`~pyg_rbm.nn.MLPStudent` follow it; wrap any other module with
    :class:`StudentAdapter`. A student with :meth:`init_routing` (RbM) is
    pretrained first, and its :meth:`update_memory` is called after every
    optimizer step.
    """
    in_channels: int
    out_channels: int

    def forward(self, x: Tensor, return_aux_loss: bool = False
                ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        r"""Logits :obj:`[N, out_channels]` of features
        :obj:`[N, in_channels]`; with :obj:`return_aux_loss=True`, also
        the auxiliary loss (a 0-dim tensor) added to the objective.
        """


def check_student(model: Any, caller: str) -> None:
    r"""Raises a :class:`ValueError` that names what :obj:`model` lacks of
    the :class:`Student` protocol.
    """
    missing = []
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"The student must be a 'torch.nn.Module' in "
                         f"'{caller}' (got '{type(model).__name__}')")
    for key in ('in_channels', 'out_channels'):
        if not isinstance(getattr(model, key, None), int):
            missing.append(f"an integer '{key}'")
    params = inspect.signature(model.forward).parameters
    if 'return_aux_loss' not in params and not any(
            p.kind == p.VAR_KEYWORD for p in params.values()):
        missing.append("'forward(x, return_aux_loss=False)'")
    if missing:
        raise ValueError(
            f"The student '{model.__class__.__name__}' lacks "
            f"{' and '.join(missing)} in '{caller}'; wrap a module that "
            f"maps features to logits in "
            f"'pyg_rbm.nn.StudentAdapter(module, in_channels, "
            f"out_channels)'")


class StudentAdapter(torch.nn.Module):
    r"""Makes any module that maps node features :obj:`[N, in_channels]`
    to logits :obj:`[N, out_channels]` a :class:`Student` (with no
    auxiliary loss).

    .. code-block:: python

        student = StudentAdapter(torch.nn.Sequential(
            torch.nn.Linear(1433, 64), torch.nn.ReLU(),
            torch.nn.Linear(64, 7)), in_channels=1433, out_channels=7)

    Args:
        module (torch.nn.Module): The wrapped model, called as
            :obj:`module(x)`.
        in_channels (int, optional): Its input size; read from
            :obj:`module.in_channels` or its first
            :class:`torch.nn.Linear` when :obj:`None`. (default:
            :obj:`None`)
        out_channels (int, optional): Its number of classes; read from
            :obj:`module.out_channels` or its last
            :class:`torch.nn.Linear` when :obj:`None`. (default:
            :obj:`None`)
    """
    def __init__(self, module: torch.nn.Module,
                 in_channels: Optional[int] = None,
                 out_channels: Optional[int] = None):
        super().__init__()
        linears = [m for m in module.modules()
                   if isinstance(m, torch.nn.Linear)]
        if in_channels is None:
            in_channels = getattr(module, 'in_channels', None)
            if in_channels is None and linears:
                in_channels = linears[0].in_features
        if out_channels is None:
            out_channels = getattr(module, 'out_channels', None)
            if out_channels is None and linears:
                out_channels = linears[-1].out_features
        for key, value in (('in_channels', in_channels),
                           ('out_channels', out_channels)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"'{key}' of '{self.__class__.__name__}' "
                                 f"must be a positive integer; give it, as "
                                 f"it cannot be read from the module (got "
                                 f"{value!r})")
        self.module = module
        self.in_channels = in_channels
        self.out_channels = out_channels

    def reset_parameters(self):
        for m in self.module.modules():
            if m is not self.module and hasattr(m, 'reset_parameters'):
                m.reset_parameters()

    def forward(self, x: Tensor, return_aux_loss: bool = False
                ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        out = self.module(x)
        if return_aux_loss:
            return out, out.new_zeros(())
        return out

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.module}, '
                f'in_channels={self.in_channels}, '
                f'out_channels={self.out_channels})')
