import dataclasses
import json
import os.path as osp
import sys
from types import SimpleNamespace

import pytest

BENCHMARKS = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..',
                      'benchmarks')
sys.path.insert(0, osp.normpath(BENCHMARKS))

import accuracy  # noqa: E402
import accuracy_plot  # noqa: E402
import report  # noqa: E402
from pyg_rbm.experiment import results_file as rf  # noqa: E402
from pyg_rbm.experiment import run_matrix  # noqa: E402
from pyg_rbm.train import pipeline  # noqa: E402

MATRIX = accuracy.MATRIX
PROTOCOL = dict(student_epochs=None, teacher_epochs=None)


def test_plan_runs_shares_random_split_runs():
    groups = MATRIX.plan_runs(['cora', 'cora-npz', 'actor'],
                              list(accuracy.SETTINGS))
    assert [(g.dataset, g.run_setting, g.reports) for g in groups] == [
        ('cora', 'transductive', ('transductive', )),
        ('cora', 'inductive', ('inductive', )),
        ('cora', 'production', ('production', )),
        ('cora-npz', 'transductive', ('transductive', )),
        ('cora-npz', 'production', ('inductive', 'production')),
        ('actor', 'transductive', ('transductive', )),
        ('actor', 'production', ('inductive', 'production')),
    ]
    # Asking for one of the two still runs (and reports) both:
    groups = MATRIX.plan_runs(['citeseer-npz'], ['inductive'])
    assert [(g.run_setting, g.reports)
            for g in groups] == [('production', ('inductive', 'production'))]
    full = MATRIX.plan_runs(accuracy.DATASETS, accuracy.SETTINGS)
    assert len(full) == 3 + 3 + 2 + 2 + 2


def test_plan_runs_rejects_unknown_names():
    with pytest.raises(ValueError, match="Unknown datasets.*'pubmed'"):
        MATRIX.plan_runs(['pubmed'], ['transductive'])
    with pytest.raises(ValueError, match='Unknown settings'):
        MATRIX.plan_runs(['cora'], ['semi'])


def test_student_config_matrix():
    configs = {
        st: MATRIX.student_config('cora', 'transductive', st)
        for st in accuracy.STUDENTS
    }
    names = {st: c.student.name for st, c in configs.items()}
    assert names == {
        'mlp-no-teacher': 'mlp',
        'mlp': 'mlp',
        'moe': 'moe',
        'rbm': 'rbm',
        'rbm-extras': 'rbm',
    }
    for config in configs.values():
        s = config.student
        assert (s.hidden_channels, s.num_layers, s.num_experts,
                s.k) == (512, 3, 4, 3)
        assert config.teacher == configs['rbm'].teacher
        assert config.train.tau == 1.29 and config.train.epochs == 500
        assert config.setting == 'transductive'
    extras = configs['rbm-extras'].extras
    assert (extras.reliable_sampling, extras.positional_encoding,
            extras.adversarial, extras.similarity) == (True, False, True,
                                                       False)
    assert not configs['rbm'].extras.reliable_sampling
    # One fast-adversarial-training step of 1.25 epsilon (cora: 0.0024):
    assert (extras.adv_steps, extras.adv_epsilon) == (1, 0.0024)
    assert extras.adv_step_ratio == 1.25
    assert configs['rbm'].extras.adv_steps == 5
    # ... on an eighth of each batch's nodes (the library default is all):
    assert extras.adv_fraction == 0.125
    assert configs['rbm'].extras.adv_fraction == 1.0
    citeseer = MATRIX.student_config('citeseer', 'inductive',
                                     'rbm-extras').extras
    assert citeseer.adv_step_ratio == 1.25
    assert citeseer.adv_epsilon == 0.0015


def test_extras_student_described_from_its_config():
    assert report.describe_extras_student() == (
        '**RbM + KRD, adv.** (RbM with reliable neighbour distillation (KRD) '
        'and adversarial (PGD) feature augmentation (NOSMOG))')
    assert report.describe_extras_student('rbm-krd-pe-adv') == (
        '**RbM + KRD, PE, adv.** (RbM with reliable neighbour distillation '
        '(KRD), DeepWalk positional encodings (NOSMOG) and adversarial (PGD) '
        'feature augmentation (NOSMOG))')
    assert report.describe_extras_student('rbm-pe') == (
        '**RbM + PE** (RbM with DeepWalk positional encodings (NOSMOG))')
    assert report.describe_extras_student() in report.render_report({}, 'f')


def test_extras_students_labels_name_their_extras():
    # A label that outlived a change of its student's extras would mislead
    # every table: each lists exactly the extras its config switches on.
    short = dict(reliable_sampling='KRD', positional_encoding='PE',
                 adversarial='adv.')
    for name, student in MATRIX.all_students.items():
        if not student.extras:
            continue
        extras = MATRIX.student_config('cora', 'transductive', name).extras
        on = [abbr for flag, abbr in short.items() if getattr(extras, flag)]
        assert student.label == 'RbM + ' + ', '.join(on), name


def test_ablation_students_switch_on_their_extras_only():
    flags = ('reliable_sampling', 'positional_encoding', 'adversarial',
             'similarity')
    configs = {
        st: MATRIX.student_config('citeseer', 'transductive', st)
        for st in ('rbm', 'rbm-extras') + accuracy.ABLATIONS
    }
    on = {
        st: [f for f in flags if getattr(c.extras, f)]
        for st, c in configs.items()
    }
    assert on == {
        'rbm': [],
        'rbm-extras': ['reliable_sampling', 'adversarial'],
        'rbm-krd': ['reliable_sampling'],
        'rbm-pe': ['positional_encoding'],
        'rbm-adv': ['adversarial'],
        'rbm-krd-pe-adv': list(flags[:3]),
    }
    # The adversarial ablation attacks exactly as RbM + extras does:
    adv, extras = configs['rbm-adv'].extras, configs['rbm-extras'].extras
    assert (adv.adv_steps, adv.adv_step_ratio, adv.adv_weight,
            adv.adv_fraction) == (extras.adv_steps, extras.adv_step_ratio,
                                  extras.adv_weight, extras.adv_fraction)
    assert (adv.adv_step_ratio, adv.adv_epsilon) == (1.25, 0.0015)
    # Everything else is RbM's:
    for st in accuracy.ABLATIONS:
        assert configs[st].student == configs['rbm'].student
        assert configs[st].train == configs['rbm'].train
    # Asked for by name only:
    assert not set(accuracy.ABLATIONS) & set(accuracy.parse_args([]).students)
    args = accuracy.parse_args(['--students', 'rbm', 'rbm-pe'])
    assert args.students == ['rbm', 'rbm-pe']


