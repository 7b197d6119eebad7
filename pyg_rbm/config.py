"""Typed hyperparameters of a distillation run, loadable from YAML."""
import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import yaml

from pyg_rbm.datasets.registry import CSBM_DEFAULTS
from pyg_rbm.schema import check_fields, param, schema_rows

SETTINGS = ('transductive', 'inductive', 'production')
# Graphs a teacher may train on: the whole graph, or the 2-hop
# neighbourhood of the training and validation nodes (train_teacher).
TRAIN_GRAPHS = ('full', 'labelled')
# 'authors': the RbM authors' released pipeline (configs/authors/).
PROTOCOLS = ('default', 'authors')
# Which of epochs tied on validation accuracy is kept (EarlyStopping).
TIES = ('first', 'last')
# The validation score that selects an epoch (train_teacher,
# StudentTrainer).
SELECTIONS = ('accuracy', 'loss')
# When RbM's routing memory moves (RbM.memory_update).
MEMORY_UPDATES = ('step', 'forward')
# One optimizer step per batch, or per epoch over summed batch losses
# (StudentTrainer.optimizer_step).
OPTIMIZER_STEPS = ('batch', 'epoch')
# The KD term (pyg_rbm.train.loss.kd_loss).
KD_VARIANTS = ('hinton', 'reference')
_SECTION_NAMES = ('data', 'teacher', 'student', 'train', 'extras')
# Where a run executes, not what it computes: left out of its identity and
# of its stored hyperparameters (the machine is recorded apart).
PLACEMENT_KEYS = ('root', 'seeds', 'device', 'processes')


# What the generated graph 'csbm' takes (make_csbm), its defaults once.
_CSBM = CSBM_DEFAULTS


@dataclass
class DataConfig:
    """Feature and graph preprocessing (preprocess_graph), and the size of
    the generated graph 'csbm'.
    """
    normalize_features: bool = param(
        False, 'divide each feature row by its sum, as DGL\'s Planetoid')
    self_loops: bool = param(False, 'give every node one self loop')
    num_nodes: int = param(_CSBM['num_nodes'], 'csbm only: nodes', ge=1)
    num_classes: int = param(_CSBM['num_classes'], 'csbm only: classes',
                             ge=2)
    num_features: int = param(_CSBM['num_features'], 'csbm only: features',
                              ge=1)
    avg_degree: float = param(_CSBM['avg_degree'],
                              'csbm only: mean degree', ge=0.0)
    homophily: float = param(_CSBM['homophily'],
                             'csbm only: share of edges within a class',
                             ge=0.0, le=1.0)

    def generator_options(self) -> Dict[str, Any]:
        """The options of the generated graph that differ from its
        defaults.
        """
        return {key: getattr(self, key) for key, default in _CSBM.items()
                if getattr(self, key) != default}


@dataclass
class TeacherConfig:
    """The GNN teacher and its training."""
    name: str = param(
        'sage', "the GNN teacher: 'sage-gcn', GraphSAGE with the GCN "
        "aggregator (the shipped datasets' default); 'sage', PyG's "
        "GraphSAGE (mean and a root weight); 'gcn'; 'gat'")
    hidden_channels: int = param(256, 'hidden width', ge=1)
    num_layers: int = param(2, 'message-passing layers', ge=1)
    dropout: float = param(0.5, 'dropout probability', ge=0, lt=1)
    norm: Optional[str] = param(None, 'normalisation layer, or none')
    heads: int = param(1, "gat only: attention heads (hidden heads are "
                       "concatenated: 'hidden_channels' must divide by it)",
                       ge=1)
    gcn_normalize: bool = param(True, "gcn only: symmetric normalisation "
                                "with self loops; false sums raw weights")
    gcn_improved: bool = param(False, "gcn only: self loops of weight 2 "
                               "(GCNConv's 'improved')")
    lr: float = param(0.01, 'Adam learning rate', gt=0)
    weight_decay: float = param(5e-4, 'Adam weight decay', ge=0)
    epochs: int = param(500, 'maximum training epochs', ge=1)
    patience: int = param(50, 'early-stopping patience in epochs', ge=1)
    train_graph: str = param(
        'full', "the graph of the teacher's epochs: 'full', or 'labelled' "
        '(the neighbourhood of the training and validation nodes: the same '
        'result for sage and gat, much cheaper on large graphs)',
        choices=TRAIN_GRAPHS)
    ties: str = param('first', 'which of epochs tied on the selection '
                      'score is kept', choices=TIES)
    selection: str = param(
        'accuracy', "the validation score that selects the teacher's "
        "epoch: 'accuracy' (or the dataset's metric), or 'loss' (the "
        'cross-entropy, which passes over an early epoch of good accuracy '
        'but near-uniform outputs, whose soft labels teach little)',
        choices=SELECTIONS)


