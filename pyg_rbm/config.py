"""Typed hyperparameters of a distillation run, loadable from YAML."""
import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import yaml

SETTINGS = ('transductive', 'inductive', 'production')
# Graphs a teacher may train on: the whole graph, or the 2-hop
# neighbourhood of the training and validation nodes (train_teacher).
TRAIN_GRAPHS = ('full', 'labelled')
# 'authors': the RbM authors' released pipeline (configs/authors/).
PROTOCOLS = ('default', 'authors')
# Which of epochs tied on validation accuracy is kept (EarlyStopping).
TIES = ('first', 'last')
# When RbM's routing memory moves (RbM.memory_update).
MEMORY_UPDATES = ('step', 'forward')
# One optimizer step per batch, or per epoch over summed batch losses
# (StudentTrainer.optimizer_step).
OPTIMIZER_STEPS = ('batch', 'epoch')


@dataclass
class DataConfig:
    """Feature and graph preprocessing (preprocess_graph)."""
    normalize_features: bool = False  # rows sum to one, as DGL's Planetoid
    self_loops: bool = False  # one self loop per node


@dataclass
class TeacherConfig:
    """The GNN teacher and its training."""
    name: str = 'sage'  # sage, gcn or gat
    hidden_channels: int = 256
    num_layers: int = 2
    dropout: float = 0.5
    norm: Optional[str] = None
    lr: float = 0.01
    weight_decay: float = 5e-4
    epochs: int = 500
    patience: int = 50
    # 'full', or 'labelled': the neighbourhood of the train/val nodes only
    train_graph: str = 'full'
    ties: str = 'first'  # or 'last': keep the later of tied epochs


@dataclass
class StudentConfig:
    """The student architecture (RbM, MoE or MLP)."""
    name: str = 'rbm'  # rbm, moe or mlp
    hidden_channels: int = 512
    num_layers: int = 2
    dropout: float = 0.3
    norm: Optional[str] = None
    num_experts: int = 4
    k: int = 3
    momentum: float = 0.9
    commitment_weight: float = 0.05
    similarity_weight: float = 0.01
    load_balance_weight: float = 0.01
    input_attention: bool = False
    noise_std: float = 1.0  # MoE router noise
    memory_update: str = 'step'  # RbM: or 'forward' (the authors' code)
    scaled_pretraining: bool = True  # RbM: scale and attention pretrained


@dataclass
class TrainConfig:
    """The student optimisation and the distillation objective."""
    lr: float = 0.01
    weight_decay: float = 5e-4
    epochs: int = 500  # after pretraining
    pretrain_epochs: int = 10  # RbM only
    patience: int = 50
    batch_size: int = 4096  # 0 means full batch
    lam: float = 0.2  # weight of the hard-label term
    tau: float = 1.0  # KD temperature
    # 'reference' (the authors' code, for which the shipped tau values
    # were tuned) or 'hinton'
    kd_variant: str = 'reference'
    tau_squared: bool = False
    optimizer_step: str = 'batch'  # or 'epoch' (the authors' code)
    select_pretraining: bool = False  # pretraining epochs selectable
    ties: str = 'first'  # or 'last': keep the later of tied epochs


@dataclass
class ExtrasConfig:
    """Optional knowledge-distillation extras, each off by default."""
    reliable_sampling: bool = False
    rs_momentum: float = 0.99
    rs_bins: int = 50
    rs_start_epoch: int = 50
    rs_noise: float = 1.0
    positional_encoding: bool = False
    pe_dim: int = 64
    pe_walk_length: int = 50
    pe_walks_per_node: int = 5
    pe_window: int = 5
    adversarial: bool = False
    adv_epsilon: float = 0.04
    adv_steps: int = 5
    adv_step_ratio: float = 0.25  # PGD step size / adv_epsilon
    adv_weight: float = 0.05
    adv_fraction: float = 1.0  # share of each batch's nodes perturbed
    similarity: bool = False
    rsd_weight: float = 0.1
    label_propagation: bool = False
    lp_layers: int = 10
    lp_alpha: float = 0.9


