import pytest
import torch

from torch_geometric.contrib.nn.models import RbM
from torch_geometric.testing import onlyLinux, withPackage


def test_rbm():
    model = RbM(16, 32, 4, num_layers=3, num_experts=4, k=2)
    assert str(model) == 'RbM(16, 4, num_layers=3, num_experts=4, k=2)'
    assert model.in_pretraining

    x = torch.randn(10, 16)
    out, aux_loss = model(x, return_aux_loss=True)
    assert out.size() == (10, 4)
    assert float(aux_loss) == 0.0  # No routing in pretraining.
    assert model(x[:0]).size() == (0, 4)


@withPackage('sklearn')
def test_rbm_routing():
    torch.manual_seed(12345)
    model = RbM(16, 32, 4, num_layers=2, num_experts=4, k=2).eval()
    x = torch.randn(50, 16)
    expected = model(x)

    model.init_routing(x)
    assert not model.in_pretraining
    # Every expert starts as a copy of expert 0, so routing leaves the
    # output of pretraining unchanged:
    assert torch.allclose(model(x), expected, atol=1e-5)
    assert torch.allclose(model.layers[0].memory.norm(dim=-1), torch.ones(4))

    memory = model.layers[0].memory.clone()
    model(x)
    model.update_memory()  # Evaluation never moves the memory.
    assert torch.equal(model.layers[0].memory, memory)

    model.train()
    out, aux_loss = model(x, return_aux_loss=True)
    assert out.size() == (50, 4)
    assert float(aux_loss) != 0.0
    aux_loss.backward()
    assert model.layers[0].memory.grad is not None
    model.update_memory()
    assert not torch.equal(model.layers[0].memory, memory)


@withPackage('sklearn')
def test_rbm_state_dict_keeps_the_phase():
    model = RbM(8, 16, 3, num_experts=2, k=1)
    model.init_routing(torch.randn(20, 8))
    other = RbM(8, 16, 3, num_experts=2, k=1)
    assert other.in_pretraining
    other.load_state_dict(model.state_dict())
    assert not other.in_pretraining
    x = torch.randn(5, 8)
    assert torch.equal(other.eval()(x), model.eval()(x))
    other.reset_parameters()
    assert other.in_pretraining


def test_rbm_with_one_expert_is_an_mlp():
    model = RbM(8, 16, 3, num_layers=2, num_experts=1, k=1,
                similarity_weight=0.0, load_balance_weight=0.0).eval()
    x = torch.randn(6, 8)
    hidden = model.layers[0].experts.weight[0]
    out = (x @ hidden + model.layers[0].experts.bias[0]) * 2.0  # Scale 2.
    out = out.relu() @ model.layers[1].experts.weight[0]
    out = (out + model.layers[1].experts.bias[0]) * 2.0
    assert torch.allclose(model(x), out, atol=1e-5)


def test_rbm_validation():
    with pytest.raises(ValueError, match="'k' \\(3\\) must not exceed"):
        RbM(8, 16, 3, num_experts=2, k=3)
    with pytest.raises(ValueError, match="'memory_update' must be one of"):
        RbM(8, 16, 3, memory_update='epoch')
    with pytest.raises(ValueError, match="'dropout' must be in"):
        RbM(8, 16, 3, dropout=1.0)
    model = RbM(8, 16, 3)
    with pytest.raises(ValueError, match="'x' must have shape"):
        model(torch.randn(4, 7))
    with pytest.raises(ValueError, match="at least 'num_experts'"):
        model.init_routing(torch.randn(2, 8))


@onlyLinux
@withPackage('torch>=2.1.0', 'sklearn')
def test_rbm_compile():
    torch.manual_seed(12345)
    model = RbM(8, 32, 3, num_layers=2, num_experts=4, k=2)
    model.init_routing(torch.randn(40, 8))
    model.eval()
    compiled = torch.compile(model, fullgraph=True, dynamic=True)
    for num_nodes in (1, 3, 100):
        x = torch.randn(num_nodes, 8)
        assert torch.allclose(compiled(x), model(x), atol=1e-6)