def test_student_config_defaults_per_dataset_and_setting():
    # Actor reuses Cora's hyperparameters, not its pipeline:
    actor = MATRIX.student_config('actor', 'transductive', 'rbm')
    assert actor.dataset == 'actor'
    assert (actor.student.num_layers, actor.train.tau) == (3, 1.29)
    assert (actor.teacher.name, actor.teacher.hidden_channels) == ('sage', 512)
    assert not (actor.data.normalize_features or actor.data.self_loops)
    # ... nor the adversarial ball set for its features (raw here):
    extras = MATRIX.student_config('actor', 'inductive', 'rbm-extras').extras
    assert extras.adversarial and extras.adv_epsilon == 0.04
    assert MATRIX.student_config('cora', 'inductive',
                                 'rbm-extras').extras.adv_epsilon == 0.0024
    assert extras.pe_dim == 64  # (Cora's, the default too)
    cora = MATRIX.student_config('cora', 'transductive', 'rbm')
    assert cora.teacher.name == 'sage-gcn' and cora.data.self_loops
    # Production uses the inductive hyperparameters, split as production:
    prod = MATRIX.student_config('cora', 'production', 'moe', epochs=7,
                                 teacher_epochs=5, root='/data')
    assert prod.setting == 'production' and prod.root == '/data'
    assert (prod.student.hidden_channels, prod.train.tau) == (256, 0.6)
    assert (prod.train.epochs, prod.teacher.epochs) == (7, 5)
    # The CPF version of CiteSeer uses CiteSeer's defaults:
    cs = MATRIX.student_config('citeseer-npz', 'inductive', 'rbm')
    assert (cs.student.num_layers, cs.train.lr, cs.train.tau) == (2, 0.005,
                                                                  0.55)
    with pytest.raises(ValueError, match="Unknown student 'gat'"):
        MATRIX.student_config('cora', 'transductive', 'gat')


def test_aggregate():
    stats = rf.aggregate([80.0, 82.0, 84.0])
    assert stats['mean'] == pytest.approx(82.0)
    assert stats['std'] == pytest.approx(2.0)  # sample std (n - 1)
    assert stats['n'] == 3 and stats['runs'] == [80.0, 82.0, 84.0]
    assert rf.aggregate([71.5])['std'] == 0.0
    assert rf.aggregate([]) is None


def test_record_summary_and_resume(tmp_path):
    res = rf.new_results('cora-npz', 'production', PROTOCOL)
    scores = dict(val=0.8, test=0.9, inductive=0.7)
    rf.record(res, 0, 'teacher', scores, seconds=2.0)
    rf.record(res, 0, 'rbm', scores, seconds=3.0, epochs=40)
    rf.record(res, 1, 'rbm', dict(val=0.8, test=0.8, inductive=0.6),
              seconds=3.0, epochs=30)
    # Production: 0.8 * 90 + 0.2 * 70 = 86 and 0.8 * 80 + 0.2 * 60 = 76.
    assert res['runs']['0']['students']['rbm']['accuracy'] == (
        pytest.approx(86.0))
    assert res['summary']['rbm']['mean'] == pytest.approx(81.0)
    assert res['summary']['rbm']['std'] == pytest.approx(50**0.5)
    assert res['summary']['teacher']['n'] == 1
    assert 'moe' not in res['summary']
    assert rf.is_done(res, 1, 'rbm')
    assert not rf.is_done(res, 1, 'moe')
    assert not rf.is_done(res, 2, 'rbm')
    # A run recorded without a commit is not one of a given commit:
    assert not rf.is_done(res, 1, 'rbm', commit='abc1234')
    rf.record(res, 1, 'moe', dict(val=0.8, test=0.8, inductive=0.6),
              seconds=3.0, commit='abc1234')
    assert rf.is_done(res, 1, 'moe', commit='abc1234')
    assert not rf.is_done(res, 1, 'moe', commit='def5678')
    del res['runs']['1']['students']['moe']
    res['summary'] = rf.summarize(res)

    path = rf.results_path(str(tmp_path), 'cora-npz', 'production')
    rf.save_results(res, path)
    assert osp.basename(path) == 'cora-npz_production.json'
    loaded = rf.load_results(path, 'cora-npz', 'production', PROTOCOL)
    assert loaded == json.loads(json.dumps(res))
    with pytest.raises(ValueError, match="'--out'.*another output folder"):
        rf.load_results(path, 'cora-npz', 'production',
                        dict(student_epochs=5, teacher_epochs=None))
    fresh = rf.load_results(str(tmp_path / 'none.json'), 'cora', 'inductive',
                            PROTOCOL)
    assert fresh['runs'] == {} and fresh['split'] == 'public'


def test_save_merges_runs_of_other_processes(tmp_path):
    path = rf.results_path(str(tmp_path), 'cora', 'transductive')
    ours = rf.new_results('cora', 'transductive', PROTOCOL)
    theirs = rf.new_results('cora', 'transductive', PROTOCOL)
    rf.record(theirs, 0, 'rbm', dict(val=0.5, test=0.70), 1.0)
    rf.record(theirs, 0, 'moe', dict(val=0.5, test=0.60), 1.0)
    rf.record(theirs, 1, 'mlp', dict(val=0.5, test=0.50), 1.0)
    theirs['commands'] = ['python other.py']
    rf.save_results(theirs, path)
    rf.record(ours, 0, 'rbm', dict(val=0.5, test=0.80), 1.0)
    rf.save_results(ours, path)
    with open(path) as f:
        merged = json.load(f)
    runs = {
        s: {
            m: e['accuracy']
            for m, e in r['students'].items()
        }
        for s, r in merged['runs'].items()
    }
    # Both processes' runs are kept; on a clash the writer's entry wins.
    assert runs == {
        '0': {
            'rbm': pytest.approx(80.0),
            'moe': pytest.approx(60.0)
        },
        '1': {
            'mlp': pytest.approx(50.0)
        }
    }
    assert merged['summary']['moe']['n'] == 1
    assert merged['commands'] == ['python other.py']


def test_parse_args_quick_and_defaults():
    args = accuracy.parse_args([])
    assert args.seeds == 10 and args.epochs is None
    assert args.out == osp.join('docs', 'benchmarks', 'accuracy')
    assert args.students == list(accuracy.STUDENTS)
    quick = accuracy.parse_args(['--quick', '--datasets', 'citeseer'])
    q = accuracy.QUICK
    assert (quick.seeds, quick.epochs,
            quick.teacher_epochs) == (q['seeds'], q['epochs'],
                                      q['teacher_epochs'])
    assert quick.datasets == ['citeseer']  # explicit options win
    assert quick.settings == q['settings']
    assert 'rbm-extras' not in quick.students
    assert quick.out.endswith('accuracy-quick')
    with pytest.raises(SystemExit):
        accuracy.parse_args(['--seeds', '0'])


