import os

import pytest

import pyg_rbm.train.pipeline as pipeline
from pyg_rbm.config import load_config, merge_config
from pyg_rbm.train.pipeline import run_seed


def _config():
    return load_config(dataset='csbm', overrides=dict(
        teacher=dict(epochs=5, hidden_channels=16),
        student=dict(hidden_channels=16),
        train=dict(epochs=3, pretrain_epochs=1)))


def test_a_cached_teacher_gives_the_same_run_without_training(
        tmp_path, monkeypatch):
    cache = str(tmp_path / 'teachers')
    config = _config()
    fresh = run_seed(config, 0, progress=False, teacher_cache=cache)
    assert len(os.listdir(cache)) == 1

    def no_training(*args, **kwargs):
        raise AssertionError('the teacher was trained again')

    monkeypatch.setattr(pipeline, 'train_teacher', no_training)
    cached = run_seed(config, 0, progress=False, teacher_cache=cache)
    assert cached.teacher == fresh.teacher
    assert cached.student == fresh.student
    # Another seed or teacher configuration is another teacher.
    with pytest.raises(AssertionError, match='trained again'):
        run_seed(config, 1, progress=False, teacher_cache=cache)
    other = merge_config(config, dict(teacher=dict(dropout=0.2)))
    with pytest.raises(AssertionError, match='trained again'):
        run_seed(other, 0, progress=False, teacher_cache=cache)


def test_a_corrupt_cache_file_is_named(tmp_path):
    cache = tmp_path / 'teachers'
    config = _config()
    run_seed(config, 0, progress=False, teacher_cache=str(cache))
    path, = cache.iterdir()
    path.write_bytes(b'not a checkpoint')
    with pytest.raises(ValueError, match=f"'{path}' cannot be read"):
        run_seed(config, 0, progress=False, teacher_cache=str(cache))
