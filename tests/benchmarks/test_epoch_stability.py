import os.path as osp
import sys

import pytest

BENCHMARKS = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..',
                      'benchmarks')
sys.path.insert(0, osp.normpath(BENCHMARKS))

import epoch_stability  # noqa: E402


def test_seed_stability_by_hand():
    rows = [dict(phase='pretrain', test=0.1)] * 3 + [
        dict(phase='route', test=t, expert_load=[[0.5, 0.5], [0.9, s]])
        for t, s in ((0.2, 0.0), (0.70, 0.1), (0.74, 0.3), (0.66, 0.2))
    ]
    out = epoch_stability.seed_stability(rows, warmup=1)
    # Routed epochs after the first: 70, 74, 66.
    assert out['epochs'] == 3
    assert out['median_test'] == pytest.approx(70.0)
    assert out['mean_step'] == pytest.approx(6.0)  # (4 + 8) / 2
    assert out['max_step'] == pytest.approx(8.0)
    assert out['median_min_output_share'] == pytest.approx(0.2)
    with pytest.raises(ValueError, match='more than 4 epochs'):
        epoch_stability.seed_stability(rows, warmup=3)
    # An inductive history holds the held-out nodes' accuracy:
    held_out = [dict(phase='route', inductive=t) for t in (0.5, 0.6, 0.3)]
    out = epoch_stability.seed_stability(held_out, warmup=0,
                                         setting='inductive')
    assert out['mean_step'] == pytest.approx(20.0)


def test_pretraining_epochs_of_a_real_run_are_skipped(tmp_path):
    # The phases as the trainer names them, not as the test assumes.
    import torch

    from pyg_rbm.datasets import make_csbm
    from pyg_rbm.experiment.history import read_history, write_history
    from pyg_rbm.nn import RbM
    from pyg_rbm.train import DistillationObjective, StudentTrainer

    data = make_csbm(num_nodes=200, num_classes=3, num_features=8,
                     avg_degree=4, homophily=0.9, seed=0)
    data.teacher_logits = 4.0 * torch.nn.functional.one_hot(data.y).float()
    torch.manual_seed(0)
    model = RbM(8, 16, 3, num_experts=3, k=2)
    records = []
    StudentTrainer(model, DistillationObjective(), epochs=6,
                   pretrain_epochs=4, patience=100, seed=0,
                   callbacks=[records.append], progress=False).fit(data)
    rows = read_history(write_history(str(tmp_path / 'student.csv'),
                                      records))
    out = epoch_stability.seed_stability(rows, warmup=0)
    assert out['epochs'] == 6


def test_missing_history_is_refused(tmp_path):
    with pytest.raises(SystemExit):
        epoch_stability.main([str(tmp_path)])
    (tmp_path / 'history').mkdir()
    with pytest.raises(SystemExit):
        epoch_stability.main([str(tmp_path), '--warmup', '-1'])
