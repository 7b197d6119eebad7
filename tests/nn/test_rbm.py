import math
import statistics

import pytest
import torch
import torch.nn.functional as F

from pyg_rbm.nn.rbm import RbM

# Two rows and three unit keys; the cosines are exact by construction:
# row 0 ~ [1, 0]:        cos = [1, 0, -1]      -> top-2 experts [0, 1]
# row 1 = [0.6, 0.8]:    cos = [0.6, 0.8, -0.6] -> top-2 experts [1, 0]
X = torch.tensor([[3.0, 0.0], [0.6, 0.8]])
MEMORY = torch.tensor([[2.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
S1 = 1 / (1 + math.exp(-1.0))  # softmax([1, 0])[0]
T = 1 / (1 + math.exp(-0.2))  # softmax([0.8, 0.6])[0]


@pytest.fixture(params=[1, 2])
def num_threads(request):
    old = torch.get_num_threads()
    torch.set_num_threads(request.param)
    yield request.param
    torch.set_num_threads(old)


def routed_model(**kwargs):
    # One layer with 3 experts, k=2, routing phase, keys set by hand.
    model = RbM(2, 4, 3, num_layers=1, num_experts=3, k=2, **kwargs)
    model.init_routing(torch.randn(10, 2, generator=torch.Generator()))
    with torch.no_grad():
        model.layers[0].memory.copy_(MEMORY)
    return model


def test_rbm_routing_top_k_and_gates():
    layer = routed_model().layers[0]
    sim, index = layer.route(X)
    assert torch.equal(index, torch.tensor([[0, 1], [1, 0]]))
    assert torch.allclose(sim, torch.tensor([[1.0, 0.0], [0.8, 0.6]]))
    gate = sim.softmax(dim=-1)
    assert torch.allclose(gate, torch.tensor([[S1, 1 - S1], [T, 1 - T]]))


def test_rbm_output_scale_and_input_attention():
    torch.manual_seed(0)
    model = routed_model(input_attention=True)
    layer = model.layers[0]
    with torch.no_grad():
        for e in range(3):
            layer.experts.weight[e] = torch.tensor([[e + 1.0, 0.0, 1.0],
                                                    [0.0, e + 1.0, -1.0]])
            layer.experts.bias[e] = torch.tensor([float(e), 0.0, 0.0])
            # Input attention scales the expert input by [1 + e, 2]:
            layer.attention[e] = torch.tensor([1.0 + e, 2.0]).log()
        layer.log_scale.fill_(math.log(3.0))

    # Expert outputs on the attended rows, written out by hand:
    # row 0: x = [3, 0];   expert 0 sees [3, 0], expert 1 sees [6, 0]
    e0_r0 = torch.tensor([3.0, 0.0, 3.0])
    e1_r0 = torch.tensor([12.0 + 1.0, 0.0, 6.0])
    # row 1: x = [.6, .8]; expert 1 sees [1.2, 1.6], expert 0 [.6, 1.6]
    e1_r1 = torch.tensor([2.4 + 1.0, 3.2, 1.2 - 1.6])
    e0_r1 = torch.tensor([0.6, 1.6, 0.6 - 1.6])
    expected = 3.0 * torch.stack([
        S1 * e0_r0 + (1 - S1) * e1_r0,
        T * e1_r1 + (1 - T) * e0_r1,
    ])
    model.eval()
    assert torch.allclose(model(X), expected, atol=1e-5)

    # The scales are clamped at 100:
    with torch.no_grad():
        layer.log_scale.fill_(math.log(1000.0))
        layer.attention.fill_(math.log(1000.0))
    out = model(torch.tensor([[1.0, 0.0]]))
    w = layer.experts.weight
    b = layer.experts.bias
    expected = 100.0 * (S1 * (100.0 * w[0, 0] + b[0]) + (1 - S1) *
                        (100.0 * w[1, 0] + b[1]))
    assert torch.allclose(out[0], expected, rtol=1e-5)


def test_rbm_memory_ema_update():
    model = routed_model(momentum=0.9)
    model.train()
    model(X)
    assert torch.equal(model.layers[0].memory, MEMORY)  # Only stashed.
    model(X.flip(0) * 5)  # Ignored: not the first forward since update.
    model.update_memory()

    # Expert 0 got row 0 (gate S1) and row 1 (gate 1 - T), expert 1 got
    # row 0 (1 - S1) and row 1 (T), expert 2 got nothing.
    w0 = math.exp(S1) / (math.exp(S1) + math.exp(1 - T))
    w1 = math.exp(1 - S1) / (math.exp(1 - S1) + math.exp(T))
    mean0 = [w0 * 1.0 + (1 - w0) * 0.6, (1 - w0) * 0.8]
    mean1 = [w1 * 1.0 + (1 - w1) * 0.6, (1 - w1) * 0.8]
    expected = torch.tensor([
        [0.9 * 1.0 + 0.1 * mean0[0], 0.1 * mean0[1]],  # key 0 normalised
        [0.1 * mean1[0], 0.9 * 1.0 + 0.1 * mean1[1]],
        [-1.0, 0.0],  # unchanged
    ])
    memory = model.layers[0].memory.detach().clone()
    assert torch.allclose(memory, expected, atol=1e-6)

    model.update_memory()  # Nothing pending any more.
    assert torch.equal(model.layers[0].memory, memory)


def test_rbm_memory_not_updated_in_eval():
    model = routed_model().eval()
    model(X)
    model.update_memory()
    assert torch.equal(model.layers[0].memory, MEMORY)
    model.train()
    model.update_memory()  # The eval forward stashed nothing.
    assert torch.equal(model.layers[0].memory, MEMORY)


def test_rbm_aux_losses():
    def aux(**weights):
        model = routed_model(**weights)
        return model(X, return_aux_loss=True)[1].detach()

    commitment = -((S1 * 1.0 + (1 - S1) * 0.0) +
                   (T * 0.8 + (1 - T) * 0.6)) / 2
    loss = aux(commitment_weight=1.0, similarity_weight=0.0,
               load_balance_weight=0.0)
    assert loss.dim() == 0
    assert math.isclose(float(loss), commitment, rel_tol=1e-5)

    # Cosines of the keys: [[1, 0, -1], [0, 1, 0], [-1, 0, 1]].
    similarity = 1 / 9
    loss = aux(commitment_weight=0.0, similarity_weight=1.0,
               load_balance_weight=0.0)
    assert math.isclose(float(loss), similarity, rel_tol=1e-5)

    load = [S1 + (1 - T), (1 - S1) + T, 0.0]
    balance = statistics.variance(load) / statistics.mean(load)**2
    loss = aux(commitment_weight=0.0, similarity_weight=0.0,
               load_balance_weight=1.0)
    assert math.isclose(float(loss), balance, rel_tol=1e-5)

    loss = aux(commitment_weight=0.05, similarity_weight=0.01,
               load_balance_weight=0.02)
    expected = 0.05 * commitment + 0.01 * similarity + 0.02 * balance
    assert math.isclose(float(loss), expected, rel_tol=1e-5)


def test_rbm_aux_loss_gradients():
    # Self-similarity is the only path into the memory. Its gradient is
    # mean_j(k_j) = [0, 1] / 3 per key, projected orthogonally to each key
    # and divided by its norm (key 0 has norm 2):
    model = routed_model(commitment_weight=0.0, similarity_weight=1.0,
                         load_balance_weight=0.0)
    model(X, return_aux_loss=True)[1].backward()
    expected = torch.tensor([[0.0, 1 / 18], [0.0, 0.0], [0.0, 1 / 9]])
    assert torch.allclose(model.layers[0].memory.grad, expected, atol=1e-6)

    # Commitment and load balance reach the input but not the memory:
    for weights in (dict(commitment_weight=1.0, load_balance_weight=0.0),
                    dict(commitment_weight=0.0, load_balance_weight=1.0)):
        model = routed_model(similarity_weight=0.0, **weights)
        x = X.clone().requires_grad_()
        model(x, return_aux_loss=True)[1].backward()
        assert x.grad.abs().sum() > 0
        assert model.layers[0].memory.grad is None


def test_rbm_gradient_not_through_gates():
    model = routed_model()
    x = X.clone().requires_grad_()
    model(x).sum().backward()

    layer = model.layers[0]
    w = layer.experts.weight.detach()
    assert layer.memory.grad is None
    assert layer.experts.weight.grad[2].abs().sum() == 0  # never chosen
    assert layer.experts.weight.grad[:2].abs().min() > 0
    assert layer.log_scale.grad is not None
    # With constant gates, d sum(out) / dx = 2 * sum_j w_j * W_j @ 1:
    expected = 2.0 * torch.stack([
        S1 * w[0].sum(1) + (1 - S1) * w[1].sum(1),
        T * w[1].sum(1) + (1 - T) * w[0].sum(1),
    ])
    assert torch.allclose(x.grad, expected, atol=1e-5)


def test_rbm_pretraining_uses_expert_0_only():
    torch.manual_seed(0)
    model = RbM(5, 8, 3, num_layers=2, num_experts=3, k=2)
    assert model.in_pretraining
    x = torch.randn(6, 5)
    out, aux = model(x, return_aux_loss=True)
    assert aux.dim() == 0 and float(aux) == 0.0

    first, second = model.layers[0].experts, model.layers[1].experts
    hidden = 2.0 * (x @ first.weight[0] + first.bias[0])
    expected = 2.0 * (hidden.relu() @ second.weight[0] + second.bias[0])
    assert torch.allclose(out, expected, atol=1e-5)

    with torch.no_grad():
        for experts in (first, second):
            experts.weight[1:] += 1.0
            experts.bias[1:] += 1.0
    assert torch.allclose(model(x), out)
    memory = model.layers[0].memory.detach().clone()
    model.update_memory()
    assert torch.equal(model.layers[0].memory, memory)


@pytest.mark.parametrize('num_experts,k', [(2, 2), (3, 2), (2, 1)])
def test_rbm_init_routing(num_experts, k):
    gen = torch.Generator().manual_seed(0)
    # Two clearly separated directions with random lengths:
    length = torch.rand(40, 1, generator=gen) + 0.5
    direction = torch.zeros(40, 4)
    direction[:20, 0] = 1.0
    direction[20:, 1] = 1.0
    x = length * (direction + 0.01 * torch.randn(40, 4, generator=gen))

    torch.manual_seed(0)
    model = RbM(4, 8, 3, num_layers=2, num_experts=num_experts, k=k,
                input_attention=True, norm='batch_norm')
    with torch.no_grad():
        model.layers[0].attention[0] = torch.rand(4)
    model(x)  # Training mode: moves the batch norm statistics.
    model.eval()
    before = model(x)

    model.train()
    model.init_routing(x)
    assert not model.in_pretraining
    assert model.training

    for layer in model.layers:
        assert torch.allclose(layer.memory.norm(dim=-1),
                              torch.ones(num_experts))
        for e in range(num_experts):
            assert torch.equal(layer.experts.weight[e],
                               layer.experts.weight[0])
            assert torch.equal(layer.experts.bias[e], layer.experts.bias[0])
            assert torch.equal(layer.attention[e], layer.attention[0])
    if num_experts == 2:
        keys = model.layers[0].memory.detach()
        keys = keys[keys[:, 0].argsort(descending=True)]
        assert torch.allclose(keys, torch.eye(4)[:2], atol=0.01)

    model.eval()
    assert torch.allclose(model(x), before, atol=1e-5)

    with pytest.raises(ValueError, match="at least 'num_experts'"):
        model.init_routing(x[:num_experts - 1])


def test_rbm_init_routing_of_many_rows_forwards_the_kmeans_sample():
    # Above MAX_POINTS rows, k-means fits a seeded sample at every layer;
    # init_routing forwards only that sample, with the same keys as
    # clustering every layer's full input.
    from pyg_rbm.nn.kmeans import MAX_POINTS, kmeans
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(MAX_POINTS + 50, 4, generator=gen)
    torch.manual_seed(0)
    model = RbM(4, 4, 3, num_layers=2, num_experts=2, k=1)
    model.eval()
    with torch.no_grad():
        hidden = F.relu(model.layers[0](x, pretraining=True)[0])
    expected = [kmeans(F.normalize(h, dim=-1), 2, seed=5)
                for h in (x, hidden)]
    model.init_routing(x, seed=5)
    for layer, key in zip(model.layers, expected):
        assert torch.allclose(layer.memory, F.normalize(key, dim=-1),
                              atol=1e-6)


@pytest.mark.parametrize('routing', [False, True])
def test_rbm_state_dict_round_trip(routing):
    def make(seed):
        torch.manual_seed(seed)
        return RbM(6, 16, 3, num_layers=3, num_experts=3, k=2,
                   norm='batch_norm', input_attention=True)

    x = torch.randn(30, 6)
    model = make(0)
    if routing:
        model.init_routing(x)
    model(x)
    model.update_memory()
    model.eval()

    other = make(1)
    other.load_state_dict(model.state_dict())
    other.eval()
    assert other.in_pretraining == (not routing)
    assert torch.equal(other.pretraining, model.pretraining)
    assert torch.equal(other(x), model(x))

    # Also when the model sits inside another module:
    wrapper = torch.nn.Sequential(make(2))
    wrapper.load_state_dict(torch.nn.Sequential(model).state_dict())
    assert wrapper[0].in_pretraining == (not routing)


def test_rbm_batch_size_invariance(num_threads):
    torch.manual_seed(0)
    model = RbM(16, 128, 5, num_layers=3, num_experts=8, k=2,
                norm='layer_norm', input_attention=True)
    x = torch.randn(60, 16)
    model.init_routing(x)
    model.eval()
    assert not model.layers[0].experts.use_dense(2)  # sorted path
    assert model.layers[-1].experts.use_dense(2)  # dense path

    with torch.no_grad():
        full = model(x)
        for start, end in ((0, 1), (13, 14), (5, 30), (30, 60)):
            assert torch.allclose(model(x[start:end]), full[start:end],
                                  atol=1e-5)


@pytest.mark.slow
def test_rbm_compile():
    torch.manual_seed(0)
    # Sorted dispatch in the hidden layer, dense in the output layer:
    model = RbM(8, 128, 3, num_layers=2, num_experts=4, k=1)
    x = torch.randn(20, 8)
    model.init_routing(x)
    model.eval()
    assert not model.layers[0].experts.use_dense(1)
    assert model.layers[1].experts.use_dense(1)
    compiled = torch.compile(model)
    with torch.no_grad():
        assert torch.allclose(compiled(x), model(x), atol=1e-5)


def test_rbm_dropout_training():
    torch.manual_seed(0)
    model = RbM(8, 32, 3, num_layers=2, num_experts=4, k=2, dropout=0.5)
    x = torch.randn(20, 8)
    model.init_routing(x)
    a = model(x)
    b = model(x)
    assert not torch.allclose(a, b)
    model.eval()
    assert torch.equal(model(x), model(x))


def test_rbm_attributes_and_repr():
    model = RbM(1433, 16, 7, num_layers=3)
    assert str(model) == 'RbM(1433, 7, num_layers=3, num_experts=4, k=3)'
    assert model.in_channels == 1433 and model.out_channels == 7
    assert len(model.layers) == 3
    assert model.output_layer is model.layers[-1]
    assert model.layers[0].memory.size() == (4, 1433)
    assert model.output_layer.memory.size() == (4, 16)
    log_scale = float(model.layers[0].log_scale.detach())
    assert log_scale == pytest.approx(math.log(2))

    seen = []
    model.output_layer.register_forward_hook(
        lambda mod, inputs, out: seen.append(inputs[0].size()))
    model(torch.rand(3, 1433))
    assert seen == [(3, 16)]

    model.init_routing(torch.rand(8, 1433))
    model.reset_parameters()
    assert model.in_pretraining


def test_rbm_validation():
    with pytest.raises(ValueError, match="'k' \\(5\\) must not exceed"):
        RbM(4, 8, 2, num_experts=4, k=5)
    with pytest.raises(ValueError, match="'k' must be at least 1"):
        RbM(4, 8, 2, k=0)
    with pytest.raises(ValueError, match="'num_layers' must be at least 1"):
        RbM(4, 8, 2, num_layers=0)

    model = RbM(4, 8, 2, num_experts=2, k=1)
    with pytest.raises(ValueError, match="'x' must have shape \\[N, 4\\]"):
        model(torch.randn(3, 5))
    with pytest.raises(ValueError, match="'x' must contain only finite"):
        model(torch.tensor([[0.0, 1.0, float('inf'), 0.0]]))
    model.eval()  # Not checked in evaluation.
    assert model(torch.tensor([[0.0, 1.0, float('nan'), 0.0]])).isnan().all()
    with pytest.raises(ValueError, match="'x' must contain only finite"):
        model.init_routing(torch.full((3, 4), float('nan')))


def test_rbm_mlp_equivalence_with_one_expert():
    # E = k = 1 in routing: the gate is 1, so the layer is 2 * Linear.
    torch.manual_seed(0)
    model = RbM(6, 10, 3, num_layers=2, num_experts=1, k=1)
    x = torch.randn(7, 6)
    model.init_routing(x)
    first, second = model.layers[0].experts, model.layers[1].experts
    hidden = F.relu(2.0 * (x @ first.weight[0] + first.bias[0]))
    expected = 2.0 * (hidden @ second.weight[0] + second.bias[0])
    assert torch.allclose(model(x), expected, atol=1e-5)


def test_rbm_unscaled_pretraining_jumps_by_the_scale_at_the_switch():
    # The authors' pretraining: expert 0 without output scale and input
    # attention, which act only once routed.
    torch.manual_seed(0)
    model = RbM(5, 8, 3, num_layers=2, num_experts=3, k=2,
                input_attention=True, scaled_pretraining=False).eval()
    x = torch.randn(30, 5)
    first, second = model.layers[0].experts, model.layers[1].experts
    hidden = x @ first.weight[0] + first.bias[0]
    expected = hidden.relu() @ second.weight[0] + second.bias[0]
    assert torch.allclose(model(x), expected, atol=1e-5)

    model.init_routing(x)
    # Every expert is expert 0 and the gates sum to one, so each layer
    # gives scale 2 times expert 0 on inputs scaled by the attention 1.1.
    hidden = 2.0 * (1.1 * x @ first.weight[0] + first.bias[0])
    expected = 2.0 * (1.1 * hidden.relu() @ second.weight[0] +
                      second.bias[0])
    assert torch.allclose(model(x), expected, atol=1e-4)


def test_rbm_memory_update_every_forward():
    # memory_update='forward' (the authors' code): each training forward
    # moves the memory at once, with its own statistics.
    model = routed_model(momentum=0.9, memory_update='forward')
    reference = routed_model(momentum=0.9)
    model.train()
    reference.train()
    model(X)
    reference(X)
    reference.update_memory()
    once = model.layers[0].memory.detach().clone()
    assert torch.allclose(once, reference.layers[0].memory)
    model.update_memory()  # Nothing pending: the forward applied it.
    assert torch.equal(model.layers[0].memory, once)

    y = X.flip(0) * 5
    model(y)
    reference(y)
    reference.update_memory()
    assert not torch.equal(model.layers[0].memory, once)
    assert torch.allclose(model.layers[0].memory, reference.layers[0].memory)

    model.eval()
    model(X)
    assert torch.allclose(model.layers[0].memory, reference.layers[0].memory)


def test_rbm_forward_memory_update_keeps_earlier_graphs_valid():
    model = routed_model(memory_update='forward', similarity_weight=0.5)
    model.train()
    first = sum(model(X, return_aux_loss=True))
    second = model(X * 2, return_aux_loss=True)[1]  # Moves the memory.
    (first.sum() + second).backward()
    assert model.layers[0].memory.grad is not None


def test_rbm_memory_update_validation():
    with pytest.raises(ValueError, match="'memory_update' must be one of"):
        RbM(4, 8, 3, memory_update='batch')
