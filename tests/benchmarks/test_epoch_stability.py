import os.path as osp
import sys

import pytest

BENCHMARKS = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..',
                      'benchmarks')
sys.path.insert(0, osp.normpath(BENCHMARKS))

import epoch_stability  # noqa: E402


def test_seed_stability_by_hand():
    rows = [dict(phase='pretraining', test=0.1)] * 3 + [
        dict(phase='routing', test=t, expert_load=[[0.5, 0.5], [0.9, s]])
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


def test_missing_history_is_refused(tmp_path):
    with pytest.raises(SystemExit):
        epoch_stability.main([str(tmp_path)])
    (tmp_path / 'history').mkdir()
    with pytest.raises(SystemExit):
        epoch_stability.main([str(tmp_path), '--warmup', '-1'])
