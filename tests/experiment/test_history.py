import csv

import pytest
import torch

from pyg_rbm.experiment.history import (
    CSVLogger,
    read_history,
    write_history,
)
from pyg_rbm.nn import MoE, RbM
from pyg_rbm.train.expert_load import ExpertLoad
from pyg_rbm.train.loop import EpochRecord, phase_summaries


def _records():
    return [
        EpochRecord(0, 'pretrain', 1.5, dict(val=0.25, test=0.2), 0.1),
        EpochRecord(1, 'pretrain', 1.25, dict(val=0.5, test=0.4), 0.1),
        EpochRecord(2, 'route', 1.0, dict(val=0.75, test=0.7), 0.2,
                    dict(expert_load=[[0.25, 0.75], [1.0, 0.0]])),
        EpochRecord(3, 'route', 0.5, dict(val=0.5, test=0.8), 0.2,
                    dict(expert_load=[[0.5, 0.5], [0.5, 0.5]])),
    ]


def test_history_csv_round_trip(tmp_path):
    path = write_history(str(tmp_path / 'h' / 'student.csv'), _records())
    with open(path) as f:
        assert next(csv.reader(f)) == ['epoch', 'phase', 'loss', 'seconds',
                                       'test', 'val', 'expert_load']
    rows = read_history(path)
    assert [r['epoch'] for r in rows] == [0, 1, 2, 3]
    assert rows[1] == dict(epoch=1, phase='pretrain', loss=1.25,
                           seconds=0.1, test=0.4, val=0.5)
    assert rows[2]['expert_load'] == [[0.25, 0.75], [1.0, 0.0]]


def test_csv_logger_appends_as_epochs_come(tmp_path):
    path = str(tmp_path / 'live.csv')
    logger = CSVLogger(path)
    for record in _records()[:3]:
        logger(record)
        assert len(read_history(path)) == record.epoch + 1
    # Columns of the first record: the later expert load is left out.
    assert 'expert_load' not in read_history(path)[2]


def test_phase_summaries_by_hand():
    lines = phase_summaries(_records(), 'val', best_epoch=2, epochs=10)
    assert lines == [
        'pretrain: epochs 0-1, best val 50.00% (epoch 1), loss 1.2500',
        'route: epochs 2-3, best val 75.00% (epoch 2), loss 0.5000; '
        'selected epoch 2; stopped early',
    ]


@pytest.mark.parametrize('name', ['rbm', 'moe'])
def test_expert_load_counts_first_choices(name):
    from pyg_rbm.analysis import routing_choices
    torch.manual_seed(0)
    x = torch.randn(50, 6)
    model = (RbM(6, 8, 3, num_layers=2, num_experts=4, k=2) if name == 'rbm'
             else MoE(6, 8, 3, num_layers=2, num_experts=4, k=2)).eval()
    load = ExpertLoad(model)
    if name == 'rbm':
        with load.recording():
            model(x)
        assert load.shares() is None  # pretraining routes nothing
        model.init_routing(x)
    with load.recording():
        model(x[:20])
        model(x[20:])
    shares = load.shares()
    expected = [
        (torch.bincount(index[:, 0], minlength=4) / 50).tolist()
        for index, _ in routing_choices(model, x)
    ]
    assert len(shares) == 2
    for got, want in zip(shares, expected):
        assert got == pytest.approx(want, abs=1e-6)
