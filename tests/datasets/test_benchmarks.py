import os
import os.path as osp

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch_geometric.utils import contains_self_loops, is_undirected

from pyg_rbm.datasets import DatasetNotFoundError, load_dataset

NUM_MAIN = 120  # Nodes in the largest component; 4 more outside it.


def write_gnn_benchmark_npz(path: str) -> dict:
    """Writes a tiny graph in the gnn-benchmark sparse npz format: a ring
    of 120 nodes with chords (stored one way only) and a self-loop, plus a
    separate 4-node component."""
    rng = np.random.default_rng(0)
    num_nodes = NUM_MAIN + 4
    ring = np.arange(NUM_MAIN)
    row = np.concatenate([ring, rng.integers(0, NUM_MAIN, 40), [5],
                          [NUM_MAIN, NUM_MAIN + 1, NUM_MAIN + 2]])
    col = np.concatenate([(ring + 1) % NUM_MAIN,
                          rng.integers(0, NUM_MAIN, 40), [5],
                          [NUM_MAIN + 1, NUM_MAIN + 2, NUM_MAIN + 3]])
    adj = sp.csr_matrix((np.ones(len(row), np.float32), (row, col)),
                        shape=(num_nodes, num_nodes))
    attr = sp.csr_matrix(rng.integers(0, 3, (num_nodes, 6)).astype(
        np.float32))
    labels = np.arange(num_nodes) % 2
    os.makedirs(osp.dirname(path), exist_ok=True)
    np.savez(path, adj_data=adj.data, adj_indices=adj.indices,
             adj_indptr=adj.indptr, adj_shape=np.array(adj.shape),
             attr_data=attr.data, attr_indices=attr.indices,
             attr_indptr=attr.indptr, attr_shape=np.array(attr.shape),
             labels=labels)
    return dict(attr=attr.toarray(), labels=labels)


@pytest.mark.parametrize('name,folder,file', [
    ('amazon-photo', 'Photo', 'amazon_electronics_photo.npz'),
    ('Computers', 'Computers', 'amazon_electronics_computers.npz'),
    ('coauthor-cs', 'CS', 'ms_academic_cs.npz'),
    ('Coauthor_Physics', 'Physics', 'ms_academic_phy.npz'),
])
def test_benchmark_tiny_raw_files(tmp_path, offline, name, folder, file):
    root = str(tmp_path)
    written = write_gnn_benchmark_npz(osp.join(root, folder, 'raw', file))
    data = load_dataset(name, root, seed=3)
    assert offline == []
    assert data.num_nodes == NUM_MAIN  # The 4-node component is dropped.
    binary = (written['attr'][:NUM_MAIN] > 0).astype(np.float32)
    assert torch.equal(data.x, torch.from_numpy(binary))
    assert data.y.tolist() == written['labels'][:NUM_MAIN].tolist()
    assert data.num_classes == 2 and data.public_split is False
    assert is_undirected(data.edge_index)
    assert not contains_self_loops(data.edge_index)
    assert torch.bincount(data.y[data.train_mask]).tolist() == [20, 20]
    assert torch.bincount(data.y[data.val_mask]).tolist() == [30, 30]
    assert int(data.test_mask.sum()) == NUM_MAIN - 100

    # The same file under `<root>/npz/` is read directly, same result:
    other = str(tmp_path / 'other')
    write_gnn_benchmark_npz(osp.join(other, 'npz', file))
    same = load_dataset(name, other, seed=3)
    assert not osp.exists(osp.join(other, folder))
    for key in ('x', 'edge_index', 'y', 'train_mask', 'val_mask'):
        assert torch.equal(data[key], same[key])


def test_benchmark_missing_offline(tmp_path, offline):
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset('amazon-photo', str(tmp_path))
    msg = str(info.value)
    assert 'amazon_electronics_photo.npz' in msg
    assert osp.join(str(tmp_path), 'Photo', 'raw') in msg
    assert offline == ['Amazon']
    assert os.listdir(tmp_path) == []
