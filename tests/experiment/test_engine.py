import json

import pytest
import torch

from pyg_rbm.experiment import MatrixPlan, load_matrix, run_matrix
from pyg_rbm.experiment.environment import (
    blas_architecture,
    processor_vendor,
)
from pyg_rbm.experiment.results_file import results_path


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_shipped_matrix():
    matrix = load_matrix()
    assert matrix.models == ('teacher', 'mlp-no-teacher', 'mlp', 'moe',
                             'rbm', 'rbm-extras')
    assert [k for k, s in matrix.all_students.items() if s.extras] == [
        'rbm-extras', 'rbm-krd', 'rbm-pe', 'rbm-adv', 'rbm-krd-pe-adv'
    ]
    assert matrix.students['mlp-no-teacher'].without_teacher
    assert matrix.labels['mlp'] == 'MLP (GLNN)'
    with pytest.raises(ValueError, match="Unknown matrix 'nope'"):
        load_matrix('nope')


def test_matrix_file_with_unknown_keys(tmp_path):
    path = tmp_path / 'm.yaml'
    path.write_text('datasets: [cora]\nsettings: [transductive]\nseeds: 1\n'
                    'students: {mlp: {label: MLP, lr: 0.1}}\n'
                    'hyperparameters_of: {transductive: transductive}\n')
    with pytest.raises(ValueError, match=r"Unknown keys \['lr'\] of student "
                       "'mlp'"):
        load_matrix(str(path))


# Per-seed scores of a short run (Cora, public split, transductive, seed 0,
# 3 student and 5 teacher epochs), pinned before the runner moved from
# benchmarks/accuracy.py into pyg_rbm.experiment: the refactor kept them.
# RbM's were pinned again when its dropout masks changed (dropout_mask),
# and when the default began to select the average of the weights
# (train.weight_average=0.9; the teacher's and MLP's numbers held).
# RbM's rounding, and with it its routing, depends on the processor and on
# the BLAS kernels of its k-means (this sandbox sets
# OPENBLAS_CORETYPE=Haswell): its numbers are pinned per (vendor, kernels)
# seen since that change, and left unchecked elsewhere (Intel's pins,
# 0.522 / 0.560 with the weights as trained, predate it).
PINNED = dict(
    teacher=dict(val=0.7919999957084656, test=0.7850000262260437),
    mlp=dict(val=0.16200000047683716, test=0.14900000393390656),
)
PINNED_RBM = {
    ('AuthenticAMD', 'Haswell'): dict(val=0.41999998688697815,
                                      test=0.42800000309944153),
    ('AuthenticAMD', 'SkylakeX'): dict(val=0.4180000126361847,
                                       test=0.42899999022483826),
}


@pytest.mark.slow
def test_run_matrix_keeps_the_pinned_numbers(data_root, tmp_path):
    plan = MatrixPlan(datasets=['cora'], settings=['transductive'],
                      students=['mlp', 'rbm'], seeds=1, epochs=3,
                      teacher_epochs=5, root=data_root)
    results = run_matrix(load_matrix(), plan, str(tmp_path), info={})
    run = results[('cora', 'transductive')]['runs']['0']
    scores = dict(teacher=run['teacher']['scores'],
                  **{k: v['scores'] for k, v in run['students'].items()})
    pinned = dict(PINNED)
    kernels = (processor_vendor(), blas_architecture())
    if kernels in PINNED_RBM:
        pinned['rbm'] = PINNED_RBM[kernels]
    for model, values in pinned.items():
        for key, value in values.items():
            assert scores[model][key] == pytest.approx(value, abs=1e-6)
    assert run['students']['rbm']['epochs'] == 15  # 12 pretraining + 3
    with open(results_path(str(tmp_path), 'cora', 'transductive')) as f:
        assert json.load(f)['runs']['0'] == run
    # Run again: everything is stored, nothing trains.
    again = run_matrix(load_matrix(), plan, str(tmp_path), info={})
    assert again[('cora', 'transductive')]['runs']['0'] == run


@pytest.mark.slow
def test_later_students_distil_the_cached_teachers(data_root, tmp_path,
                                                   monkeypatch):
    import pyg_rbm.train.pipeline as pipeline
    trained = []
    train_teacher = pipeline.train_teacher
    monkeypatch.setattr(pipeline, 'train_teacher', lambda *args, **kwargs:
                        trained.append(1) or train_teacher(*args, **kwargs))
    cache = str(tmp_path / 'teachers')

    def plan(students):
        return MatrixPlan(datasets=['cora'], settings=['transductive'],
                          students=students, seeds=2, epochs=2,
                          teacher_epochs=3, root=data_root,
                          teacher_cache=cache)

    first = run_matrix(load_matrix(), plan(['mlp']), str(tmp_path), info={})
    assert len(trained) == 2  # one teacher per seed
    later = run_matrix(load_matrix(), plan(['mlp', 'rbm']), str(tmp_path),
                       info={})
    assert len(trained) == 2  # none again
    runs = later[('cora', 'transductive')]['runs']
    for seed in ('0', '1'):
        assert runs[seed]['teacher'] == \
            first[('cora', 'transductive')]['runs'][seed]['teacher']
        assert set(runs[seed]['students']) == {'mlp', 'rbm'}
