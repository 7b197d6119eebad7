import dataclasses
import glob
import os.path as osp

import pytest
import torch
from torch_geometric.graphgym.config import cfg

from pyg_rbm.config import load_config
from pyg_rbm.graphgym import (
    distill_config_from_cfg,
    load_experiment_cfg,
    run_experiment,
)
from pyg_rbm.graphgym.translate import num_processes

CONFIGS = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..',
                   'graphgym_configs')
YAMLS = sorted(glob.glob(osp.join(CONFIGS, '*.yaml')))


def config_path(name):
    return osp.normpath(osp.join(CONFIGS, name))


def _student_kwargs(config):
    from pyg_rbm.train.pipeline import student_kwargs
    return student_kwargs(config)


def test_every_dataset_has_a_config():
    names = {osp.basename(p) for p in YAMLS}
    for setting in ('transductive', 'inductive'):
        for dataset in ('cora', 'citeseer'):
            for student in ('rbm', 'moe', 'mlp'):
                assert f'{dataset}-{student}-{setting}.yaml' in names
    for dataset in ('pubmed', 'amazon-photo', 'amazon-computers',
                    'coauthor-cs', 'coauthor-physics', 'ogbn-arxiv',
                    'ogbn-products'):
        assert f'{dataset}-rbm-transductive.yaml' in names


@pytest.mark.parametrize('path', YAMLS, ids=osp.basename)
def test_yaml_equals_the_shipped_hyperparameters(path):
    load_experiment_cfg(path)
    config = distill_config_from_cfg(cfg)
    # The same run through `pyg-rbm distill` (pyg_rbm/configs/<dataset>).
    reference = load_config(dataset=config.dataset, setting=config.setting,
                            overrides=dict(student=dict(
                                name=config.student.name)))
    assert config.teacher == reference.teacher
    assert config.data == reference.data
    assert _student_kwargs(config) == _student_kwargs(reference)
    if config.student.name == 'rbm':
        assert config.train == reference.train
    else:  # pretraining is RbM-only
        assert dataclasses.replace(config.train, pretrain_epochs=0) == \
            dataclasses.replace(reference.train, pretrain_epochs=0)
    assert config.extras == reference.extras
    assert (config.root, config.seeds) == (None, [0])


def test_translation_of_graphgym_keys():
    load_experiment_cfg(config_path('cora-rbm-inductive.yaml'), [
        'seed', '7', 'dataset.dir', '/some/root', 'gnn.batchnorm', 'True',
        'optim.max_epoch', '33', 'train.batch_size', '0', 'extras.pe_dim',
        '8'
    ])
    config = distill_config_from_cfg(cfg)
    assert config.seeds == [7] and config.root == '/some/root'
    assert config.setting == 'inductive'
    assert config.student.norm == 'batch_norm'
    assert config.student.num_layers == 3
    assert config.student.hidden_channels == 256
    assert config.train.epochs == 33 and config.train.batch_size == 0
    assert config.train.lam == 0.2 and config.train.tau == 0.6
    assert config.extras.pe_dim == 8


@pytest.mark.parametrize('key,value', [
    ('model.type', 'gcn'),
    ('distill.setting', 'semi'),
    ('distill.kd_variant', 'other'),
    ('distill.lam', '1.5'),
    ('rbm.k', '5'),
    ('teacher.name', 'gin'),
    ('optim.scheduler', 'cos'),
    ('gnn.layers_mp', '2'),
    ('dataset.format', 'PyG'),
    ('devices', '0'),
])
def test_invalid_value_names_its_key(key, value):
    path = config_path('cora-rbm-transductive.yaml')
    with pytest.raises(ValueError, match=f"'cfg.{key}'"):
        load_experiment_cfg(path, [key, value])


def test_devices_are_processes_the_run_can_train_on():
    path = config_path('cora-rbm-transductive.yaml')
    load_experiment_cfg(path, ['devices', '2', 'accelerator', 'cpu'])
    assert num_processes(cfg) == 2
    # What cannot train on several processes, named by its GraphGym key.
    for opts, key in ((['extras.adversarial', 'True'], 'extras.adversarial'),
                      (['gnn.batchnorm', 'True'], 'gnn.batchnorm'),
                      (['distill.optimizer_step', 'epoch'],
                       'distill.optimizer_step')):
        with pytest.raises(ValueError, match=f"'cfg.{key}'.* cannot train "
                           f"on several processes"):
            load_experiment_cfg(path, ['devices', '2', 'accelerator', 'cpu',
                                       *opts])
        load_experiment_cfg(path, ['devices', '1', *opts])  # one: fine
    # The authors' protocol steps once an epoch.
    with pytest.raises(ValueError, match="'cfg.distill.optimizer_step' set "
                       "to 'epoch' .*'cfg.distill.protocol' 'authors'"):
        load_experiment_cfg(path, ['devices', '2', 'accelerator', 'cpu',
                                   'distill.protocol', 'authors'])
    # One GPU per process.
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="'cfg.accelerator' is 'cuda' "
                           "but CUDA is not available"):
            load_experiment_cfg(path, ['devices', '2', 'accelerator',
                                       'cuda'])
    else:
        n = torch.cuda.device_count()
        with pytest.raises(ValueError, match=f"'cfg.devices' is {n + 1}, "
                           f"{n + 1} on this machine, but it has {n} CUDA"):
            load_experiment_cfg(path, ['devices', str(n + 1), 'accelerator',
                                       'cuda'])
        with pytest.raises(ValueError, match="'cfg.accelerator' names one "
                           "GPU"):
            load_experiment_cfg(path, ['devices', '2', 'accelerator',
                                       'cuda:0'])


