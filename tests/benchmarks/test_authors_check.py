import json
import os.path as osp
import sys
import textwrap

import pytest

BENCHMARKS = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..',
                      'benchmarks')
sys.path.insert(0, osp.normpath(BENCHMARKS))

import authors_check  # noqa: E402
import report  # noqa: E402

LOG = """\
  NumNodes: 2708
Teacher[0] Train Loss: 1.9 | Train Acc: 0.5, Val Acc: 0.4000, Test Acc: 0.4100 | Val Best: 0.0000, Test Best: 0.0000
Teacher[1] Train Loss: 1.8 | Train Acc: 0.9, Val Acc: 0.7000, Test Acc: 0.7200 | Val Best: 0.4000, Test Best: 0.4100
Teacher[2] Train Loss: 1.7 | Train Acc: 0.9, Val Acc: 0.7000, Test Acc: 0.7500 | Val Best: 0.7000, Test Best: 0.7200
Teacher[3] Train Loss: 1.6 | Train Acc: 0.9, Val Acc: 0.6000, Test Acc: 0.8000 | Val Best: 0.7000, Test Best: 0.7500
Student[0] Train Loss: 1.0 | Train Acc: 0.9, Val Acc: 0.5000, Test Acc: 0.6000 | Val Best: 0.0000, Test Best: 0.0000
Student[1] Train Loss: 0.9 | Train Acc: 0.9, Val Acc: 0.6000, Test Acc: 0.5000 | Val Best: 0.5000, Test Best: 0.6000
Teacher[0] Train Loss: 1.9 | Train Acc: 0.5, Val Acc: 0.1000, Test Acc: 0.2000 | Val Best: 0.0000, Test Best: 0.0000
Student[0] Train Loss: 1.0 | Train Acc: 0.9, Val Acc: 0.3000, Test Acc: 0.3000 | Val Best: 0.0000, Test Best: 0.0000
cora | Teacher: 50.00 ± 30.00 | Student: 45.00 ± 15.00 | Eval time: 0.1 s
"""  # noqa: E501


def test_parse_log_selects_as_their_script():
    first, second = authors_check.parse_log(LOG)
    # Ties keep the later epoch (val 0.70 at epochs 1 and 2 -> test 0.75).
    assert first['teacher'] == dict(test_at_best_val=75.0,
                                    best_test_over_epochs=80.0, epochs=4)
    assert first['rbm'] == dict(test_at_best_val=50.0,
                                best_test_over_epochs=60.0, epochs=2)
    assert second['teacher']['test_at_best_val'] == 20.0
    assert second['rbm']['best_test_over_epochs'] == 30.0


def test_compare_by_hand():
    # Means 80 and 81.5, sample variances 8 and 0.5 over 2 runs each:
    # standard error sqrt(8 / 2 + 0.5 / 2) = 2.06, bound 4.12.
    out = authors_check.compare([78.0, 82.0], [81.0, 82.0])
    assert out['difference'] == pytest.approx(1.5)
    assert out['standard_error'] == pytest.approx(4.25**0.5)
    assert out['bound'] == pytest.approx(2 * 4.25**0.5) and out['within']
    out = authors_check.compare([80.0, 80.2], [81.5, 81.3])
    assert out['bound'] == 1.0 and not out['within']


FAKE_MAIN = '''
import sys
import types

import yaml

assert isinstance(sys.modules['dgl.graphbolt'], types.ModuleType)
assert yaml.load('a: 1e-6', Loader=yaml.FullLoader)['a'] == 1e-6
runs = int(sys.argv[sys.argv.index('--num_runs') + 1])


def unused(g):
    return g.adjacency_matrix().T.indices()


for run in range(runs):
    test = 0.7 + 0.01 * run
    print(f'Teacher[0] Train | Val Acc: 0.5000, Test Acc: {test:.4f} |')
    print(f'Student[0] Train | Val Acc: 0.5000, Test Acc: {test:.4f} |')
mean = 100 * (0.7 + 0.01 * (runs - 1) / 2)
print(f'cora | Teacher: {mean:.2f} ± 0 | Student: {mean:.2f} ± 0 | E')
'''