def _results():
    res = rf.new_results('cora-npz', 'transductive', PROTOCOL)
    for seed, test in enumerate([0.80, 0.82]):
        rf.record(res, seed, 'teacher', dict(val=0.8, test=test), 1.0)
        rf.record(res, seed, 'rbm', dict(val=0.8, test=test - 0.01), 4.0,
                  epochs=10, cpu_seconds=3.0 + seed)
    rf.record(res, 0, 'mlp', dict(val=0.7, test=0.7), 2.0, epochs=5)
    res['machine'] = dict(cpu='Test CPU 9000', cpu_count=2, torch='2.x',
                          torch_geometric='2.y', python='3.11',
                          torch_threads=1, load_average=[3.5, 2.0, 1.0])
    res['commands'] = ['python benchmarks/accuracy.py --seeds 2']
    res['updated'] = '2024-01-02T03:04:05'
    return {('cora-npz', 'transductive'): res}


def test_describe_adversarial():
    new = _results()[('cora-npz', 'transductive')]
    config = MATRIX.student_config('cora-npz', 'transductive', 'rbm-extras')
    new['hyperparameters']['rbm-extras'] = rf.hparams_of(config)
    old = json.loads(json.dumps(new))
    old['hyperparameters']['rbm-extras']['extras'].update(adv_steps=5)
    # Files written before these options existed lack them:
    del old['hyperparameters']['rbm-extras']['extras']['adv_step_ratio']
    del old['hyperparameters']['rbm-extras']['extras']['adv_fraction']
    assert report.describe_adversarial({'a': new}) == [
        '- Adversarial augmentation of RbM + KRD, adv.: 1 '
        'signed-gradient step(s) of 1.25 epsilon from a random start in the '
        'epsilon ball (epsilon from the shipped configs), loss weight 0.05, '
        "on a random share of 0.125 of each batch's nodes (drawn per "
        "batch)."
    ]
    lines = report.describe_adversarial({'a': new, 'b': old, 'c': new})
    assert [line.split(': ')[1][:28] for line in lines] == [
        '1 signed-gradient step(s) of', '5 signed-gradient step(s) of'
    ]
    assert 'of 0.25 epsilon' in lines[1]
    assert lines[1].endswith('on every node of each batch.')
    # Students that attack alike share a line:
    new['hyperparameters']['rbm-adv'] = rf.hparams_of(
        MATRIX.student_config('cora-npz', 'transductive', 'rbm-adv'))
    lines = report.describe_adversarial({'a': new})
    assert len(lines) == 1
    assert lines[0].startswith('- Adversarial augmentation of RbM + KRD, '
                               'adv. and RbM + adv.: 1 signed-gradient')
    assert report.describe_adversarial(_results()) == []


def test_paired_table():
    res = rf.new_results('cora', 'inductive', PROTOCOL)
    for seed, (rbm, mlp) in enumerate([(0.71, 0.69), (0.72, 0.69),
                                       (0.70, 0.69)]):
        rf.record(res, seed, 'rbm', dict(val=0.7, inductive=rbm), 1.0)
        rf.record(res, seed, 'mlp', dict(val=0.7, inductive=mlp), 1.0)
    rf.record(res, 3, 'rbm', dict(val=0.7, inductive=0.5), 1.0)
    table = report.paired_table({('cora', 'inductive'): res})
    # Seed 3 has no GLNN run: left out. Differences 2, 3, 1: mean 2,
    # std 1, SE 1/sqrt(3) = 0.58.
    assert table.splitlines()[2] == ('| Cora (public) | inductive | 3 | '
                                     '69.00 | 71.00 | +2.00 ± 0.58 | '
                                     'higher |')
    assert report.paired_table({}) is None


def test_selection_table_by_hand():
    res = rf.new_results('cora', 'transductive', PROTOCOL)
    # (selected, best over epochs) of RbM and of GLNN per seed.
    for seed, (rbm, mlp) in enumerate([((0.70, 0.74), (0.72, 0.73)),
                                       ((0.71, 0.73), (0.72, 0.72)),
                                       ((0.72, 0.75), (0.72, 0.74))]):
        rf.record(res, seed, 'rbm', dict(val=0.7, test=rbm[0],
                                         best_test_over_epochs=rbm[1]), 1.0)
        rf.record(res, seed, 'mlp', dict(val=0.7, test=mlp[0],
                                         best_test_over_epochs=mlp[1]), 1.0)
    inductive = rf.new_results('cora', 'inductive', PROTOCOL)
    rf.record(inductive, 0, 'rbm', dict(val=0.7, inductive=0.7,
                                        best_test_over_epochs=0.8), 1.0)
    rf.record(inductive, 0, 'mlp', dict(val=0.7, inductive=0.7,
                                        best_test_over_epochs=0.8), 1.0)
    table = report.selection_table({('cora', 'transductive'): res,
                                    ('cora', 'inductive'): inductive})
    # Losses: RbM 4, 2, 3 (mean 3); GLNN 1, 0, 2 (mean 1). Differences at
    # the selected epoch -2, -1, 0 (mean -1, SE 1/sqrt(3)); over epochs
    # 1, 1, 1 (SE 0). The inductive cell (production runs) is left out.
    assert table.splitlines()[2:] == [
        '| Cora (public) | transductive | 3 | 1.00 | 3.00 | -1.00 ± 0.58 | '
        '+1.00 ± 0.00 |'
    ]
    assert report.selection_table({('cora', 'inductive'): inductive}) is None


def test_describe_pipeline():
    results = {}
    for dataset in ('cora-npz', 'actor', 'cora'):
        res = rf.new_results(dataset, 'transductive', PROTOCOL)
        for student in ('mlp', 'rbm'):
            res['hyperparameters'][student] = rf.hparams_of(
                MATRIX.student_config(dataset, 'transductive', student))
        results[dataset] = res
    # Files written before the data options lack them:
    del results['actor']['hyperparameters']['mlp']['data']
    assert report.describe_pipeline(results) == [
        "- Actor: PyG's GraphSAGE (mean aggregation and a root weight) "
        "teacher, raw features, no self loops added, the KD of the RbM "
        "authors' code (log-probabilities of both sides divided by tau), "
        "the teacher selected on validation accuracy.",
        "- Cora: GraphSAGE with the GCN aggregator (DGL's 'gcn', as in the "
        "RbM authors' and GLNN's code) teacher, row-normalised features, "
        "one self loop per node, the KD of the RbM authors' code "
        "(log-probabilities of both sides divided by tau), the teacher "
        "selected on validation accuracy.",
    ]


