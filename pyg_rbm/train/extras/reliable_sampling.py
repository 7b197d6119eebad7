from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import curve_fit
from torch import Tensor
from torch_geometric.utils import remove_self_loops

__all__ = ['ReliableSampler']


def _entropy(logits: Tensor) -> Tensor:
    log_p = F.log_softmax(logits.float(), dim=-1)
    return -(log_p.exp() * log_p).sum(dim=-1)


def _keep_curve(delta: np.ndarray, rho: float) -> np.ndarray:
    return 1.0 - delta**rho


class ReliableSampler:
    r"""Reliable neighbour sampling for distillation from `"Quantifying the
    Knowledge in GNNs for Reliable Distillation into MLPs"
    <https://arxiv.org/abs/2306.05628>`_ (KRD, Wu et al., 2023).

    Every node :math:`v` gets a knowledge reliability
    :math:`\delta_v \in [0, 1]` (small is reliable): the absolute change of
    the entropy of the teacher's prediction when Gaussian noise of standard
    deviation :obj:`noise_std` is added to all features, divided by its
    maximum over the nodes (all zero if no entropy changes).
    :meth:`sample` keeps each graph edge :math:`(u, v)` (student on
    :math:`u`'s features trained towards the teacher at :math:`v`)
    independently with probability

    .. math::
        p_v = 1 - \delta_v^{\rho}.

    :meth:`update` refits :math:`\rho` from where the student agrees with
    the teacher (equal argmax). The nodes are binned by :math:`\delta` into
    :obj:`num_bins` equal bins on :math:`[0, 1]`; in each non-empty bin
    :math:`b` the agreement rate :math:`a_b` is the share of its nodes on
    which the student agrees. The rates are min-max rescaled to
    :math:`[0, 1]` (the range of :math:`1 - \delta^{\rho}`), and
    :math:`\hat{\rho}` minimises
    :math:`\sum_b (a_b - (1 - c_b^{\rho}))^2` over the bin centres
    :math:`c_b` (:func:`scipy.optimize.curve_fit`, :math:`\hat{\rho}` within
    :obj:`rho_bounds`, started at the current :math:`\rho`). Finally
    :math:`\rho \leftarrow m \rho + (1 - m) \hat{\rho}` with the momentum
    :math:`m`. With fewer than two non-empty bins or equal rates in all of
    them, or when the fit does not converge, :math:`\rho` is left
    unchanged. This follows KRD's reference code, except that bins are
    evaluated at their centres and empty bins are left out of the fit
    instead of counting as rate zero. When to start updating
    (the RbM configurations wait 50 epochs) is up to the caller.

    Pass either :obj:`teacher_fn` and :obj:`x` (the teacher is run without
    gradients on :obj:`x` and on :obj:`x` plus noise drawn with :obj:`seed`;
    the caller puts it in evaluation mode), or the two logits tensors.
    Self-loops are removed from :obj:`edge_index`: a node's distillation
    towards its own teacher output is the caller's to add.

    Args:
        teacher_fn (callable, optional): Maps node features to teacher
            logits, e.g. :obj:`lambda x: teacher(x, edge_index)`.
            (default: :obj:`None`)
        x (torch.Tensor, optional): Node features for :obj:`teacher_fn`.
            (default: :obj:`None`)
        edge_index (torch.Tensor): The graph edges :obj:`[2, E]` to sample.
        teacher_logits (torch.Tensor, optional): Precomputed teacher logits
            :obj:`[N, C]`. (default: :obj:`None`)
        noisy_teacher_logits (torch.Tensor, optional): Precomputed teacher
            logits on noisy features. (default: :obj:`None`)
        noise_std (float, optional): The noise standard deviation.
            (default: :obj:`1.0`)
        num_bins (int, optional): The number of histogram bins.
            (default: :obj:`50`)
        momentum (float, optional): The momentum :math:`m` of :math:`\rho`.
            (default: :obj:`0.99`)
        rho (float, optional): The initial exponent :math:`\rho`.
            (default: :obj:`1.0`)
        rho_bounds (tuple, optional): The range of a fitted
            :math:`\hat{\rho}`. (default: :obj:`(1e-3, 1e3)`)
        seed (int, optional): The seed of the feature noise.
            (default: :obj:`0`)
    """
    def __init__(
        self,
        teacher_fn: Optional[Callable[[Tensor], Tensor]] = None,
        x: Optional[Tensor] = None,
        edge_index: Optional[Tensor] = None,
        *,
        teacher_logits: Optional[Tensor] = None,
        noisy_teacher_logits: Optional[Tensor] = None,
        noise_std: float = 1.0,
        num_bins: int = 50,
        momentum: float = 0.99,
        rho: float = 1.0,
        rho_bounds: Tuple[float, float] = (1e-3, 1e3),
        seed: int = 0,
    ) -> None:
        name = self.__class__.__name__
        use_fn = teacher_fn is not None or x is not None
        use_logits = (teacher_logits is not None
                      or noisy_teacher_logits is not None)
        if use_fn == use_logits:
            raise ValueError(f"Pass either 'teacher_fn' and 'x' or "
                             f"'teacher_logits' and 'noisy_teacher_logits' "
                             f"to '{name}'")
        if use_fn and (teacher_fn is None or x is None):
            raise ValueError(f"'teacher_fn' and 'x' go together in '{name}'")
        if use_logits and (teacher_logits is None
                           or noisy_teacher_logits is None):
            raise ValueError(f"'teacher_logits' and 'noisy_teacher_logits' "
                             f"go together in '{name}'")
        if edge_index is None or edge_index.dim() != 2 or edge_index.size(
                0) != 2:
            raise ValueError(f"'edge_index' of shape [2, E] is required in "
                             f"'{name}'")
        if noise_std <= 0:
            raise ValueError(f"'noise_std' must be positive in '{name}' "
                             f"(got {noise_std})")
        if num_bins < 1:
            raise ValueError(f"'num_bins' must be positive in '{name}' "
                             f"(got {num_bins})")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"'momentum' must lie in [0, 1] in '{name}' "
                             f"(got {momentum})")
        low, high = rho_bounds
        if not 0 < low < high:
            raise ValueError(f"'rho_bounds' must satisfy 0 < low < high in "
                             f"'{name}' (got {rho_bounds})")
        if not low <= rho <= high:
            raise ValueError(f"'rho' must lie in 'rho_bounds' in '{name}' "
                             f"(got {rho})")

        if use_fn:
            # Drawn on the CPU, so that a seed adds the same noise anywhere.
            gen = torch.Generator().manual_seed(seed)
            noise = torch.randn(x.shape, generator=gen, dtype=x.dtype,
                                device='cpu')
            noise = noise.to(x.device) * noise_std
            with torch.no_grad():
                teacher_logits = teacher_fn(x)
                noisy_teacher_logits = teacher_fn(x + noise)
        if (teacher_logits.dim() != 2
                or teacher_logits.shape != noisy_teacher_logits.shape):
            raise ValueError(f"Teacher logits must be [N, C] and of equal "
                             f"shape in '{name}' (got "
                             f"{tuple(teacher_logits.shape)} and "
                             f"{tuple(noisy_teacher_logits.shape)})")
        num_nodes = teacher_logits.size(0)
        if edge_index.numel() > 0 and (int(edge_index.min()) < 0
                                       or int(edge_index.max()) >= num_nodes):
            raise ValueError(f"'edge_index' holds node indices outside "
                             f"[0, {num_nodes}) in '{name}'")

        self.noise_std = noise_std
        self.num_bins = num_bins
        self.momentum = momentum
        self.rho = float(rho)
        self.rho_bounds = (float(low), float(high))
        self.num_updates = 0
        # The sampler's tensors stay on the teacher logits' device; only the
        # two histograms of `update` go to the host, for SciPy's fit.
        device = teacher_logits.device
        self.edge_index = remove_self_loops(edge_index.to(device))[0]
        self.teacher_logits = teacher_logits.detach()

        change = (_entropy(noisy_teacher_logits.detach().to(device)) -
                  _entropy(self.teacher_logits)).abs()
        top = change.max() if change.numel() > 0 else change.new_zeros(())
        self.delta = change / top if top > 0 else torch.zeros_like(change)

    @property
    def num_nodes(self) -> int:
        return self.delta.numel()

    def keep_probability(self) -> Tensor:
        r"""Returns :math:`1 - \delta_v^{\rho}` for every node :obj:`[N]`."""
        return 1.0 - self.delta.pow(self.rho)

    def sample(self, generator: Optional[torch.Generator] = None) -> Tensor:
        r"""Returns the kept edges :obj:`[2, E']`, each edge :math:`(u, v)`
        kept with probability :math:`1 - \delta_v^{\rho}`.

        Args:
            generator (torch.Generator, optional): The random generator.
                (default: :obj:`None`)
        """
        prob = self.keep_probability()[self.edge_index[1]]
        # Drawn on the CPU, so that a seed keeps the same edges anywhere.
        keep = torch.rand(prob.numel(), generator=generator,
                          device='cpu').to(prob.device) < prob
        return self.edge_index[:, keep]

    def update(
        self,
        student_logits: Tensor,
        teacher_logits: Optional[Tensor] = None,
    ) -> float:
        r"""Refits :math:`\rho` from the student's agreement with the
        teacher and returns the new :math:`\rho`.

        Args:
            student_logits (torch.Tensor): Student logits :obj:`[N, C]` on
                the nodes of the sampler.
            teacher_logits (torch.Tensor, optional): Teacher logits; the
                clean logits of the constructor if not given.
                (default: :obj:`None`)
        """
        if teacher_logits is None:
            teacher_logits = self.teacher_logits
        if (student_logits.dim() != 2
                or student_logits.size(0) != self.num_nodes
                or student_logits.shape != teacher_logits.shape):
            raise ValueError(f"'student_logits' must have the shape of the "
                             f"teacher logits {tuple(teacher_logits.shape)} "
                             f"in '{self.__class__.__name__}.update' (got "
                             f"{tuple(student_logits.shape)})")
        device = self.delta.device
        agree = (student_logits.detach().to(device).argmax(
            dim=-1) == teacher_logits.detach().to(device).argmax(dim=-1))
        bins = (self.delta * self.num_bins).long().clamp(max=self.num_bins - 1)
        total = torch.bincount(bins, minlength=self.num_bins)
        hits = torch.bincount(bins[agree], minlength=self.num_bins)
        # The fit runs on the host: the two histograms go there.
        total, hits = total.cpu(), hits.cpu()
        filled = total > 0
        rate = hits[filled].double() / total[filled].double()
        centre = (filled.nonzero().view(-1).double() + 0.5) / self.num_bins
        if rate.numel() < 2 or rate.max() == rate.min():
            return self.rho
        rate = (rate - rate.min()) / (rate.max() - rate.min())

        low, high = self.rho_bounds
        p0 = min(max(self.rho, low), high)
        try:
            (fit, ), _ = curve_fit(_keep_curve, centre.numpy(),
                                   rate.numpy(), p0=[p0], bounds=(low, high))
        except RuntimeError:  # No convergence within scipy's budget.
            return self.rho
        self.rho = self.momentum * self.rho + (1 - self.momentum) * float(fit)
        self.num_updates += 1
        return self.rho

    def state_dict(self) -> Dict[str, Any]:
        return {'rho': self.rho, 'num_updates': self.num_updates}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        self.rho = float(state['rho'])
        self.num_updates = int(state['num_updates'])

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_nodes={self.num_nodes}, '
                f'num_edges={self.edge_index.size(1)}, rho={self.rho:.4g})')
