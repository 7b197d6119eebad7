import pytest
import torch

from pyg_rbm.datasets import (
    load_dataset,
    make_csbm,
    production_score,
    split_setting,
)


@pytest.fixture(scope='module')
def cora(data_root):
    import os.path as osp
    if not osp.exists(osp.join(data_root, 'Cora', 'raw', 'ind.cora.x')):
        pytest.skip(f'Cora is missing from the data root {data_root}')
    return load_dataset('cora', data_root)


@pytest.fixture(scope='module')
def csbm():
    return make_csbm(3000, 3, 4, avg_degree=8, homophily=0.7, seed=0)


def check_no_leakage(split):
    full, observed = split.full, split.observed
    ids, held = split.node_ids, split.held_out
    n = full.num_nodes
    # Observed and held-out nodes partition the graph:
    assert not bool(torch.isin(ids, held).any())
    assert ids.numel() + held.numel() == n
    assert torch.equal(torch.sort(torch.cat([ids, held]))[0], torch.arange(n))
    assert bool(full.test_mask[held].all())
    # Observed node attributes are the full ones, restricted:
    m = ids.numel()
    assert observed.num_nodes == m
    assert torch.equal(observed.x, full.x[ids])
    assert torch.equal(observed.y, full.y[ids])
    for key in ('train_mask', 'val_mask', 'test_mask'):
        assert torch.equal(observed[key], full[key][ids])
    # No tensor of `observed` is sized like the full graph's nodes, so no
    # held-out label or feature is reachable:
    for key, value in observed:
        if torch.is_tensor(value) and key != 'edge_index':
            assert value.size(0) == m, key
    # Observed edges are exactly the full edges between observed nodes:
    row, col = ids[observed.edge_index]
    is_held = torch.zeros(n, dtype=torch.bool)
    is_held[held] = True
    assert not bool((is_held[row] | is_held[col]).any())
    frow, fcol = full.edge_index
    keep = ~(is_held[frow] | is_held[fcol])
    assert set(zip(row.tolist(), col.tolist())) == set(
        zip(frow[keep].tolist(), fcol[keep].tolist()))
    # Test labels never train:
    assert not bool((observed.train_mask & observed.test_mask).any())
    assert not bool(full.train_mask[held].any())
    assert observed.num_classes == full.num_classes
    assert observed.public_split == full.public_split


def test_transductive(csbm):
    split = split_setting(csbm, 'transductive')
    assert split.setting == 'transductive'
    assert split.observed is csbm and split.full is csbm
    assert torch.equal(split.node_ids, torch.arange(3000))
    assert split.held_out.numel() == 0 and split.held_out.dtype == torch.long


def test_inductive_public_planetoid(cora):
    split = split_setting(cora, 'inductive', seed=0)
    assert torch.equal(split.held_out, cora.test_mask.nonzero().view(-1))
    assert split.held_out.numel() == 1000
    assert split.observed.num_nodes == 1708
    assert int(split.observed.test_mask.sum()) == 0
    check_no_leakage(split)


def test_production_planetoid(cora):
    split = split_setting(cora, 'production', seed=0)
    assert split.held_out.numel() == 200
    assert int(split.observed.test_mask.sum()) == 800
    check_no_leakage(split)


@pytest.mark.parametrize('setting', ['inductive', 'production'])
def test_random_split_holds_out_20_percent(csbm, setting):
    num_test = int(csbm.test_mask.sum())
    split = split_setting(csbm, setting, seed=4)
    assert split.held_out.numel() == round(0.2 * num_test)
    assert int(split.observed.test_mask.sum()) == num_test - round(
        0.2 * num_test)
    check_no_leakage(split)


def test_holdout_and_seeds(csbm):
    a = split_setting(csbm, 'inductive', seed=1)
    b = split_setting(csbm, 'inductive', seed=1)
    c = split_setting(csbm, 'inductive', seed=2)
    assert torch.equal(a.held_out, b.held_out)
    assert torch.equal(a.observed.edge_index, b.observed.edge_index)
    assert not torch.equal(a.held_out, c.held_out)
    half = split_setting(csbm, 'inductive', holdout=0.5)
    assert half.held_out.numel() == round(0.5 * int(csbm.test_mask.sum()))
    check_no_leakage(half)


def test_split_of_node_features_alone():
    # No edges at all: the split's index tensors take the features' device.
    from torch_geometric.data import Data
    data = Data(x=torch.arange(8.).view(4, 2),
                test_mask=torch.tensor([True, False, True, True]))
    split = split_setting(data, 'transductive')
    assert split.node_ids.tolist() == [0, 1, 2, 3]
    assert split.held_out.numel() == 0
    split = split_setting(data, 'inductive', seed=0, holdout=2 / 3)
    assert split.held_out.numel() == 2
    assert set(split.held_out.tolist()) < {0, 2, 3}
    assert split.observed.x.tolist() == [
        data.x[i].tolist() for i in split.node_ids.tolist()
    ]


def test_errors(csbm):
    with pytest.raises(ValueError, match="'setting' of 'split_setting'"):
        split_setting(csbm, 'semi')
    with pytest.raises(ValueError, match="'holdout' of 'split_setting'"):
        split_setting(csbm, 'inductive', holdout=0.0)
    with pytest.raises(ValueError, match="fixed at 0.2 in 'production'"):
        split_setting(csbm, 'production', holdout=0.5)
    tiny = csbm.clone()
    tiny.test_mask = torch.zeros_like(tiny.test_mask)
    tiny.test_mask[:2] = True  # 20% of 2 test nodes rounds to none
    with pytest.raises(ValueError, match="holds out 0.2 of the 2 test "
                       "nodes, which is no node"):
        split_setting(tiny, 'inductive')


def test_production_score():
    assert production_score(0.9, 0.5) == pytest.approx(0.82)
    assert production_score(0.7, 0.7) == pytest.approx(0.7)
    with pytest.raises(ValueError, match="'weight' of 'production_score'"):
        production_score(0.9, 0.5, weight=1.5)
