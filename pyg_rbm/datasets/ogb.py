import os.path as osp
from typing import Any, Optional

import torch
from torch_geometric.data import Data
from torch_geometric.data.data import DataEdgeAttr, DataTensorAttr
from torch_geometric.data.storage import GlobalStorage
from torch_geometric.utils import index_to_mask, to_undirected

from pyg_rbm.datasets.root import load_or_raise

__all__ = ['OGB_SPLITS', 'OGB_ALIASES', 'load_ogb', 'get_evaluator']

# The official split of each dataset (the folder under `split/`):
OGB_SPLITS = {'ogbn-arxiv': 'time', 'ogbn-products': 'sales_ranking'}
OGB_ALIASES = {'arxiv': 'ogbn-arxiv', 'products': 'ogbn-products'}
_RAW = ['edge', 'node-feat', 'node-label', 'num-node-list', 'num-edge-list']
_EXTRA_RAW = {'ogbn-arxiv': ['node_year']}
_PYG_GLOBALS = [DataEdgeAttr, DataTensorAttr, GlobalStorage]


def _canonical(name: str) -> Optional[str]:
    key = name.lower().replace('_', '-')
    key = OGB_ALIASES.get(key, key)
    return key if key in OGB_SPLITS else None


def load_ogb(name: str, root: str) -> Data:
    r"""Loads ogbn-arxiv or ogbn-products from the `"Open Graph Benchmark"
    <https://arxiv.org/abs/2005.00687>`_ with its official split, through
    :class:`ogb.nodeproppred.PygNodePropPredDataset` in
    :obj:`<root>/ogbn_<name>/`.

    The edges are made undirected and :obj:`y` is flattened to 1-D.

    Args:
        name (str): :obj:`"ogbn-arxiv"` or :obj:`"ogbn-products"`.
        root (str): The data root.
    """
    key = _canonical(name)
    if key is None:
        raise ValueError(f"'name' of 'load_ogb' must be one of "
                         f"{sorted(OGB_SPLITS)} (got '{name}')")
    from ogb.nodeproppred import PygNodePropPredDataset

    dir_name = key.replace('-', '_')
    if osp.isdir(osp.join(root, dir_name + '_pyg')):
        dir_name += '_pyg'  # The folder name of older OGB downloads.
    folder = osp.join(root, dir_name)
    raw = _RAW + _EXTRA_RAW.get(key, [])
    files = ['RELEASE_v1.txt'] + [f'raw/{f}.csv.gz' for f in raw]
    files += [f'split/{OGB_SPLITS[key]}/{f}.csv.gz'
              for f in ('train', 'valid', 'test')]

    def load() -> Any:
        # OGB reads its processed file with a bare `torch.load`, which since
        # PyTorch 2.6 only unpickles allow-listed classes:
        with torch.serialization.safe_globals(_PYG_GLOBALS):
            dataset = PygNodePropPredDataset(key, root)
            return dataset, dataset.get_idx_split()

    dataset, split = load_or_raise(load, key, folder, files, cleanup=folder)
    data = dataset[0]
    num_nodes = data.num_nodes
    data.edge_index = to_undirected(data.edge_index, num_nodes=num_nodes)
    data.y = data.y.view(-1)
    data.train_mask = index_to_mask(split['train'], num_nodes)
    data.val_mask = index_to_mask(split['valid'], num_nodes)
    data.test_mask = index_to_mask(split['test'], num_nodes)
    data.num_classes = int(dataset.num_classes)
    data.public_split = False
    return data


def get_evaluator(name: str) -> Optional[Any]:
    r"""Returns the :class:`ogb.nodeproppred.Evaluator` of an OGB node
    property prediction dataset, and :obj:`None` for any other dataset
    the project knows (an unknown name raises a :class:`ValueError`).

    Args:
        name (str): A dataset name (*e.g.*, :obj:`"ogbn-arxiv"`,
            :obj:`"arxiv"` or :obj:`"cora"`).
    """
    from pyg_rbm.datasets.registry import dataset_info
    key = dataset_info(name).evaluator
    if key is None:
        return None
    from ogb.nodeproppred import Evaluator
    return Evaluator(key)
