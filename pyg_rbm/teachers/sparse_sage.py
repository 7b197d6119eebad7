from typing import Tuple, Union

import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn.conv import MessagePassing, SAGEConv
from torch_geometric.nn.models import GraphSAGE
from torch_geometric.typing import Adj, OptPairTensor, Size

from pyg_rbm.nn.sparse_input import sparse_input, sparse_input_linear

__all__ = ['SparseInputSAGEConv', 'SparseInputGraphSAGE']

_LINEAR_AGGRS = ('mean', 'add', 'sum')


class SparseInputSAGEConv(SAGEConv):
    r"""A :class:`~torch_geometric.nn.conv.SAGEConv` that, on a sparse
    constant input such as bag-of-words features (see
    :func:`pyg_rbm.nn.sparse_input.sparse_input`), applies its weights
    before aggregating:

    .. math::
        \mathbf{x}^{\prime}_i = \mathrm{mean}_{j \in \mathcal{N}(i)}
        \left( \mathbf{W}_2 \mathbf{x}_j \right) + \mathbf{b} +
        \mathbf{W}_1 \mathbf{x}_i

    Mean and sum aggregation are linear, so this is the function of
    :class:`~torch_geometric.nn.conv.SAGEConv` up to float rounding, but the
    products cost time in the input's non-zeros and messages carry
    :obj:`out_channels` instead of :obj:`in_channels` values. Any other
    input, aggregation or :obj:`project=True` takes the parent's path.
    It takes the arguments of :class:`~torch_geometric.nn.conv.SAGEConv`
    and holds the same parameters.
    """
    def forward(
        self,
        x: Union[Tensor, OptPairTensor],
        edge_index: Adj,
        size: Size = None,
    ) -> Tensor:
        x_src, x_dst = (x, x) if isinstance(x, Tensor) else x
        csr = None
        if not self.project and self.aggr in _LINEAR_AGGRS:
            csr = sparse_input(x_src)
        if csr is None:
            return super().forward(x, edge_index, size)

        h = csr @ self.lin_l.weight.t()
        out = self.propagate(edge_index, x=(h, None), size=size)
        if self.lin_l.bias is not None:
            out = out + self.lin_l.bias
        if self.root_weight and x_dst is not None:
            out = out + sparse_input_linear(x_dst, self.lin_r.weight,
                                            self.lin_r.bias)
        if self.normalize:
            out = F.normalize(out, p=2., dim=-1)
        return out


class SparseInputGraphSAGE(GraphSAGE):
    r""":class:`~torch_geometric.nn.models.GraphSAGE` built from
    :class:`SparseInputSAGEConv` layers: the same model, arguments and
    parameters, with first-layer products in the non-zeros of sparse node
    features.
    """
    def init_conv(self, in_channels: Union[int, Tuple[int, int]],
                  out_channels: int, **kwargs) -> MessagePassing:
        return SparseInputSAGEConv(in_channels, out_channels, **kwargs)
