import json
import os.path as osp
import sys

import pytest

sys.path.insert(0, osp.normpath(osp.join(osp.dirname(osp.abspath(__file__)),
                                         '..', '..', 'benchmarks')))
import paired_runs  # noqa: E402


def _run(folder, tests, setting='transductive'):
    (folder / 'seeds').mkdir(parents=True)
    (folder / 'run.json').write_text(json.dumps(dict(config={})))
    key = 'test' if setting == 'transductive' else 'inductive'
    for seed, test in enumerate(tests):
        (folder / 'seeds' / f'{seed}.json').write_text(json.dumps(dict(
            seed=seed, setting=setting, student={'val': 0.7, key: test})))


def test_paired_differences_by_hand(tmp_path):
    _run(tmp_path / 'base', [0.70, 0.72, 0.74])
    _run(tmp_path / 'other', [0.71, 0.74, 0.74])
    assert paired_runs.main([str(tmp_path / 'base'), str(tmp_path / 'other'),
                             '--out', str(tmp_path / 'out')]) == 0
    text = (tmp_path / 'out' / 'paired.md').read_text()
    # Differences 1, 2, 0 points: mean 1.00, standard error 1 / sqrt(3).
    assert '| other | 3 | 70.00 ± 0.00 | 73.00 ± 1.73 | +1.00 ± 0.58 |' in text
    with open(tmp_path / 'out' / 'paired.json') as f:
        assert json.load(f)['runs'][1]['seeds']['2']['test'] == \
            pytest.approx(74.0)


def test_inductive_runs_compare_held_out_accuracy(tmp_path):
    _run(tmp_path / 'base', [0.60, 0.62], setting='inductive')
    _run(tmp_path / 'other', [0.61, 0.65], setting='inductive')
    paired_runs.main([str(tmp_path / 'base'), str(tmp_path / 'other'),
                      '--out', str(tmp_path / 'out')])
    text = (tmp_path / 'out' / 'paired.md').read_text()
    assert '| other | 2 | 70.00 ± 0.00 | 63.00 ± 2.83 | +2.00 ± 1.00 |' in text
