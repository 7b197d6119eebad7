import os.path as osp

from torch_geometric.data import Data, download_url
from torch_geometric.io import read_npz

from pyg_rbm.datasets.root import load_or_raise
from pyg_rbm.datasets.splits import random_split_lcc

__all__ = ['NPZ_URL', 'NPZ_FILES', 'npz_path', 'load_npz']

NPZ_URL = 'https://github.com/shchur/gnn-benchmark/raw/master/data/npz/'
NPZ_FILES = {
    'cora': 'cora.npz',
    'citeseer': 'citeseer.npz',
    'amazon-photo': 'amazon_electronics_photo.npz',
    'amazon-computers': 'amazon_electronics_computers.npz',
    'coauthor-cs': 'ms_academic_cs.npz',
    'coauthor-physics': 'ms_academic_phy.npz',
}


def npz_path(name: str, root: str) -> str:
    r"""Returns :obj:`<root>/npz/<file>` for a key of :obj:`NPZ_FILES`."""
    if name not in NPZ_FILES:
        raise ValueError(f"'name' of 'npz_path' must be one of "
                         f"{sorted(NPZ_FILES)} (got '{name}')")
    return osp.join(root, 'npz', NPZ_FILES[name])


def load_npz(
    name: str,
    root: str,
    seed: int = 0,
    num_train: int = 20,
    num_val: int = 30,
) -> Data:
    r"""Loads a graph stored in the sparse :obj:`.npz` format of the
    `"Pitfalls of Graph Neural Network Evaluation"
    <https://arxiv.org/abs/1811.05868>`_ benchmark, as used by CPF and GLNN
    (*e.g.*, :obj:`<root>/npz/cora.npz`).

    The graph is made symmetric without self-loops, reduced to its largest
    connected component, and split into :obj:`num_train` training and
    :obj:`num_val` validation nodes per class drawn from :obj:`seed`; the
    other nodes are test nodes. A missing file is downloaded from the
    benchmark's repository when reachable.

    Args:
        name (str): A key of :obj:`NPZ_FILES` (*e.g.*, :obj:`"cora"`).
        root (str): The data root.
        seed (int, optional): The split seed. (default: :obj:`0`)
        num_train (int, optional): Training nodes per class.
            (default: :obj:`20`)
        num_val (int, optional): Validation nodes per class.
            (default: :obj:`30`)
    """
    path = npz_path(name, root)
    folder, file = osp.split(path)

    def load() -> Data:
        if not osp.isfile(path):
            download_url(NPZ_URL + file, folder, log=False)
        return read_npz(path, to_undirected=True)

    data = load_or_raise(load, f'{name}-npz', folder, [file], cleanup=folder)
    return random_split_lcc(data, seed, num_train, num_val)