@dataclass
class StudentConfig:
    """The student architecture (RbM, MoE or MLP)."""
    name: str = param('rbm', "the graph-free student: 'rbm', 'moe' or "
                      "'mlp'")
    hidden_channels: int = param(512, 'hidden width', ge=1)
    num_layers: int = param(2, 'layers', ge=1)
    dropout: float = param(0.3, 'dropout probability', ge=0, lt=1)
    norm: Optional[str] = param(None, 'normalisation layer, or none')
    num_experts: int = param(4, 'experts per layer (RbM, MoE)', ge=1)
    k: int = param(3, 'experts each node is routed to, at most num_experts',
                   ge=1)
    momentum: float = param(0.9, 'RbM memory moving-average momentum', ge=0,
                            le=1)
    commitment_weight: float = param(0.05, 'RbM commitment loss weight',
                                     ge=0)
    similarity_weight: float = param(0.01, 'RbM self-similarity loss weight',
                                     ge=0)
    load_balance_weight: float = param(0.01, 'load-balance loss weight',
                                       ge=0)
    input_attention: bool = param(False, 'RbM per-expert input scaling')
    noise_std: float = param(1.0, 'MoE router noise', ge=0)
    memory_update: str = param(
        'step', "when RbM's memory moves: each optimizer 'step', or each "
        "training 'forward' (the authors' code)", choices=MEMORY_UPDATES)
    scaled_pretraining: bool = param(
        True, 'RbM pretraining with output scale and input attention')


@dataclass
class TrainConfig:
    """The student optimisation and the distillation objective."""
    lr: float = param(0.01, 'Adam learning rate', gt=0)
    weight_decay: float = param(5e-4, 'Adam weight decay', ge=0)
    epochs: int = param(500, 'maximum epochs after pretraining', ge=1)
    pretrain_epochs: int = param(10, 'RbM pretraining epochs', ge=0)
    patience: int = param(50, 'early-stopping patience in epochs', ge=1)
    batch_size: int = param(4096, 'nodes per batch; 0 means full batch',
                            ge=0)
    lam: float = param(0.2, 'weight of the hard-label term', ge=0, le=1)
    tau: float = param(1.0, 'KD temperature', gt=0)
    kd_variant: str = param(
        'reference', "'reference': the authors' KD, for which the shipped "
        "tau values were tuned; 'hinton': standard KD", choices=KD_VARIANTS)
    tau_squared: bool = param(False, 'scale the Hinton KD term by tau ** 2')
    optimizer_step: str = param(
        'batch', "one optimizer step per 'batch', or per 'epoch' over "
        "summed losses (the authors' code)", choices=OPTIMIZER_STEPS)
    select_pretraining: bool = param(False, 'pretraining epochs selectable')
    ties: str = param('first', 'which of epochs tied on validation '
                      'accuracy is kept', choices=TIES)
    lr_decay_patience: int = param(
        0, 'multiply the learning rate by lr_decay_factor after more than '
        'this many selectable epochs without a better validation accuracy; '
        '0: constant', ge=0)
    lr_decay_factor: float = param(0.5, 'factor of a learning-rate decay',
                                   gt=0, lt=1)
    selection: str = param(
        'accuracy', "the validation score that selects the student's "
        "epoch: 'accuracy' (or the dataset's metric), or 'loss' (the "
        'cross-entropy against the labels)', choices=SELECTIONS)
    weight_average: float = param(
        0.9, 'evaluate and select an exponential moving average of the '
        'weights with this decay per selectable epoch; 0: the weights as '
        'trained', ge=0, lt=1)


