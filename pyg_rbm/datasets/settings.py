from dataclasses import dataclass
from typing import Optional

import torch
from torch import Tensor
from torch_geometric.data import Data

__all__ = [
    'SETTINGS',
    'PRODUCTION_HOLDOUT',
    'SettingSplit',
    'split_setting',
    'production_score',
]

SETTINGS = ('transductive', 'inductive', 'production')
# Share of test nodes held out in 'production' (and by default in
# 'inductive' on random splits), after GLNN:
PRODUCTION_HOLDOUT = 0.2


@dataclass
class SettingSplit:
    r"""What an evaluation setting lets training see.

    Args:
        setting (str): :obj:`"transductive"`, :obj:`"inductive"` or
            :obj:`"production"`.
        full (torch_geometric.data.Data): The whole graph.
        observed (torch_geometric.data.Data): The graph training may see:
            the observed nodes, the edges among them, and their features,
            labels and masks (its :obj:`test_mask` marks the observed test
            nodes).
        node_ids (torch.Tensor): The global index of every observed node,
            in the node order of :obj:`observed`.
        held_out (torch.Tensor): The sorted global indices of the held-out
            test nodes (empty in the transductive setting).
    """
    setting: str
    full: Data
    observed: Data
    node_ids: Tensor
    held_out: Tensor


def split_setting(
    data: Data,
    setting: str,
    seed: int = 0,
    holdout: Optional[float] = None,
) -> SettingSplit:
    r"""Splits a graph for the transductive, inductive or production
    evaluation setting of the `"Graph-less Neural Networks"
    <https://arxiv.org/abs/2110.08727>`_ paper.

    In the transductive setting, training sees the whole graph. Otherwise,
    a share of the test nodes is held out: they and every edge touching
    them are removed from :obj:`observed`, so their features, labels and
    edges are invisible during training. By default, :obj:`"inductive"`
    holds out the whole public test set on a public Planetoid split
    (:obj:`data.public_split`) and 20% of the test nodes otherwise;
    :obj:`"production"` always holds out 20% (see
    :meth:`production_score`). Held-out nodes are drawn from :obj:`seed`.

    Args:
        data (torch_geometric.data.Data): The graph with a
            :obj:`test_mask`.
        setting (str): :obj:`"transductive"`, :obj:`"inductive"` or
            :obj:`"production"`.
        seed (int, optional): The seed for drawing held-out nodes.
            (default: :obj:`0`)
        holdout (float, optional): The share of test nodes held out in
            :obj:`"inductive"`, in :math:`(0, 1]`. (default: :obj:`None`)
    """
    if setting not in SETTINGS:
        raise ValueError(f"'setting' of 'split_setting' must be one of "
                         f"{', '.join(SETTINGS)} (got '{setting}')")
    if holdout is not None:
        if not 0.0 < holdout <= 1.0:
            raise ValueError(f"'holdout' of 'split_setting' must be in "
                             f"(0, 1] (got {holdout})")
        if setting == 'production' and holdout != PRODUCTION_HOLDOUT:
            raise ValueError(f"'holdout' of 'split_setting' is fixed at "
                             f"{PRODUCTION_HOLDOUT} in 'production' "
                             f"(got {holdout})")
    num_nodes = data.num_nodes
    if setting == 'transductive':
        device = next((value.device for value in data.values()
                       if isinstance(value, Tensor)), torch.device('cpu'))
        return SettingSplit(setting, data, data,
                            torch.arange(num_nodes, device=device),
                            torch.empty(0, dtype=torch.long, device=device))

    test_ids = data.test_mask.nonzero().view(-1)
    device = test_ids.device
    if holdout is None:
        public = setting == 'inductive' and bool(
            getattr(data, 'public_split', False))
        holdout = 1.0 if public else PRODUCTION_HOLDOUT
    num_held_out = round(holdout * test_ids.numel())
    if num_held_out == 0:
        raise ValueError(f"The '{setting}' setting holds out {holdout:g} of "
                         f"the {test_ids.numel()} test nodes, which is no "
                         f"node: the split is too small for it in "
                         f"'split_setting'")
    # Drawn on the CPU, so that a seed holds out the same nodes anywhere.
    generator = torch.Generator().manual_seed(seed)
    perm = torch.randperm(test_ids.numel(), generator=generator,
                          device='cpu').to(device)
    held_out = test_ids[perm[:num_held_out]].sort()[0]

    observed_mask = torch.ones(num_nodes, dtype=torch.bool, device=device)
    observed_mask[held_out] = False
    node_ids = observed_mask.nonzero().view(-1)
    # `Data.subgraph` relabels nodes and drops every edge with a held-out
    # end (via `torch_geometric.utils.subgraph`), and slices all node-level
    # attributes, so no held-out feature, label or edge remains.
    observed = data.subgraph(node_ids)
    return SettingSplit(setting, data, observed, node_ids, held_out)


def production_score(
    trans_acc: float,
    ind_acc: float,
    weight: float = 1.0 - PRODUCTION_HOLDOUT,
) -> float:
    r"""Returns the production-setting score of the `"Graph-less Neural
    Networks" <https://arxiv.org/abs/2110.08727>`_ paper:
    :obj:`weight * trans_acc + (1 - weight) * ind_acc`, where
    :obj:`trans_acc` is measured on the observed test nodes and
    :obj:`ind_acc` on the held-out ones.

    Args:
        trans_acc (float): The transductive accuracy.
        ind_acc (float): The inductive accuracy.
        weight (float, optional): The transductive weight.
            (default: :obj:`0.8`)
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"'weight' of 'production_score' must be in "
                         f"[0, 1] (got {weight})")
    return weight * float(trans_acc) + (1.0 - weight) * float(ind_acc)
