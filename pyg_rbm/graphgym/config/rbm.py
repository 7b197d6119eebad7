"""Config group ``cfg.rbm``: the student's mixture-of-experts options."""
from yacs.config import CfgNode as CN

from pyg_rbm.graphgym.register import registered
from pyg_rbm.graphgym.translate import group_defaults


@registered('config', 'rbm')
def set_cfg_rbm(cfg: CN) -> None:
    r"""Adds :obj:`cfg.rbm`, the RbM / MoE student options (experts, k,
    memory momentum, auxiliary-loss weights, input attention, pretraining
    epochs, MoE router noise); width, depth, dropout and batch norm come
    from :obj:`cfg.gnn`. Keys and defaults are those of
    :class:`pyg_rbm.config.StudentConfig` (see
    :obj:`pyg_rbm.graphgym.translate.KEYS`).
    """
    cfg.rbm = group_defaults('rbm')
