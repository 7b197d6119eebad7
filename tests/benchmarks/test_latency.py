import os.path as osp
import sys

BENCHMARKS = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..',
                      'benchmarks')
sys.path.insert(0, osp.normpath(BENCHMARKS))

import latency  # noqa: E402


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
