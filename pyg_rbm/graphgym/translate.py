"""The one place where GraphGym's global ``cfg`` becomes a DistillConfig."""
import dataclasses
from typing import Any, Dict, Tuple

from yacs.config import CfgNode as CN

from pyg_rbm.config import (
    DistillConfig,
    ExtrasConfig,
    authors_pipeline,
    merge_config,
)

__all__ = ['FORMAT', 'KEYS', 'group_defaults', 'distill_config_from_cfg',
           'num_processes']

FORMAT = 'pyg_rbm'  # cfg.dataset.format served by this plugin's loader
NORMS = ('none', 'batch_norm', 'layer_norm')


def _get(cfg: Any, key: str) -> Any:
    node = cfg
    for part in key.split('.'):
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    return node


# DistillConfig key -> the GraphGym key that holds it. Ranges and choices
# are those of the config schema (pyg_rbm.config); only the keys that have
# no counterpart there are checked in _graphgym_checks.
KEYS: Dict[str, str] = {
    'dataset': 'dataset.name', 'root': 'dataset.dir',
    'setting': 'distill.setting', 'protocol': 'distill.protocol',
    'baseline_mlp': 'distill.baseline_mlp',
    'device': 'accelerator', 'processes': 'devices',
    'data.normalize_features': 'distill.normalize_features',
    'data.self_loops': 'distill.self_loops',
    # The size of the generated graph 'csbm'.
    **{f'data.{k}': f'distill.csbm_{k}'
       for k in ('num_nodes', 'num_classes', 'num_features', 'avg_degree',
                 'homophily')},
    **{f'teacher.{k}': f'teacher.{k}'
       for k in ('name', 'hidden_channels', 'num_layers', 'dropout', 'norm',
                 'heads', 'gcn_normalize', 'gcn_improved', 'lr',
                 'weight_decay', 'epochs', 'patience', 'train_graph',
                 'ties', 'selection')},
    'student.name': 'model.type', 'student.hidden_channels': 'gnn.dim_inner',
    'student.num_layers': 'gnn.layers_post_mp',
    'student.dropout': 'gnn.dropout', 'student.norm': 'gnn.batchnorm',
    **{f'student.{k}': f'rbm.{k}'
       for k in ('num_experts', 'k', 'momentum', 'commitment_weight',
                 'similarity_weight', 'load_balance_weight',
                 'input_attention', 'noise_std', 'memory_update',
                 'scaled_pretraining')},
    'train.lr': 'optim.base_lr', 'train.weight_decay': 'optim.weight_decay',
    'train.epochs': 'optim.max_epoch',
    'train.pretrain_epochs': 'rbm.pretrain_epochs',
    'train.batch_size': 'train.batch_size',
    **{f'train.{k}': f'distill.{k}'
       for k in ('patience', 'lam', 'tau', 'kd_variant', 'tau_squared',
                 'optimizer_step', 'select_pretraining', 'ties',
                 'lr_decay_patience', 'lr_decay_factor', 'selection',
                 'weight_average')},
    **{f'extras.{f.name}': f'extras.{f.name}'
       for f in dataclasses.fields(ExtrasConfig)},
}


def group_defaults(group: str) -> CN:
    r"""The config group :obj:`cfg.<group>` of this plugin (:obj:`"rbm"`,
    :obj:`"teacher"`, :obj:`"distill"` or :obj:`"extras"`): every key of
    :obj:`KEYS` in that group, at the default of the
    :class:`~pyg_rbm.config.DistillConfig` field it holds.
    """
    defaults = DistillConfig()
    node = CN()
    for key, cfg_key in KEYS.items():
        section, _, name = cfg_key.partition('.')
        if section != group:
            continue
        value = _get(defaults, key)
        if key == 'teacher.norm':  # yacs keeps the type: a string
            value = value or 'none'
        node[name] = value
    if not node:
        raise ValueError(f"'{group}' is no config group of this plugin in "
                         f"'group_defaults'")
    return node


def _graphgym_checks() -> Dict[str, Tuple[Tuple[Any, ...], str]]:
    # GraphGym keys with no counterpart in the schema: what this plugin
    # supports of GraphGym's own options.
    return {
        'train.mode': (('distill', ), 'distill'),
        'dataset.format': ((FORMAT, ), FORMAT),
        'dataset.task': (('node', ), 'node'),
        # GraphGym's loaders hand over the whole graph; the core batches.
        'train.sampler': (('full_batch', ), 'full_batch'),
        'val.sampler': (('full_batch', ), 'full_batch'),
        # The student is graph-free: its depth is gnn.layers_post_mp.
        'gnn.layers_pre_mp': ((0, ), '0'),
        'gnn.layers_mp': ((0, ), '0'),
        'optim.optimizer': (('adam', ), 'adam'),
        'optim.scheduler': (('none', ), 'none'),
        'teacher.norm': (NORMS, ', '.join(NORMS)),
    }


