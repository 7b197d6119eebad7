import inspect
from typing import Any, Dict, Tuple, Type

import torch

from pyg_rbm.nn.mlp_student import MLPStudent
from pyg_rbm.nn.moe import MoE
from pyg_rbm.nn.rbm import RbM

STUDENTS: Tuple[str, ...] = ('rbm', 'moe', 'mlp')

_CLASSES: Dict[str, Type[torch.nn.Module]] = {
    'rbm': RbM,
    'moe': MoE,
    'mlp': MLPStudent,
}


def build_student(
    name: str,
    in_channels: int,
    out_channels: int,
    **kwargs: Any,
) -> torch.nn.Module:
    r"""Builds a student model by name.

    The keyword arguments are exactly those of the chosen class' constructor
    (other than :obj:`in_channels` and :obj:`out_channels`), and are not
    filtered: passing an argument the chosen student does not take (*e.g.*,
    :obj:`num_experts` for :obj:`"mlp"`) raises an error rather than being
    silently dropped. All students take :obj:`hidden_channels`,
    :obj:`num_layers`, :obj:`dropout`, :obj:`norm`, :obj:`act`,
    :obj:`norm_kwargs` and :obj:`act_kwargs`; in addition

    * :obj:`"rbm"` (:class:`~pyg_rbm.nn.RbM`) takes :obj:`num_experts`,
      :obj:`k`, :obj:`momentum`, :obj:`commitment_weight`,
      :obj:`similarity_weight`, :obj:`load_balance_weight` and
      :obj:`input_attention`;
    * :obj:`"moe"` (:class:`~pyg_rbm.nn.MoE`) takes :obj:`num_experts`,
      :obj:`k`, :obj:`noise_std` and :obj:`load_balance_weight`;
    * :obj:`"mlp"` (:class:`~pyg_rbm.nn.MLPStudent`) takes nothing else.

    Args:
        name (str): The student, one of :obj:`"rbm"`, :obj:`"moe"` or
            :obj:`"mlp"` (case-insensitive).
        in_channels (int): Size of each input sample.
        out_channels (int): Size of each output sample.
        **kwargs (optional): Arguments of the student's constructor.
    """
    key = name.lower() if isinstance(name, str) else name
    if key not in _CLASSES:
        raise ValueError(f"'name' must be one of {list(STUDENTS)} in "
                         f"'build_student' (got {name!r})")
    cls = _CLASSES[key]

    params = inspect.signature(cls.__init__).parameters
    accepted = [
        p for p, param in params.items()
        if p not in {'self', 'in_channels', 'out_channels'}
        and param.kind not in {param.VAR_POSITIONAL, param.VAR_KEYWORD}
    ]
    unknown = sorted(set(kwargs) - set(accepted))
    if len(unknown) > 0:
        raise ValueError(f"Unknown arguments {unknown} for student '{key}' "
                         f"in 'build_student' (accepted: {accepted})")
    missing = [
        p for p in accepted
        if p not in kwargs and params[p].default is inspect.Parameter.empty
    ]
    if len(missing) > 0:
        raise ValueError(f"Missing arguments {missing} for student '{key}' "
                         f"in 'build_student'")

    return cls(in_channels=in_channels, out_channels=out_channels, **kwargs)
