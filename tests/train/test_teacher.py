import copy

import pytest
import torch
from torch_geometric.nn.models import GraphSAGE

from pyg_rbm.config import DistillConfig, merge_config
from pyg_rbm.datasets import make_csbm
from pyg_rbm.teachers import build_teacher, neighbourhood_exact_reason
from pyg_rbm.train import prepare_teacher, train_teacher


@pytest.fixture(scope='module')
def graph():
    data = make_csbm(num_nodes=1500, num_classes=3, num_features=8,
                     avg_degree=6, homophily=0.85, seed=1)
    # Few labelled nodes, so that their 2-hop neighbourhood is a strict part
    # of the graph.
    gen = torch.Generator().manual_seed(0)
    perm = torch.randperm(data.num_nodes, generator=gen)
    for name, ids in (('train_mask', perm[:20]), ('val_mask', perm[20:40]),
                      ('test_mask', perm[40:])):
        data[name] = torch.zeros(data.num_nodes, dtype=torch.bool)
        data[name][ids] = True
    return data


@pytest.mark.parametrize('name', ['sage', 'gat'])
def test_labelled_graph_trains_like_the_full_graph(graph, name):
    torch.manual_seed(0)
    full_model = build_teacher(name, 8, 16, 3, num_layers=2, dropout=0.0)
    labelled_model = copy.deepcopy(full_model)
    kwargs = dict(lr=0.01, epochs=12, patience=None, progress=False)
    full = train_teacher(full_model, graph, **kwargs)
    labelled = train_teacher(labelled_model, graph, graph='labelled',
                             **kwargs)

    from pyg_rbm.serving import neighborhood_subgraph
    seeds = (graph.train_mask | graph.val_mask).nonzero().view(-1)
    assert neighborhood_subgraph(graph, seeds, 2).num_nodes < 0.8 * 1500

    assert labelled.best_epoch == full.best_epoch
    assert [r.metrics['val'] for r in labelled.history] == \
        [r.metrics['val'] for r in full.history]
    assert [r.loss for r in labelled.history] == pytest.approx(
        [r.loss for r in full.history], rel=1e-4, abs=1e-6)
    for a, b in zip(full_model.parameters(), labelled_model.parameters()):
        assert torch.allclose(a, b, atol=1e-5)
    # The test score is computed once on the whole graph, for the restored
    # best state.
    assert labelled.best_metrics['test'] == pytest.approx(
        full.best_metrics['test'], abs=1e-6)
    assert 'test' not in labelled.history[0].metrics


@pytest.mark.parametrize('graph_kind', ['full', 'labelled'])
def test_teacher_selected_on_validation_loss(graph, graph_kind):
    torch.manual_seed(0)
    model = build_teacher('sage', 8, 16, 3, num_layers=2, dropout=0.0)
    # The validation accuracy peaks early (epoch 17), while the outputs
    # are still unsure; the validation loss goes on falling (epoch 35).
    kwargs = dict(lr=0.01, epochs=60, patience=None, progress=False,
                  graph=graph_kind)
    by_loss = train_teacher(copy.deepcopy(model), graph, selection='loss',
                            **kwargs)
    by_accuracy = train_teacher(copy.deepcopy(model), graph, **kwargs)
    losses = [r.metrics['val_loss'] for r in by_loss.history]
    accuracies = [r.metrics['val'] for r in by_accuracy.history]
    assert by_loss.best_epoch == losses.index(min(losses))
    assert by_accuracy.best_epoch == accuracies.index(max(accuracies))
    assert by_accuracy.best_epoch < by_loss.best_epoch
    # Same model and data: the two runs see the same epochs.
    assert losses == pytest.approx(
        [r.metrics['val_loss'] for r in by_accuracy.history], abs=1e-6)
    with pytest.raises(ValueError, match="'selection' must be one of"):
        train_teacher(model, graph, selection='val', epochs=1,
                      progress=False)


def test_neighbourhood_exact_reason():
    assert neighbourhood_exact_reason(build_teacher('sage', 4, 8, 2)) is None
    assert neighbourhood_exact_reason(build_teacher('gat', 4, 8, 2)) is None
    row_norm = GraphSAGE(4, 8, 2, out_channels=2, norm='layer_norm',
                         norm_kwargs=dict(mode='node'))
    assert neighbourhood_exact_reason(row_norm) is None

    assert 'GCNConv' in neighbourhood_exact_reason(build_teacher('gcn', 4, 8,
                                                                 2))
    assert 'BatchNorm' in neighbourhood_exact_reason(
        build_teacher('sage', 4, 8, 2, norm='batch_norm'))
    assert 'LayerNorm' in neighbourhood_exact_reason(
        build_teacher('sage', 4, 8, 2, norm='layer_norm'))  # mode='graph'
    assert 'not a BasicGNN' in neighbourhood_exact_reason(
        torch.nn.Linear(4, 2))


def test_train_teacher_graph_errors(graph):
    with pytest.raises(ValueError, match="'graph' must be one of"):
        train_teacher(build_teacher('sage', 8, 16, 3), graph,
                      graph='sampled', progress=False)
    with pytest.raises(ValueError, match='GCNConv depends on node degrees'):
        train_teacher(build_teacher('gcn', 8, 16, 3), graph,
                      graph='labelled', progress=False)
    with pytest.raises(ValueError, match="'teacher.train_graph'"):
        merge_config(DistillConfig(), dict(teacher=dict(train_graph='some')))


def test_pipeline_with_labelled_teacher_graph(graph):
    config = merge_config(
        DistillConfig(dataset='csbm'),
        dict(teacher=dict(hidden_channels=16, epochs=30, patience=None,
                          train_graph='labelled')))
    run = prepare_teacher(config, seed=0, data=graph, progress=False)
    assert set(run.scores) >= {'val', 'test'}
    assert run.scores['test'] > 0.6  # three classes, homophily 0.85
