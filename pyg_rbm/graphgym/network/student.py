"""The GraphGym network around a graph-free pyg_rbm student."""
from typing import Optional, Tuple

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.graphgym.config import cfg

from pyg_rbm.graphgym.translate import distill_config_from_cfg


class StudentNetwork(torch.nn.Module):
    r"""A GraphGym network that wraps one of :mod:`pyg_rbm`'s graph-free
    students (built by :func:`pyg_rbm.nn.build_student` with the
    hyperparameters of :func:`~pyg_rbm.graphgym.distill_config_from_cfg`,
    exactly as :func:`pyg_rbm.train.pipeline.run_seed` builds it).

    Like GraphGym's own networks, :meth:`forward` takes a batch whose
    :obj:`split` attribute names a node mask (:obj:`"train"`, :obj:`"val"`,
    :obj:`"test"` or :obj:`"inductive"`) and returns the student's logits
    on those rows of :obj:`batch.x` together with their labels. The student
    itself, :obj:`self.model`, is what the training core optimises.

    Subclasses fix the student through the class attribute
    :obj:`student`.

    Args:
        dim_in (int, optional): Input features; :obj:`cfg.share.dim_in`
            when :obj:`None`. (default: :obj:`None`)
        dim_out (int, optional): Classes; :obj:`cfg.share.dim_out` when
            :obj:`None`. (default: :obj:`None`)
    """
    student: str = ''

    def __init__(self, dim_in: Optional[int] = None,
                 dim_out: Optional[int] = None):
        super().__init__()
        from pyg_rbm.nn import build_student
        from pyg_rbm.train.pipeline import student_kwargs

        name = self.__class__.__name__
        if not self.student:
            raise ValueError(f"'{name}' does not name a student; use one of "
                             f"the registered networks 'rbm', 'moe', 'mlp'")
        self.dim_in = cfg.share.dim_in if dim_in is None else dim_in
        self.dim_out = cfg.share.dim_out if dim_out is None else dim_out
        config = distill_config_from_cfg(cfg)
        config.student.name = self.student
        self.batch_size = config.train.batch_size or None
        self.model = build_student(self.student, self.dim_in, self.dim_out,
                                   **student_kwargs(config))

    def reset_parameters(self) -> None:
        r"""Resets all learnable parameters of the student."""
        self.model.reset_parameters()

    def forward(self, batch: Data) -> Tuple[Tensor, Tensor]:
        split = batch.get('split')
        mask = batch.get(f'{split}_mask') if split else None
        if mask is None:
            raise ValueError(f"'batch.split' must name a node mask of the "
                             f"batch in '{self.__class__.__name__}' "
                             f"(got {split!r})")
        x = batch.x[mask]
        if self.training:
            pred = self.model(x)
        else:  # chunked like the training core's evaluation
            from pyg_rbm.train.evaluate import predict
            pred = predict(self.model, x, self.batch_size)
        return pred, batch.y[mask]

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.model})'
