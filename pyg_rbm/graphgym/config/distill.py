"""Config group ``cfg.distill``: the setting and the distillation loss."""
from yacs.config import CfgNode as CN

from pyg_rbm.graphgym.register import registered
from pyg_rbm.graphgym.translate import group_defaults


@registered('config', 'distill')
def set_cfg_distill(cfg: CN) -> None:
    r"""Adds :obj:`cfg.distill`: the evaluation setting, the preprocessing
    and the student objective :math:`\lambda \, \mathrm{CE} + (1 - \lambda)
    \, \mathrm{KD}_\tau`; keys and defaults are those of
    :class:`pyg_rbm.config.DistillConfig` (see
    :obj:`pyg_rbm.graphgym.translate.KEYS`), and :obj:`teacher_cache`, a
    folder where trained teachers are kept and reused (:obj:`""`: none;
    grids share one).
    """
    cfg.distill = group_defaults('distill')
    # A folder of trained teachers to reuse ('' for none): no
    # hyperparameter, since a cached teacher equals a retrained one.
    cfg.distill.teacher_cache = ''
