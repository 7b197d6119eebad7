"""The one place where GraphGym's global ``cfg`` becomes a DistillConfig."""
from typing import Any, Callable, List, Tuple

from yacs.config import CfgNode as CN

from pyg_rbm.config import (
    MEMORY_UPDATES,
    OPTIMIZER_STEPS,
    PROTOCOLS,
    SETTINGS,
    TIES,
    TRAIN_GRAPHS,
    DataConfig,
    DistillConfig,
    ExtrasConfig,
    StudentConfig,
    TeacherConfig,
    TrainConfig,
    authors_pipeline,
    merge_config,
)

__all__ = ['FORMAT', 'distill_config_from_cfg']

FORMAT = 'pyg_rbm'  # cfg.dataset.format served by this plugin's loader
NORMS = ('none', 'batch_norm', 'layer_norm')


def _get(cfg: CN, key: str) -> Any:
    node = cfg
    for part in key.split('.'):
        node = node[part]
    return node


def _checks() -> List[Tuple[str, Callable[[Any], bool], str]]:
    from pyg_rbm.nn.build import STUDENTS
    from pyg_rbm.teachers import TEACHERS
    from pyg_rbm.train.loss import KD_VARIANTS

    def one_of(choices: Tuple[Any, ...]) -> Tuple[Callable, str]:
        return (lambda v: v in choices), f'one of {list(choices)}'

    positive = (lambda v: v >= 1), 'a positive integer'
    non_negative = (lambda v: v >= 0), 'non-negative'
    rate = (lambda v: 0.0 <= v < 1.0), 'in [0, 1)'
    table = {
        'train.mode': one_of(('distill', )),
        'dataset.format': one_of((FORMAT, )),
        'dataset.task': one_of(('node', )),
        # The student is graph-free: its depth is gnn.layers_post_mp.
        'gnn.layers_pre_mp': one_of((0, )),
        'gnn.layers_mp': one_of((0, )),
        'gnn.layers_post_mp': positive,
        'gnn.dim_inner': positive,
        'gnn.dropout': rate,
        'optim.optimizer': one_of(('adam', )),
        'optim.scheduler': one_of(('none', )),
        'optim.base_lr': ((lambda v: v > 0), 'positive'),
        'optim.weight_decay': non_negative,
        'optim.max_epoch': positive,
        'train.batch_size': non_negative,
        'model.type': one_of(STUDENTS),
        'rbm.num_experts': positive,
        'rbm.pretrain_epochs': non_negative,
        'teacher.name': one_of(TEACHERS),
        'teacher.norm': one_of(NORMS),
        'teacher.hidden_channels': positive,
        'teacher.num_layers': positive,
        'teacher.dropout': rate,
        'teacher.epochs': positive,
        'teacher.train_graph': one_of(TRAIN_GRAPHS),
        'teacher.ties': one_of(TIES),
        'rbm.memory_update': one_of(MEMORY_UPDATES),
        'distill.protocol': one_of(PROTOCOLS),
        'distill.optimizer_step': one_of(OPTIMIZER_STEPS),
        'distill.ties': one_of(TIES),
        'distill.setting': one_of(SETTINGS),
        'distill.kd_variant': one_of(KD_VARIANTS),
        'distill.lam': ((lambda v: 0.0 <= v <= 1.0), 'in [0, 1]'),
        'distill.tau': ((lambda v: v > 0), 'positive'),
    }
    return [(key, test, text) for key, (test, text) in table.items()]


def _validate(cfg: CN) -> None:
    for key, test, text in _checks():
        value = _get(cfg, key)
        if not test(value):
            raise ValueError(f"'cfg.{key}' must be {text} in "
                             f"'distill_config_from_cfg' (got {value!r})")
    if cfg.model.type != 'mlp' and not 1 <= cfg.rbm.k <= cfg.rbm.num_experts:
        raise ValueError(f"'cfg.rbm.k' must lie in [1, cfg.rbm.num_experts="
                         f"{cfg.rbm.num_experts}] in 'distill_config_from_cfg'"
                         f" (got {cfg.rbm.k})")
    from pyg_rbm.datasets import canonical_name
    canonical_name(cfg.dataset.name)  # raises on an unknown dataset


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
    pretraining), :obj:`train.batch_size` and :obj:`seed` (the only seed of
    the returned config); the groups :obj:`cfg.rbm`, :obj:`cfg.teacher`,
    :obj:`cfg.distill` and :obj:`cfg.extras` hold the rest. With
    :obj:`cfg.distill.protocol="authors"` the options of the authors'
    pipeline and their preprocessing of the dataset
    (:func:`~pyg_rbm.config.authors_pipeline`) replace those of the groups;
    the hyperparameters stay those of :obj:`cfg`.

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
    _validate(cfg)
    r, t, d = cfg.rbm, cfg.teacher, cfg.distill
    teacher = TeacherConfig(
        name=t.name, hidden_channels=t.hidden_channels,
        num_layers=t.num_layers, dropout=t.dropout,
        norm=None if t.norm == 'none' else t.norm, lr=t.lr,
        weight_decay=t.weight_decay, epochs=t.epochs, patience=t.patience,
        train_graph=t.train_graph, ties=t.ties)
    student = StudentConfig(
        name=cfg.model.type, hidden_channels=cfg.gnn.dim_inner,
        num_layers=cfg.gnn.layers_post_mp, dropout=cfg.gnn.dropout,
        norm='batch_norm' if cfg.gnn.batchnorm else None,
        num_experts=r.num_experts, k=r.k, momentum=r.momentum,
        commitment_weight=r.commitment_weight,
        similarity_weight=r.similarity_weight,
        load_balance_weight=r.load_balance_weight,
        input_attention=r.input_attention, noise_std=r.noise_std,
        memory_update=r.memory_update,
        scaled_pretraining=r.scaled_pretraining)
    train = TrainConfig(
        lr=cfg.optim.base_lr, weight_decay=cfg.optim.weight_decay,
        epochs=cfg.optim.max_epoch, pretrain_epochs=r.pretrain_epochs,
        patience=d.patience, batch_size=cfg.train.batch_size, lam=d.lam,
        tau=d.tau, kd_variant=d.kd_variant, tau_squared=d.tau_squared,
        optimizer_step=d.optimizer_step,
        select_pretraining=d.select_pretraining, ties=d.ties)
    extras = ExtrasConfig(**dict(cfg.extras))
    data = DataConfig(normalize_features=d.normalize_features,
                      self_loops=d.self_loops)
    config = DistillConfig(dataset=cfg.dataset.name,
                           root=cfg.dataset.dir or None, setting=d.setting,
                           protocol=d.protocol, seeds=[cfg.seed],
                           baseline_mlp=d.baseline_mlp, data=data,
                           teacher=teacher, student=student, train=train,
                           extras=extras)
    if d.protocol == 'authors':
        for update in authors_pipeline(cfg.dataset.name):
            config = merge_config(config, update)
    return config
