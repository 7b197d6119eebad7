import os.path as osp

import pytest
import torch
from torch_geometric.utils import contains_self_loops, is_undirected

from pyg_rbm.datasets import DatasetNotFoundError, load_dataset, load_npz


def class_counts(data, mask):
    return torch.bincount(data.y[mask], minlength=data.num_classes).tolist()


def test_cora_npz_lcc_and_split(need):
    root = need('npz/cora.npz')
    data = load_dataset('cora-npz', root, seed=0)
    assert data.x.shape == (2485, 1433) and data.x.dtype == torch.float
    assert data.num_classes == 7 and data.public_split is False
    assert is_undirected(data.edge_index)
    assert not contains_self_loops(data.edge_index)
    assert data.edge_index.size(1) == 10138
    assert class_counts(data, data.train_mask) == [20] * 7
    assert class_counts(data, data.val_mask) == [30] * 7
    assert int(data.test_mask.sum()) == 2485 - 7 * 50
    masks = torch.stack([data.train_mask, data.val_mask, data.test_mask])
    assert masks.sum(0).eq(1).all()  # A partition of the nodes.


def test_cora_npz_seeds(need):
    root = need('npz/cora.npz')
    a = load_dataset('cora-npz', root, seed=1)
    b = load_npz('cora', root, seed=1)
    c = load_dataset('CORA_NPZ', root, seed=2)
    for key in ('train_mask', 'val_mask', 'test_mask'):
        assert torch.equal(a[key], b[key])
    assert not torch.equal(a.train_mask, c.train_mask)
    assert not torch.equal(a.val_mask, c.val_mask)
    assert torch.equal(a.edge_index, c.edge_index)  # Only the split moves.


def test_citeseer_npz(need):
    root = need('npz/citeseer.npz')
    data = load_dataset('citeseer-npz', root, seed=0)
    assert data.x.shape == (2110, 3703)
    assert data.num_classes == 6
    assert class_counts(data, data.train_mask) == [20] * 6
    assert class_counts(data, data.val_mask) == [30] * 6


def test_npz_missing_offline(tmp_path, offline):
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset('cora-npz', str(tmp_path))
    msg = str(info.value)
    assert "'cora-npz'" in msg and 'cora.npz' in msg
    assert osp.join(str(tmp_path), 'npz') in msg
    assert 'pyg-rbm data --copy-from ../shared/data' in msg
    assert offline == ['npz']
