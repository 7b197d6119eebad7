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


def test_one_column_per_matrix_student(tmp_path):
    _run(tmp_path / 'base', [0.70, 0.72])
    cell = dict(runs={
        str(seed): dict(students={
            st: dict(accuracy=acc + 100 * test, scores=dict(val=0.5))
            for st, acc in (('mlp', 1.0), ('rbm', -3.0))
        })
        for seed, test in enumerate([0.70, 0.74])
    })
    (tmp_path / 'cell.json').write_text(json.dumps(cell))
    paired_runs.main([str(tmp_path / 'base'), '--matrix',
                      str(tmp_path / 'cell.json'), '--matrix-student', 'mlp',
                      'rbm', '--out', str(tmp_path / 'out')])
    lines = (tmp_path / 'out' / 'paired.md').read_text().split('\n')
    assert lines[0].endswith('| test − matrix mlp (paired) | '
                             'test − matrix rbm (paired) |')
    assert lines[2] == '| matrix mlp | 2 | 50.00 ± 0.00 | 73.00 ± 2.83 | | | |'
    # base - mlp: -1, -3 points; base - rbm: +3, +1 points.
    assert lines[4] == ('| base | 2 | 70.00 ± 0.00 | 71.00 ± 1.41 |  | '
                        '-2.00 ± 1.00 | +2.00 ± 1.00 |')
    with open(tmp_path / 'out' / 'paired.json') as f:
        assert set(json.load(f)['matrix']['seeds']) == {'mlp', 'rbm'}


def test_matrix_student_needs_a_matrix(tmp_path, capsys):
    _run(tmp_path / 'base', [0.70, 0.72])
    with pytest.raises(SystemExit):
        paired_runs.main([str(tmp_path / 'base'), '--matrix-student', 'rbm',
                          '--out', str(tmp_path / 'out')])
    assert '--matrix-student needs --matrix' in capsys.readouterr().err
