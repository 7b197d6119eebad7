from typing import Callable, Optional

import torch.nn.functional as F
from torch import Tensor

__all__ = ['representation_similarity_loss']


def representation_similarity_loss(
    student_h: Tensor,
    teacher_h: Tensor,
    projector: Optional[Callable[[Tensor], Tensor]] = None,
    normalize: bool = True,
) -> Tensor:
    r"""The representation similarity distillation loss of `"Learning MLPs
    on Graphs: A Unified View of Effectiveness, Robustness, and Efficiency"
    <https://arxiv.org/abs/2208.10010>`_ (NOSMOG).

    For the :math:`B` rows of a batch, with student representations
    :math:`\mathbf{H}_S` (passed through :obj:`projector` first, if given)
    and teacher representations :math:`\mathbf{H}_T` (detached), it returns

    .. math::
        \frac{1}{B^2} \left\| \hat{\mathbf{H}}_S \hat{\mathbf{H}}_S^{\top}
        - \hat{\mathbf{H}}_T \hat{\mathbf{H}}_T^{\top} \right\|_F^2,

    where :math:`\hat{\mathbf{H}}` is :math:`\mathbf{H}` with L2-normalised
    rows (cosine similarities) if :obj:`normalize=True`, and
    :math:`\mathbf{H}` itself otherwise (raw dot products, as in NOSMOG and
    the RbM authors' code). The two representations may differ in width.
    NOSMOG projects the student side with a learnable
    :math:`\sigma(\mathbf{W} \mathbf{H}_S)`: pass such a module as
    :obj:`projector` (its parameters belong to the caller's optimiser), or
    project before calling.

    Args:
        student_h (torch.Tensor): Student representations :obj:`[B, D_S]`.
        teacher_h (torch.Tensor): Teacher representations :obj:`[B, D_T]`.
        projector (callable, optional): Applied to :obj:`student_h` first.
            (default: :obj:`None`)
        normalize (bool, optional): If set to :obj:`True`, compares cosine
            similarity matrices. (default: :obj:`True`)
    """
    if student_h.dim() != 2 or teacher_h.dim() != 2:
        raise ValueError(f"'student_h' and 'teacher_h' must be 2-dimensional "
                         f"in 'representation_similarity_loss' (got "
                         f"{student_h.dim()} and {teacher_h.dim()})")
    if student_h.size(0) != teacher_h.size(0):
        raise ValueError(f"'student_h' ({student_h.size(0)} rows) and "
                         f"'teacher_h' ({teacher_h.size(0)} rows) differ in "
                         f"'representation_similarity_loss'")
    if projector is not None:
        student_h = projector(student_h)
    teacher_h = teacher_h.detach()
    if normalize:
        student_h = F.normalize(student_h, dim=-1)
        teacher_h = F.normalize(teacher_h, dim=-1)
    student_sim = student_h @ student_h.t()
    teacher_sim = teacher_h @ teacher_h.t()
    return F.mse_loss(student_sim, teacher_sim)
