import pytest
import torch
import torch.nn.functional as F

from pyg_rbm.train.extras import pgd_perturbation


def linear_case():
    torch.manual_seed(0)
    model = torch.nn.Linear(5, 3)
    x = torch.randn(16, 5, requires_grad=True)
    y = torch.randint(3, (16, ))

    def loss_fn(inputs):
        return F.cross_entropy(model(inputs), y)

    return model, x, loss_fn


def test_ball_and_ascent():
    model, x, loss_fn = linear_case()
    gen = torch.Generator().manual_seed(0)
    delta = pgd_perturbation(loss_fn, x, epsilon=0.1, steps=5, generator=gen)
    assert delta.shape == x.shape
    assert not delta.requires_grad
    assert delta.abs().max() <= 0.1 + 1e-7
    with torch.no_grad():
        assert loss_fn(x + delta) > loss_fn(x)
        random = (torch.rand(x.shape, generator=gen) * 2 - 1) * 0.1
        assert loss_fn(x + delta) > loss_fn(x + random)


def test_no_gradients_left_behind():
    model, x, loss_fn = linear_case()
    pgd_perturbation(loss_fn, x, epsilon=0.05)
    assert x.grad is None
    assert all(p.grad is None for p in model.parameters())


def test_linear_loss_by_hand():
    # loss = <w, x + delta>: every step moves delta by step_size * sign(w).
    w = torch.tensor([[1.0, -2.0, 0.5]])
    x = torch.zeros(2, 3)

    def loss_fn(inputs):
        return (inputs * w).sum()

    one = pgd_perturbation(loss_fn, x, 0.1, steps=1, random_start=False)
    assert torch.allclose(one, 0.025 * w.sign().expand(2, 3))
    full = pgd_perturbation(loss_fn, x, 0.1, steps=3, step_size=0.04,
                            random_start=False)
    assert torch.allclose(full, 0.1 * w.sign().expand(2, 3))
    assert torch.equal(
        pgd_perturbation(loss_fn, x, 0.1, steps=0, random_start=False),
        torch.zeros(2, 3))
    assert torch.equal(pgd_perturbation(loss_fn, x, 0.0), torch.zeros(2, 3))


def test_deterministic_per_generator():
    _, x, loss_fn = linear_case()
    a = pgd_perturbation(loss_fn, x, 0.1, steps=1,
                         generator=torch.Generator().manual_seed(4))
    b = pgd_perturbation(loss_fn, x, 0.1, steps=1,
                         generator=torch.Generator().manual_seed(4))
    c = pgd_perturbation(loss_fn, x, 0.1, steps=1,
                         generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_errors():
    _, x, loss_fn = linear_case()
    with pytest.raises(ValueError, match="'epsilon'.*'pgd_perturbation'"):
        pgd_perturbation(loss_fn, x, -0.1)
    with pytest.raises(ValueError, match="'steps'.*'pgd_perturbation'"):
        pgd_perturbation(loss_fn, x, 0.1, steps=-1)
    with pytest.raises(ValueError, match="must return a scalar"):
        pgd_perturbation(lambda inputs: inputs.sum(dim=-1), x, 0.1)
