import json
import os.path as osp
import subprocess
import sys

SCRIPT = osp.normpath(
    osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', 'benchmarks',
             'scale.py'))


def test_scale_benchmark_writes_every_phase(tmp_path):
    subprocess.run([
        sys.executable, SCRIPT, '--sizes', '2000', '--out',
        str(tmp_path), '--teacher-epochs', '20', '--student-epochs', '3',
        '--teacher-hidden', '32', '--student-hidden', '32', '--device', 'cpu'
    ], check=True, capture_output=True)
    with open(tmp_path / 'scale.json') as f:
        result = json.load(f)
    run, = result['runs']
    assert run['nodes'] == 2000
    assert result['machine']['device'] == run['device'] == 'cpu'
    assert run['peak_gpu_gib'] is None
    assert set(run['seconds']) == {
        'data', 'teacher', 'transform', 'student', 'evaluation'
    }
    assert run['details']['teacher_graph'] == 'labelled'
    accuracy = run['accuracy']
    # CSBM with homophily 0.8 and ten classes: the graph makes the teacher
    # far better than chance (0.1).
    assert accuracy['teacher_test_at_best_val'] > 0.5
    assert 0.0 <= accuracy['student_test_at_best_val'] <= 1.0
    assert (tmp_path / 'scale.png').exists()
    assert (tmp_path / 'scale.md').read_text().count('| 2,000 |') == 1


def test_scale_benchmark_refuses_an_unknown_device(tmp_path):
    done = subprocess.run([sys.executable, SCRIPT, '--device', 'gpu',
                           '--out', str(tmp_path)], capture_output=True,
                          text=True)
    assert done.returncode == 2
    assert "'--device' must be 'auto', 'cpu', 'cuda'" in done.stderr
    assert not (tmp_path / 'scale.json').exists()