@dataclass
class ExtrasConfig:
    """Optional knowledge-distillation extras, each off by default."""
    reliable_sampling: bool = param(False,
                                    'reliable neighbour distillation (KRD)')
    rs_momentum: float = param(0.99, 'reliable sampling momentum', ge=0,
                               le=1)
    rs_bins: int = param(50, 'reliable sampling histogram bins', ge=1)
    rs_start_epoch: int = param(50, 'first reliable sampling update', ge=0)
    rs_noise: float = param(1.0, 'std of the feature noise of the '
                            'reliability estimate', ge=0)
    positional_encoding: bool = param(
        False, 'DeepWalk positional encodings (NOSMOG)')
    pe_dim: int = param(64, 'positional encoding dimensions', ge=1)
    pe_walk_length: int = param(50, 'DeepWalk walk length', ge=1)
    pe_walks_per_node: int = param(5, 'DeepWalk walks per node', ge=1)
    pe_window: int = param(5, 'DeepWalk context window', ge=1)
    pe_scale: float = param(
        0.0, "positional encodings rescaled to this multiple of the "
        "features' mean row L2 norm; 0 keeps DeepWalk's scale", ge=0)
    adversarial: bool = param(
        False, 'adversarial (PGD) feature augmentation (NOSMOG)')
    adv_epsilon: float = param(0.04, 'radius of the perturbation ball', gt=0)
    adv_steps: int = param(5, 'PGD steps', ge=1)
    adv_step_ratio: float = param(0.25, 'PGD step size / adv_epsilon', gt=0)
    adv_weight: float = param(0.05, 'adversarial loss weight', ge=0)
    adv_fraction: float = param(1.0, "share of each batch's nodes perturbed",
                                gt=0, le=1)
    similarity: bool = param(
        False, 'representation-similarity distillation (NOSMOG)')
    rsd_weight: float = param(0.1, 'similarity distillation weight', ge=0)
    label_propagation: bool = param(False,
                                    'label-propagation features (CoHOp)')
    lp_layers: int = param(10, 'label-propagation steps', ge=1)
    lp_alpha: float = param(0.9, 'label-propagation alpha', ge=0, le=1)


# Each extra's switch and the prefix of the settings that only it reads: a
# setting of an extra that is off changes nothing in a run.
EXTRA_SETTINGS = {
    'reliable_sampling': 'rs_',
    'positional_encoding': 'pe_',
    'adversarial': 'adv_',
    'similarity': 'rsd_',
    'label_propagation': 'lp_',
}


