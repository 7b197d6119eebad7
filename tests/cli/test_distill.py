import json
import os

import pytest
import torch

from pyg_rbm.cli.main import main


def test_distill_cli_smoke(data_root, tmp_path, capsys):
    out = str(tmp_path / 'run')
    code = main([
        'distill', '--dataset', 'cora', '--root', data_root, '--seeds', '1',
        '--epochs', '3', '--set', 'teacher.epochs=5', '--set',
        'train.pretrain_epochs=1', '--set', 'teacher.hidden_channels=16',
        '--set', 'student.hidden_channels=16', '--teacher-graph',
        'labelled', '--baseline-mlp', '--out',
        out, '--no-progress'
    ])
    assert code == 0
    printed = capsys.readouterr().out
    assert 'teacher (sage-gcn)' in printed and 'student (rbm)' in printed
    with open(os.path.join(out, 'results.json')) as f:
        results = json.load(f)
    for key in ('teacher', 'student', 'mlp'):
        assert {'mean', 'std', 'runs'} <= set(results[key])
        assert len(results[key]['runs']) == 1
        assert 0 <= results[key]['mean'] <= 100
    # A teacher trained on the labelled neighbourhood is never scored on
    # test nodes per epoch, so it has no best-over-epochs figure.
    assert 'best_test_over_epochs' not in results['teacher']
    for key in ('student', 'mlp'):
        best = results[key]['best_test_over_epochs']
        assert best['runs'][0] >= results[key]['runs'][0]
    assert 'best test, any epoch*' in printed
    # The seed's line gives percentages, as the results file does.
    seed_line = next(line for line in printed.splitlines()
                     if line.startswith('seed 0 '))
    student = results['student']['runs'][0]
    assert 'student val ' in seed_line
    assert f'test {student:.2f}%' in seed_line.split('student ')[1]
    assert results['setting'] == 'transductive'
    hp = results['hyperparameters']
    # Shipped Cora defaults (the authors'), then the overrides.
    assert hp['student']['num_layers'] == 3 and hp['train']['tau'] == 1.29
    assert hp['train']['epochs'] == 3
    assert hp['teacher']['train_graph'] == 'labelled'

    # The selected student is saved; `predict` serves it. Its predictions
    # on Cora's test nodes give the reported test accuracy.
    import torch

    from pyg_rbm import load_student
    from pyg_rbm.datasets import load_dataset
    saved = load_student(os.path.join(out, 'students', '0.pt'))
    assert saved.normalize_features and saved.name == 'rbm'
    data = load_dataset('cora', data_root)
    pred = saved.predict(data.x).argmax(dim=-1)
    test = data.test_mask
    accuracy = float((pred[test] == data.y[test]).float().mean())
    assert 100 * accuracy == pytest.approx(student, abs=1e-4)
    csv_path = os.path.join(str(tmp_path), 'pred.csv')
    assert main(['predict', out, '--root', data_root, '--nodes', '0', '5',
                 '--out', csv_path]) == 0
    with open(csv_path) as f:
        rows = [line.strip().split(',') for line in f][1:]
    assert [r[1] for r in rows] == ['0', '5']
    assert [int(r[2]) for r in rows] == pred[[0, 5]].tolist()
    features = os.path.join(str(tmp_path), 'x.pt')
    torch.save(data.x[:3].clone(), features)
    assert main(['predict', out, '--features', features]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[-4] == 'row,node,class,probability'
    assert [int(r.split(',')[2]) for r in printed[-3:]] == pred[:3].tolist()
    with pytest.raises(SystemExit):
        main(['predict', out, '--seed', '7'])
    assert "'--seed'" in capsys.readouterr().err
    # The saved student leaves Python: raw features in, logits out.
    assert main(['export', out, '--format', 'exported-program']) == 0
    program = torch.export.load(os.path.join(out, 'students', '0.pt2'))
    with torch.no_grad():
        logits = program.module()(data.x[:100])
    assert torch.equal(logits.argmax(dim=-1), pred[:100])
    with pytest.raises(SystemExit):  # never overwritten
        main(['export', out, '--format', 'exported-program'])
    assert 'exists' in capsys.readouterr().err


def test_distill_cli_rejects_bad_input(tmp_path, capsys):
    for argv, message in (
        (['--set', 'student.nonsense=1'], 'student.nonsense'),
        (['--set', 'student.k=two'], 'student.k'),
        (['--dataset', 'cora', '--root', str(tmp_path / 'nowhere')],
         'nowhere'),
        (['--device', 'gpu'], "'device' must be"),
    ):
        with pytest.raises(SystemExit) as info:
            main(['distill', *argv, '--out', str(tmp_path)])
        assert info.value.code == 2
        assert message in capsys.readouterr().err


def test_distill_keeps_each_seed_and_resumes(tmp_path, capsys, monkeypatch):
    import pyg_rbm.train.pipeline as pipeline
    from pyg_rbm.train.pipeline import SeedResult

    ran = []

    def fake_run_seed(config, seed, progress=True, **kwargs):
        ran.append(seed)
        if seed == 2:
            raise KeyboardInterrupt  # the user stops the third seed
        scores = dict(val=0.5, test=0.6 + seed / 100)
        return SeedResult(seed, config.setting, scores, scores,
                          timings=dict(nodes=1.0))

    monkeypatch.setattr(pipeline, 'run_seed', fake_run_seed)
    out = str(tmp_path / 'run')
    argv = ['distill', '--root', str(tmp_path), '--dataset', 'csbm',
            '--out', out, '--no-progress']
    with pytest.raises(KeyboardInterrupt):
        main([*argv, '--seeds', '3'])
    assert sorted(os.listdir(os.path.join(out, 'seeds'))) == ['0.json',
                                                              '1.json']
    # The same folder again is refused, by name, before any work.
    with pytest.raises(SystemExit) as info:
        main([*argv, '--seeds', '3'])
    assert info.value.code == 2 and '--resume' in capsys.readouterr().err
    assert ran == [0, 1, 2]
    monkeypatch.setattr(pipeline, 'run_seed',
                        lambda config, seed, progress, **kwargs:
                        fake_run_seed(config, seed + 10, progress))
    assert main([*argv, '--seeds', '4', '--resume']) == 0
    assert ran == [0, 1, 2, 12, 13]  # only the unfinished seeds ran
    with open(os.path.join(out, 'results.json')) as f:
        results = json.load(f)
    assert [r['seed'] for r in results['per_seed']] == [0, 1, 12, 13]
    assert results['environment']['device'] == 'cpu'
    # Another configuration cannot resume it.
    with pytest.raises(SystemExit):
        main([*argv, '--seeds', '4', '--resume', '--set', 'train.lr=0.5'])
    assert 'train.lr differ' in capsys.readouterr().err


def test_flags_follow_the_config_declarations(capsys):
    import argparse

    from pyg_rbm.cli.distill import FLAGS, add_parser
    from pyg_rbm.config import KD_VARIANTS, config_keys
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    sub = parser._subparsers._group_actions[0].choices['distill']
    actions = {a.dest: a for a in sub._actions}
    assert set(FLAGS.values()) <= set(actions)
    assert actions['train.kd_variant'].choices == KD_VARIANTS
    assert actions['train.epochs'].type is int
    assert 'config key train.epochs' in actions['train.epochs'].help
    assert actions['student.name'].choices == ('rbm', 'moe', 'mlp')
    # A flag lands on its key; an unset flag leaves the shipped value.
    args = parser.parse_args(['distill', '--epochs', '7', '--adversarial'])
    from pyg_rbm.cli.distill import overrides_from_args
    assert overrides_from_args(args) == dict(
        train=dict(epochs=7), extras=dict(adversarial=True))

    assert main(['distill', '--keys']) == 0
    printed = capsys.readouterr().out
    for key, *_ in config_keys():
        assert f'\n{key} ' in printed
    assert "train.lam" in printed and 'in [0, 1]' in printed


def test_resume_continues_an_interrupted_seed(data_root, tmp_path,
                                              monkeypatch):
    import pyg_rbm.train.loop as loop
    argv = ['distill', '--dataset', 'cora', '--root', data_root, '--seeds',
            '1', '--epochs', '25', '--set', 'teacher.epochs=5', '--set',
            'train.pretrain_epochs=2', '--set', 'train.patience=100',
            '--set', 'teacher.hidden_channels=16', '--set',
            'student.hidden_channels=16', '--no-progress']
    whole = str(tmp_path / 'whole')
    assert main([*argv, '--out', whole]) == 0

    # Killed after the student's second checkpoint (epoch 20 of 27).
    saves = []
    save = loop.save_checkpoint

    def killed(path, state):
        save(path, state)
        saves.append(state['epoch'])
        if len(saves) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(loop, 'save_checkpoint', killed)
    out = str(tmp_path / 'killed')
    with pytest.raises(KeyboardInterrupt):
        main([*argv, '--out', out])
    assert saves == [9, 19]
    assert os.listdir(os.path.join(out, 'checkpoints', '0')) == ['student.pt']
    assert os.listdir(os.path.join(out, 'seeds')) == []
    monkeypatch.setattr(loop, 'save_checkpoint', save)

    # The teacher comes from the run folder, the student from epoch 20.
    import pyg_rbm.train.pipeline as pipeline
    loaded = []
    load = loop.load_checkpoint
    monkeypatch.setattr(loop, 'load_checkpoint',
                        lambda path: loaded.append(load(path)) or loaded[-1])
    monkeypatch.setattr(pipeline, 'train_teacher', None)  # never called
    assert main([*argv, '--out', out, '--resume']) == 0
    assert [state['epoch'] for state in loaded] == [19]
    assert not os.path.exists(os.path.join(out, 'checkpoints', '0'))
    results = []
    for folder in (whole, out):
        with open(os.path.join(folder, 'seeds', '0.json')) as f:
            results.append(json.load(f))
    for key in ('teacher', 'student', 'student_epochs'):
        assert results[0][key] == results[1][key]
    assert results[1]['environment']['torch_threads'] >= 1


def test_distill_from_teacher_logits(data_root, tmp_path, capsys):
    import numpy as np
    import torch

    from pyg_rbm.datasets import load_dataset
    data = load_dataset('cora', data_root)
    # A teacher computed elsewhere: here, one that knows every label.
    logits = 5.0 * torch.nn.functional.one_hot(data.y).float()
    path = str(tmp_path / 'logits.npy')
    np.save(path, logits.numpy())
    out = str(tmp_path / 'run')
    argv = ['distill', '--dataset', 'cora', '--root', data_root, '--seeds',
            '1', '--epochs', '3', '--student', 'mlp', '--no-progress']
    assert main([*argv, '--teacher-logits', path, '--out', out]) == 0
    printed = capsys.readouterr().out
    assert 'teacher (logits)' in printed
    with open(os.path.join(out, 'results.json')) as f:
        results = json.load(f)
    seed = results['per_seed'][0]
    assert seed['teacher'] == dict(val=1.0, test=1.0)
    assert 'teacher_inference_s' not in seed['timings']
    assert 0.0 <= seed['student']['test'] <= 1.0
    # Refused before any work: wrong shape, or an extra needing the model.
    np.save(path, logits[:, :3].numpy())
    for extra, message in (([], 'must have shape'),
                           (['--similarity'], 'needs the teacher model')):
        if extra:
            np.save(path, logits.numpy())
        with pytest.raises(SystemExit) as info:
            main([*argv, *extra, '--teacher-logits', path, '--out',
                  str(tmp_path / 'other')])
        assert info.value.code == 2
        assert message in capsys.readouterr().err


def test_torchrun_two_processes_match_one(tmp_path):
    # The scaling-out path of the README: teacher logits computed elsewhere
    # (a memory-mapped .npy file), then the student on two processes.
    import subprocess
    import sys

    import numpy as np

    from pyg_rbm.datasets import load_dataset
    data = load_dataset('csbm', str(tmp_path), seed=0)
    g = torch.Generator().manual_seed(0)
    logits = (3.0 * torch.nn.functional.one_hot(data.y).float() +
              torch.randn(data.num_nodes, int(data.num_classes), generator=g))
    np.save(tmp_path / 'logits.npy', logits.numpy())
    args = ['-m', 'pyg_rbm', 'distill', '--dataset', 'csbm', '--root',
            str(tmp_path), '--teacher-logits',
            str(tmp_path / 'logits.npy'), '--epochs', '3', '--no-progress',
            '--set', 'student.dropout=0', '--set', 'train.pretrain_epochs=2']
    env = dict(os.environ, OMP_NUM_THREADS='1')
    outputs = {}
    for name, launcher, more in (
        ('one', [sys.executable], []),
        ('two', [sys.executable, '-m', 'torch.distributed.run',
                 '--standalone', '--nproc-per-node', '2'], []),
        # The command starts its two processes itself.
        ('flag', [sys.executable], ['--processes', '2']),
    ):
        done = subprocess.run(
            [*launcher, *args, *more, '--out', str(tmp_path / name)],
            env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        outputs[name] = done.stdout
        with open(tmp_path / name / 'results.json') as f:
            outputs[name + '_results'] = json.load(f)
    # Rank 0 alone reports and writes.
    for name in ('two', 'flag'):
        assert outputs[name].count('seed 0 (saved)') == 1
        assert sorted(os.listdir(tmp_path / name)) == sorted(
            os.listdir(tmp_path / 'one'))
    one, two, flag = (outputs[k + '_results']['per_seed'][0]['student']
                      for k in ('one', 'two', 'flag'))
    assert two == pytest.approx(one, abs=1e-3)
    assert flag == two
    assert one['val'] > 0.3  # it learnt something (chance: 0.2)


def test_several_processes_refuse_what_they_cannot_train(
        data_root, tmp_path, capsys, monkeypatch):
    # As under torchrun --nproc-per-node 2: refused, by key, before the
    # data is read or anything written.
    from pyg_rbm import distributed
    monkeypatch.setattr(distributed, 'init_from_env', lambda device: False)
    monkeypatch.setenv('WORLD_SIZE', '2')
    read = []
    monkeypatch.setattr('pyg_rbm.config.DistillConfig.load_dataset',
                        lambda self, seed=0: read.append(seed))
    out = tmp_path / 'run'
    with pytest.raises(SystemExit) as info:
        main(['distill', '--dataset', 'cora', '--root', data_root, '--out',
              str(out), '--adversarial', '--device', 'cpu'])
    assert info.value.code == 2
    assert ("'extras.adversarial' cannot train on several processes"
            in capsys.readouterr().err)
    assert not read and not out.exists()
    monkeypatch.undo()
    # Started by the command: refused before any process starts.
    with pytest.raises(SystemExit) as info:
        main(['distill', '--dataset', 'cora', '--root', data_root, '--out',
              str(out), '--similarity', '--processes', '2', '--device',
              'cpu'])
    assert info.value.code == 2
    assert "'extras.similarity'" in capsys.readouterr().err
    # Started by torchrun, as many as the command asks for.
    monkeypatch.setenv('WORLD_SIZE', '2')
    with pytest.raises(SystemExit) as info:
        main(['distill', '--dataset', 'cora', '--root', data_root, '--out',
              str(out), '--processes', '3', '--device', 'cpu'])
    assert ("'processes' is 3 but the launcher started 2 processes"
            in capsys.readouterr().err)
    assert not out.exists()


def test_processes_report_a_usage_error_once(data_root, tmp_path, capfd):
    # Found by the processes (the run folder exists): rank 0 says it, and
    # the command exits as for any usage error.
    out = tmp_path / 'run'
    out.mkdir()
    (out / 'run.json').write_text('{}')  # (a run of its own)
    with pytest.raises(SystemExit) as info:
        main(['distill', '--dataset', 'cora', '--root', data_root, '--out',
              str(out), '--processes', '2', '--device', 'cpu', '--student',
              'mlp', '--no-progress'])
    assert info.value.code == 2
    err = capfd.readouterr().err
    assert err.count('already holds a run') == 1, err
    assert 'Traceback' not in err
    assert (out / 'run.json').read_text() == '{}'  # left as it was
    # Found by rank 0 alone (the others wait for it to read the data): a
    # data root that cannot exist (under a file), so that no download can
    # succeed either.
    (tmp_path / 'file').write_text('')
    with pytest.raises(SystemExit) as info:
        main(['distill', '--dataset', 'cora', '--root',
              str(tmp_path / 'file' / 'root'), '--out',
              str(tmp_path / 'other'), '--processes', '2', '--device', 'cpu',
              '--no-progress'])
    assert info.value.code == 2
    err = capfd.readouterr().err
    assert err.count("Dataset 'Cora' not found") == 1, err
    assert 'Traceback' not in err


def test_distill_logs_every_epoch_and_show_draws_them(data_root, tmp_path,
                                                      capsys):
    out = str(tmp_path / 'run')
    assert main([
        'distill', '--root', data_root, '--dataset', 'cora', '--out', out,
        '--seeds', '2', '--epochs', '3', '--set', 'train.pretrain_epochs=2',
        '--set', 'teacher.epochs=4', '--set', 'baseline_mlp=true',
        '--no-progress', '--no-timing', '--log', 'csv', 'tensorboard'
    ]) == 0
    from pyg_rbm.experiment.history import read_history
    for seed in (0, 1):
        student = read_history(os.path.join(out, 'history', str(seed),
                                            'student.csv'))
        assert [r['phase'] for r in student] == ['pretrain'] * 2 + [
            'route'
        ] * 3
        # RbM's 3 layers, 4 experts: the shares of the nodes, once routed.
        load = student[-1]['expert_load']
        assert [len(layer) for layer in load] == [4, 4, 4]
        assert [sum(layer) for layer in load] == pytest.approx([1] * 3,
                                                               abs=1e-3)
        assert 'expert_load' not in student[0]
        assert len(read_history(os.path.join(out, 'history', str(seed),
                                             'teacher.csv'))) == 4
        assert len(read_history(os.path.join(out, 'history', str(seed),
                                             'mlp.csv'))) >= 1
        assert os.listdir(os.path.join(out, 'tensorboard', str(seed),
                                       'student'))
    with open(os.path.join(out, 'results.json')) as f:
        assert json.load(f)['timings'] == dict(nodes=2708.0)  # --no-timing
    capsys.readouterr()
    assert main(['show', out]) == 0
    shown = capsys.readouterr().out
    assert 'seed 1: teacher val' in shown and 'student (rbm)' in shown
    assert os.path.getsize(os.path.join(out, 'curves.png')) > 10_000
    with pytest.raises(SystemExit):
        main(['show', str(tmp_path)])
    assert 'holds no run' in capsys.readouterr().err


def test_csbm_size_from_the_command_line(tmp_path, capsys):
    out = str(tmp_path / 'run')
    argv = ['distill', '--root', str(tmp_path), '--dataset', 'csbm',
            '--set', 'data.num_nodes=600', '--set', 'data.num_classes=3',
            '--set', 'data.num_features=12', '--set', 'data.homophily=0.9']
    assert main([*argv, '--out', out, '--epochs', '2', '--set',
                 'teacher.epochs=3', '--no-progress', '--no-timing']) == 0
    with open(os.path.join(out, 'results.json')) as f:
        results = json.load(f)
    assert results['timings']['nodes'] == 600.0
    assert results['hyperparameters']['data']['num_classes'] == 3
    # The saved student regenerates the same graph to predict its nodes.
    capsys.readouterr()
    assert main(['predict', out, '--nodes', '0', '599']) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[2].startswith('1,599,')
    # Another dataset refuses the generator's keys, by name, before work.
    with pytest.raises(SystemExit):
        main(['distill', '--dataset', 'cora', '--set',
              'data.num_nodes=600', '--out', str(tmp_path / 'x')])
    assert "'data.num_nodes' sets the size of the generated graph 'csbm'" \
        in capsys.readouterr().err


def test_predict_new_nodes_of_a_label_propagation_student(tmp_path, capsys):
    import torch

    from pyg_rbm import load_student
    from pyg_rbm.datasets import load_dataset
    from pyg_rbm.serving import StudentServer
    out = str(tmp_path / 'run')
    options = dict(num_nodes=300, num_classes=3, num_features=8,
                   homophily=0.9)
    argv = ['distill', '--root', str(tmp_path), '--dataset', 'csbm',
            '--out', out, '--epochs', '2', '--set', 'teacher.epochs=3',
            '--set', 'extras.label_propagation=true', '--set',
            'extras.lp_layers=2', '--no-progress', '--no-timing']
    for key, value in options.items():
        argv += ['--set', f'data.{key}={value}']
    assert main(argv) == 0
    # Two new nodes: the features of nodes 0 and 1, edges to nodes 2-5.
    data = load_dataset('csbm', str(tmp_path), **options)
    features, neighbors = tmp_path / 'x.pt', tmp_path / 'edges.pt'
    torch.save(data.x[:2].clone(), str(features))
    edges = torch.tensor([[0, 0, 1, 1], [2, 3, 4, 5]])
    torch.save(edges, str(neighbors))
    capsys.readouterr()
    assert main(['predict', out, '--features', str(features), '--neighbors',
                 str(neighbors)]) == 0
    rows = capsys.readouterr().out.strip().splitlines()[1:]
    saved = load_student(os.path.join(out, 'students', '0.pt'))
    probs = StudentServer(saved, graph=data).predict(
        data.x[:2], edges).softmax(dim=-1)
    assert [int(r.split(',')[2]) for r in rows] == \
        probs.argmax(dim=-1).tolist()
    assert [float(r.split(',')[3]) for r in rows] == pytest.approx(
        probs.max(dim=-1).values.tolist(), abs=1e-6)
    with pytest.raises(SystemExit):
        main(['predict', out, '--features', str(features)])
    assert "give '--neighbors'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(['predict', out, '--nodes', '0', '--neighbors', str(neighbors)])
    assert "'--neighbors' goes with '--features'" in capsys.readouterr().err
