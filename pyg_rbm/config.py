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
    kd_variant: str = 'hinton'  # or 'reference' (the authors' code)
    tau_squared: bool = False


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
    adv_step_size: Optional[float] = None  # None: adv_epsilon / 4
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
    seeds: List[int] = field(default_factory=lambda: [0])
    baseline_mlp: bool = False  # also train an MLP without a teacher
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
        if not 0.0 < self.extras.adv_fraction <= 1.0:
            raise ValueError(f"'extras.adv_fraction' must lie in (0, 1] "
                             f"(got {self.extras.adv_fraction})")

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)


_SECTIONS = dict(teacher=TeacherConfig, student=StudentConfig,
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


def dataset_defaults(dataset: str, setting: str) -> Dict[str, Any]:
    """The shipped hyperparameters of REFERENCE section 5 for a dataset.

    Returns an empty mapping when the project ships none for it.
    """
    name = dataset.lower().replace('-npz', '').replace('_', '-')
    path = os.path.join(os.path.dirname(__file__), 'configs', f'{name}.yaml')
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        per_setting = yaml.safe_load(f) or {}
    key = 'inductive' if setting == 'inductive' else 'transductive'
    return per_setting.get(key, {})


def load_config(path: Optional[str] = None,
                overrides: Optional[Dict[str, Any]] = None,
                dataset: Optional[str] = None,
                setting: Optional[str] = None) -> DistillConfig:
    """Builds a config: dataset defaults, then a YAML file, then overrides."""
    file_values: Dict[str, Any] = {}
    if path is not None:
        with open(path) as f:
            file_values = yaml.safe_load(f) or {}
        if not isinstance(file_values, dict):
            raise ValueError(f"The config file '{path}' must hold a mapping")
    overrides = dict(overrides or {})
    dataset = dataset or overrides.get('dataset') or file_values.get(
        'dataset', DistillConfig.dataset)
    setting = setting or overrides.get('setting') or file_values.get(
        'setting', DistillConfig.setting)
    config = DistillConfig(dataset=dataset, setting=setting)
    config = merge_config(config, dataset_defaults(dataset, setting))
    config = merge_config(config, file_values)
    config = merge_config(config, overrides)
    config.dataset, config.setting = dataset, setting
    return config
