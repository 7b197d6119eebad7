import pytest
import torch

from pyg_rbm.config import DistillConfig, load_config, merge_config
from pyg_rbm.datasets import make_csbm
from pyg_rbm.nn import RbM
from pyg_rbm.teachers import GCNAggrGraphSAGE
from pyg_rbm.train import (
    EpochRecord,
    best_over_epochs,
    distill_student,
    headline,
    prepare_teacher,
    run_seed,
    summarize,
)


def _config(setting='transductive', **extras):
    return merge_config(
        DistillConfig(dataset='csbm', setting=setting), dict(
            teacher=dict(hidden_channels=32, epochs=60, patience=20),
            student=dict(hidden_channels=32, num_layers=2, num_experts=3,
                         k=2, dropout=0.1),
            train=dict(epochs=30, pretrain_epochs=3, patience=20,
                       batch_size=256, lam=0.2, tau=1.0),
            extras=extras, baseline_mlp=True))


@pytest.fixture(scope='module')
def graph():
    # Weak features, strong homophily: the graph is what makes it learnable.
    return make_csbm(num_nodes=1000, num_classes=4, num_features=16,
                     avg_degree=10, homophily=0.9, seed=0,
                     feature_noise=1.0)


def test_transductive_pipeline_end_to_end(graph):
    result = run_seed(_config(), seed=0, data=graph, progress=False)
    assert set(result.teacher) >= {'val', 'test'}
    assert result.teacher['test'] > 0.8
    # The student learns from the teacher what features alone cannot give.
    assert result.student['test'] > result.mlp['test'] + 0.05
    assert result.timings['student_inference_s'] > 0
    summary = summarize([result], 'transductive')
    assert summary['student']['runs'] == [pytest.approx(
        100 * result.student['test'])]


def test_loss_selection_with_a_weight_average_reports_accuracies(graph):
    config = merge_config(_config(), dict(
        baseline_mlp=False, train=dict(selection='loss',
                                       weight_average=0.8)))
    run = prepare_teacher(config, 0, data=graph, progress=False)
    history = []
    _, scores, _, _ = distill_student(run, progress=False, history=history)
    # Scores are accuracies; the selection's loss stays in the history.
    assert set(scores) == {'val', 'test', 'best_test_over_epochs'}
    assert all('val_loss' in record.metrics for record in history)
    assert scores['test'] > 0.6


def test_inductive_pipeline_scores_held_out_nodes(graph):
    result = run_seed(_config('production'), seed=1, data=graph,
                      progress=False)
    for scores in (result.teacher, result.student, result.mlp):
        assert {'test', 'inductive'} <= set(scores)
    expected = 0.8 * result.student['test'] + 0.2 * result.student[
        'inductive']
    assert headline(result.student, 'production') == pytest.approx(expected)
    # Selected on the test nodes, for comparison only: never below the
    # score at the best validation epoch.
    for scores in (result.teacher, result.student, result.mlp):
        assert scores['best_test_over_epochs'] >= headline(
            scores, 'production')


def test_best_over_epochs_by_hand():
    history = [
        EpochRecord(0, 'train', 1.0, dict(val=0.5, test=0.6,
                                          inductive=0.1), 0.0),
        EpochRecord(1, 'train', 1.0, dict(val=0.4, test=0.5,
                                          inductive=0.9), 0.0),
    ]
    assert best_over_epochs(history, 'transductive') == 0.6
    assert best_over_epochs(history, 'inductive') == 0.9
    assert best_over_epochs(history, 'production') == pytest.approx(0.58)
    history = [EpochRecord(0, 'train', 1.0, dict(val=0.5), 0.0)]
    assert best_over_epochs(history, 'transductive') is None


def test_authors_protocol_on_cora(data_root):
    config = load_config(
        dataset='cora', setting='inductive', protocol='authors',
        overrides=dict(root=data_root,
                       teacher=dict(hidden_channels=32, epochs=30),
                       student=dict(hidden_channels=32),
                       train=dict(epochs=8, pretrain_epochs=2)))
    run = prepare_teacher(config, seed=0, progress=False)
    assert isinstance(run.teacher, GCNAggrGraphSAGE)
    # Rows of the teacher's graph sum to one and every node has a loop.
    x, edge_index = run.split.observed.x, run.split.observed.edge_index
    assert torch.allclose(x.sum(-1), torch.ones(x.size(0)))
    assert int((edge_index[0] == edge_index[1]).sum()) == x.size(0)
    assert run.split.held_out.numel() == 1000  # the public test nodes
    student, scores, epochs, _ = distill_student(run, progress=False)
    assert isinstance(student, RbM) and epochs <= 10
    assert student.memory_update == 'forward'
    assert not student.scaled_pretraining
    assert scores['inductive'] > 0.3
    assert scores['best_test_over_epochs'] >= scores['inductive']
    assert run.scores['best_test_over_epochs'] >= run.scores['inductive']


@pytest.fixture(scope='module')
def teacher_run(graph):
    return prepare_teacher(_config(), seed=0, data=graph, progress=False)


