import copy

import pytest
import torch

from pyg_rbm.nn import RbM
from pyg_rbm.nn.expert_bank import ExpertBank
from pyg_rbm.nn.expert_linear import ExpertLinear
from pyg_rbm.nn.rbm import RbMLayer

from .test_expert_linear import naive, random_routing


@pytest.mark.parametrize('num_experts,k', [(4, 3), (8, 2), (3, 3)])
@pytest.mark.parametrize('bias', [True, False])
@pytest.mark.parametrize('scaled', [True, False])
@pytest.mark.parametrize('training', [True, False])
def test_expert_bank_matches_naive(num_experts, k, bias, scaled, training):
    torch.manual_seed(12345)
    # dropout=0.0 in training takes every expert on every row; with a
    # dropout of zero probability the per-expert path draws masks of ones.
    bank = ExpertBank(num_experts, 6, 5, bias=bias).train(training)
    x = torch.randn(30, 6, requires_grad=True)
    index, gate = random_routing(30, num_experts, k)
    scale = torch.rand(num_experts, 6) + 0.5 if scaled else None

    expected = naive(bank, x, index, gate, scale)
    out = bank(x, index, gate, scale)
    assert out.size() == (30, 5)
    assert torch.allclose(out, expected, atol=1e-5)
    per_expert = bank._per_expert(x, index, gate,
                                  bank.weight if scale is None else
                                  scale.unsqueeze(-1) * bank.weight)
    assert torch.allclose(bank._add_bias(per_expert, index, gate), expected,
                          atol=1e-5)

    grads = torch.autograd.grad(out.square().sum(), [x, bank.weight])
    expected_grads = torch.autograd.grad(expected.square().sum(),
                                         [x, bank.weight])
    for a, b in zip(grads, expected_grads):
        assert torch.allclose(a, b, atol=1e-4)


def test_expert_bank_equals_expert_linear():
    torch.manual_seed(0)
    bank = ExpertBank(4, 12, 40)
    lin = ExpertLinear(4, 12, 40)
    lin.load_state_dict(bank.state_dict())
    x = torch.randn(50, 12)
    index, gate = random_routing(50, 4, 2)
    assert torch.allclose(bank(x, index, gate), lin(x, index, gate),
                          atol=1e-5)
    assert str(bank) == 'ExpertBank(12, 40, num_experts=4)'


def test_expert_bank_dropout_per_slot():
    # Identity experts: the same expert twice with opposite gates cancels
    # unless the two slots draw different masks.
    torch.manual_seed(0)
    bank = ExpertBank(2, 200, 200, dropout=0.5, bias=False)
    with torch.no_grad():
        bank.weight.copy_(torch.eye(200).expand(2, -1, -1))
    x = torch.ones(3, 200)
    index = torch.tensor([[0, 0], [1, 1], [0, 0]])
    gate = torch.tensor([[1.0, -1.0], [1.0, -1.0], [1.0, 0.0]])
    out = bank(x, index, gate).detach()
    assert (out[:2].abs() > 0).any(dim=1).all()
    assert set(out[2].tolist()) == {0.0, 2.0}  # kept entries scaled by 2
    bank.eval()
    assert torch.equal(bank(x, index, gate)[2], x[2])


def test_expert_bank_validation():
    with pytest.raises(ValueError, match="'num_experts' must be at least"):
        ExpertBank(0, 4, 4)
    with pytest.raises(ValueError, match="'dropout' must be in"):
        ExpertBank(2, 4, 4, dropout=1.0)
    bank = ExpertBank(2, 4, 3)
    x = torch.randn(5, 4)
    index, gate = random_routing(5, 2, 1)
    with pytest.raises(ValueError, match="'index' must lie in"):
        bank(x, index + 2, gate)
    with pytest.raises(ValueError, match="'x' must have shape"):
        bank(x[:, :3], index, gate)
    with pytest.raises(ValueError, match="'src' must be in"):
        bank.copy_expert(2)


def test_rbm_experts_are_a_backend(monkeypatch):
    # The package gives RbM the CPU-tuned experts; the plain ones (the
    # contrib patch's) hold the same parameters and give the same outputs.
    torch.manual_seed(0)
    tuned = RbM(8, 64, 3, num_layers=2, num_experts=4, k=2)
    assert type(tuned.layers[0].experts) is ExpertLinear
    monkeypatch.setattr(RbMLayer, 'expert_bank', ExpertBank)
    plain = RbM(8, 64, 3, num_layers=2, num_experts=4, k=2)
    assert type(plain.layers[0].experts) is ExpertBank
    plain.load_state_dict(tuned.state_dict())
    x = torch.randn(40, 8)
    for model in (tuned, plain):
        model.init_routing(x)
    assert torch.equal(plain.layers[1].memory, tuned.layers[1].memory)
    plain_out, plain_aux = plain.train()(x, return_aux_loss=True)
    tuned_out, tuned_aux = copy.deepcopy(tuned).train()(
        x, return_aux_loss=True)
    assert torch.allclose(plain_out, tuned_out, atol=1e-5)
    assert torch.allclose(plain_aux, tuned_aux, atol=1e-6)
    assert torch.allclose(plain.eval()(x), tuned.eval()(x), atol=1e-5)
