"""The student's distillation objective, as one typed value."""
from dataclasses import dataclass

from torch import Tensor

from pyg_rbm.train.loss import KD_VARIANTS, distillation_objective, kd_loss

__all__ = ['DistillationObjective']


@dataclass(frozen=True)
class DistillationObjective:
    r"""The objective a :class:`~pyg_rbm.train.StudentTrainer` minimises
    on distillation pairs :math:`(u, v)`:

    .. math::
        \lambda \, \mathrm{CE}(f(\mathbf{x}_u), y_u)_{u = v,\, u \in
        \mathrm{train}} + (1 - \lambda) \, \mathrm{KD}_\tau(f(\mathbf{x}_u),
        \mathbf{t}_v)

    (see :func:`~pyg_rbm.train.distillation_objective`).

    Args:
        lam (float, optional): Weight :math:`\lambda \in [0, 1]` of the
            label term; :obj:`1.0` trains on labels only.
            (default: :obj:`0.0`)
        tau (float, optional): KD temperature, positive.
            (default: :obj:`1.0`)
        kd_variant (str, optional): :obj:`"hinton"` or
            :obj:`"reference"`, see :func:`~pyg_rbm.train.kd_loss`.
            (default: :obj:`"hinton"`)
        tau_squared (bool, optional): Scale the Hinton term by
            :math:`\tau^2`. (default: :obj:`False`)
        teacher_attr (str, optional): Prefix of the teacher attributes that
            :class:`~pyg_rbm.transforms.KnowledgeDistillation` wrote
            (:obj:`<prefix>_logits`, :obj:`<prefix>_hidden`).
            (default: :obj:`"teacher"`)
    """
    lam: float = 0.0
    tau: float = 1.0
    kd_variant: str = 'hinton'
    tau_squared: bool = False
    teacher_attr: str = 'teacher'

    def __post_init__(self):
        name = self.__class__.__name__
        if self.kd_variant not in KD_VARIANTS:
            raise ValueError(f"'kd_variant' must be one of {KD_VARIANTS} in "
                             f"'{name}' (got '{self.kd_variant}')")
        if not 0.0 <= self.lam <= 1.0:
            raise ValueError(f"'lam' must lie in [0, 1] in '{name}' "
                             f"(got {self.lam})")
        if not self.tau > 0:
            raise ValueError(f"'tau' must be positive in '{name}' "
                             f"(got {self.tau})")

    @property
    def logits_key(self) -> str:
        return f'{self.teacher_attr}_logits'

    @property
    def hidden_key(self) -> str:
        return f'{self.teacher_attr}_hidden'

    def __call__(self, logits: Tensor, teacher_logits: Tensor, y: Tensor,
                 labeled: Tensor) -> Tensor:
        r"""The objective of pairs whose student logits are :obj:`logits`
        and teacher logits :obj:`teacher_logits`; :obj:`labeled` marks the
        pairs :math:`(v, v)` of training nodes, whose labels :obj:`y`
        enter the label term.
        """
        return distillation_objective(logits, teacher_logits, y, labeled,
                                      self.lam, self.tau, self.kd_variant,
                                      self.tau_squared)

    def kd(self, logits: Tensor, teacher_logits: Tensor) -> Tensor:
        r"""The KD term alone, unweighted."""
        return kd_loss(logits, teacher_logits, self.tau, self.kd_variant,
                       self.tau_squared)
