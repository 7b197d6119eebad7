"""Losses of the distillation objective."""
from typing import Optional

import torch.nn.functional as F
from torch import Tensor

from pyg_rbm.config import KD_VARIANTS


def kd_loss(
    student_logits: Tensor,
    teacher_logits: Tensor,
    tau: float = 1.0,
    variant: str = 'hinton',
    tau_squared: bool = False,
) -> Tensor:
    r"""The knowledge-distillation term between student and teacher logits.

    :obj:`variant='hinton'` (default) is the standard objective of
    `"Distilling the Knowledge in a Neural Network"
    <https://arxiv.org/abs/1503.02531>`_:

    .. math::
        \mathrm{KL}\left(\mathrm{softmax}(\mathbf{t}/\tau) \,\|\,
        \mathrm{softmax}(\mathbf{z}/\tau)\right),

    averaged over rows and optionally multiplied by :math:`\tau^2`.

    :obj:`variant='reference'` reproduces the objective of the RbM authors'
    code, which divides already normalised log-probabilities by
    :math:`\tau`: with :math:`p = \log\mathrm{softmax}(\mathbf{z}) / \tau`
    and :math:`q = \log\mathrm{softmax}(\mathbf{t}) / \tau` it computes
    :math:`\sum_c e^{q_c} (q_c - p_c)` averaged over rows. For
    :math:`\tau \ne 1` this is not a KL divergence between distributions,
    but the shipped :math:`\tau` values were tuned for it, and the
    pipeline uses it by default (:class:`pyg_rbm.config.TrainConfig`).

    Args:
        student_logits (torch.Tensor): Student logits :obj:`[N, C]`.
        teacher_logits (torch.Tensor): Teacher logits :obj:`[N, C]`.
        tau (float, optional): The temperature. (default: :obj:`1.0`)
        variant (str, optional): :obj:`"hinton"` or :obj:`"reference"`.
            (default: :obj:`"hinton"`)
        tau_squared (bool, optional): If set to :obj:`True`, multiplies the
            Hinton term by :math:`\tau^2`. (default: :obj:`False`)
    """
    if variant not in KD_VARIANTS:
        raise ValueError(f"'variant' must be one of {KD_VARIANTS} in "
                         f"'kd_loss' (got '{variant}')")
    if tau <= 0:
        raise ValueError(f"'tau' must be positive in 'kd_loss' (got {tau})")
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(f"'student_logits' {tuple(student_logits.shape)} "
                         f"and 'teacher_logits' "
                         f"{tuple(teacher_logits.shape)} differ in shape "
                         f"in 'kd_loss'")
    if student_logits.numel() == 0:
        return student_logits.sum() * 0.0
    teacher_logits = teacher_logits.detach()
    if variant == 'hinton':
        log_p = F.log_softmax(student_logits / tau, dim=-1)
        log_q = F.log_softmax(teacher_logits / tau, dim=-1)
        loss = F.kl_div(log_p, log_q, reduction='batchmean', log_target=True)
        return loss * tau**2 if tau_squared else loss
    log_p = F.log_softmax(student_logits, dim=-1) / tau
    log_q = F.log_softmax(teacher_logits, dim=-1) / tau
    return F.kl_div(log_p, log_q, reduction='batchmean', log_target=True)


def distillation_objective(
    logits: Tensor,
    teacher_logits: Tensor,
    y: Optional[Tensor] = None,
    labeled: Optional[Tensor] = None,
    lam: float = 0.0,
    tau: float = 1.0,
    variant: str = 'hinton',
    tau_squared: bool = False,
) -> Tensor:
    r"""The student objective of one batch, without auxiliary losses.

    .. math::
        \lambda \cdot \mathrm{CE}(\mathbf{z}_L, \mathbf{y}_L) +
        (1 - \lambda) \cdot \mathrm{KD}(\mathbf{z}, \mathbf{t}, \tau)

    where :math:`L` are the rows of the batch with a training label. A
    batch without labelled rows contributes only the KD term (times
    :math:`1 - \lambda`).

    Args:
        logits (torch.Tensor): Student logits of the batch :obj:`[B, C]`.
        teacher_logits (torch.Tensor): Teacher logits :obj:`[B, C]`.
        y (torch.Tensor, optional): Labels of the batch :obj:`[B]`.
            (default: :obj:`None`)
        labeled (torch.Tensor, optional): Boolean mask :obj:`[B]` of the rows
            whose label may be used. (default: :obj:`None`)
        lam (float, optional): The weight :math:`\lambda` of the label term.
            (default: :obj:`0.0`)
        tau (float, optional): The KD temperature. (default: :obj:`1.0`)
        variant (str, optional): The KD variant, see :func:`kd_loss`.
            (default: :obj:`"hinton"`)
        tau_squared (bool, optional): See :func:`kd_loss`.
            (default: :obj:`False`)
    """
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"'lam' must lie in [0, 1] in "
                         f"'distillation_objective' (got {lam})")
    loss = (1.0 - lam) * kd_loss(logits, teacher_logits, tau, variant,
                                 tau_squared)
    if lam > 0 and y is not None and labeled is not None and labeled.any():
        loss = loss + lam * F.cross_entropy(logits[labeled], y[labeled])
    return loss


def accuracy(logits: Tensor, y: Tensor) -> float:
    """The share of rows whose arg-max matches :obj:`y` (0 for no rows)."""
    if y.numel() == 0:
        return 0.0
    return float((logits.argmax(dim=-1) == y).float().mean())


__all__ = ['KD_VARIANTS', 'kd_loss', 'distillation_objective', 'accuracy']