@dataclass
class DistillConfig:
    """A whole run: data, setting, teacher, student, training, extras."""
    dataset: str = param('cora', 'dataset name or alias')
    root: Optional[str] = param(None, 'data root')
    setting: str = param('transductive', 'what the test measures',
                         choices=SETTINGS)
    protocol: str = param('default', "'authors': the RbM authors' pipeline",
                          choices=PROTOCOLS)
    preset: Optional[str] = None  # configs/presets/<preset>.yaml
    seeds: List[int] = field(default_factory=lambda: [0])
    baseline_mlp: bool = param(False,
                               'also train an MLP without a teacher')
    device: str = param(
        'auto', "where the run's tensors live: 'auto' (CUDA when "
        "available), 'cpu', 'cuda' or 'cuda:N'")
    processes: int = param(
        1, 'processes that train the student together (torch.distributed; '
        'one GPU each with CUDA): more than one are started by the run, '
        'or by torchrun', ge=1)
    data: DataConfig = field(default_factory=DataConfig)
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    student: StudentConfig = field(default_factory=StudentConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    extras: ExtrasConfig = field(default_factory=ExtrasConfig)

    def __post_init__(self):
        check_fields(self)
        for name in _SECTION_NAMES:
            check_fields(getattr(self, name), f'{name}.')
        if not self.seeds or any(
                isinstance(s, bool) or not isinstance(s, int) or s < 0
                for s in self.seeds):
            raise ValueError(f"'seeds' must be a non-empty list of "
                             f"non-negative integers (got {self.seeds!r})")

    def check(self) -> None:
        """Checks what depends on several keys, and the names of the
        teacher and the student; :func:`load_config` calls it last.
        """
        from pyg_rbm.device import check_device
        from pyg_rbm.nn.build import STUDENTS
        from pyg_rbm.teachers.build import _ALIASES, TEACHERS
        check_device(self.device)
        options = self.data.generator_options()
        if options and self.dataset != 'csbm':
            raise ValueError(f"'data.{sorted(options)[0]}' sets the size of "
                             f"the generated graph 'csbm' only (the dataset "
                             f"is {self.dataset!r})")
        if self.teacher.name.lower() not in TEACHERS + tuple(_ALIASES):
            raise ValueError(f"'teacher.name' must be one of {TEACHERS} "
                             f"(got {self.teacher.name!r})")
        teacher = _ALIASES.get(self.teacher.name.lower(),
                               self.teacher.name.lower())
        t = self.teacher
        if (teacher == 'gat' and t.num_layers > 1
                and t.hidden_channels % t.heads):
            raise ValueError(f"'teacher.hidden_channels' ({t.hidden_channels})"
                             f" must divide by 'teacher.heads' ({t.heads})")
        only = dict(heads='gat', gcn_normalize='gcn', gcn_improved='gcn')
        for key, owner in only.items():
            if (teacher != owner and getattr(self.teacher, key) !=
                    getattr(TeacherConfig, key)):
                raise ValueError(f"'teacher.{key}' applies to the "
                                 f"'{owner}' teacher only (the teacher is "
                                 f"{self.teacher.name!r})")
        if self.student.name not in STUDENTS:
            raise ValueError(f"'student.name' must be one of {STUDENTS} "
                             f"(got {self.student.name!r})")
        if self.student.name != 'mlp' and (self.student.k >
                                           self.student.num_experts):
            raise ValueError(f"'student.k' must be at most "
                             f"'student.num_experts' "
                             f"({self.student.num_experts}) "
                             f"(got {self.student.k})")

    def check_processes(self, num_processes: Optional[int] = None) -> None:
        """Checks that the student can train on :obj:`num_processes`
        processes (default: :obj:`processes`; see
        :mod:`pyg_rbm.distributed`); a :class:`ValueError` names each
        option that cannot, or the device the processes cannot have.
        """
        n = self.processes if num_processes is None else num_processes
        if n <= 1:
            return
        import torch
        from torch_geometric.resolver import normalize_string
        cuda = self.device.startswith('cuda') or (
            self.device == 'auto' and torch.cuda.is_available())
        batch_norm = self.student.norm is not None and normalize_string(
            self.student.norm) in ('batch', 'batchnorm')
        refused = [
            text for text, used in (
                # (Their losses are not sums over the nodes of a batch.)
                ("'extras.adversarial'", self.extras.adversarial),
                ("'extras.similarity'", self.extras.similarity),
                ("'train.optimizer_step' set to 'epoch'",
                 self.train.optimizer_step == 'epoch'),
                # (PyTorch's SyncBatchNorm needs CUDA.)
                ("'student.norm' set to batch normalisation on the CPU",
                 batch_norm and not cuda),
            ) if used
        ]
        if refused:
            why = (" ('protocol' 'authors' steps once an epoch)"
                   if self.protocol == 'authors'
                   and self.train.optimizer_step == 'epoch' else '')
            raise ValueError(f"{', '.join(refused)} cannot train on several "
                             f"processes ({n} asked for){why}")
        if not cuda:
            return
        # One GPU per process of this machine, its LOCAL_RANK.
        if ':' in self.device:
            raise ValueError(f"'device' names one GPU ({self.device!r}) but "
                             f"'processes' is {n}: give 'cuda' (each "
                             f"process takes its own)")
        local = int(os.environ.get('LOCAL_WORLD_SIZE', n))
        if torch.cuda.device_count() < local:
            raise ValueError(f"'processes' is {n}, {local} on this machine, "
                             f"but it has {torch.cuda.device_count()} CUDA "
                             f"device(s) for 'device' {self.device!r}")

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)

    def load_dataset(self, seed: int = 0) -> Any:
        """The config's dataset (:func:`pyg_rbm.datasets.load_dataset`),
        the generated graph of the size the config sets.
        """
        from pyg_rbm.datasets import load_dataset
        return load_dataset(self.dataset, self.root, seed=seed,
                            **self.data.generator_options())