def test_format_cell():
    stats = rf.aggregate([80.0, 82.0])
    assert report.format_cell(stats, 2) == '81.00 ± 1.41'
    assert report.format_cell(stats, 10) == '81.00 ± 1.41 (n=2)'
    assert report.format_cell(None, 10) == 'not run'
    assert report.format_cell(rf.aggregate([75.0]), 10) == '75.00 (n=1)'


def test_render_table_marks_missing_and_published():
    results = _results()
    table = report.render_table(results, 'transductive', 'random', 2)
    lines = table.split('\n')
    assert lines[0] == '| model | Cora | CiteSeer |'
    assert lines[2] == '| GraphSAGE teacher | 81.00 ± 1.41 | not run |'
    assert '| RbM | 80.00 ± 1.41 | not run |' in lines
    assert '| MLP (GLNN) | 70.00 (n=1) | not run |' in lines
    assert '| MoE | not run | not run |' in lines
    assert '| *VQGraph (published)* | *83.93* | *76.08* |' in lines
    assert len(lines) == 2 + len(accuracy.MODELS) + len(report.PUBLISHED)
    # Published numbers are transductive on random splits only:
    for setting, split in (('inductive', 'random'), ('transductive',
                                                     'public')):
        table = report.render_table(results, setting, split, 2)
        assert 'published' not in table
        assert table.count('not run') == 2 * len(accuracy.MODELS)
    actor = report.render_table(results, 'production', 'fixed', 2)
    assert actor.split('\n')[0] == '| model | Actor |'


def test_render_report(tmp_path):
    results = _results()
    text = report.render_report(results, 'some/folder', date='2024-05-06')
    assert text.startswith(report.GENERATED)
    assert 'Generated on 2024-05-06 from `some/folder`' in text
    assert 'Entries have 2 seed(s)' in text
    assert 'Test CPU 9000, 2 cores' in text
    assert 'load average 3.5 when' in text
    # Wall / CPU seconds per seed, models in the order of MODELS:
    assert ('| Cora (random), transductive | 1 | — | 2 | — | 4 / 4 | — |'
            in text)
    assert 'took 0.0 CPU hours in total' in text
    assert 'the 3 measured (run group, model) pairs of the 72' in text
    assert 'python benchmarks/accuracy.py --seeds 2' in text
    assert 'Floating-point results differ' not in text  # one processor
    assert text.count('### ') == 3 * 3
    assert text.count('(published)') == len(report.PUBLISHED)
    # Round trip through the files written by the benchmark:
    for (dataset, setting), res in results.items():
        rf.save_results(res, rf.results_path(str(tmp_path), dataset, setting))
    assert report.load_results(str(tmp_path)) == results
    out = tmp_path / 'results.md'
    plot = tmp_path / 'benchmarks' / 'accuracy.png'
    report.main([
        '--results',
        str(tmp_path), '--output',
        str(out), '--plot',
        str(plot), '--authors-check', ''
    ])
    assert '81.00 ± 1.41' in out.read_text()
    assert '](benchmarks/accuracy.png)' in out.read_text()
    assert plot.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    report.main([
        '--results',
        str(tmp_path), '--output',
        str(out), '--plot', '', '--authors-check', ''
    ])
    assert '.png)' not in out.read_text()
    empty = report.render_report({}, 'x', date='2024-05-06')
    assert 'No runs yet.' in empty and '± 0' not in empty
    # 3 settings x 5 dataset columns x 6 models:
    assert empty.count('| not run') == 3 * 5 * len(accuracy.MODELS)


def test_main_runs_resumes_and_shares_teachers(data_root, tmp_path,
                                               monkeypatch):
    out = str(tmp_path / 'acc')
    common = [
        '--epochs', '2', '--teacher-epochs', '2', '--seeds', '1', '--out', out,
        '--root', data_root
    ]
    teachers = []
    prepare = pipeline.prepare_teacher

    def counting(*args, **kwargs):
        teachers.append(args[0].setting)
        return prepare(*args, **kwargs)

    monkeypatch.setattr(pipeline, 'prepare_teacher', counting)
    accuracy.main([
        '--datasets', 'cora-npz', '--settings', 'inductive', 'production',
        '--students', 'mlp-no-teacher', 'mlp'
    ] + common)
    # One teacher for both students and both reported settings:
    assert teachers == ['production']
    files = {}
    for setting in ('inductive', 'production'):
        with open(rf.results_path(out, 'cora-npz', setting)) as f:
            files[setting] = json.load(f)
    ind, prod = (files[s]['runs']['0'] for s in ('inductive', 'production'))
    for model in ('mlp-no-teacher', 'mlp'):
        entry = ind['students'][model]
        assert entry['scores'] == prod['students'][model]['scores']
        assert entry['epochs'] == 2
        scores = entry['scores']
        assert entry['accuracy'] == pytest.approx(100 * scores['inductive'])
        assert prod['students'][model]['accuracy'] == pytest.approx(
            80 * scores['test'] + 20 * scores['inductive'])
        assert 0 < entry['accuracy'] <= 100
        assert 'teacher_scores' not in entry  # the stored teacher's
    assert files['production']['summary']['mlp']['n'] == 1
    assert files['production']['hyperparameters']['mlp']['student'][
        'name'] == 'mlp'
    assert files['production']['machine']['cpu_count'] >= 1
    # Every run names the processor it ran on:
    cpu = files['production']['machine']['cpu']
    assert prod['teacher']['cpu'] == cpu and prod['students']['mlp'][
        'cpu'] == cpu

    # Re-running skips finished entries: no teacher is trained again.
    accuracy.main([
        '--datasets', 'cora-npz', '--settings', 'production', '--students',
        'mlp'
    ] + common)
    assert teachers == ['production']
    # A different epoch budget in the same folder is refused up front.
    with pytest.raises(ValueError, match="'--out'"):
        accuracy.main([
            '--datasets', 'cora-npz', '--settings', 'production', '--epochs',
            '3'
        ] + common[2:])


def _fake_training(monkeypatch, key, scores):
    """Replaces training by constant :obj:`scores`; returns the list that
    collects :obj:`(seed, key(config))` of each student run.
    """
    runs = []
    monkeypatch.setattr(
        pipeline, 'prepare_teacher',
        lambda config, seed, *args, **kwargs: SimpleNamespace(
            scores=scores, seed=seed))
    monkeypatch.setattr(
        pipeline, 'distill_student', lambda run, config, **kwargs: runs.append(
            (run.seed, key(config))) or (None, scores, 1, None))
    return runs


