import json
import os.path as osp
import subprocess
import sys

import pytest

SCRIPT = osp.normpath(
    osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', 'benchmarks',
             'data_parallel.py'))


def test_data_parallel_benchmark_times_one_and_two_processes(tmp_path):
    subprocess.run([
        sys.executable, SCRIPT, '--nodes', '2000', '--epochs', '3',
        '--concurrent', '2', '--collective-wait', 'poll', 'block', '--root',
        str(tmp_path / 'data'), '--out', str(tmp_path)
    ], check=True, capture_output=True)
    with open(tmp_path / 'data_parallel.json') as f:
        result = json.load(f)
    assert result['nodes'] == 2000
    # The teacher's logits come from a GNN on a homophilous CSBM graph of
    # ten classes: far above chance.
    assert result['teacher']['test'] > 0.5
    one, two, blocked = result['runs']
    assert [r['ranks'] for r in result['runs']] == [1, 2, 2]
    assert [r['collective_wait'] for r in result['runs']] == [
        None, 'poll', 'block']
    for run in (one, two, blocked):
        # The routed epochs after the one of the routing switch:
        assert len(run['routed_epoch_s']) == 2
        assert run['median_epoch_s'] > 0
        assert 0.0 <= run['student']['test'] <= 1.0
    assert one['speedup'] == 1.0
    for run in (two, blocked):
        assert run['speedup'] == pytest.approx(
            one['median_epoch_s'] / run['median_epoch_s'])
        # Polled or blocked, the processes compute the same:
        assert run['student'] == two['student']
    table = (tmp_path / 'data_parallel.md').read_text()
    assert table.count('| 2 | poll |') == 1
    assert table.count('| 2 | block |') == 1
    # Two one-process runs at once: two timed epochs each.
    concurrent = result['concurrent']
    assert concurrent['copies'] == 2
    assert len(concurrent['routed_epoch_s']) == 4
    assert concurrent['ceiling'] == pytest.approx(
        2 * one['median_epoch_s'] / concurrent['median_epoch_s'])
    assert '| 2 independent one-process runs at once |' in table


def test_data_parallel_benchmark_refuses_bad_arguments(tmp_path):
    out = subprocess.run([sys.executable, SCRIPT, '--ranks', '2', '--out',
                          str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 2
    assert "'--ranks' must include 1" in out.stderr
    out = subprocess.run([sys.executable, SCRIPT, '--concurrent', '1',
                          '--out', str(tmp_path)], capture_output=True,
                         text=True)
    assert out.returncode == 2 and "'--concurrent' must be" in out.stderr
    assert not (tmp_path / 'data_parallel.json').exists()
