import os.path as osp

from torch_geometric.data import Data
from torch_geometric.datasets import Planetoid

from pyg_rbm.datasets.root import load_or_raise

__all__ = ['PLANETOID_NAMES', 'load_planetoid']

PLANETOID_NAMES = {'cora': 'Cora', 'citeseer': 'CiteSeer', 'pubmed': 'PubMed'}
_SUFFIXES = ['x', 'tx', 'allx', 'y', 'ty', 'ally', 'graph', 'test.index']


def load_planetoid(name: str, root: str) -> Data:
    r"""Loads Cora, CiteSeer or PubMed from the `"Revisiting
    Semi-Supervised Learning with Graph Embeddings"
    <https://arxiv.org/abs/1603.08861>`_ paper with its public split
    (20 training nodes per class, 500 validation and 1000 test nodes),
    through :class:`torch_geometric.datasets.Planetoid`.

    The raw files are expected in :obj:`<root>/<Name>/raw/ind.<name>.*`;
    they are downloaded when missing and reachable.

    Args:
        name (str): :obj:`"cora"`, :obj:`"citeseer"` or :obj:`"pubmed"`
            (any case).
        root (str): The data root.
    """
    key = name.lower()
    if key not in PLANETOID_NAMES:
        raise ValueError(f"'name' of 'load_planetoid' must be one of "
                         f"{sorted(PLANETOID_NAMES)} (got '{name}')")
    name = PLANETOID_NAMES[key]
    files = [f'ind.{key}.{suffix}' for suffix in _SUFFIXES]
    dataset = load_or_raise(lambda: Planetoid(root, name), name,
                            osp.join(root, name, 'raw'), files,
                            cleanup=osp.join(root, name))
    data = dataset[0]
    data.num_classes = dataset.num_classes
    data.public_split = True
    return data