def test_extras_run_on_the_first_extras_seeds(data_root, tmp_path,
                                              monkeypatch):
    runs = _fake_training(monkeypatch,
                          lambda config: config.extras.adversarial,
                          dict(val=0.5, test=0.6, inductive=0.7))
    out = str(tmp_path / 'acc')
    accuracy.main([
        '--datasets', 'cora-npz', '--settings', 'transductive', '--students',
        'rbm', 'rbm-extras', 'rbm-adv', '--seeds', '3', '--extras-seeds', '2',
        '--out', out, '--root', data_root
    ])
    assert runs == [(0, False), (0, True), (0, True), (1, False), (1, True),
                    (1, True), (2, False)]
    with open(rf.results_path(out, 'cora-npz', 'transductive')) as f:
        summary = json.load(f)['summary']
    assert [summary[st]['n']
            for st in ('rbm', 'rbm-extras', 'rbm-adv')] == [3, 2, 2]
    # By default every student runs on every seed:
    assert accuracy.parse_args([]).extras_seeds == accuracy.SEEDS == 10


def test_first_seed_skips_the_seeds_below(data_root, tmp_path, monkeypatch):
    runs = _fake_training(monkeypatch, lambda config: config.student.name,
                          dict(val=0.5, test=0.6))
    out = str(tmp_path / 'acc')
    accuracy.main([
        '--datasets', 'cora-npz', '--settings', 'transductive', '--students',
        'mlp', '--seeds', '4', '--first-seed', '2', '--out', out, '--root',
        data_root
    ])
    assert runs == [(2, 'mlp'), (3, 'mlp')]
    with open(rf.results_path(out, 'cora-npz', 'transductive')) as f:
        assert sorted(json.load(f)['runs']) == ['2', '3']
    for bad in ('4', '-1'):
        with pytest.raises(SystemExit):
            accuracy.parse_args(['--seeds', '4', '--first-seed', bad])


def test_retrained_teacher_mismatch_names_the_processors(
        data_root, tmp_path, monkeypatch, capsys):
    _fake_training(monkeypatch, lambda config: None, dict(val=0.5, test=0.6))
    out = str(tmp_path / 'acc')
    path = rf.results_path(out, 'cora-npz', 'transductive')
    stored = rf.new_results('cora-npz', 'transductive', PROTOCOL)
    rf.record(stored, 0, 'teacher', dict(val=0.5, test=0.7), 1.0,
              cpu='Other CPU')
    rf.save_results(stored, path)
    accuracy.main([
        '--datasets', 'cora-npz', '--settings', 'transductive', '--students',
        'mlp', '--seeds', '1', '--out', out, '--root', data_root
    ])
    warning = capsys.readouterr().out
    assert ("scores {'val': 0.5, 'test': 0.6}, not {'val': 0.5, 'test': "
            "0.7} as stored on Other CPU (this is ") in warning
    with open(path) as f:  # The stored teacher is kept.
        run = json.load(f)['runs']['0']
    assert run['teacher']['scores']['test'] == 0.7
    # The student records the teacher it learned from:
    assert run['students']['mlp']['teacher_scores'] == dict(val=0.5, test=0.6)


def test_describe_processors_lists_the_seeds_of_other_models():
    results = {}
    for dataset, setting, cpus in (('cora', 'transductive',
                                    ['A'] * 4), ('actor', 'transductive',
                                                 ['A', 'B', 'B', 'A']),
                                   ('actor', 'inductive', ['A', 'A', 'A',
                                                           'B'])):
        res = rf.new_results(dataset, setting, PROTOCOL)
        for seed, cpu in enumerate(cpus):
            rf.record(res, seed, 'teacher',
                      dict(val=0.5, test=0.5, inductive=0.5), 1.0, cpu=cpu)
            rf.record(res, seed, 'rbm', dict(val=0.5, test=0.5, inductive=0.5),
                      1.0, cpu=cpu)
        results[(dataset, setting)] = res
    # A seed whose runs used two models is listed under both:
    results[('cora',
             'transductive')]['runs']['1']['students']['rbm']['cpu'] = 'B'
    assert report.seeds_by_processor(results[('actor', 'transductive')]) == {
        'A': [0, 3],
        'B': [1, 2]
    }
    assert report.format_seeds([5, 0, 2, 3, 4, 9]) == '0, 2–5, 9'
    # A ran 9 of the 13 (seed, processor) pairs:
    lines = report.describe_processors(results)
    assert lines[0].endswith('Every seed ran on A, except:')
    assert lines[2:] == [
        '- Cora (public), transductive: seed 1 on B',
        '- Actor (fixed), transductive: seeds 1–2 on B',
        '- Actor (fixed), inductive + production: seed 3 on B',
    ]
    for res in results.values():
        for run in res['runs'].values():
            for entry in [run['teacher'], *run['students'].values()]:
                entry['cpu'] = 'A'
    assert report.describe_processors(results) == []


def _current_hparams(students, data_root):
    # The hyperparameters each student of CPF Cora, transductive, has now.
    return {
        st:
        rf.hparams_of(
            MATRIX.student_config('cora-npz', 'transductive', st,
                                  root=data_root))
        for st in students
    }


def test_stale_runs_are_refused_or_replaced(data_root, tmp_path, monkeypatch):
    runs = _fake_training(monkeypatch, lambda config: config.student.name,
                          dict(val=0.5, test=0.6))
    out = str(tmp_path / 'acc')
    args = [
        '--datasets', 'cora-npz', '--settings', 'transductive', '--students',
        'mlp', 'rbm', '--seeds', '2', '--out', out, '--root', data_root
    ]
    accuracy.main(args)
    assert len(runs) == 4
    path = rf.results_path(out, 'cora-npz', 'transductive')
    with open(path) as f:
        stored = json.load(f)
    # A file written before an option existed is not stale:
    current = _current_hparams(('mlp', 'rbm'), data_root)
    # (With the attack on: the settings of an extra that is off count not.)
    stored['hyperparameters']['rbm']['extras']['adversarial'] = True
    current['rbm']['extras']['adversarial'] = True
    del stored['hyperparameters']['rbm']['extras']['adv_step_ratio']
    assert rf.stale_students(stored, current) == []
    # ... nor one that wrote the PGD step as a size (None: epsilon / 4):
    stored['hyperparameters']['rbm']['extras']['adv_step_size'] = None
    assert rf.stale_students(stored, current) == []
    eps = stored['hyperparameters']['rbm']['extras']['adv_epsilon']
    stored['hyperparameters']['rbm']['extras']['adv_step_size'] = 1.25 * eps
    assert rf.stale_students(stored, current) == ['rbm']
    current['rbm']['extras']['adv_step_ratio'] = 1.25
    assert rf.stale_students(stored, current) == []
    del stored['hyperparameters']['rbm']['extras']['adv_step_size']
    current['rbm']['extras']['adv_step_ratio'] = 0.25
    stored['hyperparameters']['rbm']['extras']['adversarial'] = False
    stored['hyperparameters']['rbm']['train']['lr'] = 0.5
    with open(path, 'w') as f:
        json.dump(stored, f)

    with pytest.raises(ValueError, match="--replace rbm"):
        accuracy.main(args)
    assert len(runs) == 4  # refused before any training
    with open(path) as f:
        assert json.load(f) == stored  # and nothing was lost

    runs.clear()
    accuracy.main(args + ['--replace', 'rbm'])
    assert runs == [(0, 'rbm'), (1, 'rbm')]  # the MLP runs were kept
    with open(path) as f:
        results = json.load(f)
    assert results['hyperparameters']['rbm']['train']['lr'] == 0.01
    assert results['summary']['rbm']['n'] == 2


