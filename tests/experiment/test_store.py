import json
import os
import subprocess
import sys

import pytest

from pyg_rbm.experiment import RunStore, RunStoreError, environment

CONFIG = dict(dataset='cora', train=dict(lr=0.01, tau=1.0))


def test_seeds_are_kept_as_they_finish_and_resumed(tmp_path):
    folder = str(tmp_path / 'run')
    with RunStore(folder, CONFIG, environment=dict(a=1)) as store:
        assert store.finished() == {}
        store.save_seed(1, dict(score=0.5))
        store.save_seed(0, dict(score=0.25))
    with open(os.path.join(folder, 'run.json')) as f:
        run = json.load(f)
    assert run['config'] == CONFIG and run['environment'] == dict(a=1)
    # Nothing half-written is left beside the records.
    assert sorted(os.listdir(os.path.join(folder, 'seeds'))) == ['0.json',
                                                                 '1.json']
    with RunStore(folder, CONFIG, 'resume') as store:
        assert store.finished() == {0: dict(score=0.25, seed=0),
                                    1: dict(score=0.5, seed=1)}
        store.save_summary(dict(mean=0.375))
    with open(os.path.join(folder, 'results.json')) as f:
        assert json.load(f) == dict(mean=0.375)


def test_an_existing_run_is_never_replaced_silently(tmp_path):
    folder = str(tmp_path / 'run')
    with RunStore(folder, CONFIG) as store:
        store.save_seed(0, dict(score=0.25))
    with pytest.raises(RunStoreError, match='already holds a run; pass '
                       '--resume'):
        RunStore(folder, CONFIG)
    other = dict(CONFIG, train=dict(lr=0.1, tau=1.0))
    with pytest.raises(RunStoreError, match=r'\(train.lr differ\)'):
        RunStore(folder, other, 'resume')
    with RunStore(folder, other, 'overwrite') as store:
        assert store.finished() == {}
    with pytest.raises(ValueError, match="'mode' must be one of"):
        RunStore(folder, other, 'append')


def test_one_writer_at_a_time(tmp_path):
    folder = str(tmp_path / 'run')
    code = ('import sys, time; from pyg_rbm.experiment import RunStore; '
            f's = RunStore({folder!r}, {CONFIG!r}); '
            'print("locked", flush=True); time.sleep(30)')
    other = subprocess.Popen([sys.executable, '-c', code],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == 'locked'
        with pytest.raises(RunStoreError, match='Another process is '
                           'writing'):
            RunStore(folder, CONFIG, 'resume')
    finally:
        other.kill()
        other.wait()
    RunStore(folder, CONFIG, 'resume').close()  # the lock went with it


def test_an_unwritable_folder_fails_at_once(tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('not a folder')
    with pytest.raises(RunStoreError, match='cannot be written'):
        RunStore(str(blocker / 'run'), CONFIG)


def test_environment_names_versions_and_device():
    env = environment()
    assert env['device'] == 'cpu' and env['torch_threads'] >= 1
    assert {'pyg_rbm', 'torch', 'torch_geometric', 'processor',
            'commit'} <= set(env)


def test_a_run_resumes_after_options_were_added(tmp_path):
    folder = str(tmp_path / 'run')
    old = dict(dataset='cora', train=dict(lr=0.01))
    with RunStore(folder, old) as store:
        store.save_seed(0, dict(score=1.0))
    # A version with a new option, at its default, resumes the run...
    new = dict(dataset='cora', train=dict(lr=0.01, ties='first'))
    defaults = dict(dataset='cora', train=dict(lr=0.01, ties='first'))
    with RunStore(folder, new, 'resume', defaults=defaults) as store:
        assert list(store.finished()) == [0]
    # ... and is then stored with it; other values are still refused.
    with pytest.raises(RunStoreError, match='train.lr differ'):
        RunStore(folder, dict(new, train=dict(lr=0.5, ties='first')),
                 'resume', defaults=defaults)
    other = dict(dataset='cora', train=dict(lr=0.01, ties='last'))
    with pytest.raises(RunStoreError, match='train.ties differ'):
        RunStore(folder, other, 'resume', defaults=defaults)
