import gzip
import os
import os.path as osp

import numpy as np
import pytest
import torch
from torch_geometric.utils import is_undirected

from pyg_rbm.datasets import DatasetNotFoundError, get_evaluator, load_dataset

NUM_NODES = 30


def write_csv_gz(path: str, rows) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with gzip.open(path, 'wt') as f:
        for row in rows:
            f.write(','.join(str(v) for v in np.atleast_1d(row)) + '\n')


def write_ogbn(root: str, name: str, split: str, num_classes: int,
               extra_node_files=()) -> dict:
    """Writes a tiny graph in the OGB raw layout of ``name`` (as unpacked
    from the official zip) and returns what was written."""
    rng = np.random.default_rng(0)
    folder = osp.join(root, name.replace('-', '_'))
    edge = rng.integers(0, NUM_NODES, size=(60, 2))
    edge = edge[edge[:, 0] != edge[:, 1]]
    feat = rng.normal(size=(NUM_NODES, 4)).round(3) + 0.001
    label = rng.integers(0, num_classes, size=(NUM_NODES, 1))
    perm = rng.permutation(NUM_NODES)
    idx = dict(train=np.sort(perm[:15]), valid=np.sort(perm[15:22]),
               test=np.sort(perm[22:]))
    open(osp.join(_mkdir(folder), 'RELEASE_v1.txt'), 'w').close()
    write_csv_gz(osp.join(folder, 'raw', 'edge.csv.gz'), edge)
    write_csv_gz(osp.join(folder, 'raw', 'node-feat.csv.gz'), feat)
    write_csv_gz(osp.join(folder, 'raw', 'node-label.csv.gz'), label)
    write_csv_gz(osp.join(folder, 'raw', 'num-node-list.csv.gz'),
                 [NUM_NODES])
    write_csv_gz(osp.join(folder, 'raw', 'num-edge-list.csv.gz'),
                 [len(edge)])
    for file in extra_node_files:
        write_csv_gz(osp.join(folder, 'raw', f'{file}.csv.gz'),
                     2000 + rng.integers(0, 20, size=(NUM_NODES, 1)))
    for key, value in idx.items():
        write_csv_gz(osp.join(folder, 'split', split, f'{key}.csv.gz'),
                     value)
    return dict(edge=edge, feat=feat, label=label, idx=idx)


def _mkdir(path: str) -> str:
    os.makedirs(path, exist_ok=True)
    return path


def check_ogbn(data, written, num_classes):
    assert data.num_nodes == NUM_NODES
    assert data.x.dtype == torch.float
    assert torch.allclose(data.x, torch.tensor(written['feat']).float())
    assert data.y.dtype == torch.long and data.y.dim() == 1
    assert data.y.tolist() == written['label'].reshape(-1).tolist()
    assert data.num_classes == num_classes
    assert data.public_split is False
    for mask, key in [('train_mask', 'train'), ('val_mask', 'valid'),
                      ('test_mask', 'test')]:
        mask = data[mask]
        assert mask.dtype == torch.bool and mask.shape == (NUM_NODES, )
        assert mask.nonzero().view(-1).tolist() == written['idx'][key].tolist()
    assert is_undirected(data.edge_index)
    pairs = {tuple(e) for e in written['edge'].tolist()}
    pairs |= {(j, i) for i, j in pairs}
    assert set(map(tuple, data.edge_index.t().tolist())) == pairs


def test_ogbn_arxiv_tiny_raw_files(tmp_path, offline):
    root = str(tmp_path)
    written = write_ogbn(root, 'ogbn-arxiv', 'time', 40, ['node_year'])
    data = load_dataset('ogbn-arxiv', root)
    check_ogbn(data, written, 40)
    assert data.node_year.shape == (NUM_NODES, 1)
    # Loading again reads the processed file; alias and case work:
    again = load_dataset('Arxiv', root)
    assert torch.equal(again.edge_index, data.edge_index)
    assert offline == []


def test_ogbn_products_tiny_raw_files(tmp_path, offline):
    root = str(tmp_path)
    written = write_ogbn(root, 'ogbn-products', 'sales_ranking', 47)
    data = load_dataset('ogbn_products', root)
    check_ogbn(data, written, 47)
    assert offline == []


def test_ogbn_missing_offline(tmp_path, offline):
    for _ in range(2):  # A failed attempt must not break the next one.
        with pytest.raises(DatasetNotFoundError) as info:
            load_dataset('ogbn-arxiv', str(tmp_path))
        msg = str(info.value)
        assert osp.join(str(tmp_path), 'ogbn_arxiv') in msg
        assert 'raw/edge.csv.gz' in msg and 'split/time/train.csv.gz' in msg
        assert 'pyg-rbm data --copy-from ../shared/data' in msg
    assert offline != []
    assert os.listdir(tmp_path) == []


def test_get_evaluator():
    from ogb.nodeproppred import Evaluator
    evaluator = get_evaluator('ogbn-arxiv')
    assert isinstance(evaluator, Evaluator)
    assert evaluator.name == 'ogbn-arxiv'
    assert get_evaluator('Products').name == 'ogbn-products'
    assert get_evaluator('cora') is None
    assert get_evaluator('amazon-photo') is None
    y_true = torch.tensor([[0], [1], [2], [2]])
    y_pred = torch.tensor([[0], [1], [1], [2]])
    out = evaluator.eval({'y_true': y_true, 'y_pred': y_pred})
    assert out['acc'] == 0.75