def _cfg_value(cfg: CN, key: str) -> Any:
    value = _get(cfg, KEYS[key])
    if key == 'root':
        return value or None
    if key == 'teacher.norm':
        return None if value == 'none' else value
    if key == 'student.norm':
        return 'batch_norm' if value else None
    if key == 'device' and value == 'gpu':  # Lightning's name
        return 'cuda'
    if key == 'processes':
        return num_processes(cfg)
    return value


def _renamed(error: ValueError) -> ValueError:
    # The schema names its own keys; a GraphGym user set the cfg keys.
    message = str(error)
    for key in sorted(KEYS, key=len, reverse=True):
        if f"'{key}'" in message:
            message = message.replace(f"'{key}'", f"'cfg.{KEYS[key]}'")
    return ValueError(f'{message} in \'distill_config_from_cfg\'')


def distill_config_from_cfg(cfg: CN) -> DistillConfig:
    r"""Translates GraphGym's :obj:`cfg` into the
    :class:`~pyg_rbm.config.DistillConfig` that the training core runs.

    GraphGym keys map where natural: :obj:`dataset.name` and
    :obj:`dataset.dir` (the data root; :obj:`""` means
    :obj:`$PYG_RBM_DATA` or :obj:`./data`), :obj:`model.type` (the student:
    :obj:`"rbm"`, :obj:`"moe"` or :obj:`"mlp"`), :obj:`gnn.dim_inner`,
    :obj:`gnn.layers_post_mp` (the graph-free student's depth),
    :obj:`gnn.dropout`, :obj:`gnn.batchnorm`, :obj:`optim.base_lr`,
    :obj:`optim.weight_decay`, :obj:`optim.max_epoch` (student epochs after
    pretraining), :obj:`train.batch_size`, :obj:`accelerator` (the device;
    Lightning's :obj:`"gpu"` means :obj:`"cuda"`) and :obj:`seed` (the only
    seed of the returned config); the groups :obj:`cfg.rbm`,
    :obj:`cfg.teacher`, :obj:`cfg.distill` and :obj:`cfg.extras` hold the
    rest. With :obj:`cfg.distill.protocol="authors"` the options of the
    authors' pipeline and their preprocessing of the dataset
    (:func:`~pyg_rbm.config.authors_pipeline`) replace those of the groups;
    the hyperparameters stay those of :obj:`cfg`. :obj:`devices`, the
    number of processes (:func:`num_processes`, one GPU each with CUDA), is
    checked here and used by :func:`~pyg_rbm.graphgym.run_experiment`.

    Choices and ranges are checked here, so that a bad value fails with a
    :class:`ValueError` naming its :obj:`cfg` key before anything runs;
    yacs itself rejects unknown keys and values of the wrong type when the
    YAML file is merged.

    Args:
        cfg (yacs.config.CfgNode): GraphGym's config, with the groups of
            :mod:`pyg_rbm.graphgym.config` (call
            :func:`~torch_geometric.graphgym.config.set_cfg` after importing
            :mod:`pyg_rbm.graphgym`).
    """
    for group in ('rbm', 'teacher', 'distill', 'extras'):
        if group not in cfg:
            raise ValueError(f"'cfg' has no group '{group}' in "
                             f"'distill_config_from_cfg': call set_cfg(cfg) "
                             f"after importing 'pyg_rbm.graphgym'")
    for key, (choices, text) in _graphgym_checks().items():
        value = _get(cfg, key)
        if value not in choices:
            raise ValueError(f"'cfg.{key}' must be one of {text} in "
                             f"'distill_config_from_cfg' (got {value!r})")
    updates: Dict[str, Any] = {}
    for key in KEYS:
        section, _, name = key.rpartition('.')
        target = updates.setdefault(section, {}) if section else updates
        target[name] = _cfg_value(cfg, key)
    updates['seeds'] = [cfg.seed]
    try:
        config = merge_config(DistillConfig(), updates)
        from pyg_rbm.datasets import canonical_name
        config.dataset = canonical_name(config.dataset)
        config.check()
        if config.protocol == 'authors':
            for update in authors_pipeline(config.dataset):
                config = merge_config(config, update)
        config.check_processes()
    except ValueError as error:
        raise _renamed(error) from error
    return config


def num_processes(cfg: CN) -> int:
    r"""The number of processes a run of :obj:`cfg` trains on, one per
    device: :obj:`cfg.devices` (:obj:`None` and :obj:`"auto"` mean one), a
    positive integer, else a :class:`ValueError` naming it.
    """
    devices = cfg.get('devices')
    if devices in (None, 'auto'):
        return 1
    if isinstance(devices, str) and devices.isdigit():
        devices = int(devices)
    if isinstance(devices, bool) or not isinstance(devices, int) or \
            devices < 1:
        raise ValueError(f"'cfg.devices' must be a positive integer (the "
                         f"number of processes, one per device) in "
                         f"'distill_config_from_cfg' (got {devices!r})")
    return devices
