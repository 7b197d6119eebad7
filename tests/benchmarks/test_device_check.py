import os
import os.path as osp
import subprocess
import sys
import tarfile

ROOT = osp.normpath(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
SCRIPT = osp.join(ROOT, 'benchmarks', 'device_check.sh')


def _run(tmp_path, device, steps):
    env = dict(os.environ, PYTHON=sys.executable, STEPS=steps)
    return subprocess.run(['bash', SCRIPT, str(tmp_path / 'out'), device],
                          cwd=ROOT, env=env, capture_output=True, text=True)


def test_device_check_refuses_a_device_it_cannot_use(tmp_path):
    done = _run(tmp_path, 'gpu', 'distill')
    assert done.returncode == 1
    assert "cannot run this package on device 'gpu'" in done.stderr
    assert "'device' must be 'auto', 'cpu'" in (
        tmp_path / 'out' / 'environment.txt').read_text()
    assert not (tmp_path / 'out' / 'summary.txt').exists()


def test_device_check_reports_every_step_and_packs_its_files(tmp_path):
    done = _run(tmp_path, 'cpu', 'nothing')
    assert done.returncode == 1  # an unknown step fails the run
    out = tmp_path / 'out'
    assert 'device cpu' in (out / 'environment.txt').read_text()
    assert (out / 'summary.txt').read_text() == (
        "unknown step 'nothing' in STEPS\n")
    with tarfile.open(out / 'device_check.tgz') as archive:
        names = sorted(archive.getnames())
    assert names == ['.', './environment.txt', './summary.txt']
