import math

import pytest
import torch

from pyg_rbm.train.extras import representation_similarity_loss


def test_zero_up_to_row_scale():
    gen = torch.Generator().manual_seed(0)
    teacher = torch.randn(6, 4, generator=gen)
    scale = torch.rand(6, 1, generator=gen) + 0.5
    loss = representation_similarity_loss(teacher * scale, teacher)
    assert loss.item() < 1e-12
    # Rotations keep cosine similarities as well.
    q, _ = torch.linalg.qr(torch.randn(4, 4, generator=gen))
    assert representation_similarity_loss(teacher @ q, teacher) < 1e-10
    # Raw dot products are not scale invariant.
    assert representation_similarity_loss(teacher * scale, teacher,
                                          normalize=False) > 1e-3


def test_two_by_two_by_hand():
    student = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    teacher = torch.tensor([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    # Cosine matrices [[1, 1/sqrt(2)], [1/sqrt(2), 1]] and the identity.
    loss = representation_similarity_loss(student, teacher)
    assert math.isclose(loss.item(), 2 * 0.5 / 4, rel_tol=1e-6)
    # Dot products [[1, 1], [1, 2]] against [[1, 0], [0, 4]].
    loss = representation_similarity_loss(student, teacher, normalize=False)
    assert math.isclose(loss.item(), (0 + 1 + 1 + 4) / 4, rel_tol=1e-6)


def test_gradient_to_student_only():
    gen = torch.Generator().manual_seed(1)
    student = torch.randn(5, 3, generator=gen, requires_grad=True)
    teacher = torch.randn(5, 7, generator=gen, requires_grad=True)
    representation_similarity_loss(student, teacher).backward()
    assert teacher.grad is None
    assert student.grad is not None and student.grad.abs().sum() > 0


def test_projector():
    torch.manual_seed(0)
    projector = torch.nn.Sequential(torch.nn.Linear(3, 7), torch.nn.ReLU())
    student = torch.randn(5, 3)
    teacher = torch.randn(5, 7)
    loss = representation_similarity_loss(student, teacher, projector)
    assert torch.allclose(
        loss, representation_similarity_loss(projector(student), teacher))
    loss.backward()
    assert projector[0].weight.grad.abs().sum() > 0


def test_errors():
    with pytest.raises(ValueError, match="differ in 'representation_sim"):
        representation_similarity_loss(torch.zeros(3, 2), torch.zeros(4, 2))
    with pytest.raises(ValueError, match="must be 2-dimensional"):
        representation_similarity_loss(torch.zeros(3), torch.zeros(3, 2))
