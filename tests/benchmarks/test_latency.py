import argparse
import os.path as osp
import sys

import pytest
import torch

BENCHMARKS = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..',
                      'benchmarks')
sys.path.insert(0, osp.normpath(BENCHMARKS))

import latency  # noqa: E402
import student_throughput  # noqa: E402
from pyg_rbm.datasets import make_csbm  # noqa: E402

DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


@pytest.fixture(autouse=True)
def _restore_threads():
    # (The benchmarks set their own thread counts.)
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_latency_summary_compares_rbm_with_k_mlps():
    records = []
    for model, seconds in (('teacher', 0.050), ('teacher_gather', 0.010),
                           ('mlp', 0.002), ('rbm', 0.009),
                           ('rbm_onnx', 0.006)):
        records.append(
            dict(graph='g', threads=1, batch_size=256, batch=256,
                 model=model, median_s=seconds,
                 neighbourhood=dict(nodes=700, edges=5000)))
    row, = latency.summarize(records, k=3)
    assert abs(row['rbm_cost_over_mlp'] - 4.5) < 1e-12
    assert abs(row['rbm_cost_over_k_mlp'] - 1.5) < 1e-12
    assert abs(row['rbm_speedup_over_teacher'] - 50 / 9) < 1e-12
    assert abs(row['teacher_gather_share'] - 0.2) < 1e-12
    assert row['rbm_onnx_ms'] == 6.0
    line = latency.markdown([row]).splitlines()[-1]
    assert line == ('| g | 1 | 256 | 50.000 | 20 | 2.000 | 9.000 | 6.000 | '
                    '5.6x | 4.50x | 1.50 | 700 |')


@pytest.mark.parametrize('device', DEVICES)
def test_latency_times_every_model_on_the_device(device, monkeypatch):
    # (ONNX Runtime's CPU session is timed by the full runs only.)
    monkeypatch.setattr(latency, 'onnx_student', lambda *args: None)
    device = torch.device(device)
    args = argparse.Namespace(hidden=16, teacher_layers=2, student_layers=2,
                              experts=3, k=2, seed=0, threads=[1],
                              batch_sizes=[4], repeats=2, min_repeats=1,
                              repeats_all=1)
    data = make_csbm(300, num_classes=3, num_features=8, avg_degree=5,
                     homophily=0.8, seed=0)
    models = latency.build_models(data, args, device)
    for model in models.values():
        assert next(model.parameters()).device.type == device.type
    records = latency.time_graph('g', data, models, args, device)
    assert {(r['model'], r['batch']) for r in records} == {
        (m, b) for m in ('teacher', 'teacher_gather', 'mlp', 'rbm')
        for b in (4, 'all')
    }
    assert {r['device'] for r in records} == {str(device)}
    assert all(r['median_s'] > 0 for r in records)
    rows = latency.summarize(records, k=2)
    assert [row['batch'] for row in rows] == [4, 'all']


@pytest.mark.parametrize('device', DEVICES)
def test_student_throughput_on_the_device(device):
    device = torch.device(device)
    # name, in, hidden, out, num_layers, num_experts, k, batch
    shape = ('t', 16, 16, 4, 2, 3, 2, 64)
    row, = student_throughput.run([1], repeats=2, warmup=1, shapes=[shape],
                                  device=device)
    assert row['device'] == str(device) and row['batch'] == 64
    assert set(row['median_seconds']) == {'mlp', 'rbm', 'moe'}
    assert row['ratio_rbm_vs_k_mlp'] == pytest.approx(
        row['median_seconds']['rbm'] / (2 * row['median_seconds']['mlp']))
