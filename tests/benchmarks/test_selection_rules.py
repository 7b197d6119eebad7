import os.path as osp
import sys

import pytest
import torch

BENCHMARKS = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..',
                      'benchmarks')
sys.path.insert(0, osp.normpath(BENCHMARKS))

import selection_rules  # noqa: E402


def test_replay_keeps_the_first_best_and_stops_after_patience():
    scores = [0.5, 0.7, 0.6, 0.7, 0.65, 0.9]
    # Two epochs without a better score after epoch 1 stop the replay
    # before the 0.9; the tie at epoch 3 does not count as better.
    assert selection_rules.replay(scores, patience=2) == (1, False)
    # With patience 4 the run ends first: the 0.9 is kept, unfinished.
    assert selection_rules.replay(scores, patience=4) == (5, True)
    assert selection_rules.replay(scores, patience=None) == (5, True)


def test_apply_rules_maximises_accuracy_and_minimises_loss():
    epochs = [
        {'epoch': 10, 'val': 0.6, 'test': 0.70, 'val_loss': 1.0,
         'avg0.5_val': 0.5, 'avg0.5_test': 0.60, 'avg0.5_val_loss': 0.9},
        {'epoch': 11, 'val': 0.8, 'test': 0.75, 'val_loss': 1.2,
         'avg0.5_val': 0.7, 'avg0.5_test': 0.80, 'avg0.5_val_loss': 0.8},
        {'epoch': 12, 'val': 0.7, 'test': 0.72, 'val_loss': 0.7,
         'avg0.5_val': 0.7, 'avg0.5_test': 0.78, 'avg0.5_val_loss': 0.85},
    ]
    out = selection_rules.apply_rules(epochs, [0.5], patience=5)
    assert out['accuracy'] == dict(epoch=11, test=pytest.approx(75.0),
                                   unfinished=True)
    assert out['loss']['epoch'] == 12  # the lowest validation loss
    assert out['average 0.5 accuracy']['epoch'] == 11  # the first of ties
    assert out['average 0.5 accuracy']['test'] == pytest.approx(80.0)
    assert out['average 0.5 loss']['epoch'] == 11
    assert selection_rules.apply_rules(epochs, [0.5], patience=1)[
        'loss'] == dict(epoch=10, test=pytest.approx(70.0), unfinished=False)


def test_summary_pairs_the_students_by_seed():
    def run(accuracy, average):
        return dict(rules={
            'accuracy': dict(test=accuracy, unfinished=False),
            'loss': dict(test=accuracy, unfinished=False),
            'average 0.5 accuracy': dict(test=average, unfinished=True),
            'average 0.5 loss': dict(test=average, unfinished=False),
        })

    results = dict(dataset='cora', setting='transductive', decays=[0.5],
                   runs={'0/rbm': run(70.0, 74.0), '0/mlp': run(72.0, 73.0),
                         '1/rbm': run(71.0, 75.0), '1/mlp': run(75.0, 74.0),
                         '2/rbm': run(80.0, 80.0)})
    rows = {row[0]: row[1:] for row in selection_rules.summary_rows(results)}
    # RbM over seeds 0-2; RbM - GLNN over the paired seeds 0 and 1:
    # (-2, -4) -> mean -3, standard error 1.
    assert rows['accuracy'] == ['73.67 ± 5.51', '73.50 ± 2.12',
                                '-3.00 ± 1.00']
    assert rows['average 0.5 accuracy'][0] == '76.33 ± 3.21 (3 unfinished)'
    assert rows['average 0.5 accuracy'][2] == '+1.00 ± 0.00'
    assert '### cora, transductive (3 seeds)' in \
        selection_rules.format_tables([results])
    results['machine'] = dict(cpu='AMD EPYC')
    assert '### cora, transductive (3 seeds; AMD EPYC)' in \
        selection_rules.format_tables([results])


def test_selection_rules_refuses_bad_arguments(tmp_path):
    with pytest.raises(SystemExit):
        selection_rules.main(['--decays', '1.0', '--out', str(tmp_path)])
    with pytest.raises(ValueError, match='nope'):
        selection_rules.main(['--datasets', 'nope', '--out', str(tmp_path)])


def test_metrics_score_the_settings_headline():
    from torch_geometric.data import Data
    eye = torch.eye(3)
    # Observed nodes: logits one-hot; val 2 of 3 right, test 1 of 2.
    x = eye[[0, 1, 2, 0, 1]]
    y = torch.tensor([0, 1, 0, 0, 2])
    data = Data(x=x, y=y, val_mask=torch.tensor([1, 1, 1, 0, 0]).bool(),
                test_mask=torch.tensor([0, 0, 0, 1, 1]).bool())
    held = (eye[[0, 1, 2, 2]], torch.tensor([0, 1, 2, 0]))  # 3 of 4 right
    model = torch.nn.Identity()
    out = selection_rules._metrics(model, x, data, None, None,
                                   'transductive')
    assert out['val'] == pytest.approx(2 / 3)
    assert out['test'] == pytest.approx(0.5)
    assert out['val_loss'] == pytest.approx(float(torch.nn.functional.
                                                  cross_entropy(x[:3], y[:3])))
    out = selection_rules._metrics(model, x, data, None, None, 'production',
                                   held)
    assert out['inductive'] == pytest.approx(0.75)
    assert out['test'] == pytest.approx(0.8 * 0.5 + 0.2 * 0.75)
    data.test_mask[:] = False  # the public split: every test node held out
    out = selection_rules._metrics(model, x, data, None, None, 'inductive',
                                   held)
    assert out['test'] == pytest.approx(0.75)
