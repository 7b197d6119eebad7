import json

import pytest
import torch
from torch_geometric.graphgym.config import cfg

from pyg_rbm.config import load_config
from pyg_rbm.graphgym import distill_config_from_cfg, load_experiment_cfg
from pyg_rbm.graphgym.__main__ import main
from pyg_rbm.train.pipeline import run_seed


def _stats(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


@pytest.mark.slow
def test_graphgym_run_matches_the_training_core(data_root, gg_config, fast,
                                                tmp_path, capsys):
    path = gg_config('cora-rbm-transductive.yaml')
    opts = ['dataset.dir', data_root, 'out_dir', str(tmp_path), *fast,
            'distill.patience', '3']
    assert main(['--cfg', path, '--repeat', '2', *opts]) == 0
    printed = capsys.readouterr().out
    assert 'student (rbm)' in printed and 'teacher (sage-gcn)' in printed
    out = tmp_path / 'cora-rbm-transductive'
    with open(out / 'results.json') as f:
        summary = json.load(f)
    assert summary['seeds'] == [0, 1]

    # The same hyperparameters straight through the core, seed 0.
    load_experiment_cfg(path, opts)
    config = distill_config_from_cfg(cfg)
    assert config == load_config(
        dataset='cora', overrides=dict(
            root=data_root, teacher=dict(epochs=20, hidden_channels=64),
            student=dict(hidden_channels=64),
            train=dict(epochs=10, pretrain_epochs=2, patience=3)))
    reference = run_seed(config, 0, progress=False)
    seed0 = summary['per_seed'][0]
    assert seed0['student'] == reference.student
    assert seed0['teacher'] == reference.teacher
    assert summary['student']['test']['runs'][0] == pytest.approx(
        100 * reference.student['test'])

    # GraphGym's logs: pretraining apart, one line per epoch up to the
    # planned last one, for every seed (early-stopped runs carry their
    # restored best model forward), so that agg_runs could aggregate.
    for seed in (0, 1):
        run = out / str(seed)
        assert [s['epoch'] for s in _stats(run / 'pretrain' / 'val' /
                                           'stats.json')] == [0, 1]
        for split in ('train', 'val', 'test'):
            stats = _stats(run / split / 'stats.json')
            assert [s['epoch'] for s in stats] == list(range(2, 12))
        # The time left counts the pretraining epochs: it ends at zero.
        train = _stats(run / 'train' / 'stats.json')
        assert all(s['eta'] >= 0 for s in train) and train[-1]['eta'] == 0
    # The logged validation accuracy at the best epoch is the core's.
    val = _stats(out / '0' / 'val' / 'stats.json')
    test = _stats(out / '0' / 'test' / 'stats.json')
    best = max(range(len(val)), key=lambda i: (val[i]['accuracy'], -i))
    assert val[best]['accuracy'] == round(reference.student['val'], 4)
    assert test[best]['accuracy'] == round(reference.student['test'], 4)
    with open(out / 'agg' / 'val' / 'best.json') as f:
        agg = json.loads(f.readline())
    assert agg['accuracy'] == pytest.approx(
        summary['student']['val']['mean'] / 100, abs=1e-4)
    assert (out / 'config.yaml').exists()


@pytest.mark.slow
def test_graphgym_inductive_logs_held_out_nodes(data_root, gg_config, fast,
                                                tmp_path):
    path = gg_config('cora-mlp-inductive.yaml')
    assert main(['--cfg', path, 'dataset.dir', data_root, 'out_dir',
                 str(tmp_path), *fast]) == 0
    out = tmp_path / 'cora-mlp-inductive'
    with open(out / 'results.json') as f:
        summary = json.load(f)
    seed = summary['per_seed'][0]
    assert summary['setting'] == 'inductive'
    # Cora's public test nodes are all held out: the headline is theirs.
    assert summary['student']['test']['mean'] == pytest.approx(
        100 * seed['student']['inductive'])
    stats = _stats(out / '0' / 'inductive' / 'stats.json')
    assert len(stats) == 10  # no pretraining for the MLP
    # GraphGym's 'test' split is the setting's test nodes, the held-out
    # ones, so that agg_runs aggregates it; the public split leaves no
    # test node in the training graph.
    def scores(rows):
        return [(s['epoch'], s['loss'], s['accuracy']) for s in rows]

    assert scores(_stats(out / '0' / 'test' / 'stats.json')) == \
        scores(stats)
    assert not (out / '0' / 'observed_test').exists()
    with open(out / 'agg' / 'test' / 'best.json') as f:
        best = json.loads(f.readline())
    val = _stats(out / '0' / 'val' / 'stats.json')
    epoch = max(range(len(val)), key=lambda i: (val[i]['accuracy'], -i))
    assert best['accuracy'] == stats[epoch]['accuracy']
    assert stats[epoch]['accuracy'] == round(seed['student']['inductive'], 4)


def test_reruns_keep_finished_seeds_and_checkpoints(data_root, gg_config,
                                                    fast, tmp_path):
    import torch
    from torch_geometric.graphgym.checkpoint import MODEL_STATE

    from pyg_rbm.graphgym import run_experiment
    path = gg_config('cora-mlp-inductive.yaml')
    opts = ['dataset.dir', data_root, 'out_dir', str(tmp_path), *fast]
    first = run_experiment(path, 1, opts)
    out = tmp_path / 'cora-mlp-inductive'
    # GraphGym's enable_ckpt (default True): the selected student, in
    # GraphGym's checkpoint format, loads into the registered network.
    ckpt, = (out / '0' / 'ckpt').iterdir()
    state = torch.load(ckpt, weights_only=True)[MODEL_STATE]
    assert any(key.endswith('weight') for key in state)
    # Running it again would delete the finished seed: refused.
    with pytest.raises(ValueError, match="holds an earlier experiment"):
        run_experiment(path, 2, opts)
    assert (out / '0' / 'seed_result.json').exists()
    # With auto_resume the finished seed is kept, the new one runs.
    second = run_experiment(path, 2, [*opts, 'train.auto_resume', 'True'])
    assert second['per_seed'][0] == first['per_seed'][0]
    assert [s['seed'] for s in second['per_seed']] == [0, 1]
    assert (out / '1' / 'seed_result.json').exists()


@pytest.mark.slow
def test_devices_train_on_as_many_processes(data_root, gg_config, fast,
                                            tmp_path):
    # `devices 2`: the entry point starts two processes (gloo on the CPU)
    # that train together; rank 0 alone prints and writes.
    import os
    import subprocess
    import sys
    path = gg_config('cora-mlp-transductive.yaml')
    # (Without dropout, two processes train as one: tests/train.)
    opts = ['dataset.dir', data_root, *fast, 'gnn.dropout', '0.0',
            'accelerator', 'cpu']

    scratch = tmp_path / 'tmp'  # the processes' temporary folders
    scratch.mkdir()

    def run(name, *more, repeat=1):
        done = subprocess.run(
            [sys.executable, '-m', 'pyg_rbm.graphgym', '--cfg', path,
             '--repeat', str(repeat), *opts, 'out_dir', str(tmp_path / name),
             *more], capture_output=True, text=True, timeout=300,
            env=dict(os.environ, OMP_NUM_THREADS='1', TMPDIR=str(scratch)))
        assert done.returncode == 0, done.stderr[-3000:]
        # (Rank 1 logged and wrote into a folder of its own, now gone.)
        assert not [p for p in scratch.iterdir()
                    if p.name.startswith('pyg_rbm_rank_')]
        with open(tmp_path / name / 'cora-mlp-transductive' /
                  'results.json') as f:
            return done.stdout, json.load(f)

    def tree(name):
        root = tmp_path / name
        return sorted(str(p.relative_to(root)) for p in root.rglob('*'))

    one, one_results = run('one')
    two, two_results = run('two', 'devices', '2')
    assert two.count('student (mlp)') == one.count('student (mlp)') == 1
    assert two.count('Wrote ') == 1
    # GraphGym's log lines, once: rank 1 logs to its own folder only.
    assert two.count('Num parameters') == one.count('Num parameters') == 1
    assert tree('two') == tree('one')
    assert two_results['per_seed'][0]['student'] == pytest.approx(
        one_results['per_seed'][0]['student'], abs=1e-3)
    assert one_results['per_seed'][0]['student']['val'] > 0.3
    # Again with a second seed: the finished one is kept on every process.
    _, again = run('two', 'devices', '2', 'train.auto_resume', 'True',
                   repeat=2)
    assert again['per_seed'][0] == two_results['per_seed'][0]
    assert again['seeds'] == [0, 1]


def test_devices_must_match_the_processes_started(data_root, gg_config,
                                                  tmp_path, monkeypatch):
    from pyg_rbm.graphgym import load_experiment_cfg, run_experiment
    from pyg_rbm.graphgym.train.distill import train_distill
    path = gg_config('cora-mlp-inductive.yaml')
    opts = ['dataset.dir', data_root, 'out_dir', str(tmp_path),
            'accelerator', 'cpu']
    # Started by torchrun --nproc-per-node 2, configured for one or three.
    monkeypatch.setenv('WORLD_SIZE', '2')
    for devices in ('1', '3'):
        with pytest.raises(ValueError, match=f"'cfg.devices' is {devices} "
                           f"but the launcher started 2 processes"):
            run_experiment(path, 1, [*opts, 'devices', devices])
        with pytest.raises(SystemExit) as info:
            main(['--cfg', path, *opts, 'devices', devices])
        assert info.value.code == 2
    assert not list(tmp_path.iterdir())
    monkeypatch.delenv('WORLD_SIZE')
    # An earlier experiment in the folder: refused before the launch.
    earlier = tmp_path / 'cora-mlp-inductive'
    earlier.mkdir()
    (earlier / 'config.yaml').write_text('')
    launched = []
    monkeypatch.setattr('pyg_rbm.distributed.launch',
                        lambda *args: launched.append(args))
    with pytest.raises(ValueError, match='holds an earlier experiment'):
        run_experiment(path, 1, [*opts, 'devices', '2'])
    assert not launched
    # A main script of one's own calls the train loop in one process.
    load_experiment_cfg(path, [*opts, 'devices', '2'])
    with pytest.raises(ValueError, match="'cfg.devices' is 2 but this "
                       "process trains in a group of 1"):
        train_distill([], [], None, None, None)


def test_the_entry_point_names_a_bad_key_before_any_work(gg_config,
                                                         tmp_path, capsys):
    path = gg_config('cora-mlp-inductive.yaml')
    for opts, message in ((['devices', '0'], "'cfg.devices' must be a "
                           "positive integer"),
                          (['nonsense', '1'], 'Non-existent key: nonsense'),
                          (['optim.max_epoch', 'ten'], 'optim.max_epoch')):
        with pytest.raises(SystemExit) as info:
            main(['--cfg', path, 'out_dir', str(tmp_path), *opts])
        assert info.value.code == 2
        assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
    earlier = tmp_path / 'cora-mlp-inductive'
    earlier.mkdir()
    (earlier / 'config.yaml').write_text('')
    for devices in ('1', '2'):
        with pytest.raises(SystemExit):
            main(['--cfg', path, 'out_dir', str(tmp_path), 'devices',
                  devices])
        assert 'holds an earlier experiment' in capsys.readouterr().err
    assert [p.name for p in earlier.iterdir()] == ['config.yaml']


def test_epoch_logger_keeps_the_core_tie_rule():
    import torch
    from torch_geometric.data import Data

    from pyg_rbm.graphgym.train.epoch_logger import EpochLogger
    batch = Data(train_mask=torch.ones(2, dtype=torch.bool))
    for ties, best in (('first', 3), ('last', 5)):
        logger = EpochLogger([], batch, lr=0.01, ties=ties)
        logger.val_history = [(2, 0.5), (3, 0.7), (4, 0.6), (5, 0.7)]
        assert logger.best_epoch == best


def test_wider_student_inputs_rebuild_the_network(data_root, gg_config,
                                                  fast, tmp_path):
    import torch
    from torch_geometric.graphgym.checkpoint import MODEL_STATE

    from pyg_rbm.graphgym import run_experiment
    path = gg_config('cora-mlp-transductive.yaml')
    # Label-propagation features add one column per class to the 1433
    # features GraphGym sizes the network from. (The weights as trained:
    # an average over 10 epochs still leans on the first of them.)
    summary = run_experiment(path, 1, [
        'dataset.dir', data_root, 'out_dir', str(tmp_path), *fast,
        'extras.label_propagation', 'True', 'distill.weight_average', '0.0'
    ])
    assert summary['student']['test']['mean'] > 50
    ckpt, = (tmp_path / 'cora-mlp-transductive' / '0' / 'ckpt').iterdir()
    state = torch.load(ckpt, weights_only=True)[MODEL_STATE]
    first = next(v for k, v in state.items() if k.endswith('weight'))
    assert first.shape == (64, 1433 + 7)


@pytest.mark.skipif(not torch.cuda.is_available(),
                    reason='needs a CUDA device')
def test_graphgym_accelerator_trains_the_student_on_the_gpu(
        data_root, gg_config, fast, tmp_path):
    from torch_geometric.graphgym.checkpoint import MODEL_STATE

    from pyg_rbm.graphgym import run_experiment
    path = gg_config('cora-rbm-transductive.yaml')
    opts = ['dataset.dir', data_root, 'out_dir', str(tmp_path),
            'accelerator', 'cuda', *fast]
    summary = run_experiment(path, 1, opts)
    assert 0.0 <= summary['per_seed'][0]['student']['test'] <= 1.0
    ckpt, = (tmp_path / 'cora-rbm-transductive' / '0' / 'ckpt').iterdir()
    state = torch.load(ckpt, weights_only=True)[MODEL_STATE]
    assert all(t.is_cuda for t in state.values())


def test_graphgym_adam_takes_the_multi_tensor_step(data_root, gg_config,
                                                   fast, tmp_path,
                                                   monkeypatch):
    import pyg_rbm.graphgym.train.distill as distill
    from pyg_rbm.graphgym import run_experiment

    class Stop(Exception):
        pass

    seen = []

    def run_seed(*args, optimizer=None, **kwargs):
        seen.append((type(optimizer), optimizer.defaults['foreach']))
        raise Stop

    monkeypatch.setattr(distill, 'run_seed', run_seed)
    path = gg_config('cora-mlp-inductive.yaml')
    with pytest.raises(Stop):
        run_experiment(path, 1, ['dataset.dir', data_root, 'out_dir',
                                 str(tmp_path), *fast])
    assert seen == [(torch.optim.Adam, True)]