@dataclass
class DistillConfig:
    """A whole run: data, setting, teacher, student, training, extras."""
    dataset: str = 'cora'
    root: Optional[str] = None
    setting: str = 'transductive'
    protocol: str = 'default'
    preset: Optional[str] = None  # configs/presets/<preset>.yaml
    seeds: List[int] = field(default_factory=lambda: [0])
    baseline_mlp: bool = False  # also train an MLP without a teacher
    data: DataConfig = field(default_factory=DataConfig)
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    student: StudentConfig = field(default_factory=StudentConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    extras: ExtrasConfig = field(default_factory=ExtrasConfig)

    def __post_init__(self):
        if self.setting not in SETTINGS:
            raise ValueError(f"'setting' must be one of {SETTINGS} "
                             f"(got '{self.setting}')")
        if self.teacher.train_graph not in TRAIN_GRAPHS:
            raise ValueError(f"'teacher.train_graph' must be one of "
                             f"{TRAIN_GRAPHS} "
                             f"(got '{self.teacher.train_graph}')")
        for key, value, choices in (
            ('protocol', self.protocol, PROTOCOLS),
            ('teacher.ties', self.teacher.ties, TIES),
            ('train.ties', self.train.ties, TIES),
            ('student.memory_update', self.student.memory_update,
             MEMORY_UPDATES),
            ('train.optimizer_step', self.train.optimizer_step,
             OPTIMIZER_STEPS),
        ):
            if value not in choices:
                raise ValueError(f"'{key}' must be one of {choices} "
                                 f"(got {value!r})")
        if not self.extras.adv_step_ratio > 0.0:
            raise ValueError(f"'extras.adv_step_ratio' must be positive "
                             f"(got {self.extras.adv_step_ratio})")
        if not 0.0 < self.extras.adv_fraction <= 1.0:
            raise ValueError(f"'extras.adv_fraction' must lie in (0, 1] "
                             f"(got {self.extras.adv_fraction})")

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)


_SECTIONS = dict(data=DataConfig, teacher=TeacherConfig,
                 student=StudentConfig,
                 train=TrainConfig, extras=ExtrasConfig)


def _check_value(section: str, key: str, default: Any, value: Any) -> Any:
    if default is None or value is None:
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"'{section}.{key}' must be a boolean "
                             f"(got {value!r})")
    elif isinstance(default, (int, float)) and not isinstance(default, bool):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"'{section}.{key}' must be a number "
                             f"(got {value!r})")
        if isinstance(default, int) and isinstance(value, float):
            if not value.is_integer():
                raise ValueError(f"'{section}.{key}' must be an integer "
                                 f"(got {value!r})")
            value = int(value)
        if isinstance(default, float):
            value = float(value)
    return value


def merge_config(config: DistillConfig,
                 updates: Dict[str, Any]) -> DistillConfig:
    """Returns a copy of :obj:`config` with nested :obj:`updates` applied.

    Unknown keys and values of the wrong type raise a :class:`ValueError`
    that names the key, before anything runs.
    """
    config = dataclasses.replace(
        config, **{
            name: dataclasses.replace(getattr(config, name))
            for name in _SECTIONS
        })
    for key, value in updates.items():
        if key in _SECTIONS:
            if not isinstance(value, dict):
                raise ValueError(f"'{key}' must be a mapping in the config")
            section = getattr(config, key)
            known = {f.name for f in dataclasses.fields(section)}
            for sub, sub_value in value.items():
                if sub not in known:
                    raise ValueError(f"Unknown config key '{key}.{sub}' "
                                     f"(known: {sorted(known)})")
                sub_value = _check_value(key, sub, getattr(section, sub),
                                         sub_value)
                setattr(section, sub, sub_value)
        elif key in {f.name for f in dataclasses.fields(DistillConfig)}:
            if key == 'seeds' and isinstance(value, int):
                value = list(range(value))
            setattr(config, key, value)
        else:
            raise ValueError(f"Unknown config key '{key}'")
    config.__post_init__()
    return config


_CONFIGS = os.path.join(os.path.dirname(__file__), 'configs')
# Teacher names -> the teacher blocks of the authors' configuration.
_AUTHORS_TEACHERS = {'sage': 'sage', 'graphsage': 'sage', 'sage-gcn': 'sage',
                     'gcn': 'gcn'}


def _read_yaml(path: str) -> Dict[str, Any]:
    with open(path) as f:
        return yaml.safe_load(f) or {}


def dataset_defaults(dataset: str, setting: str) -> Dict[str, Any]:
    """The shipped defaults of a dataset: the RbM authors' hyperparameters
    for the setting, and the graph's preprocessing (``data``).

    Returns an empty mapping when the project ships none for it.
    """
    from pyg_rbm.datasets.registry import dataset_info
    name = dataset_info(dataset).config
    if name is None:
        return {}
    values = _read_yaml(os.path.join(_CONFIGS, f'{name}.yaml'))
    key = 'inductive' if setting == 'inductive' else 'transductive'
    out = dict(values.get(key, {}))
    if 'data' in values:
        out['data'] = values['data']
    return out


def presets() -> List[str]:
    """The names of the shipped presets (``configs/presets/*.yaml``)."""
    folder = os.path.join(_CONFIGS, 'presets')
    return sorted(name[:-5] for name in os.listdir(folder)
                  if name.endswith('.yaml'))


def preset_values(name: str) -> Dict[str, Any]:
    """The config updates of the shipped preset :obj:`name`."""
    if name not in presets():
        raise ValueError(f"Unknown preset '{name}' (known: "
                         f"{', '.join(presets())})")
    return _read_yaml(os.path.join(_CONFIGS, 'presets', f'{name}.yaml'))


