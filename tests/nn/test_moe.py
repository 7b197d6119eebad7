import math

import pytest
import torch

from pyg_rbm.nn import MoE


def fixed_moe(**kwargs) -> MoE:
    # One layer, 2 -> 1, three experts with hand-set router and experts.
    model = MoE(2, 2, 1, num_layers=1, num_experts=3, k=2, **kwargs)
    layer = model.layers[0]
    with torch.no_grad():
        layer.router.weight.copy_(torch.eye(2))
        layer.keys.copy_(torch.tensor([[1., 0.], [0., 1.], [-1., 0.]]))
        layer.log_scale.fill_(math.log(2.))
        layer.experts.weight.copy_(
            torch.tensor([[[1.], [0.]], [[0.], [1.]], [[1.], [1.]]]))
        layer.experts.bias.zero_()
    return model.eval()


X = torch.tensor([[3., 4.], [1., 0.]])


def test_moe_repr_and_shapes():
    model = MoE(1433, 64, 7)
    assert str(model) == 'MoE(1433, 7, num_layers=2, num_experts=4, k=2)'
    assert model.output_layer is model.layers[-1]

    for num_layers in [1, 2, 3]:
        model = MoE(8, 16, 3, num_layers=num_layers, num_experts=5, k=3,
                    dropout=0.2, norm='batch_norm')
        x = torch.randn(10, 8)
        out, aux = model(x, return_aux_loss=True)
        assert out.size() == (10, 3)
        assert aux.dim() == 0 and aux.item() >= 0
        assert model(x).size() == (10, 3)
        assert len(model.layers) == num_layers


def test_moe_router_topk_and_gates():
    model = fixed_moe()
    # Logits 2 * cos: row 0 -> [1.2, 1.6, -1.2], row 1 -> [2, 0, -2].
    index, gate = model.layers[0].route(X)
    assert index.tolist() == [[1, 0], [0, 1]]
    expected = torch.tensor([[math.exp(.4) / (1 + math.exp(.4)),
                              1 / (1 + math.exp(.4))],
                             [1 / (1 + math.exp(-2)),
                              1 / (1 + math.exp(2))]])
    assert torch.allclose(gate, expected, atol=1e-6)

    # Expert 0 reads x[0], expert 1 reads x[1]:
    out = model(X)
    assert torch.allclose(out, torch.tensor([[3.598688], [0.880797]]),
                          atol=1e-5)


def test_moe_matches_naive_reference():
    torch.manual_seed(0)
    model = MoE(6, 5, 4, num_layers=1, num_experts=4, k=2).eval()
    layer = model.layers[0]
    x = torch.randn(20, 6)
    index, gate = layer.route(x)
    ref = torch.zeros(20, 4)
    for n in range(20):
        for j in range(2):
            e = index[n, j]
            expert = x[n] @ layer.experts.weight[e] + layer.experts.bias[e]
            ref[n] += gate[n, j] * expert
    assert torch.allclose(model(x), ref, atol=1e-5)


def test_moe_routing_ignores_input_scale():
    # Row-normalised bag-of-words rows are ~0.03 per entry; the router
    # must route them as it routes the raw rows.
    torch.manual_seed(0)
    layer = MoE(50, 16, 3, num_experts=4, k=2).layers[0].eval()
    x = (torch.rand(40, 50) < 0.1).float()
    index, gate = layer.route(x)
    scaled_index, scaled_gate = layer.route(0.03 * x)
    assert torch.equal(scaled_index, index)
    assert torch.allclose(scaled_gate, gate, atol=1e-6)
    # The rows are routed apart, not all to one pair of experts:
    assert index.unique(dim=0).size(0) > 1


