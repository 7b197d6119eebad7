import os.path as osp

import numpy as np
import pytest
import torch
from torch_geometric.utils import contains_self_loops, is_undirected

from pyg_rbm.datasets import load_dataset


@pytest.mark.parametrize('seed', [0, 13])
def test_actor_real(need, seed):
    root = need('Actor/raw/out1_graph_edges.txt')
    data = load_dataset('Actor', root, seed=seed)
    assert data.x.shape == (7600, 932) and data.x.dtype == torch.float
    assert data.y.shape == (7600, ) and data.num_classes == 5
    assert data.public_split is False
    assert is_undirected(data.edge_index)
    assert not contains_self_loops(data.edge_index)
    # 30,019 directed raw edges become 26,659 undirected pairs:
    assert data.edge_index.size(1) == 2 * 26659
    masks = [data.train_mask, data.val_mask, data.test_mask]
    assert all(m.dtype == torch.bool and m.shape == (7600, ) for m in masks)
    assert [int(m.sum()) for m in masks] == [3648, 2432, 1520]
    # The split is the fixed geom-gcn split number `seed % 10`:
    raw = np.load(
        osp.join(root, 'Actor', 'raw', f'film_split_0.6_0.2_{seed % 10}.npz'))
    for mask, key in zip(masks, ('train_mask', 'val_mask', 'test_mask')):
        assert mask.tolist() == raw[key].astype(bool).tolist()


def test_actor_alias(need):
    root = need('Actor/raw/out1_graph_edges.txt')
    assert torch.equal(
        load_dataset('film', root, seed=11).train_mask,
        load_dataset('actor', root, seed=1).train_mask)
