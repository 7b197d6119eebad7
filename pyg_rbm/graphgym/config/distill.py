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
    # 'authors': the RbM authors' pipeline options and preprocessing
    # (configs/authors/protocol.yaml), overriding the keys below
    cfg.distill.protocol = run.protocol
    # Divide each feature row by its sum, as DGL's Planetoid datasets
    cfg.distill.normalize_features = run.data.normalize_features
    # Give every node one self loop
    cfg.distill.self_loops = run.data.self_loops
    # One student optimizer step per 'batch', or per 'epoch' (the authors')
    cfg.distill.optimizer_step = train.optimizer_step
    # Pretraining epochs selectable, patience counted from epoch 0
    cfg.distill.select_pretraining = train.select_pretraining
    # Keep the 'first' or the 'last' of epochs tied on validation accuracy
    cfg.distill.ties = train.ties
