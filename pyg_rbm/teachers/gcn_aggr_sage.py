import math
from typing import Tuple, Union

import torch
from torch import Tensor
from torch_geometric.nn.conv import MessagePassing, SAGEConv
from torch_geometric.nn.models import GraphSAGE
from torch_geometric.typing import Adj, OptPairTensor, Size

from pyg_rbm.nn.sparse_input import sparse_input_linear

__all__ = ['GCNAggrSAGEConv', 'GCNAggrGraphSAGE']


class GCNAggrSAGEConv(SAGEConv):
    r"""The GraphSAGE operator with the *GCN aggregator* of the
    `"Inductive Representation Learning on Large Graphs"
    <https://arxiv.org/abs/1706.02216>`_ paper: one weight applied to the
    mean over a node's incoming neighbours and the node itself,

    .. math::
        \mathbf{x}^{\prime}_i = \mathbf{W} \, \frac{\mathbf{x}_i +
        \sum_{j \in \mathcal{N}(i)} \mathbf{x}_j}{|\mathcal{N}(i)| + 1}
        + \mathbf{b},

    as DGL's :obj:`SAGEConv(aggregator_type='gcn')`, the teacher of the RbM
    authors' code (on a graph with self loops, which therefore counts the
    node twice). There is no separate root weight. As in DGL, the weight
    applies before the aggregation when it shrinks the features, and is
    initialised with Xavier-uniform at the gain of ReLU, the bias with
    zeros. It takes the arguments of
    :class:`~torch_geometric.nn.conv.SAGEConv` except :obj:`aggr`,
    :obj:`root_weight` and :obj:`project`.
    """
    def __init__(self, in_channels: Union[int, Tuple[int, int]],
                 out_channels: int, **kwargs):
        for key in ('aggr', 'root_weight', 'project'):
            if key in kwargs:
                raise ValueError(f"'{key}' is fixed in "
                                 f"'{self.__class__.__name__}'")
        super().__init__(in_channels, out_channels, aggr='sum',
                         root_weight=False, **kwargs)

    def reset_parameters(self):
        super().reset_parameters()
        torch.nn.init.xavier_uniform_(self.lin_l.weight,
                                      gain=math.sqrt(2.0))
        if self.lin_l.bias is not None:
            torch.nn.init.zeros_(self.lin_l.bias)

    def forward(
        self,
        x: Union[Tensor, OptPairTensor],
        edge_index: Adj,
        size: Size = None,
    ) -> Tensor:
        x_src, x_dst = (x, x) if isinstance(x, Tensor) else x
        if x_dst is None:
            raise ValueError(f"'{self.__class__.__name__}' needs the "
                             f"target nodes' features")
        ones = x_src.new_ones(x_src.size(0), 1)
        degree = self.propagate(edge_index, x=(ones, None), size=size)
        transform_first = self.lin_l.weight.size(0) < x_src.size(-1)
        if transform_first:
            weight = self.lin_l.weight
            h_src = sparse_input_linear(x_src, weight, None)
            h_dst = (h_src if x_dst is x_src else sparse_input_linear(
                x_dst, weight, None))
        else:
            h_src, h_dst = x_src, x_dst
        out = self.propagate(edge_index, x=(h_src, None), size=size)
        out = (out + h_dst) / (degree + 1.0)
        if transform_first:
            if self.lin_l.bias is not None:
                out = out + self.lin_l.bias
        else:
            out = self.lin_l(out)
        if self.normalize:
            out = torch.nn.functional.normalize(out, p=2., dim=-1)
        return out

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.in_channels}, '
                f'{self.out_channels})')


class GCNAggrGraphSAGE(GraphSAGE):
    r""":class:`~torch_geometric.nn.models.GraphSAGE` built from
    :class:`GCNAggrSAGEConv` layers (the GCN aggregator, no root weight),
    as the GraphSAGE teacher of the RbM authors' code.
    """
    def init_conv(self, in_channels: Union[int, Tuple[int, int]],
                  out_channels: int, **kwargs) -> MessagePassing:
        kwargs.pop('aggr', None)
        return GCNAggrSAGEConv(in_channels, out_channels, **kwargs)
