import os.path as osp
import sys
from types import SimpleNamespace

import torch

BENCHMARKS = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..',
                      'benchmarks')
sys.path.insert(0, osp.normpath(BENCHMARKS))

import pyg_rbm.train as train  # noqa: E402
import routing_evidence  # noqa: E402
from pyg_rbm.nn import MLPStudent, MoE, RbM  # noqa: E402

X = torch.tensor([[2.0, 0.1], [3.0, 0.0], [0.0, 1.0], [0.1, 5.0]])
Y = torch.tensor([0, 0, 1, 1])


def _student(name):
    if name == 'mlp':
        return MLPStudent(2, 4, 2)
    if name == 'moe':
        return MoE(2, 4, 2, num_layers=1, num_experts=2, k=1)
    model = RbM(2, 4, 2, num_layers=1, num_experts=2, k=1)
    model.init_routing(X)
    with torch.no_grad():  # expert i takes class i
        model.layers[0].memory.copy_(torch.eye(2))
    return model


def test_cells_hold_accuracy_and_routing_and_resume(tmp_path, monkeypatch):
    calls = []

    def prepare(config, seed, progress=True):
        full = SimpleNamespace(y=Y)
        return SimpleNamespace(split=SimpleNamespace(full=full),
                               scores=dict(val=0.5, test=0.8))

    def distill(run, config, progress=True):
        calls.append(config.student.name)
        score = dict(rbm=0.75, moe=0.7, mlp=0.5)[config.student.name]
        return (_student(config.student.name), dict(val=0.5, test=score), 3,
                X)

    monkeypatch.setattr(train, 'prepare_teacher', prepare)
    monkeypatch.setattr(train, 'distill_student', distill)
    path = str(tmp_path / 'cora_transductive.json')
    results = routing_evidence.run_cell('cora', 'transductive', 2, 'data',
                                        path)
    assert calls == ['rbm', 'moe', 'mlp'] * 2
    rbm, = results['runs']['0']['rbm']['routing']
    assert rbm['top1_load'] == [0.5, 0.5] and rbm['nmi'] == 1.0
    assert 'routing' not in results['runs']['0']['mlp']
    row = routing_evidence.summary_row(results)
    assert row[:6] == ['cora, transductive', '2', '75.00 ± 0.00',
                       '50.00 ± 0.00', '25.00 ± 0.00', '70.00 ± 0.00']
    assert row[6:9] == ['1.00', '0.50', '1.00']
    table = routing_evidence.format_table([results])
    assert table.splitlines()[2].startswith('| cora, transductive | 2 |')
    # Stored seeds are not run again.
    routing_evidence.run_cell('cora', 'transductive', 2, 'data', path)
    assert len(calls) == 6
