from typing import Callable, Optional

import torch
from torch import Tensor

from pyg_rbm.train.draws import generator_on

__all__ = ['pgd_perturbation']


def pgd_perturbation(
    loss_fn: Callable[[Tensor], Tensor],
    x: Tensor,
    epsilon: float,
    steps: int = 5,
    step_size: Optional[float] = None,
    generator: Optional[torch.Generator] = None,
    random_start: bool = True,
) -> Tensor:
    r"""An adversarial feature perturbation by projected gradient ascent
    (PGD), as in the adversarial feature augmentation of `"Learning MLPs on
    Graphs: A Unified View of Effectiveness, Robustness, and Efficiency"
    <https://arxiv.org/abs/2208.10010>`_ (NOSMOG).

    Starting from :math:`\boldsymbol{\delta}_0` (uniform in the
    :math:`L_\infty` ball of radius :math:`\epsilon` if
    :obj:`random_start=True`, else zero), it takes :obj:`steps` signed
    gradient steps

    .. math::
        \boldsymbol{\delta}_{t+1} = \mathrm{clip}_{[-\epsilon, \epsilon]}
        \left(\boldsymbol{\delta}_t + \eta \cdot \mathrm{sign}\left(
        \nabla_{\boldsymbol{\delta}} \mathcal{L}(\mathbf{x} +
        \boldsymbol{\delta}_t)\right)\right).

    Gradients are taken with :func:`torch.autograd.grad` with respect to
    :math:`\boldsymbol{\delta}` only, so nothing accumulates in the
    :obj:`.grad` of :obj:`x` or of model parameters. :obj:`loss_fn` runs
    :obj:`steps` times: a model in training mode updates whatever state its
    forward pass updates (e.g., batch-norm statistics).

    Args:
        loss_fn (callable): Maps perturbed features to a scalar loss.
        x (torch.Tensor): The features.
        epsilon (float): The radius :math:`\epsilon` of the ball.
        steps (int, optional): The number of ascent steps.
            (default: :obj:`5`)
        step_size (float, optional): The step :math:`\eta`; defaults to
            :math:`\epsilon / 4`. (default: :obj:`None`)
        generator (torch.Generator, optional): The random generator of the
            random start. (default: :obj:`None`)
        random_start (bool, optional): If set to :obj:`False`, starts from
            zero. (default: :obj:`True`)

    Returns:
        torch.Tensor: The detached perturbation :math:`\boldsymbol{\delta}`,
        shaped like :obj:`x`.
    """
    if epsilon < 0:
        raise ValueError(f"'epsilon' must be non-negative in "
                         f"'pgd_perturbation' (got {epsilon})")
    if steps < 0:
        raise ValueError(f"'steps' must be non-negative in "
                         f"'pgd_perturbation' (got {steps})")
    if step_size is None:
        step_size = epsilon / 4
    if step_size < 0:
        raise ValueError(f"'step_size' must be non-negative in "
                         f"'pgd_perturbation' (got {step_size})")

    x = x.detach()
    if random_start:
        delta = torch.rand(x.shape, generator=generator_on(generator,
                                                          x.device),
                           dtype=x.dtype, device=x.device)
        delta = (2 * delta - 1) * epsilon
    else:
        delta = torch.zeros_like(x)

    for _ in range(steps):
        delta.requires_grad_(True)
        loss = loss_fn(x + delta)
        if loss.dim() != 0:
            raise ValueError(f"'loss_fn' must return a scalar in "
                             f"'pgd_perturbation' (got shape "
                             f"{tuple(loss.shape)})")
        grad = None
        if loss.requires_grad:
            grad, = torch.autograd.grad(loss, delta, allow_unused=True)
        delta = delta.detach()
        if grad is not None:
            delta = delta + step_size * grad.sign()
        delta = delta.clamp(-epsilon, epsilon)
    return delta.detach()
