import csv
import os.path as osp

import pytest
import yaml

from pyg_rbm.cli.main import main
from pyg_rbm.graphgym import generate_configs, load_grid


def _grid(tmp_path, text, name='grid.txt'):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_load_grid_reads_blocks_rows_and_comments(tmp_path):
    path = _grid(
        tmp_path, '# header\n\n'
        'rbm.num_experts E [4,8]  # trailing comment\n'
        '# a comment inside a block does not end it\n'
        "distill.setting set ['transductive', 'inductive']\n"
        '\n\n'
        'seed s [1]\n')
    blocks = load_grid(path)
    assert blocks == [
        [('rbm.num_experts', 'E', [4, 8]),
         ('distill.setting', 'set', ['transductive', 'inductive'])],
        [('seed', 's', [1])],
    ]


@pytest.mark.parametrize('text,match', [
    ('rbm.k k\n', 'KEY ALIAS'),
    ('rbm.k k 3\n', 'non-empty list'),
    ('rbm.k k []\n', 'non-empty list'),
    ('a.b.c x [1]\n', 'two'),
    ('rbm.k k [1]\nrbm.k k2 [2]\n', 'repeats'),
    ('# nothing\n', 'no rows'),
])
def test_load_grid_rejects_bad_files(tmp_path, text, match):
    with pytest.raises(ValueError, match=match):
        load_grid(_grid(tmp_path, text))


def test_generate_configs_deep_copies_between_blocks():
    base = dict(rbm=dict(k=3), seed=0)
    blocks = [
        [('rbm.num_experts', 'E', [4, 8]), ('distill.lam', 'lam', [0.1])],
        [('rbm.k', 'k', [1, 2])],
        [('rbm.num_experts', 'E', [8]), ('distill.lam', 'lam', [0.1])],
    ]
    out = generate_configs(base, blocks, 'cora')
    assert [c.name for c in out] == [
        'cora-E=4-lam=0.1', 'cora-E=8-lam=0.1', 'cora-k=1', 'cora-k=2'
    ]  # the third block repeats a config: kept once
    assert out[0].config == dict(rbm=dict(k=3, num_experts=4), seed=0,
                                 distill=dict(lam=0.1))
    # Nothing of the first block leaks into the second, nor into the base.
    assert out[2].config == dict(rbm=dict(k=1), seed=0)
    assert base == dict(rbm=dict(k=3), seed=0)
    assert out[3].varied == dict(k=2)


def test_generate_configs_refuses_clashing_names():
    blocks = [[('rbm.k', 'x', [1])], [('rbm.num_experts', 'x', [1])]]
    with pytest.raises(ValueError, match="'cora-x=1'"):
        generate_configs({}, blocks, 'cora')


