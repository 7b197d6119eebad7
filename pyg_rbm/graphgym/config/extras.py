"""Config group ``cfg.extras``: optional knowledge-distillation extras."""
from yacs.config import CfgNode as CN

from pyg_rbm.graphgym.register import registered
from pyg_rbm.graphgym.translate import group_defaults


@registered('config', 'extras')
def set_cfg_extras(cfg: CN) -> None:
    r"""Adds :obj:`cfg.extras`, the KD extras of
    :class:`pyg_rbm.config.ExtrasConfig`, each off by default.
    """
    cfg.extras = group_defaults('extras')
