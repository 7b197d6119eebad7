"""Config group ``cfg.rbm``: the student's mixture-of-experts options."""
from yacs.config import CfgNode as CN

from pyg_rbm.config import StudentConfig, TrainConfig
from pyg_rbm.graphgym.register import registered


@registered('config', 'rbm')
def set_cfg_rbm(cfg: CN) -> None:
    r"""Adds :obj:`cfg.rbm`, the RbM / MoE student options; width, depth,
    dropout and batch norm come from :obj:`cfg.gnn`.
    """
    student, train = StudentConfig(), TrainConfig()
    cfg.rbm = CN()
    # Experts per layer (E)
    cfg.rbm.num_experts = student.num_experts
    # Experts each node is routed to (top-k)
    cfg.rbm.k = student.k
    # EMA momentum of the routing memory (RbM)
    cfg.rbm.momentum = student.momentum
    # Weight of the commitment loss (RbM)
    cfg.rbm.commitment_weight = student.commitment_weight
    # Weight of the memory self-similarity loss (RbM)
    cfg.rbm.similarity_weight = student.similarity_weight
    # Weight of the load-balance loss (RbM and MoE)
    cfg.rbm.load_balance_weight = student.load_balance_weight
    # Per-expert learnable input scaling (RbM)
    cfg.rbm.input_attention = student.input_attention
    # Epochs training expert 0 only before k-means routing init (RbM)
    cfg.rbm.pretrain_epochs = train.pretrain_epochs
    # Std of the Gaussian router noise in training (MoE)
    cfg.rbm.noise_std = student.noise_std
    # Memory moves once per optimizer 'step', or in every 'forward' (RbM)
    cfg.rbm.memory_update = student.memory_update
    # Output scale and input attention act in pretraining too (RbM)
    cfg.rbm.scaled_pretraining = student.scaled_pretraining