def _fake_repo(tmp_path):
    repo = tmp_path / 'authors'
    repo.mkdir()
    (repo / 'main_distill.py').write_text(textwrap.dedent(FAKE_MAIN))
    (repo / 'parameters.yaml').write_text('cora: {}\n')
    root = tmp_path / 'data'
    for name, key in (('Cora', 'cora'), ('CiteSeer', 'citeseer')):
        raw = root / name / 'raw'
        raw.mkdir(parents=True)
        for suffix in authors_check.SUFFIXES:
            (raw / f'ind.{key}.{suffix}').write_text(f'{key}.{suffix}')
    return repo, root


def test_authors_side_runs_a_patched_copy(tmp_path, monkeypatch):
    repo, root = _fake_repo(tmp_path)
    workdir = tmp_path / 'work'
    monkeypatch.setattr(sys, 'argv', [
        'authors_check.py', '--authors-repo',
        str(repo), '--python', sys.executable, '--side', 'authors',
        '--datasets', 'cora', '--settings', 'transductive', '--seeds', '3',
        '--root',
        str(root), '--workdir',
        str(workdir), '--out',
        str(tmp_path / 'out.json')
    ])
    authors_check.main()
    with open(workdir / 'authors_cora_transductive.json') as f:
        cell = json.load(f)
    assert [r['rbm']['test_at_best_val'] for r in cell['runs']] == [
        pytest.approx(70.0), pytest.approx(71.0), pytest.approx(72.0)
    ]
    code, = [p for p in workdir.glob('tmp*/authors-code')]
    patched = (code / 'main_distill.py').read_text()
    assert "torch.stack(g.edges(order='eid')[::-1])" in patched
    assert (code / 'data' / 'cora_v2_d697a464' /
            'ind.cora_v2.test.index').read_text() == 'cora.test.index'
    # The original is untouched, and nothing is compared without our side.
    assert 'adjacency_matrix' in (repo / 'main_distill.py').read_text()
    assert not (tmp_path / 'out.json').exists()


def test_report_of_both_sides(tmp_path, monkeypatch):
    repo, root = _fake_repo(tmp_path)
    workdir = tmp_path / 'work'
    workdir.mkdir()
    for side, values in (('authors', (80.0, 82.0)), ('ours', (81.0, 85.0))):
        runs = [{
            m: dict(test_at_best_val=v, best_test_over_epochs=v + 1)
            for m in authors_check.MODELS
        } for v in values]
        cell = dict(runs=runs, command=f'{side} run', cpu_s=10.0)
        with open(workdir / f'{side}_cora_inductive.json', 'w') as f:
            json.dump(cell, f)
    out = tmp_path / 'check.json'
    monkeypatch.setattr(sys, 'argv', [
        'authors_check.py', '--authors-repo',
        str(repo), '--side', 'report', '--workdir',
        str(workdir), '--out',
        str(out)
    ])
    authors_check.main()
    with open(out) as f:
        check = json.load(f)
    assert [(r['model'], r['metric']) for r in check['rows']] == [
        (m, k) for m in authors_check.MODELS for k in authors_check.METRICS
    ]
    row = check['rows'][2]
    assert (row['dataset'], row['setting'], row['model']) == (
        'cora', 'inductive', 'rbm')
    assert row['authors']['runs'] == [80.0, 82.0]
    assert row['difference'] == pytest.approx(2.0)
    assert row['within']  # SE sqrt(2 / 2 + 8 / 2) = 2.24
    assert len(check['patches']) == len(authors_check.PATCHES)
    section = '\n'.join(report.authors_check_section(check))
    assert '4 of 4 rows are within' in section
    assert '| cora | inductive | rbm | test_at_best_val | 2 |' in section
