import pytest
import torch
from torch_geometric.utils import (
    coalesce,
    contains_self_loops,
    homophily,
    is_undirected,
)

from pyg_rbm.datasets import load_dataset, make_csbm


def test_csbm_sizes_and_split():
    data = make_csbm(2000, 4, 16, avg_degree=8, homophily=0.7, seed=0)
    assert data.x.shape == (2000, 16) and data.x.dtype == torch.float
    assert data.y.dtype == torch.long
    assert torch.bincount(data.y).tolist() == [500] * 4  # Balanced.
    assert data.num_classes == 4 and data.public_split is False
    assert is_undirected(data.edge_index)
    assert not contains_self_loops(data.edge_index)
    assert coalesce(data.edge_index).size(1) == data.edge_index.size(1)
    # 8000 sampled pairs, each stored both ways, minus rare duplicates:
    assert 0.98 * 16000 < data.edge_index.size(1) <= 16000
    assert torch.bincount(data.y[data.train_mask]).tolist() == [20] * 4
    assert torch.bincount(data.y[data.val_mask]).tolist() == [30] * 4
    assert int(data.test_mask.sum()) == 2000 - 200


@pytest.mark.parametrize('h', [0.2, 0.8])
def test_csbm_homophily(h):
    data = make_csbm(20_000, 5, 8, avg_degree=10, homophily=h, seed=1)
    assert abs(homophily(data.edge_index, data.y) - h) < 0.03
    assert abs(data.edge_index.size(1) / 20_000 - 10) < 0.1


def test_csbm_extreme_homophily():
    data = make_csbm(500, 3, 2, 6, homophily=1.0)
    row, col = data.edge_index
    assert bool((data.y[row] == data.y[col]).all())
    data = make_csbm(500, 3, 2, 6, homophily=0.0)
    row, col = data.edge_index
    assert bool((data.y[row] != data.y[col]).all())
    # Inter-class targets are uniform over the other classes:
    pairs = data.y[row] * 3 + data.y[col]
    counts = torch.bincount(pairs, minlength=9).view(3, 3).float()
    off = counts[~torch.eye(3, dtype=torch.bool)]
    assert float(off.min() / off.max()) > 0.8


def test_csbm_features():
    data = make_csbm(300, 3, 5, 4, 0.5, seed=0, feature_noise=0.0)
    # Without noise every node carries its class mean:
    assert torch.unique(data.x, dim=0).size(0) == 3
    for c in range(3):
        assert torch.unique(data.x[data.y == c], dim=0).size(0) == 1
    noisy = make_csbm(30_000, 3, 5, 1, 0.5, seed=0, feature_noise=2.0)
    centred = noisy.x - torch.stack(
        [noisy.x[noisy.y == c].mean(0) for c in range(3)])[noisy.y]
    assert abs(float(centred.std()) - 2.0) < 0.05


def test_csbm_determinism():
    a = make_csbm(3000, 3, 4, 6, 0.6, seed=7)
    b = make_csbm(3000, 3, 4, 6, 0.6, seed=7)
    c = make_csbm(3000, 3, 4, 6, 0.6, seed=8)
    for key in ('x', 'edge_index', 'y', 'train_mask', 'val_mask'):
        assert torch.equal(a[key], b[key])
    assert not torch.equal(a.y, c.y)
    assert not torch.equal(a.x, c.x)
    assert a.edge_index.shape != c.edge_index.shape or not torch.equal(
        a.edge_index, c.edge_index)


def test_csbm_errors():
    with pytest.raises(ValueError, match="'homophily' of 'make_csbm'"):
        make_csbm(100, 3, 4, 5, homophily=1.5)
    with pytest.raises(ValueError, match="'num_classes' of 'make_csbm'"):
        make_csbm(100, 1, 4, 5, homophily=0.5)
    with pytest.raises(ValueError, match="'num_nodes' of 'make_csbm'"):
        make_csbm(2, 3, 4, 5, homophily=0.5)
    with pytest.raises(ValueError, match="'avg_degree' of 'make_csbm'"):
        make_csbm(100, 3, 4, -1, homophily=0.5)


def test_csbm_in_load_dataset():
    data = load_dataset('CSBM', seed=3)
    assert data.num_nodes == 10_000 and data.num_classes == 5
    assert torch.equal(data.y, load_dataset('csbm', seed=3).y)


@pytest.mark.slow
def test_csbm_one_million_nodes():
    n = 1_000_000
    data = make_csbm(n, 10, 8, avg_degree=10, homophily=0.6, seed=0)
    assert data.x.shape == (n, 8)
    row, col = data.edge_index
    assert abs(row.numel() / n - 10) < 0.01
    assert not bool((row == col).any())
    assert abs(homophily(data.edge_index, data.y) - 0.6) < 0.01
    assert int(data.train_mask.sum()) == 200
    assert int(data.val_mask.sum()) == 300