def test_settings_of_an_extra_that_is_off_leave_runs_current(
        data_root, tmp_path, monkeypatch):
    _fake_training(monkeypatch, lambda config: config.student.name,
                   dict(val=0.5, test=0.6))
    out = str(tmp_path / 'acc')
    accuracy.main([
        '--datasets', 'cora-npz', '--settings', 'transductive', '--students',
        'rbm', 'rbm-extras', '--seeds', '1', '--out', out, '--root', data_root
    ])
    with open(rf.results_path(out, 'cora-npz', 'transductive')) as f:
        stored = json.load(f)
    current = _current_hparams(('rbm', 'rbm-extras'), data_root)
    for st in ('rbm', 'rbm-extras'):
        current[st]['extras']['adv_epsilon'] *= 2
        current[st]['extras']['lp_alpha'] = 0.5
    # RbM attacks nothing and propagates no labels; RbM + extras attacks:
    assert not current['rbm']['extras']['adversarial']
    assert current['rbm-extras']['extras']['adversarial']
    assert rf.stale_students(stored, current) == ['rbm-extras']
    current['rbm']['extras']['adversarial'] = True
    assert rf.stale_students(stored, current) == ['rbm', 'rbm-extras']


def test_every_extra_setting_belongs_to_one_switch():
    from pyg_rbm.config import EXTRA_SETTINGS, ExtrasConfig
    names = [f.name for f in dataclasses.fields(ExtrasConfig)]
    switches = [n for n in names if n in EXTRA_SETTINGS]
    assert switches == list(EXTRA_SETTINGS)
    for name in names:
        if name not in EXTRA_SETTINGS:
            owners = [s for s, prefix in EXTRA_SETTINGS.items()
                      if name.startswith(prefix)]
            assert len(owners) == 1, name


def test_rerun_trains_the_named_students_again(data_root, tmp_path,
                                              monkeypatch, capsys):
    scores = dict(val=0.5, test=0.6)
    runs = _fake_training(monkeypatch, lambda config: config.student.name,
                          scores)
    machine = dict(cpu='cpu', commit='aaaaaaa')
    monkeypatch.setattr(accuracy, 'machine_info', lambda: dict(machine))
    out = str(tmp_path / 'acc')
    args = [
        '--datasets', 'cora-npz', '--settings', 'transductive', '--seeds',
        '2', '--out', out, '--root', data_root, '--students', 'mlp', 'rbm'
    ]
    accuracy.main(args)
    path = rf.results_path(out, 'cora-npz', 'transductive')
    runs.clear()
    machine['commit'] = 'bbbbbbb'
    scores.update(test=0.7)  # what the changed RbM code scores

    # Only seed 1 of RbM again; the MLP and RbM's seed 0 are kept:
    rerun = args + ['--first-seed', '1', '--rerun', 'rbm']
    accuracy.main(rerun)
    assert runs == [(1, 'rbm')]
    with open(path) as f:
        stored = json.load(f)['runs']
    assert stored['0']['students']['rbm']['scores']['test'] == 0.6
    assert stored['0']['students']['rbm']['commit'] == 'aaaaaaa'
    assert stored['1']['students']['rbm']['scores']['test'] == 0.7
    assert stored['1']['students']['rbm']['commit'] == 'bbbbbbb'
    assert stored['1']['students']['mlp']['scores']['test'] == 0.6

    # Given again, as after an interruption: the new run is kept ...
    accuracy.main(rerun)
    assert runs == [(1, 'rbm')]
    # ... unless the code holds uncommitted changes:
    machine['commit'] = 'bbbbbbb+'
    accuracy.main(rerun)
    assert runs == [(1, 'rbm'), (1, 'rbm')]
    runs.clear()

    # A student with extras runs again on the extras seeds only:
    accuracy.main(args[:-2] + ['rbm-extras'])
    runs.clear()
    machine['commit'] = 'ccccccc'
    accuracy.main(args[:-2] + ['rbm-extras', '--extras-seeds', '1',
                               '--rerun', 'rbm-extras'])
    assert runs == [(0, 'rbm')]  # RbM with extras, seed 0 alone
    with open(path) as f:
        stored = json.load(f)['runs']
    assert stored['0']['students']['rbm-extras']['commit'] == 'ccccccc'
    assert stored['1']['students']['rbm-extras']['commit'] == 'bbbbbbb+'
    runs.clear()

    # A student to run again must be one that is run:
    with pytest.raises(SystemExit):
        accuracy.main(args[:-1] + ['--rerun', 'rbm'])
    assert "--rerun names students not in --students: rbm" in (
        capsys.readouterr().err)
    plan = accuracy.plan_of(accuracy.parse_args(args[:-1]))
    with pytest.raises(ValueError, match="'rerun'.*\\['rbm'\\]"):
        run_matrix(MATRIX, plan, out, rerun=['rbm'], info={})
    assert runs == []


