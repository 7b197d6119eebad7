"""Config group ``cfg.distill``: the setting and the distillation loss."""
from yacs.config import CfgNode as CN

from pyg_rbm.config import DistillConfig, TrainConfig
from pyg_rbm.graphgym.register import registered


@registered('config', 'distill')
def set_cfg_distill(cfg: CN) -> None:
    r"""Adds :obj:`cfg.distill`: the evaluation setting and the student
    objective :math:`\lambda \, \mathrm{CE} + (1 - \lambda) \,
    \mathrm{KD}_\tau`.
    """
    run, train = DistillConfig(), TrainConfig()
    cfg.distill = CN()
    # Evaluation setting: transductive, inductive or production
    cfg.distill.setting = run.setting
    # Weight lambda of the hard-label cross entropy
    cfg.distill.lam = train.lam
    # Knowledge-distillation temperature tau
    cfg.distill.tau = train.tau
    # KD loss: hinton (standard) or reference (the authors' code)
    cfg.distill.kd_variant = train.kd_variant
    # Scale the Hinton KD term by tau ** 2
    cfg.distill.tau_squared = train.tau_squared
    # Student early-stopping patience on validation accuracy
    cfg.distill.patience = train.patience
    # Also train an MLP on the labels alone, without a teacher
    cfg.distill.baseline_mlp = run.baseline_mlp
