import math

import pytest
import torch

from pyg_rbm.analysis import routing_choices, routing_statistics
from pyg_rbm.nn import MLPStudent, MoE, RbM

X = torch.tensor([[2.0, 0.1], [3.0, 0.0], [0.0, 1.0], [0.1, 5.0]])


def _routed_rbm(keys):
    # One mixture layer, so that the layer routes the raw input.
    model = RbM(2, 4, 3, num_layers=1, num_experts=2, k=1)
    model.init_routing(X)
    with torch.no_grad():
        model.layers[0].memory.copy_(torch.tensor(keys))
    return model


def test_even_routing_aligned_with_classes():
    model = _routed_rbm([[1.0, 0.0], [0.0, 1.0]])
    (index, gate), = routing_choices(model, X)
    assert index[:, 0].tolist() == [0, 0, 1, 1]
    assert torch.equal(gate, torch.ones(4, 1))
    stats, = routing_statistics(model, X, torch.tensor([0, 0, 1, 1]))
    assert stats['top1_load'] == [0.5, 0.5]
    assert stats['gate_load'] == [0.5, 0.5]
    assert stats['load_entropy'] == pytest.approx(1.0)
    assert stats['unused_experts'] == 0
    assert stats['purity'] == 1.0 and stats['nmi'] == pytest.approx(1.0)
    # One node of expert 1 in the other class: 3 of 4 in their expert's
    # majority class.
    stats, = routing_statistics(model, X, torch.tensor([0, 0, 1, 0]))
    assert stats['purity'] == 0.75


def test_collapsed_routing():
    # Opposite keys along the first axis; every node leans to expert 0.
    model = _routed_rbm([[1.0, 0.0], [-1.0, 0.0]])
    stats, = routing_statistics(model, X[[0, 1, 3]])
    assert stats['top1_load'] == [1.0, 0.0]
    assert stats['load_entropy'] == 0.0 and stats['max_top1_load'] == 1.0
    assert stats['unused_experts'] == 1
    assert 'nmi' not in stats


def test_gates_of_top_two_and_model_left_in_its_mode():
    model = RbM(2, 4, 3, num_layers=2, num_experts=3, k=2)
    model.init_routing(X)
    model.train()
    stats = routing_statistics(model, X)
    assert model.training and len(stats) == 2
    for layer in stats:
        assert sum(layer['top1_load']) == pytest.approx(1.0)
        assert sum(layer['gate_load']) == pytest.approx(1.0)
        assert 0.0 <= layer['load_entropy'] <= 1.0
    # The output layer's gates are the softmax of its top-2 similarities.
    sim, index = model.layers[0].route(X)
    (first_index, first_gate), _ = routing_choices(model, X)
    assert torch.equal(first_index, index)
    assert torch.allclose(first_gate, sim.softmax(dim=-1))


def test_pretraining_routes_everything_to_expert_zero():
    model = RbM(2, 4, 3, num_layers=2, num_experts=4, k=3)
    stats = routing_statistics(model, X)
    assert [s['top1_load'] for s in stats] == [[1.0, 0.0, 0.0, 0.0]] * 2
    assert stats[0]['load_entropy'] == 0.0


def test_moe_routing_and_bad_inputs():
    model = MoE(2, 4, 3, num_layers=2, num_experts=4, k=2)
    choices = routing_choices(model, X)
    assert [tuple(i.shape) for i, _ in choices] == [(4, 2), (4, 2)]
    assert all(torch.allclose(g.sum(-1), torch.ones(4)) for _, g in choices)
    stats = routing_statistics(model, X, torch.tensor([0, 1, 2, 0]))
    assert stats[1]['load_entropy'] <= 1.0 + 1e-12
    assert 0.0 <= stats[1]['nmi'] <= 1.0 + 1e-12
    with pytest.raises(ValueError, match="'model' must hold RbM or MoE"):
        routing_choices(MLPStudent(2, 4, 3), X)
    with pytest.raises(ValueError, match="'y' must have shape"):
        routing_statistics(model, X, torch.tensor([0, 1]))
    assert math.isclose(sum(stats[0]['top1_load']), 1.0)
