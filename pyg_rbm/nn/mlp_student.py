from typing import Any, Callable, Dict, Optional, Tuple, Union

import torch
from torch import Tensor
from torch_geometric.nn import MLP

from pyg_rbm.nn.cpu_linear import CPULinear
from pyg_rbm.nn.norm import node_norm_kwargs
from pyg_rbm.nn.sparse_input import SparseInputLinear


class MLPStudent(torch.nn.Module):
    r"""The graph-free MLP student of the `"Graph-less Neural Networks:
    Teaching Old MLPs New Tricks via Distillation"
    <https://arxiv.org/abs/2110.08727>`_ paper, used as a baseline in the
    `"Graph Knowledge Distillation to Mixture of Experts"
    <https://arxiv.org/abs/2406.11919>`_ paper.

    A thin wrapper around :class:`torch_geometric.nn.MLP` (with
    :obj:`plain_last=True`) that exposes the student interface shared with
    :class:`~pyg_rbm.nn.RbM` and :class:`~pyg_rbm.nn.MoE`: its auxiliary
    loss is always zero. Unlike those students, dropout is applied to every
    hidden representation (not to the input). Its first layer is a
    :class:`~pyg_rbm.nn.SparseInputLinear`, which multiplies sparse node
    features (such as bag-of-words) in their non-zeros, and the others are
    :class:`~pyg_rbm.nn.cpu_linear.CPULinear` layers, which take the CPU's
    faster kernels.

    Args:
        in_channels (int): Size of each input sample.
        hidden_channels (int): Size of each hidden sample.
        out_channels (int): Size of each output sample.
        num_layers (int, optional): The number of layers.
            (default: :obj:`2`)
        dropout (float, optional): Dropout probability of each hidden
            embedding. (default: :obj:`0.`)
        norm (str or Callable, optional): The normalization applied between
            layers. A :obj:`"layer_norm"` string normalizes each row on its
            own. (default: :obj:`None`)
        act (str or Callable, optional): The non-linear activation function.
            (default: :obj:`"relu"`)
        norm_kwargs (Dict[str, Any], optional): Arguments passed to the
            normalization. (default: :obj:`None`)
        act_kwargs (Dict[str, Any], optional): Arguments passed to the
            activation. (default: :obj:`None`)
    """
    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        out_channels: int,
        num_layers: int = 2,
        dropout: float = 0.,
        norm: Union[str, Callable, None] = None,
        act: Union[str, Callable, None] = 'relu',
        norm_kwargs: Optional[Dict[str, Any]] = None,
        act_kwargs: Optional[Dict[str, Any]] = None,
    ):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"'num_layers' must be at least 1 in "
                             f"'{self.__class__.__name__}' "
                             f"(got {num_layers})")
        if not 0.0 <= dropout < 1.0:  # 1.0 zeroes every hidden unit
            raise ValueError(f"'dropout' must be in [0, 1) in "
                             f"'{self.__class__.__name__}' (got {dropout})")

        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.out_channels = out_channels
        self.num_layers = num_layers
        self.dropout = dropout

        self.mlp = MLP(
            in_channels=in_channels,
            hidden_channels=hidden_channels,
            out_channels=out_channels,
            num_layers=num_layers,
            dropout=float(dropout),
            act=act,
            act_kwargs=act_kwargs,
            norm=norm,
            norm_kwargs=node_norm_kwargs(norm, norm_kwargs),
            plain_last=True,
        )
        # Bag-of-words inputs are ~1% non-zeros: multiply them as sparse;
        # the other layers take the CPU's faster kernels.
        for i, lin in enumerate(self.mlp.lins):
            cls = SparseInputLinear if i == 0 else CPULinear
            self.mlp.lins[i] = cls(lin.in_channels, lin.out_channels,
                                   bias=lin.bias is not None)

        self.reset_parameters()

    @property
    def output_layer(self) -> torch.nn.Module:
        r"""The last linear layer; its input is the last hidden
        representation.
        """
        return self.mlp.lins[-1]

    def reset_parameters(self):
        r"""Resets all learnable parameters of the module."""
        self.mlp.reset_parameters()

    def forward(
        self,
        x: Tensor,
        return_aux_loss: bool = False,
    ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        r"""Forward pass.

        Args:
            x (torch.Tensor): The node features of shape
                :obj:`[num_nodes, in_channels]`.
            return_aux_loss (bool, optional): If set to :obj:`True`, will
                additionally return a zero auxiliary loss (a 0-dimensional
                tensor). (default: :obj:`False`)
        """
        if x.dim() != 2 or x.size(-1) != self.in_channels:
            raise ValueError(f"'x' must have shape [num_nodes, "
                             f"{self.in_channels}] in "
                             f"'{self.__class__.__name__}' "
                             f"(got {list(x.size())})")
        out = self.mlp(x)
        if return_aux_loss:
            return out, out.new_zeros(())
        return out

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.in_channels}, '
                f'{self.out_channels}, num_layers={self.num_layers})')
