import json
import os.path as osp
import sys

BENCHMARKS = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..',
                      'benchmarks')
sys.path.insert(0, osp.normpath(BENCHMARKS))

import authors_ablation  # noqa: E402
import pyg_rbm.train as train  # noqa: E402
from pyg_rbm.config import load_config, merge_config  # noqa: E402


def test_each_option_alone():
    configs = authors_ablation.variants('cora-npz', 'inductive')
    default = configs['baseline']
    assert default.protocol == 'default'
    assert (default.teacher.name, default.train.kd_variant) == ('sage',
                                                                'hinton')
    assert configs['authors protocol'].protocol == 'authors'
    # The default of the ablation's time: today's, selecting the weights
    # as trained; no variant averages them.
    assert configs['default'] == merge_config(
        load_config(dataset='cora-npz', setting='inductive'),
        dict(train=dict(weight_average=0.0)))
    assert load_config(dataset='cora-npz',
                       setting='inductive').train.weight_average == 0.9
    assert {c.train.weight_average for c in configs.values()} == {0.0}
    for name, config in configs.items():
        if name in ('baseline', 'authors values', 'authors protocol',
                    'default'):
            continue
        base = default
        if name.startswith('default + '):
            base, name = configs['default'], name[len('default + '):]
        changed = [(section, key)
                   for section in ('data', 'teacher', 'student', 'train')
                   for key, value in getattr(config, section).__dict__.items()
                   if getattr(base, section).__dict__[key] != value]
        assert len(changed) == 1, name
        section, key = changed[0]
        assert name.startswith(f'{section}.{key}=')
    # On top of the default: only the authors' options it did not take.
    assert {n for n in configs if n.startswith('default + ')} == {
        'default + teacher.ties=last', 'default + train.ties=last',
        'default + student.memory_update=forward',
        'default + student.scaled_pretraining=False',
        'default + train.optimizer_step=epoch',
        'default + train.select_pretraining=True'}
    assert set(configs) >= {
        'data.normalize_features=True', 'data.self_loops=True',
        'teacher.name=sage-gcn', 'train.kd_variant=reference',
        'train.optimizer_step=epoch', 'student.memory_update=forward',
        'student.scaled_pretraining=False', 'train.select_pretraining=True',
        'train.ties=last', 'teacher.ties=last'
    }
    # Their values (cora, inductive, sage, rbm) with our kind of teacher:
    values = configs['authors values']
    assert (values.train.tau, values.teacher.name) == (0.6, 'sage')
    assert values.train.kd_variant == 'hinton'


def test_runs_share_teachers_and_resume(tmp_path, monkeypatch):
    teachers, students = [], []

    class Run:
        def __init__(self, config):
            self.scores = dict(val=0.5, inductive=0.8)

    def prepare(config, seed, progress=True):
        teachers.append((config.data.self_loops, config.teacher.name, seed))
        return Run(config)

    def distill(run, config, progress=True):
        students.append(config)
        score = 0.7 if config.train.ties == 'last' else 0.6
        return None, dict(val=0.5, inductive=score), 3, None

    monkeypatch.setattr(train, 'prepare_teacher', prepare)
    monkeypatch.setattr(train, 'distill_student', distill)
    path = str(tmp_path / 'cora_inductive.json')
    results = authors_ablation.run_cell('cora', 'inductive', 2, 'data', path)
    names = list(authors_ablation.variants('cora', 'inductive'))
    assert len(students) == 2 * len(names)
    # One teacher per seed for every option that leaves data and teacher
    # alone; the others train their own.
    per_seed = [t for t in teachers if t[2] == 0]
    assert len(per_seed) == 9  # the default's with teacher.ties=last too
    assert (True, 'sage', 0) in per_seed and (False, 'sage-gcn', 0) in per_seed
    assert (True, 'sage-gcn', 0) in per_seed  # the default's
    rows = {row[0]: row for row in authors_ablation.summary_rows(results)}
    assert rows['train.ties=last'][1:] == [
        '2', '80.00 ± 0.00', '70.00 ± 0.00', '10.00 ± 0.00', ''
    ]
    # The default's own options are also measured against the default.
    assert rows['default + train.ties=last'][4:] == ['10.00 ± 0.00',
                                                     '10.00 ± 0.00']
    assert rows['baseline'][4] == '0.00 ± 0.00'
    with open(path) as f:
        assert set(json.load(f)['runs']) == set(names)
    # A stored row that is no variant any more (the default took its
    # option since) is marked as such:
    results['runs']['default + data.self_loops=True'] = results['runs'][
        'default + train.ties=last']
    table = authors_ablation.format_tables([results])
    assert '| default + data.self_loops=True (earlier default) | 2 |' in table
    assert '| default + train.ties=last | 2 |' in table
    # Finished runs are skipped when run again:
    authors_ablation.run_cell('cora', 'inductive', 2, 'data', path)
    assert len(students) == 2 * len(names)
    # A chosen subset runs beside the baseline only.
    students.clear()
    other = str(tmp_path / 'citeseer_inductive.json')
    results = authors_ablation.run_cell('citeseer', 'inductive', 1, 'data',
                                        other, only=['default'])
    assert set(results['runs']) == {'baseline', 'default'}
    assert len(students) == 2
