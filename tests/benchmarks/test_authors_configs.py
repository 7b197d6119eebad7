import os.path as osp
import sys

import pytest
import yaml

BENCHMARKS = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..',
                      'benchmarks')
sys.path.insert(0, osp.normpath(BENCHMARKS))

import authors_configs  # noqa: E402
from pyg_rbm.config import DistillConfig, merge_config  # noqa: E402

BLOCK = dict(
    teacher=dict(num_layers=2, hidden_dim=64, dropout=0.5,
                 norm_type='batch'),
    student=dict(num_layers=3, hidden_dim=128, num_experts=5, k=2,
                 momentum=0.9, vq_coeff='1e-7', sim_coeff=0.01,
                 load_balance_coef=0.0, input_attention=True, dropout=0.2,
                 norm_type='none'),
    optimizer=dict(
        teacher=dict(learning_rate=0.01, weight_decay='5e-4',
                     max_epoch=500),
        student=dict(learning_rate=0.005, weight_decay=0.0, max_epoch=300,
                     pretrain_epoch=4)),
    reliable_sampling=dict(min_update_epoch=10, update_rate=1,
                           init_power=1.0, momentum=0.99, bins_num=50),
    positional_encoding=dict(walk_length=50, num_walks=5, window_size=5,
                             iter=1, emb_size=16),
    loss={'lambda': 0.1, 'tau': 0.9, 'adv_eps': 0.04, 'adv_weigth': 0.05,
          'adv_iters': 5, 'feat_distill_weight': 0.1},
)


def test_convert_block_maps_every_key():
    out = authors_configs.convert_block(BLOCK, 'sage')
    assert out['teacher'] == dict(dropout=0.5, epochs=500,
                                  hidden_channels=64, lr=0.01,
                                  name='sage-gcn', norm='batch_norm',
                                  num_layers=2, weight_decay=5e-4)
    assert out['student']['commitment_weight'] == 1e-7
    assert out['student']['norm'] is None
    assert out['train'] == dict(epochs=300, lam=0.1, lr=0.005,
                                pretrain_epochs=4, tau=0.9,
                                weight_decay=0.0)
    assert out['extras']['rs_start_epoch'] == 10
    assert out['extras']['pe_walks_per_node'] == 5
    assert isinstance(out['extras']['pe_dim'], int)
    # Every key is one of the project's config keys.
    merge_config(DistillConfig(), out)
    with pytest.raises(ValueError, match='no mapping'):
        authors_configs.convert_block(dict(loss=dict(gamma=1.0)), 'gcn')


def test_shipped_authors_files_load():
    root = osp.join(osp.dirname(authors_configs.__file__), '..', 'pyg_rbm',
                    'configs', 'authors')
    for name in authors_configs.DATASETS.values():
        with open(osp.join(root, f'{name}.yaml')) as f:
            values = yaml.safe_load(f)
        assert set(values) == {'data', 'transductive', 'inductive'}
        for teachers in (values['transductive'], values['inductive']):
            for students in teachers.values():
                for block in students.values():
                    merge_config(DistillConfig(), block)
