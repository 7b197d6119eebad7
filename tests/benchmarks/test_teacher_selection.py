import json
import os.path as osp
import sys

import pytest

BENCHMARKS = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..',
                      'benchmarks')
sys.path.insert(0, osp.normpath(BENCHMARKS))

import teacher_selection  # noqa: E402


def test_both_rules_on_the_same_epochs(tmp_path, capsys):
    # Five epochs and patience 50: both runs see the same five epochs, so
    # each rule keeps the best of them by its own score.
    sets = ['--set', 'data.num_nodes=300', '--set', 'teacher.epochs=5']
    out = str(tmp_path / 'ts')
    assert teacher_selection.main(['--dataset', 'csbm', '--seeds', '2',
                                   '--out', out, '--threads', '1',
                                   *sets]) == 0
    path = osp.join(out, 'csbm_transductive_data.num_nodes-300_'
                    'teacher.epochs-5.json')
    with open(path) as f:
        results = json.load(f)
    assert sorted(results['runs']) == ['0', '1']
    for run in results['runs'].values():
        by_accuracy, by_loss = run['accuracy'], run['loss']
        assert by_accuracy['val'] >= by_loss['val']
        assert by_loss['val_loss'] <= by_accuracy['val_loss']
        for kept in (by_accuracy, by_loss):
            assert 0 <= kept['epoch'] < 5 and kept['epochs_run'] == 5
            assert 1 / kept['num_classes'] <= kept['top_probability'] <= 1
    readme = open(osp.join(out, 'README.md')).read()
    assert '| accuracy | 2 |' in readme and '| loss | 2 |' in readme
    # Stored runs are kept: nothing trains again.
    capsys.readouterr()
    teacher_selection.main(['--dataset', 'csbm', '--seeds', '2', '--out',
                            out, *sets])
    assert 'seed 0' not in capsys.readouterr().out


def test_bad_arguments_fail_before_training(tmp_path):
    with pytest.raises(SystemExit):
        teacher_selection.main(['--set', 'teacher.selection=loss',
                                '--out', str(tmp_path)])
    with pytest.raises(SystemExit):
        teacher_selection.main(['--set', 'nodot=1', '--out', str(tmp_path)])
    with pytest.raises(ValueError, match='teacher.dropout'):
        teacher_selection.main(['--dataset', 'csbm', '--set',
                                'teacher.dropout=2', '--out',
                                str(tmp_path)])