_SECTIONS = dict(data=DataConfig, teacher=TeacherConfig,
                 student=StudentConfig,
                 train=TrainConfig, extras=ExtrasConfig)


def config_field(key: str) -> dataclasses.Field:
    """The declaration of a config key, *e.g.* ``'train.lam'``: default,
    help, range and choices (see :func:`pyg_rbm.schema.param`).
    """
    section, _, name = key.rpartition('.')
    cls = _SECTIONS.get(section) if section else DistillConfig
    fields = {f.name: f for f in dataclasses.fields(cls)} if cls else {}
    if name not in fields or 'help' not in fields[name].metadata:
        raise ValueError(f"Unknown config key '{key}' in 'config_field'")
    return fields[name]


def config_keys() -> List[Tuple[str, Any, str, str]]:
    """(key, default, allowed values, help) of every config key, in the
    order of the sections.
    """
    rows = list(schema_rows(DistillConfig))
    for section, cls in _SECTIONS.items():
        rows += schema_rows(cls, f'{section}.')
    return rows


def _check_value(section: str, key: str, default: Any, value: Any) -> Any:
    if default is None or value is None:
        return value
    if isinstance(default, (int, float)) and isinstance(value, str):
        # YAML 1.1 reads '1e-6' (no dot) as a string.
        try:
            value = float(value)
        except ValueError:
            pass
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
    return _for_setting(_read_yaml(os.path.join(_CONFIGS, f'{name}.yaml')),
                        setting)


# Blocks of a config file that hold one setting's values each; production
# takes the transductive ones.
_SETTING_BLOCKS = ('transductive', 'inductive')


def _for_setting(values: Dict[str, Any], setting: str) -> Dict[str, Any]:
    # The values of a config file for one setting: its top-level keys, then
    # the block of the setting, as in the shipped per-dataset files.
    out = {k: v for k, v in values.items() if k not in _SETTING_BLOCKS}
    block = 'inductive' if setting == 'inductive' else 'transductive'
    return _merge_dicts(out, values.get(block) or {})


def _merge_dicts(base: Dict[str, Any], update: Dict[str, Any]
                ) -> Dict[str, Any]:
    """:obj:`base` updated by :obj:`update`, nested mappings merged."""
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            value = _merge_dicts(out[key], value)
        out[key] = value
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

    The file has the keys of :class:`DistillConfig`; like the shipped
    per-dataset files (``pyg_rbm/configs``), it may also hold
    ``transductive:`` and ``inductive:`` blocks, of which the setting's
    (the transductive one for production) applies on top of the rest.
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
    # A file may hold per-setting blocks, as the shipped dataset files do.
    file_values = _for_setting(file_values, setting)
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
    config.__post_init__()
    config.check()
    return config
