"""The graph-free batch on which GraphGym's loggers evaluate a student."""
from typing import Any, Optional, Tuple

import torch
from torch import Tensor
from torch_geometric.data import Data

from pyg_rbm.config import DistillConfig


def student_batch(
    data: Data,
    config: DistillConfig,
    seed: int,
    features: Optional[Tuple[Tensor, Tensor]] = None,
    split: Optional[Any] = None,
) -> Data:
    r"""Returns the nodes a student is evaluated on, as one graph-free
    batch for GraphGym networks (:obj:`batch.split` selects a mask).

    Rows are the nodes of the training graph followed by the held-out nodes
    of the inductive and production settings; :obj:`x` holds the student's
    inputs exactly as :func:`pyg_rbm.train.pipeline.run_seed` builds them
    (same :func:`~pyg_rbm.datasets.split_setting` and
    :func:`~pyg_rbm.train.pipeline.build_features`, same seed). The masks
    are :obj:`train_mask`, :obj:`val_mask`, :obj:`test_mask` (nodes of the
    training graph) and :obj:`inductive_mask` (held-out nodes). In the
    inductive setting, whose test nodes are the held-out ones,
    :obj:`test_mask` equals :obj:`inductive_mask` and the test nodes left
    in the training graph (none on the public split) are
    :obj:`observed_test_mask`.

    Args:
        data (torch_geometric.data.Data): The dataset, as
            :func:`pyg_rbm.datasets.load_dataset` returns it.
        config (DistillConfig): The run's hyperparameters.
        seed (int): The run's seed.
        features (tuple, optional): The output of
            :func:`~pyg_rbm.train.pipeline.build_features` for this data,
            config and seed; computed here when :obj:`None`.
        split (SettingSplit, optional): The setting's split of
            :obj:`data`; computed here when :obj:`None`.
    """
    from pyg_rbm.datasets import split_setting
    from pyg_rbm.train.pipeline import build_features

    if split is None:
        split = split_setting(data, config.setting, seed=seed)
    observed, held_out = split.observed, split.held_out
    if features is None:
        features = build_features(split, config, seed)
    x_obs, x_full = features
    num_observed, num_held = observed.num_nodes, held_out.numel()

    def pad(mask: torch.Tensor) -> torch.Tensor:
        return torch.cat([mask, mask.new_zeros(num_held)])

    test_mask = observed.get('test_mask')
    device = observed.train_mask.device
    if test_mask is None:
        test_mask = torch.zeros(num_observed, dtype=torch.bool, device=device)
    inductive_mask = torch.zeros(num_observed + num_held, dtype=torch.bool,
                                 device=device)
    inductive_mask[num_observed:] = True
    masks = dict(train_mask=pad(observed.train_mask),
                 val_mask=pad(observed.val_mask), test_mask=pad(test_mask),
                 inductive_mask=inductive_mask)
    if config.setting == 'inductive':
        # The setting's test nodes are the held-out ones; GraphGym's
        # agg_runs aggregates the splits named train, val and test only.
        masks.update(test_mask=inductive_mask,
                     observed_test_mask=masks['test_mask'])
    return Data(x=torch.cat([x_obs, x_full[held_out]]),
                y=torch.cat([observed.y, split.full.y[held_out]]),
                num_classes=int(split.full.num_classes), **masks)