def _rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_grid_2x2_on_cora(data_root, gg_config, fast, tmp_path, capsys,
                          monkeypatch):
    import pyg_rbm.train.pipeline as pipeline
    trained = []
    train_teacher = pipeline.train_teacher
    monkeypatch.setattr(pipeline, 'train_teacher', lambda *args, **kwargs:
                        trained.append(1) or train_teacher(*args, **kwargs))
    grid = _grid(tmp_path, 'rbm.num_experts E [3,4]\n'
                 'distill.lam lam [0.2,0.5]\n')
    out = tmp_path / 'grid'
    code = main([
        'grid', '--config',
        gg_config('cora-rbm-transductive.yaml'), '--grid', grid, '--out',
        str(out), 'dataset.dir', data_root, *fast,
        # The weights as trained: an average over 10 epochs still leans on
        # the first of them, below the accuracy floor.
        'distill.weight_average', '0.0'
    ])
    assert code == 0
    rows = _rows(out / 'results.csv')
    assert [(r['E'], r['lam']) for r in rows] == [('3', '0.2'), ('3', '0.5'),
                                                  ('4', '0.2'), ('4', '0.5')]
    for row in rows:
        assert row['status'] == 'ok' and row['error'] == ''
        assert row['repeats'] == '1' and float(row['test_std']) == 0.0
        # Few epochs, but well above chance (1/7) on Cora.
        assert 40.0 < float(row['test_mean']) <= 100.0
        assert 40.0 < float(row['val_mean']) <= 100.0
        assert 60.0 < float(row['teacher_test_mean']) <= 100.0
        run = out / 'runs' / row['config']
        assert (run / 'results.json').exists()
        assert (run / 'agg' / 'val' / 'best.json').exists()
    # The four configurations share one teacher (one seed).
    assert len(trained) == 1 and len(list((out / 'teachers').iterdir())) == 1
    with open(out / 'configs' / 'cora-rbm-transductive-E=4-lam=0.5.yaml') as f:
        generated = yaml.safe_load(f)
    assert generated['rbm']['num_experts'] == 4
    assert generated['distill']['lam'] == 0.5
    assert generated['optim']['max_epoch'] == 10  # the override
    assert 'wrote' in capsys.readouterr().out
    # The same grid again would delete its runs: refused before any work.
    argv = ['grid', '--config', gg_config('cora-rbm-transductive.yaml'),
            '--grid', grid, '--out', str(out), 'dataset.dir', data_root,
            *fast]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert 'holds an earlier grid' in capsys.readouterr().err
    # With auto_resume every finished seed is kept and nothing reruns.
    assert main([*argv, 'train.auto_resume', 'True']) == 0
    assert [r['test_mean'] for r in _rows(out / 'results.csv')] == [
        r['test_mean'] for r in rows]


def test_grid_reports_failed_configs_and_goes_on(gg_config, tmp_path,
                                                 capsys):
    grid = _grid(tmp_path, 'rbm.k k [9]\n\n'
                 "distill.setting setting ['semi']\n\n"
                 'rbm.nonsense x [1]\n')
    out = tmp_path / 'grid'
    code = main([
        'grid', '--config',
        gg_config('cora-rbm-transductive.yaml'), '--grid', grid, '--out',
        str(out), '--jobs', '2'
    ])
    assert code == 1
    rows = _rows(out / 'results.csv')
    assert [r['config'] for r in rows] == [
        'cora-rbm-transductive-k=9', 'cora-rbm-transductive-setting=semi',
        'cora-rbm-transductive-x=1'
    ]
    assert all(r['status'] == 'failed' for r in rows)
    assert "'cfg.rbm.k'" in rows[0]['error']
    assert "'cfg.distill.setting'" in rows[1]['error']
    assert 'rbm.nonsense' in rows[2]['error']
    # Values of the aliases a config does not vary: the base file's.
    assert (rows[0]['k'], rows[0]['setting']) == ('9', 'transductive')
    assert rows[1]['k'] == '3'
    printed = capsys.readouterr().out
    assert 'FAILED cora-rbm-transductive-k=9' in printed
    assert '0 of 3 configs ran' in printed
    assert osp.isdir(out / 'configs')


def _dies_on_b(path, repeat, threads, outcome_path):
    import json
    import os
    import signal
    if 'b' in osp.basename(path):
        os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer would
    with open(outcome_path, 'w') as f:
        json.dump(dict(status='ok', error='', repeat=repeat), f)


def test_a_killed_worker_fails_only_its_config(tmp_path):
    from pyg_rbm.graphgym.grid import _run_parallel
    paths = [str(tmp_path / f'{name}.yaml') for name in ('a', 'b', 'c')]
    outcomes = _run_parallel(paths, 2, jobs=2, threads=1,
                             outcomes_dir=str(tmp_path / 'outcomes'),
                             target=_dies_on_b, context='fork')
    assert outcomes[0] == outcomes[2] == dict(status='ok', error='',
                                              repeat=2)
    assert outcomes[1]['status'] == 'failed'
    assert 'killed by signal 9' in outcomes[1]['error']