def authors_pipeline(dataset: str) -> List[Dict[str, Any]]:
    """The updates that switch a config to the authors' pipeline, to merge
    in order: its options (``options`` of ``configs/authors/protocol.yaml``)
    and their feature and graph preprocessing of :obj:`dataset`.
    """
    from pyg_rbm.datasets import canonical_name
    name = canonical_name(dataset)
    protocol = _read_yaml(os.path.join(_CONFIGS, 'authors', 'protocol.yaml'))
    updates = [protocol['options']]
    path = os.path.join(_CONFIGS, 'authors', f'{name}.yaml')
    if os.path.exists(path):  # the npz graphs are read raw, as theirs are
        updates.append(dict(data=_read_yaml(path)['data']))
    return updates


def authors_defaults(dataset: str, setting: str,
                     teacher: Optional[str] = None,
                     student: Optional[str] = None) -> List[Dict[str, Any]]:
    """The updates of :obj:`protocol="authors"`, to merge in order: the
    authors' pipeline (:func:`authors_pipeline`) and the values their
    script uses everywhere (``values`` of ``configs/authors/protocol.yaml``),
    then their hyperparameters for the dataset, setting, teacher (default
    ``sage``) and student (default ``rbm``).

    Where the authors published no values for the dataset, only the
    pipeline and the common values apply.
    """
    from pyg_rbm.datasets.registry import dataset_info
    name = dataset_info(dataset).name
    updates = authors_pipeline(name)
    protocol = _read_yaml(os.path.join(_CONFIGS, 'authors', 'protocol.yaml'))
    updates.append(protocol['values'])
    # The graph's values: those of the same graph for the CPF versions.
    source = dataset_info(name).config or name
    path = os.path.join(_CONFIGS, 'authors', f'{source}.yaml')
    if not os.path.exists(path):
        return updates
    values = _read_yaml(path)
    key = 'inductive' if setting == 'inductive' else 'transductive'
    teacher = teacher or 'sage'
    student = student or 'rbm'
    blocks = values.get(key, {})
    block = blocks.get(_AUTHORS_TEACHERS.get(str(teacher).lower(), ''))
    if block is None:
        raise ValueError(f"The authors' configuration of '{name}' "
                         f"({key}) has no '{teacher}' teacher (known: "
                         f"{sorted(blocks)}); choose one or 'protocol: "
                         f"default'")
    if student not in block:
        raise ValueError(f"The authors' configuration of '{name}' "
                         f"({key}) has no '{student}' student (known: "
                         f"{sorted(block)})")
    updates.append(block[student])
    updates.append(dict(student=dict(name=student)))
    return updates


def load_config(path: Optional[str] = None,
                overrides: Optional[Dict[str, Any]] = None,
                dataset: Optional[str] = None,
                setting: Optional[str] = None,
                protocol: Optional[str] = None,
                preset: Optional[str] = None) -> DistillConfig:
    """Builds a config: the protocol's dataset defaults (the project's, or
    the authors' pipeline and values with :obj:`protocol="authors"`), then
    a preset (:func:`presets`), then a YAML file, then overrides.
    """
    file_values: Dict[str, Any] = {}
    if path is not None:
        with open(path) as f:
            file_values = yaml.safe_load(f) or {}
        if not isinstance(file_values, dict):
            raise ValueError(f"The config file '{path}' must hold a mapping")
    overrides = dict(overrides or {})

    def chosen(key: str, default: Any) -> Any:
        return overrides.get(key) or file_values.get(key, default)

    def chosen_in(section: str, key: str) -> Any:
        for source in (overrides, file_values):
            value = (source.get(section) or {}).get(key)
            if value is not None:
                return value
        return None

    from pyg_rbm.datasets.registry import dataset_info
    # Unknown names fail here, before any work; aliases become the name.
    dataset = dataset_info(dataset or chosen('dataset',
                                             DistillConfig.dataset)).name
    setting = setting or chosen('setting', DistillConfig.setting)
    protocol = protocol or chosen('protocol', DistillConfig.protocol)
    preset = preset or chosen('preset', None)
    preset_updates = preset_values(preset) if preset else {}
    config = DistillConfig(dataset=dataset, setting=setting,
                           protocol=protocol)
    if protocol == 'authors':
        for update in authors_defaults(dataset, setting,
                                       chosen_in('teacher', 'name'),
                                       chosen_in('student', 'name')):
            config = merge_config(config, update)
    else:
        config = merge_config(config, dataset_defaults(dataset, setting))
    config = merge_config(config, preset_updates)
    config = merge_config(config, file_values)
    config = merge_config(config, overrides)
    config.dataset, config.setting = dataset, setting
    config.protocol, config.preset = protocol, preset
    return config