@pytest.mark.parametrize('extra', [
    'reliable_sampling', 'positional_encoding', 'adversarial', 'similarity',
    'label_propagation'
])
def test_each_extra_runs_and_learns(teacher_run, extra):
    config = _config(**{extra: True})
    config.train.epochs = 12
    config.extras.rs_start_epoch = 5
    config.extras.pe_dim = 8
    student, scores, epochs, x_full = distill_student(teacher_run, config,
                                                      progress=False)
    # Chance is 0.25; features alone give about 0.4 (see above).
    assert scores['test'] > 0.5
    extra_width = dict(positional_encoding=8, label_propagation=4)
    assert x_full.size(1) == 16 + extra_width.get(extra, 0)
    assert epochs == 3 + 12  # patience 20 cannot stop it earlier


def test_adversarial_options_reach_pgd(teacher_run, monkeypatch):
    import pyg_rbm.train.student as student
    calls = []

    def recording(loss_fn, x, epsilon, steps, step_size, generator=None):
        calls.append((epsilon, steps, step_size, x.size(0)))
        return x.new_zeros(x.shape)

    monkeypatch.setattr(student, 'pgd_perturbation', recording)
    config = _config(adversarial=True, adv_epsilon=0.2, adv_steps=1,
                     adv_step_ratio=1.25)
    config.train.epochs, config.train.pretrain_epochs = 2, 0
    distill_student(teacher_run, config, progress=False)
    # One call per batch: 1000 nodes in batches of 256, 2 epochs.
    assert calls == [(0.2, 1, 0.25, n) for n in (256, 256, 256, 232)] * 2
    calls.clear()
    config.extras.adv_step_ratio = 0.25
    config.extras.adv_fraction = 0.25
    config.train.epochs = 1
    distill_student(teacher_run, config, progress=False)
    # A quarter of each batch, rounded up: 64 of 256 and 58 of 232 rows.
    assert calls == [(0.2, 1, 0.05, n) for n in (64, 64, 64, 58)]


def test_positional_encodings_rescaled_to_the_features(teacher_run,
                                                      monkeypatch):
    import pyg_rbm.train.extras as extras
    from pyg_rbm.train.pipeline import build_features
    table = torch.tensor([[3.0, 4.0], [0.0, 1.0]]).repeat(500, 1)  # norms 5, 1
    monkeypatch.setattr(extras, 'deepwalk_embeddings',
                        lambda *args, **kwargs: table)
    x = teacher_run.split.observed.x
    feature_norm = x.norm(dim=-1).mean()
    for scale, expected in ((0.0, 3.0), (2.0, 2.0 * feature_norm)):
        config = _config(positional_encoding=True, pe_dim=2, pe_scale=scale)
        x_obs, _ = build_features(teacher_run.split, config, 0)
        assert torch.equal(x_obs[:, :16], x)
        pe = x_obs[:, 16:]
        assert torch.allclose(pe.norm(dim=-1).mean(), torch.tensor(
            float(expected)))
        assert torch.allclose(pe / pe.norm(dim=-1).mean(), table / 3.0)


def test_run_seed_builds_the_student_inputs_once(graph, monkeypatch):
    import pyg_rbm.train.extras as extras
    calls = []
    deepwalk = extras.deepwalk_embeddings

    def counted(*args, **kwargs):
        calls.append(1)
        return deepwalk(*args, **kwargs)

    monkeypatch.setattr(extras, 'deepwalk_embeddings', counted)
    config = _config(positional_encoding=True)  # with the baseline MLP
    config.extras.pe_dim = 4
    config.teacher.epochs = config.train.epochs = 3
    result = run_seed(config, seed=0, data=graph, progress=False)
    assert result.mlp is not None
    assert len(calls) == 1


def test_teacher_given_as_logits(graph):
    import torch.nn.functional as F

    from pyg_rbm.train.pipeline import teacher_from_logits
    logits = 3.0 * F.one_hot(graph.y).float()
    config = _config('inductive')
    run = teacher_from_logits(config, 0, logits, graph)
    assert run.teacher is None
    assert run.scores == dict(val=1.0, test=1.0, inductive=1.0)
    result = run_seed(config, 0, data=graph, progress=False,
                      teacher_logits=logits)
    assert result.teacher == run.scores
    assert set(result.student) >= {'val', 'test', 'inductive'}
    with pytest.raises(ValueError, match=r'shape \[1000, 4\]'):
        teacher_from_logits(config, 0, logits[:10], graph)
    with pytest.raises(ValueError, match='needs the teacher model'):
        teacher_from_logits(_config(similarity=True), 0, logits, graph)


def test_teacher_options_reach_the_model(data_root):
    from pyg_rbm.config import load_config
    from pyg_rbm.train.pipeline import prepare_teacher

    def teacher(**options):
        config = load_config(overrides=dict(
            root=data_root, teacher=dict(hidden_channels=16, epochs=2,
                                         **options)), dataset='cora')
        return prepare_teacher(config, 0, progress=False).teacher

    gat = teacher(name='gat', heads=4)
    assert {conv.heads for conv in gat.convs} == {4}
    # Hidden heads are concatenated to the width, the output's averaged.
    assert gat.convs[0].out_channels == 4 and gat.convs[0].concat
    assert not gat.convs[-1].concat
    gcn = teacher(name='gcn', gcn_normalize=False, gcn_improved=True)
    assert {(c.normalize, c.improved) for c in gcn.convs} == {(False, True)}
    with pytest.raises(ValueError, match="must divide by 'teacher.heads'"):
        load_config(overrides=dict(teacher=dict(name='gat', heads=3)),
                    dataset='cora')
