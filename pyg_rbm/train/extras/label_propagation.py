import torch
from torch import Tensor
from torch_geometric.nn import LabelPropagation

__all__ = ['label_propagation_features']


def label_propagation_features(
    edge_index: Tensor,
    y: Tensor,
    train_mask: Tensor,
    num_nodes: int,
    num_classes: int,
    num_layers: int = 10,
    alpha: float = 0.9,
    normalize: bool = True,
) -> Tensor:
    r"""Label-propagation node features, in the spirit of the
    neighbourhood-label features of `"Classifying Nodes in Graphs without
    GNNs" <https://arxiv.org/abs/2402.05934>`_ (CoHOp, Winter et al., 2024),
    as the `RbM <https://arxiv.org/abs/2406.11919>`_ student uses them.

    Only the labels of the training nodes enter: with
    :math:`\mathbf{Y}^{(0)}` their one-hot labels (zero rows elsewhere),
    :class:`torch_geometric.nn.LabelPropagation` computes
    :obj:`num_layers` times

    .. math::
        \mathbf{Y}^{(k+1)} = \mathrm{clamp}_{[0, 1]}\left(\alpha
        \mathbf{D}^{-1/2} \mathbf{A} \mathbf{D}^{-1/2} \mathbf{Y}^{(k)} +
        (1 - \alpha) \mathbf{Y}^{(0)}\right)

    (no self-loops). With :obj:`normalize=True` every non-zero row is then
    divided by its sum, a distribution over classes; rows that no label
    reached stay zero.

    .. note::
        A training node sees its own label through the
        :math:`(1 - \alpha) \mathbf{Y}^{(0)}` term (and through walks that
        return to it), which a test node never does.

    Args:
        edge_index (torch.Tensor): The edge indices :obj:`[2, E]`.
        y (torch.Tensor): Node labels :obj:`[num_nodes]`; only entries at
            :obj:`train_mask` are read.
        train_mask (torch.Tensor): Boolean mask or index of the training
            nodes.
        num_nodes (int): The number of nodes.
        num_classes (int): The number of classes.
        num_layers (int, optional): The number of propagations.
            (default: :obj:`10`)
        alpha (float, optional): The propagation weight :math:`\alpha`.
            (default: :obj:`0.9`)
        normalize (bool, optional): If set to :obj:`True`, rows are scaled
            to sum to one. (default: :obj:`True`)

    Returns:
        torch.Tensor: The features :obj:`[num_nodes, num_classes]`.
    """
    name = 'label_propagation_features'
    if y.dim() != 1 or y.numel() != num_nodes:
        raise ValueError(f"'y' must have shape [{num_nodes}] in '{name}' "
                         f"(got {tuple(y.shape)})")
    if train_mask.dtype == torch.bool and train_mask.numel() != num_nodes:
        raise ValueError(f"'train_mask' must have {num_nodes} entries in "
                         f"'{name}' (got {train_mask.numel()})")
    if num_classes < 1:
        raise ValueError(f"'num_classes' must be positive in '{name}' "
                         f"(got {num_classes})")
    if num_layers < 0:
        raise ValueError(f"'num_layers' must be non-negative in '{name}' "
                         f"(got {num_layers})")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"'alpha' must lie in [0, 1] in '{name}' "
                         f"(got {alpha})")
    y_train = y[train_mask]
    if y_train.numel() > 0 and (int(y_train.min()) < 0
                                or int(y_train.max()) >= num_classes):
        raise ValueError(f"training labels must lie in [0, {num_classes}) "
                         f"in '{name}'")

    y0 = torch.zeros(num_nodes, num_classes, device=y.device)
    y0[train_mask] = torch.nn.functional.one_hot(y_train, num_classes).float()
    out = LabelPropagation(num_layers, alpha)(y0, edge_index)
    if normalize:
        out = out / out.sum(dim=-1, keepdim=True).clamp(min=1e-12)
    return out
