"""Config option ``cfg.train.mode``: which registered train loop runs."""
from yacs.config import CfgNode as CN

from pyg_rbm.graphgym.register import registered


@registered('config', 'train_mode')
def set_cfg_train_mode(cfg: CN) -> None:
    r"""Adds :obj:`cfg.train.mode`, the key of the registered train loop
    that :mod:`pyg_rbm.graphgym`'s entry point dispatches.
    """
    # Registered train loop to run ('distill': pyg_rbm's training core)
    cfg.train.mode = 'distill'
