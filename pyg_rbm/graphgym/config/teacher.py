"""Config group ``cfg.teacher``: the GNN teacher and its training."""
from yacs.config import CfgNode as CN

from pyg_rbm.graphgym.register import registered
from pyg_rbm.graphgym.translate import group_defaults


@registered('config', 'teacher')
def set_cfg_teacher(cfg: CN) -> None:
    r"""Adds :obj:`cfg.teacher`, the GNN trained on the labelled nodes
    whose outputs the student distils; keys and defaults are those of
    :class:`pyg_rbm.config.TeacherConfig` (:obj:`norm` is :obj:`"none"`
    for none).
    """
    cfg.teacher = group_defaults('teacher')
