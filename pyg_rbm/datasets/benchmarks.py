import os.path as osp

from torch_geometric.data import Data
from torch_geometric.datasets import Amazon, Coauthor

from pyg_rbm.datasets.npz import NPZ_FILES, load_npz, npz_path
from pyg_rbm.datasets.root import load_or_raise
from pyg_rbm.datasets.splits import random_split_lcc

__all__ = ['BENCHMARKS', 'load_benchmark']

BENCHMARKS = {
    'amazon-photo': (Amazon, 'Photo'),
    'amazon-computers': (Amazon, 'Computers'),
    'coauthor-cs': (Coauthor, 'CS'),
    'coauthor-physics': (Coauthor, 'Physics'),
}


def load_benchmark(
    name: str,
    root: str,
    seed: int = 0,
    num_train: int = 20,
    num_val: int = 30,
) -> Data:
    r"""Loads Amazon Photo/Computers or Coauthor CS/Physics from the
    `"Pitfalls of Graph Neural Network Evaluation"
    <https://arxiv.org/abs/1811.05868>`_ paper with the CPF protocol:
    largest connected component, :obj:`num_train` training and
    :obj:`num_val` validation nodes per class drawn from :obj:`seed`, the
    rest for testing.

    The file :obj:`<root>/npz/<file>.npz` is used when present (see
    :meth:`load_npz`); otherwise :class:`~torch_geometric.datasets.Amazon`
    or :class:`~torch_geometric.datasets.Coauthor` reads (or downloads)
    :obj:`<root>/<Name>/raw/<file>.npz`.

    Args:
        name (str): A key of :obj:`BENCHMARKS` (*e.g.*,
            :obj:`"amazon-photo"`).
        root (str): The data root.
        seed (int, optional): The split seed. (default: :obj:`0`)
        num_train (int, optional): Training nodes per class.
            (default: :obj:`20`)
        num_val (int, optional): Validation nodes per class.
            (default: :obj:`30`)
    """
    if name not in BENCHMARKS:
        raise ValueError(f"'name' of 'load_benchmark' must be one of "
                         f"{sorted(BENCHMARKS)} (got '{name}')")
    if osp.isfile(npz_path(name, root)):
        return load_npz(name, root, seed, num_train, num_val)
    cls, pyg_name = BENCHMARKS[name]
    folder = osp.join(root, pyg_name)
    dataset = load_or_raise(lambda: cls(root, pyg_name), name,
                            osp.join(folder, 'raw'), [NPZ_FILES[name]],
                            cleanup=folder)
    return random_split_lcc(dataset[0], seed, num_train, num_val)