def test_a_new_teacher_makes_every_student_stale(data_root, tmp_path,
                                                 monkeypatch):
    scores = dict(val=0.5, test=0.6)
    runs = _fake_training(monkeypatch, lambda config: config.student.name,
                          scores)
    out = str(tmp_path / 'acc')
    args = [
        '--datasets', 'cora-npz', '--settings', 'transductive', '--seeds',
        '1', '--out', out, '--root', data_root, '--students'
    ]
    accuracy.main(args + ['mlp', 'rbm'])
    path = rf.results_path(out, 'cora-npz', 'transductive')
    with open(path) as f:
        stored = json.load(f)
    # The stored runs learned from a teacher of another dropout:
    for hparams in stored['hyperparameters'].values():
        hparams['teacher']['dropout'] = 0.9
    with open(path, 'w') as f:
        json.dump(stored, f)

    # The MLP alone was asked for, but the RbM runs are stale too:
    with pytest.raises(ValueError, match=r"\['mlp', 'rbm'\].*--replace mlp "
                       r"rbm'"):
        accuracy.main(args + ['mlp'])
    runs.clear()
    scores.update(val=0.25, test=0.75)  # what the new teacher scores
    accuracy.main(args + ['mlp', '--replace', 'mlp', 'rbm'])
    assert runs == [(0, 'mlp')]
    with open(path) as f:
        results = json.load(f)
    run = results['runs']['0']
    assert run['teacher']['scores'] == scores  # trained again, stored
    assert list(run['students']) == ['mlp']
    assert 'teacher_scores' not in run['students']['mlp']
    assert set(results['summary']) == {'teacher', 'mlp'}


def test_discard_runs():
    results = rf.new_results('cora', 'transductive', {})
    for seed in (0, 1):
        for model in ('mlp', 'rbm'):
            rf.record(results, seed, model, dict(val=0.5, test=0.25), 1.0)
    results['hyperparameters'] = dict(mlp={}, rbm={})
    cmd = 'python benchmarks/accuracy.py --seeds 2 --students '
    results['commands'] = [cmd + 'rbm', cmd + 'mlp rbm', cmd[:-12]]
    # One seed of two: RbM's hyperparameters and commands stay.
    assert rf.discard_runs(results, 'rbm', seeds=[1]) == 1
    assert results['summary']['rbm']['n'] == 1
    assert len(results['commands']) == 3 and 'rbm' in results[
        'hyperparameters']
    assert rf.discard_runs(results, 'rbm') == 1
    # The commands that also ran the MLP still produced results:
    assert results['commands'] == [cmd + 'mlp rbm', cmd[:-12]]
    assert rf.discard_runs(results, 'moe') == 0
    assert set(results['summary']) == {'mlp'}
    assert results['summary']['mlp']['mean'] == 25.0
    assert list(results['hyperparameters']) == ['mlp']


def test_timing_rows_are_run_groups():
    res = _results()[('cora-npz', 'transductive')]
    results = {('cora-npz', s): res for s in accuracy.SETTINGS}
    lines = report.timing_table(results).split('\n')
    assert lines[0] == ('| run group | ' +
                        ' | '.join(MATRIX.labels[m]
                                   for m in accuracy.MODELS) + ' |')
    # The inductive and production files share their runs: one row.
    assert [line.split(' | ')[0] for line in lines[2:]] == [
        '| Cora (random), transductive',
        '| Cora (random), inductive + production'
    ]
    assert report.timing_table({}) == '*No runs yet.*'


def test_projected_cpu_hours():
    results = _results()
    res = results[('cora-npz', 'transductive')]
    rf.record(res, 0, 'rbm-extras', dict(val=0.8, test=0.8), 9.0, epochs=3,
              cpu_seconds=7.0)
    hours, missing = report.projected_cpu_hours(results, seeds=10,
                                                extras_seeds=3)
    # Means per seed: teacher 1 s (wall), MLP 2, RbM 3.5; extras 7 on 3:
    assert hours * 3600 == pytest.approx((1 + 2 + 3.5) * 10 + 7 * 3)
    groups = MATRIX.plan_runs(accuracy.DATASETS, accuracy.SETTINGS)
    assert len(missing) == len(groups) * len(accuracy.MODELS) - 4
    assert 'Cora (random), transductive: MoE' in missing
    assert 'Cora (public), production: RbM' in missing
    hours, missing = report.projected_cpu_hours({}, 10, 3)
    assert hours == 0.0
    assert len(missing) == len(groups) * len(accuracy.MODELS)
    assert 'takes about' not in report.cost_projection(results)
    hours, missing = report.projected_cpu_hours(results, 10, 3,
                                                models=['rbm-extras'])
    assert hours * 3600 == pytest.approx(7 * 3)
    assert len(missing) == len(groups) - 1


def test_cost_projection_splits_base_and_extras():
    res = rf.new_results('cora', 'transductive', PROTOCOL)
    for i, model in enumerate(accuracy.MODELS):
        rf.record(res, 0, model, dict(val=0.8, test=0.8), 1.0, epochs=1,
                  cpu_seconds=360.0 * (i + 1))
    results = {}
    for group in MATRIX.plan_runs(accuracy.DATASETS, accuracy.SETTINGS):
        for setting in group.reports:
            results[(group.dataset, setting)] = res
    # Per group and seed: 360 s x (1 + ... + 5) base, 360 s x 6 extras.
    groups = len(MATRIX.plan_runs(accuracy.DATASETS, accuracy.SETTINGS))
    base = groups * 10 * 0.1 * 15
    extras = groups * 10 * 0.1 * 6
    fewer = base + groups * 3 * 0.1 * 6
    assert report.cost_projection(results) == (
        'At these CPU times per seed, the full matrix (10 seeds each) takes '
        f'about {base + extras:.1f} CPU hours: {base:.1f} for the teacher '
        f'and the four base students, {extras:.1f} for RbM + extras; with '
        f'`--extras-seeds 3`, about {fewer:.1f}.')
    # Ablation runs are not part of the matrix:
    rf.record(res, 0, 'rbm-pe', dict(val=0.8, test=0.8), 1.0, epochs=1,
              cpu_seconds=3600.0)
    assert f'about {base + extras:.1f} CPU hours' in report.cost_projection(
        results)


def test_matrix_seeds():
    assert report.matrix_seeds(10, 10) == '10 seeds each'
    assert report.matrix_seeds(10,
                               3) == ('10 seeds, RbM + extras on the first 3')


def _ablation_results():
    res = rf.new_results('actor', 'inductive', PROTOCOL)
    accuracy_of = {
        'rbm': [36.0, 38.0, 40.0, 50.0],
        'rbm-krd': [30.0, 32.0, 31.0],
        'rbm-adv': [37.0, 37.0],  # seed 2 still running
        'rbm-extras': [33.0, 33.0, 33.0, 33.0],
    }
    for model, values in accuracy_of.items():
        for seed, value in enumerate(values):
            rf.record(res, seed, model,
                      dict(val=0.5, test=0.2, inductive=value / 100), 10.0,
                      epochs=1, cpu_seconds=8.0)
    return {('actor', 'inductive'): res}


