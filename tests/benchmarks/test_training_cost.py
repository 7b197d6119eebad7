import os.path as osp
import sys
import textwrap

import pytest
import yaml

BENCHMARKS = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..',
                      'benchmarks')
sys.path.insert(0, osp.normpath(BENCHMARKS))

import authors_check  # noqa: E402
import training_cost  # noqa: E402

PARAMETERS = """\
cora:
  transductive:
    sage:
      rbm:
        student: {k: 3, vq_coeff: 1e-6}
        optimizer:
          teacher: {learning_rate: 0.01, max_epoch: 500}
          student: {learning_rate: 0.01, max_epoch: 500, pretrain_epoch: 2}
"""
# Prints as their script does with --verbose: teacher epochs, then student
# epochs, each after some work.
FAKE_MAIN = '''
import yaml

with open('parameters.yaml') as f:
    params = yaml.load(f, Loader=yaml.FullLoader)
opt = params['cora']['transductive']['sage']['rbm']['optimizer']
print('  NumNodes: 2708')
for epoch in range(opt['teacher']['max_epoch']):
    print(f'Teacher[{epoch}] Train Loss: 1.0 | Val Acc: 0.5, Test Acc: 0.5')
for epoch in range(opt['student']['pretrain_epoch'] +
                   opt['student']['max_epoch']):
    sum(i * i for i in range(20000 * (epoch + 1)))
    print(f'Student[{epoch}] Train Loss: 1.0 | Val Acc: 0.5, Test Acc: 0.5')
'''


def test_epoch_costs_by_hand():
    stamps = [0.0, 1.0, 3.0, 4.0, 6.5, 7.0]
    # Epochs 0-1 pretrain, epoch 2 starts the routing: costs of 3, 4, 5.
    assert training_cost.epoch_costs(stamps, 2) == dict(
        median_cpu_s=1.0, min_cpu_s=0.5, epochs=3)
    with pytest.raises(ValueError, match='no routed epoch'):
        training_cost.epoch_costs(stamps, 5)


def test_parse_stamps_reads_student_epochs_only():
    log = textwrap.dedent("""\
        #cpu 0.5
        Teacher[0] Train Loss: 1.0 | Val Acc: 0.5, Test Acc: 0.5
        #cpu 1.0
        Student[0] Train Loss: 1.0 | Val Acc: 0.5, Test Acc: 0.5
        #cpu 2.25
        some other line
        #cpu 2.5
          Student[1] Train Loss: 1.0 | Val Acc: 0.5, Test Acc: 0.5
        #cpu 3.0
        """)
    assert training_cost.parse_stamps(log) == [2.25, 3.0]


def test_cap_epochs_keeps_their_values(tmp_path):
    (tmp_path / 'parameters.yaml').write_text(PARAMETERS)
    assert training_cost.cap_epochs(str(tmp_path), 'cora', 'transductive',
                                    7, 11) == 2
    with open(tmp_path / 'parameters.yaml') as f:
        params = yaml.safe_load(f)['cora']['transductive']['sage']['rbm']
    assert params['optimizer']['teacher'] == dict(learning_rate=0.01,
                                                  max_epoch=7)
    assert params['optimizer']['student']['max_epoch'] == 11
    # 1e-6 stays a number (YAML 1.1 alone would have read a string):
    assert params['student']['vq_coeff'] == 1e-6


def test_authors_side_times_each_student_epoch(tmp_path):
    repo = tmp_path / 'authors'
    repo.mkdir()
    (repo / 'main_distill.py').write_text(
        FAKE_MAIN + '\n\ndef unused(g):\n'
        '    return g.adjacency_matrix().T.indices()\n')
    (repo / 'parameters.yaml').write_text(PARAMETERS)
    root = tmp_path / 'data'
    for name, key in (('Cora', 'cora'), ('CiteSeer', 'citeseer')):
        (root / name / 'raw').mkdir(parents=True)
        for suffix in authors_check.SUFFIXES:
            (root / name / 'raw' / f'ind.{key}.{suffix}').write_text('')
    launcher = (authors_check.LAUNCHER_SETUP + training_cost.LAUNCHER_STAMP
                + authors_check.LAUNCHER_RUN)
    code = authors_check.prepare_authors_copy(str(repo), str(root),
                                              str(tmp_path / 'work'),
                                              launcher=launcher)
    result = training_cost.run_authors(code, sys.executable, 'cora',
                                       'transductive', 3, 6,
                                       str(tmp_path / 'log'))
    # 2 pretraining and 6 routed epochs; the first routed one is left out.
    assert result['epochs'] == 5 and result['pretrain_epochs'] == 2
    assert 0.0 < result['min_cpu_s'] <= result['median_cpu_s']
    assert '--patience 12' in result['command']


def test_markdown_table():
    machine = dict(date='2026-12-06', cpu='Xeon', cpu_count=2,
                   load_average=[0.1, 0.1, 0.1], torch='2.13.0',
                   commit='abc')
    row = dict(dataset='cora', setting='transductive',
               authors=dict(median_cpu_s=1.0),
               ours_authors=dict(median_cpu_s=0.25, ratio=4.0),
               ours_default=dict(median_cpu_s=0.5, ratio=2.0))
    text = training_cost.markdown(dict(rows=[row], machine=machine,
                                       unit='u', commands=['cmd']))
    assert ('| cora | transductive | 1.000 | 0.250 | 4.00x | 0.500 | '
            '2.00x |') in text.splitlines()
    assert 'Command: `cmd`' in text
