import os
import os.path as osp
import pickle
from collections import defaultdict

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch_geometric.utils import contains_self_loops, is_undirected

from pyg_rbm.datasets import DatasetNotFoundError, load_dataset


@pytest.mark.parametrize('name,nodes,edges,features,classes,train', [
    ('Cora', 2708, 10556, 1433, 7, 140),
    ('CiteSeer', 3327, 9104, 3703, 6, 120),
])
def test_planetoid_real(need, name, nodes, edges, features, classes, train):
    root = need(f'{name}/raw/ind.{name.lower()}.graph')
    data = load_dataset(name.lower(), root)
    assert data.x.shape == (nodes, features) and data.x.dtype == torch.float
    assert data.edge_index.shape == (2, edges)
    assert is_undirected(data.edge_index)
    assert data.y.dtype == torch.long and data.y.shape == (nodes, )
    assert data.num_classes == classes == int(data.y.max()) + 1
    assert data.public_split is True
    masks = [data.train_mask, data.val_mask, data.test_mask]
    assert all(m.dtype == torch.bool and m.shape == (nodes, ) for m in masks)
    assert [int(m.sum()) for m in masks] == [train, 500, 1000]
    assert int(sum(m.long() for m in masks).max()) == 1  # Disjoint.
    # The public split: the first 20 nodes per class train.
    assert data.train_mask[:train].all()
    assert torch.bincount(data.y[data.train_mask]).tolist() == [20] * classes


def write_planetoid(folder: str, prefix: str):
    """Writes a tiny graph in the raw Planetoid format (pickled scipy
    sparse features and one-hot numpy labels, a pickled adjacency dict and
    a text file of shuffled test indices)."""
    rng = np.random.default_rng(0)
    num_classes, num_features = 3, 5
    num_train, num_all, num_test = 6, 530, 30
    num_nodes = num_all + num_test
    feat = rng.integers(0, 3, size=(num_nodes, num_features)).astype(float)
    label = rng.integers(0, num_classes, size=num_nodes)
    label[:num_train] = [0, 0, 1, 1, 2, 2]
    onehot = np.eye(num_classes, dtype=np.int64)[label]
    # Test nodes are stored in the order of the (shuffled) index file:
    test_index = num_all + rng.permutation(num_test)
    graph = defaultdict(list)
    for i, j in rng.integers(0, num_nodes, size=(1500, 2)).tolist():
        graph[i].append(j)
        graph[j].append(i)
    items = {
        'x': sp.csr_matrix(feat[:num_train]),
        'y': onehot[:num_train],
        'allx': sp.csr_matrix(feat[:num_all]),
        'ally': onehot[:num_all],
        'tx': sp.csr_matrix(feat[test_index]),
        'ty': onehot[test_index],
        'graph': graph,
    }
    os.makedirs(folder, exist_ok=True)
    for key, value in items.items():
        with open(osp.join(folder, f'ind.{prefix}.{key}'), 'wb') as f:
            pickle.dump(value, f)
    with open(osp.join(folder, f'ind.{prefix}.test.index'), 'w') as f:
        f.write('\n'.join(str(i) for i in test_index) + '\n')
    return feat, label, test_index, graph


def test_pubmed_tiny_raw_files(tmp_path, offline):
    feat, label, test_index, graph = write_planetoid(
        osp.join(tmp_path, 'PubMed', 'raw'), 'pubmed')
    data = load_dataset('PubMed', str(tmp_path))
    assert offline == []
    assert torch.equal(data.x, torch.tensor(feat, dtype=torch.float))
    assert data.y.tolist() == label.tolist()
    assert data.num_classes == 3 and data.public_split is True
    assert data.train_mask.nonzero().view(-1).tolist() == list(range(6))
    assert data.val_mask.nonzero().view(-1).tolist() == list(range(6, 506))
    assert data.test_mask.nonzero().view(-1).tolist() == sorted(test_index)
    pairs = {(i, j) for i, js in graph.items() for j in js if i != j}
    assert set(map(tuple, data.edge_index.t().tolist())) == pairs
    assert not contains_self_loops(data.edge_index)


def test_pubmed_missing_offline(tmp_path, offline):
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset('pubmed', str(tmp_path))
    msg = str(info.value)
    assert "'PubMed'" in msg
    assert osp.join(str(tmp_path), 'PubMed', 'raw') in msg
    assert 'ind.pubmed.x' in msg and 'ind.pubmed.test.index' in msg
    assert 'pyg-rbm data --copy-from ../shared/data' in msg
    assert isinstance(info.value, FileNotFoundError)
    assert isinstance(info.value.__cause__, OSError)  # The URL error.
    assert offline == ['Planetoid']
    assert os.listdir(tmp_path) == []  # No empty folders left behind.
