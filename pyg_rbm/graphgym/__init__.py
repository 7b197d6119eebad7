r"""GraphGym registry entries of :mod:`pyg_rbm`: the whole distillation
pipeline from GraphGym YAML files and grids, without PyTorch Lightning.

Importing this package registers (idempotently) the config groups
:obj:`cfg.rbm`, :obj:`cfg.teacher`, :obj:`cfg.distill`,
:obj:`cfg.extras` and :obj:`cfg.train.mode`, the networks :obj:`"rbm"`,
:obj:`"moe"` and :obj:`"mlp"`, the loss :obj:`"distill"`, the loader of
:obj:`dataset.format: pyg_rbm` and the train loop :obj:`"distill"`. Call
:func:`~torch_geometric.graphgym.config.set_cfg` afterwards so that
GraphGym's :obj:`cfg` holds the new groups
(:func:`~pyg_rbm.graphgym.run.load_experiment_cfg` does).
"""
from . import _graphgym  # noqa: F401 (first: quiet GraphGym import)
from .agg_test import agg_test_splits
from .aggregate import aggregate, format_table
from .config import *  # noqa: F401,F403
from .grid import generate_configs, load_grid, run_grid
from .loader import OneGraphDataset, load_pyg_rbm, student_batch
from .loss import distill_loss
from .network import MLPNetwork, MoENetwork, RbMNetwork, StudentNetwork
from .register import register_all, registered
from .run import load_experiment_cfg, run_experiment
from .train import EpochLogger, train_distill
from .translate import FORMAT, distill_config_from_cfg

register_all()

__all__ = [
    'register_all',
    'registered',
    'FORMAT',
    'distill_config_from_cfg',
    'StudentNetwork',
    'RbMNetwork',
    'MoENetwork',
    'MLPNetwork',
    'distill_loss',
    'OneGraphDataset',
    'load_pyg_rbm',
    'student_batch',
    'EpochLogger',
    'train_distill',
    'agg_test_splits',
    'aggregate',
    'format_table',
    'load_experiment_cfg',
    'run_experiment',
    'load_grid',
    'generate_configs',
    'run_grid',
]