def test_unknown_dataset_fails():
    path = config_path('cora-rbm-transductive.yaml')
    with pytest.raises(ValueError, match='nowhere-graph'):
        load_experiment_cfg(path, ['dataset.name', 'nowhere-graph'])


def _write(tmp_path, old, new):
    with open(config_path('cora-rbm-transductive.yaml')) as f:
        text = f.read()
    assert old in text
    path = tmp_path / 'bad.yaml'
    path.write_text(text.replace(old, new))
    return str(path)


def test_yaml_errors_fail_before_training(tmp_path):
    out = tmp_path / 'out'
    # Unknown key: yacs' KeyError names it.
    bad = _write(tmp_path, '  k: 3\n', '  k: 3\n  nonsense: 1\n')
    with pytest.raises(KeyError, match='rbm.nonsense'):
        run_experiment(bad, opts=['out_dir', str(out)])
    # Wrong type: yacs' ValueError names the key.
    bad = _write(tmp_path, 'num_experts: 4', 'num_experts: four')
    with pytest.raises(ValueError, match='rbm.num_experts'):
        run_experiment(bad, opts=['out_dir', str(out)])
    # A value out of range: ours, before anything runs.
    bad = _write(tmp_path, 'tau: 1.29', 'tau: -1.0')
    with pytest.raises(ValueError, match="'cfg.distill.tau'"):
        run_experiment(bad, opts=['out_dir', str(out)])
    assert not out.exists()  # nothing was written, nothing trained


def test_tensorboard_without_tensorboardx_fails_early():
    try:
        import tensorboardX  # noqa: F401
        pytest.skip('tensorboardX is installed')
    except ImportError:
        pass
    with pytest.raises(ValueError, match='tensorboard_agg'):
        load_experiment_cfg(config_path('cora-rbm-transductive.yaml'),
                            ['tensorboard_agg', 'True'])


def test_authors_protocol_from_graphgym():
    # The authors' pipeline options replace the groups' keys; the
    # hyperparameters stay those of the YAML file.
    load_experiment_cfg(config_path('cora-rbm-inductive.yaml'),
                        ['distill.protocol', 'authors'])
    config = distill_config_from_cfg(cfg)
    reference = load_config(dataset='cora', setting='inductive',
                            protocol='authors')
    assert config.protocol == 'authors'
    assert config.data == reference.data
    assert config.data.normalize_features and config.data.self_loops
    for key in ('kd_variant', 'optimizer_step', 'select_pretraining',
                'ties'):
        assert getattr(config.train, key) == getattr(reference.train, key)
    assert config.student.memory_update == 'forward'
    assert not config.student.scaled_pretraining
    assert config.teacher.ties == 'last'
    assert config.student.hidden_channels == cfg.gnn.dim_inner

    load_experiment_cfg(config_path('cora-rbm-inductive.yaml'),
                        ['distill.optimizer_step', 'epoch',
                         'rbm.memory_update', 'forward'])
    config = distill_config_from_cfg(cfg)
    assert config.protocol == 'default'
    assert config.train.optimizer_step == 'epoch'
    assert config.train.ties == 'first'  # the default's, not the authors'
    assert config.student.memory_update == 'forward'
    with pytest.raises(ValueError, match="'cfg.distill.ties'"):
        load_experiment_cfg(config_path('cora-rbm-inductive.yaml'),
                            ['distill.ties', 'middle'])


def test_every_config_key_has_one_graphgym_key():
    import dataclasses

    from pyg_rbm.config import DistillConfig
    from pyg_rbm.graphgym.translate import KEYS
    load_experiment_cfg(config_path('cora-rbm-transductive.yaml'))
    ours = set()
    for field in dataclasses.fields(DistillConfig):
        if dataclasses.is_dataclass(field.type) or field.name in (
                'data', 'teacher', 'student', 'train', 'extras'):
            section = getattr(DistillConfig(), field.name)
            ours |= {f'{field.name}.{f.name}'
                     for f in dataclasses.fields(section)}
        else:
            ours.add(field.name)
    # The seed list is cfg.seed; a preset is no GraphGym notion.
    assert set(KEYS) == ours - {'seeds', 'preset'}
    assert len(set(KEYS.values())) == len(KEYS)
    for graphgym_key in KEYS.values():
        node = cfg
        for part in graphgym_key.split('.'):
            assert part in node, graphgym_key
            node = node[part]