def test_ablation_table_compares_shared_seeds():
    results = _ablation_results()
    lines = report.ablation_table(results).split('\n')
    assert lines[0] == ('| dataset, setting | seeds | RbM | RbM + KRD | '
                        'RbM + PE | RbM + adv. | RbM + KRD, PE, adv. | '
                        'RbM + KRD, adv. |')
    # Seeds 0 and 1 are the ones every model with runs has:
    assert lines[2:] == [
        '| Actor (fixed), inductive | 2 | 37.00 ± 1.41 | 31.00 ± 1.41 | '
        'not run | 37.00 ± 0.00 | not run | 33.00 ± 0.00 |'
    ]
    # A seed whose models learned from different teachers (one retrained
    # on another processor model) leaves the row:
    run = results[('actor', 'inductive')]['runs']['1']
    run['students']['rbm-adv']['teacher_scores'] = dict(
        val=0.4, test=0.3, inductive=0.3)
    assert report.ablation_table(results).split('\n')[2] == (
        '| Actor (fixed), inductive | 1 | 36.00 (n=1) | 30.00 (n=1) | not '
        'run | 37.00 (n=1) | not run | 33.00 (n=1) |')
    del run['students']['rbm-adv']['teacher_scores']
    # Without ablation runs there is no table, and no section:
    plain = _results()
    assert report.ablation_table(plain) is None
    assert '## Ablation' not in report.render_report(plain, 'f')
    text = report.render_report(results, 'f')
    assert text.count('## Ablation of the extras') == 1
    # The ablation students get timing columns, and count in the total:
    assert ('| Actor (fixed), inductive + production | — | — | — | — | '
            '10 / 8 | 10 / 8 | 10 / 8 | 10 / 8 |') in text
    assert report.total_cpu_hours(results) * 3600 == pytest.approx(
        8.0 * (4 + 3 + 2 + 4))


def test_total_cpu_hours_counts_shared_runs_once():
    res = _results()[('cora-npz', 'transductive')]
    # teacher 1 s twice (no CPU time: wall), rbm 3 + 4 CPU s, mlp 2 s:
    assert report.total_cpu_hours({('cora-npz', 'transductive'): res
                                   }) * 3600 == pytest.approx(11.0)
    shared = {('cora-npz', s): res for s in ('inductive', 'production')}
    assert report.total_cpu_hours(shared) * 3600 == pytest.approx(11.0)
    # On the public split the two settings are separate runs:
    public = {('cora', s): res for s in ('inductive', 'production')}
    assert report.total_cpu_hours(public) * 3600 == pytest.approx(22.0)


def test_accuracy_panels():
    rows = accuracy_plot.accuracy_panels(_results(), report.PUBLISHED)
    assert len(rows) == len(accuracy.SETTINGS)
    assert all(len(row) == len(accuracy.DATASETS) for row in rows)
    panel = rows[0][accuracy.DATASETS.index('cora-npz')]
    assert panel['title'] == 'Cora (random), transductive'
    # Models with results, in the order of MODELS:
    teacher, glnn, rbm = panel['models']
    assert teacher['label'] == 'GraphSAGE teacher'
    assert teacher['runs'] == pytest.approx([80.0, 82.0])
    assert (teacher['mean'], teacher['std']) == pytest.approx((81.0, 2**0.5))
    assert glnn['label'] == 'MLP (GLNN)' and glnn['runs'] == [70.0]
    assert rbm['label'] == 'RbM' and rbm['mean'] == pytest.approx(80.0)
    assert panel['published'] == [(name, values['cora-npz'])
                                  for name, values in report.PUBLISHED]
    # Published marks on the transductive random-split panels only:
    citeseer = rows[0][accuracy.DATASETS.index('citeseer-npz')]
    assert citeseer['published'][2] == ('GLNN', 71.77)
    others = [
        p for row in rows for p in row if p is not panel and p is not citeseer
    ]
    assert all(not p['models'] and not p['published'] for p in others)


def test_plot_accuracy_draws_every_panel(tmp_path):
    path = accuracy_plot.plot_accuracy(_results(), str(tmp_path / 'a.png'),
                                       report.PUBLISHED)
    with open(path, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    import matplotlib.image
    height, width, _ = matplotlib.image.imread(path).shape
    # 3 settings (rows) x 5 datasets (columns) of 3.4 x 2.9 in at 110 dpi:
    assert (width, height) == (round(5 * 3.4 * 110), round(3 * 2.9 * 110))


def test_describe_retrained_teachers():
    res = rf.new_results('cora', 'inductive', PROTOCOL)
    for seed in range(4):
        rf.record(res, seed, 'teacher', dict(val=0.5, test=0.5,
                                             inductive=0.80), 1.0)
        rf.record(res, seed, 'rbm', dict(val=0.5, test=0.5, inductive=0.7),
                  1.0)
    for seed, teacher in ((1, 0.75), (2, 0.78), (3, None)):
        own = None if teacher is None else dict(val=0.5, test=0.5,
                                                inductive=teacher)
        rf.record(res, seed, 'rbm-extras',
                  dict(val=0.5, test=0.5, inductive=0.7), 1.0,
                  teacher_scores=own)
    results = {('cora', 'inductive'): res}
    lines = report.describe_retrained_teachers(results)
    assert lines[2:] == [
        '- Cora (public), inductive: RbM + KRD, adv., seeds 1–2: '
        'teacher inductive accuracy 76.50 (mean), where the stored teacher '
        'has 80.00'
    ]
    assert 'retrained on another processor model' in lines[0]
    assert lines[0] in report.render_report(results, 'f')
    del res['runs']['1']['students']['rbm-extras']['teacher_scores']
    del res['runs']['2']['students']['rbm-extras']['teacher_scores']
    assert report.describe_retrained_teachers(results) == []


def test_describe_selection():
    results = {}
    for dataset in ('cora', 'actor'):
        res = rf.new_results(dataset, 'transductive', PROTOCOL)
        for student in ('mlp', 'rbm'):
            res['hyperparameters'][student] = rf.hparams_of(
                MATRIX.student_config(dataset, 'transductive', student))
        results[dataset] = res
    # Files written before weight averaging lack it: the weights as trained.
    del results['actor']['hyperparameters']['rbm']['train']['weight_average']
    assert report.describe_selection(results) == [
        "- Students (RbM): each epoch evaluates the weights as trained; the "
        "epoch of best validation accuracy is kept, with early stopping "
        "after 50 epochs without a better one.",
        "- Students (MLP (GLNN), RbM): each epoch evaluates an exponential "
        "moving average of the weights (decay 0.9 per epoch, "
        "`train.weight_average`); the epoch of best validation accuracy is "
        "kept, with early stopping after 50 epochs without a better one.",
    ]
