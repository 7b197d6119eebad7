"""GraphGym loss ``distill``: the hard-label part of the distillation loss."""
from typing import Optional, Tuple

import torch.nn.functional as F
from torch import Tensor
from torch_geometric.graphgym.config import cfg

from pyg_rbm.graphgym.register import registered


@registered('loss', 'distill')
def distill_loss(pred: Tensor,
                 true: Tensor) -> Optional[Tuple[Tensor, Tensor]]:
    r"""The part of the student objective that GraphGym's loss API can
    see, active when :obj:`cfg.model.loss_fun` is :obj:`"distill"`.

    GraphGym hands a registered loss only :obj:`(pred, true)`, so this is
    the hard-label cross entropy :math:`\mathrm{CE}(f(\mathbf{x}), y)`,
    used to log a loss per split. The full objective,
    :math:`\lambda \, \mathrm{CE} + (1 - \lambda) \, \mathrm{KD}_\tau` plus
    the student's auxiliary losses and the KD extras, needs the teacher's
    outputs and is computed by the training core
    (:class:`pyg_rbm.train.StudentTrainer`), never here.

    Returns :obj:`None` for any other :obj:`cfg.model.loss_fun`, so that
    GraphGym's :func:`~torch_geometric.graphgym.loss.compute_loss` falls
    back to its own losses; otherwise :obj:`(loss, pred_score)` with the
    class probabilities as the score.

    Args:
        pred (torch.Tensor): Logits of shape :obj:`[N, C]`.
        true (torch.Tensor): Labels of shape :obj:`[N]`.
    """
    if cfg.model.loss_fun != 'distill':
        return None
    loss = F.cross_entropy(pred, true, reduction=cfg.model.size_average)
    return loss, pred.softmax(dim=-1)
