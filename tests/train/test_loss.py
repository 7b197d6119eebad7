import math

import pytest
import torch

from pyg_rbm.train.loss import distillation_objective, kd_loss


def test_hinton_kd_hand_computed():
    student = torch.tensor([[0.0, 0.0]])
    teacher = torch.tensor([[math.log(3.0), 0.0]])
    # softmax(teacher) = (3/4, 1/4), softmax(student) = (1/2, 1/2)
    expected = 0.75 * math.log(0.75 / 0.5) + 0.25 * math.log(0.25 / 0.5)
    assert kd_loss(student, teacher).item() == pytest.approx(expected)

    # tau = 2: softmax(teacher / 2) = (sqrt 3, 1) / (sqrt 3 + 1)
    p = math.sqrt(3) / (math.sqrt(3) + 1)
    expected = p * math.log(p / 0.5) + (1 - p) * math.log((1 - p) / 0.5)
    assert kd_loss(student, teacher, tau=2.0).item() == pytest.approx(
        expected, rel=1e-6)
    assert kd_loss(student, teacher, tau=2.0,
                   tau_squared=True).item() == pytest.approx(
                       4 * expected, rel=1e-6)


def test_hinton_kd_is_zero_for_equal_logits_and_averages_rows():
    logits = torch.randn(5, 4)
    assert kd_loss(logits, logits).item() == pytest.approx(0.0, abs=1e-7)
    student = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    teacher = torch.tensor([[math.log(3.0), 0.0], [0.0, 0.0]])
    one = kd_loss(student[:1], teacher[:1]).item()
    assert kd_loss(student, teacher).item() == pytest.approx(one / 2)


def test_reference_variant_hand_computed():
    student = torch.tensor([[0.0, 0.0]])
    teacher = torch.tensor([[math.log(3.0), 0.0]])
    tau = 2.0
    p = [math.log(0.5) / tau, math.log(0.5) / tau]
    q = [math.log(0.75) / tau, math.log(0.25) / tau]
    expected = sum(math.exp(qc) * (qc - pc) for pc, qc in zip(p, q))
    out = kd_loss(student, teacher, tau=tau, variant='reference')
    assert out.item() == pytest.approx(expected, rel=1e-4)
    # At tau = 1 both variants coincide.
    assert kd_loss(student, teacher, variant='reference').item() == (
        pytest.approx(kd_loss(student, teacher).item()))


def test_kd_gradient_reaches_student_only():
    student = torch.randn(3, 4, requires_grad=True)
    teacher = torch.randn(3, 4, requires_grad=True)
    kd_loss(student, teacher, tau=1.5).backward()
    assert student.grad is not None and student.grad.abs().sum() > 0
    assert teacher.grad is None


def test_distillation_objective_combines_terms():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    teacher = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    y = torch.tensor([0, 0])
    labeled = torch.tensor([True, False])
    ce = -math.log(math.exp(2) / (math.exp(2) + 1))
    kd = kd_loss(logits, teacher).item()
    out = distillation_objective(logits, teacher, y, labeled, lam=0.3)
    assert out.item() == pytest.approx(0.3 * ce + 0.7 * kd, rel=1e-6)
    # No labelled row: the KD term alone (times 1 - lambda).
    out = distillation_objective(logits, teacher, y, ~labeled & False,
                                 lam=0.3)
    assert out.item() == pytest.approx(0.7 * kd, rel=1e-6)


@pytest.mark.parametrize('kwargs, match', [
    (dict(variant='soft'), 'variant'),
    (dict(tau=0.0), 'tau'),
])
def test_kd_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        kd_loss(torch.zeros(2, 3), torch.zeros(2, 3), **kwargs)
    with pytest.raises(ValueError, match='shape'):
        kd_loss(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match='lam'):
        distillation_objective(torch.zeros(2, 3), torch.zeros(2, 3), lam=2.0)
