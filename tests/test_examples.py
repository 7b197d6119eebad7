"""The examples of the README run as printed (with fewer epochs)."""
import os
import runpy
import sys

EXAMPLES = os.path.join(os.path.dirname(__file__), '..', 'examples')


def _example(name):
    sys.path.insert(0, EXAMPLES)
    try:
        return runpy.run_path(os.path.join(EXAMPLES, name))
    finally:
        sys.path.remove(EXAMPLES)


def test_own_teacher_example(data_root, capsys):
    scores = _example('own_teacher.py')['main'](
        ['--root', data_root, '--teacher-epochs', '30', '--epochs', '3'])
    assert scores['teacher']['val'] > 0.7  # the hand-trained GCN
    assert scores['trainer']['val'] > 0.6
    assert scores['own']['val'] > 0.5  # the adapted MLP
    assert scores['student']['val'] > 0.5 and scores['mlp'] is not None
    out = capsys.readouterr().out
    assert 'RbM from your GCN: best epoch' in out
    assert 'seed 0 (transductive): teacher val' in out


def test_teacher_logits_example(tmp_path):
    import numpy as np
    path = _example('teacher_logits.py')['main']([
        '--dataset', 'csbm', '--root', str(tmp_path), '--out',
        str(tmp_path / 'logits.npy')
    ])
    assert np.load(path).shape == (10_000, 5)