def test_moe_aux_loss_hand_computed():
    model = fixed_moe(load_balance_weight=1.0)
    _, aux = model(X, return_aux_loss=True)
    # importance = [g01 + g10, g00 + g11, 0], load = [2, 2, 0]:
    # cv^2(importance) = 0.619378, cv^2(load) = (8/9) / (16/9) = 0.5.
    assert aux.item() == pytest.approx(0.619378 + 0.5, abs=1e-5)

    model.load_balance_weight = 0.01
    _, aux = model(X, return_aux_loss=True)
    assert aux.item() == pytest.approx(0.01 * 1.119378, abs=1e-7)

    # Summed over layers:
    torch.manual_seed(0)
    model = MoE(4, 8, 3, num_layers=3, load_balance_weight=0.5).eval()
    x = torch.randn(12, 4)
    _, aux = model(x, return_aux_loss=True)
    total, h = 0., x
    for i, layer in enumerate(model.layers):
        h, layer_loss = layer(h, True)
        total += layer_loss.item()
        h = h.relu() if i < 2 else h
    assert aux.item() == pytest.approx(0.5 * total, rel=1e-5)


def test_moe_noise_only_in_training():
    torch.manual_seed(0)
    model = MoE(8, 16, 3, num_experts=4, k=2, noise_std=1.0)
    x = torch.randn(50, 8)

    model.train()
    assert not torch.allclose(model(x), model(x))

    model.eval()
    out = model(x)
    assert torch.equal(out, model(x))
    # Batch-size invariant in evaluation:
    assert torch.allclose(model(x[:7]), out[:7], atol=1e-6)

    model.noise_std = 0.
    for layer in model.layers:
        layer.noise_std = 0.
    model.train()
    assert torch.allclose(model(x), out, atol=1e-6)


def test_moe_gradients_reach_router():
    torch.manual_seed(0)
    model = MoE(8, 16, 3, num_experts=4, k=2, dropout=0.1).train()
    out = model(torch.randn(30, 8))
    out.square().sum().backward()  # Task loss only, no aux loss.
    for layer in model.layers:
        assert layer.router.weight.grad.abs().sum() > 0
        assert layer.keys.grad.abs().sum() > 0
        assert layer.log_scale.grad.abs() > 0
        assert layer.experts.weight.grad.abs().sum() > 0


def test_moe_reset_parameters():
    model = MoE(4, 8, 3)
    with torch.no_grad():
        for layer in model.layers:
            layer.log_scale.fill_(3.)
    model.reset_parameters()
    for layer in model.layers:
        assert layer.log_scale.item() == pytest.approx(math.log(2.))


def test_moe_layer_norm_is_per_node():
    torch.manual_seed(0)
    model = MoE(8, 16, 3, norm='layer_norm').eval()
    x = torch.randn(20, 8)
    assert torch.allclose(model(x[:3]), model(x)[:3], atol=1e-6)


def test_moe_errors():
    with pytest.raises(ValueError, match="'k'"):
        MoE(8, 16, 3, num_experts=4, k=5)
    with pytest.raises(ValueError, match="'k'"):
        MoE(8, 16, 3, num_experts=4, k=0)
    with pytest.raises(ValueError, match="'num_layers'"):
        MoE(8, 16, 3, num_layers=0)
    with pytest.raises(ValueError, match="'dropout'"):
        MoE(8, 16, 3, dropout=1.)
    with pytest.raises(ValueError, match="'noise_std'"):
        MoE(8, 16, 3, noise_std=-1.)

    model = MoE(8, 16, 3)
    with pytest.raises(ValueError, match="'x' must have shape"):
        model(torch.randn(4, 7))
    x = torch.randn(4, 8)
    x[1, 2] = float('nan')
    with pytest.raises(ValueError, match="'x' contains non-finite"):
        model.train()(x)


def test_moe_compile():
    torch.manual_seed(0)
    model = MoE(8, 16, 3).eval()
    x = torch.randn(10, 8)
    expected = model(x)
    compiled = torch.compile(model)
    assert torch.allclose(compiled(x), expected, atol=1e-6)
