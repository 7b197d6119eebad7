import importlib

import pytest
import torch_geometric.graphgym.register as gg
from torch_geometric.graphgym.config import cfg, set_cfg

import pyg_rbm.graphgym as plugin
from pyg_rbm.config import StudentConfig, TeacherConfig, TrainConfig
from pyg_rbm.graphgym.register import register_all, registered


def test_import_registers_every_entry():
    assert gg.network_dict['rbm'].__name__ == 'RbMNetwork'
    assert gg.network_dict['moe'].__name__ == 'MoENetwork'
    assert gg.network_dict['mlp'].__name__ == 'MLPNetwork'
    assert gg.loss_dict['distill'].__name__ == 'distill_loss'
    assert gg.loader_dict['pyg_rbm'].__name__ == 'load_pyg_rbm'
    assert gg.train_dict['distill'].__name__ == 'train_distill'
    assert {'rbm', 'teacher', 'distill', 'extras', 'train_mode'} <= set(
        gg.config_dict)


def test_registration_is_idempotent():
    before = {k: dict(getattr(gg, f'{k}_dict')) for k in ('network', 'loss')}
    register_all()
    register_all()
    importlib.reload(importlib.import_module('pyg_rbm.graphgym.loss.distill'))
    importlib.reload(plugin)
    register_all()
    assert set(gg.network_dict) == set(before['network'])
    assert gg.network_dict['rbm'] is before['network']['rbm']
    # The reloaded module's function replaced the old one under its key.
    loss = gg.loss_dict['distill']
    assert loss.__module__ == 'pyg_rbm.graphgym.loss.distill'
    assert list(gg.loss_dict).count('distill') == 1


def test_registration_refuses_a_foreign_entry():
    class Other:
        pass

    with pytest.raises(KeyError, match="network 'rbm' is already"):
        registered('network', 'rbm')(Other)
    assert gg.network_dict['rbm'].__name__ == 'RbMNetwork'
    with pytest.raises(ValueError, match="'kind'"):
        registered('nonsense', 'x')


def test_config_groups_exist_after_set_cfg():
    set_cfg(cfg)
    student, train, teacher = StudentConfig(), TrainConfig(), TeacherConfig()
    assert cfg.train.mode == 'distill'
    assert cfg.rbm.num_experts == student.num_experts == 4
    assert cfg.rbm.pretrain_epochs == train.pretrain_epochs
    assert cfg.teacher.hidden_channels == teacher.hidden_channels
    assert cfg.teacher.norm == 'none'
    assert cfg.distill.setting == 'transductive'
    assert cfg.distill.tau == train.tau
    assert cfg.extras.reliable_sampling is False
