from typing import Callable, Dict, List, Optional

from torch_geometric.data import Data

from pyg_rbm.datasets.actor import load_actor
from pyg_rbm.datasets.benchmarks import BENCHMARKS, load_benchmark
from pyg_rbm.datasets.csbm import make_csbm
from pyg_rbm.datasets.npz import load_npz
from pyg_rbm.datasets.ogb import OGB_ALIASES, OGB_SPLITS, load_ogb
from pyg_rbm.datasets.planetoid import PLANETOID_NAMES, load_planetoid
from pyg_rbm.datasets.root import resolve_root

__all__ = ['ALIASES', 'CSBM_DEFAULTS', 'available_datasets',
           'canonical_name', 'load_dataset']

# The graph `load_dataset('csbm')` generates, small enough for smoke runs:
CSBM_DEFAULTS = dict(num_nodes=10_000, num_classes=5, num_features=32,
                     avg_degree=10.0, homophily=0.8)

Loader = Callable[[str, int], Data]


def _loaders() -> Dict[str, Loader]:
    out: Dict[str, Loader] = {}
    for name in PLANETOID_NAMES:
        out[name] = lambda root, seed, name=name: load_planetoid(name, root)
    for name in ('cora', 'citeseer'):
        out[f'{name}-npz'] = (
            lambda root, seed, name=name: load_npz(name, root, seed))
    for name in BENCHMARKS:
        out[name] = (
            lambda root, seed, name=name: load_benchmark(name, root, seed))
    out['actor'] = lambda root, seed: load_actor(root, seed)
    for name in OGB_SPLITS:
        out[name] = lambda root, seed, name=name: load_ogb(name, root)
    out['csbm'] = lambda root, seed: make_csbm(**CSBM_DEFAULTS, seed=seed)
    return out


_LOADERS = _loaders()

ALIASES = {
    'cpf-cora': 'cora-npz',
    'cpf-citeseer': 'citeseer-npz',
    'photo': 'amazon-photo',
    'a-photo': 'amazon-photo',
    'amazonphoto': 'amazon-photo',
    'computers': 'amazon-computers',
    'amazon-com': 'amazon-computers',
    'a-computer': 'amazon-computers',
    'a-computers': 'amazon-computers',
    'amazoncomputers': 'amazon-computers',
    'cs': 'coauthor-cs',
    'coauthorcs': 'coauthor-cs',
    'physics': 'coauthor-physics',
    'coauthor-phy': 'coauthor-physics',
    'coauthorphysics': 'coauthor-physics',
    'film': 'actor',
    **OGB_ALIASES,
}


def available_datasets() -> List[str]:
    r"""Returns the canonical dataset names of :meth:`load_dataset`."""
    return list(_LOADERS)


def canonical_name(name: str) -> str:
    r"""Maps a dataset name or alias (any case, :obj:`"_"` or :obj:`"-"`)
    to its canonical name, *e.g.*, :obj:`"Amazon_Photo"` to
    :obj:`"amazon-photo"`.

    Args:
        name (str): The dataset name.
    """
    key = str(name).strip().lower().replace('_', '-')
    key = ALIASES.get(key, key)
    if key not in _LOADERS:
        raise ValueError(f"'name' of 'load_dataset' must be one of "
                         f"{', '.join(_LOADERS)} or an alias "
                         f"({', '.join(ALIASES)}); got '{name}'")
    return key


def load_dataset(
    name: str,
    root: Optional[str] = None,
    seed: int = 0,
) -> Data:
    r"""Loads a node classification dataset with its split.

    The result has :obj:`x` (float, :obj:`[N, F]`), an undirected
    :obj:`edge_index`, :obj:`y` (long, :obj:`[N]`), boolean
    :obj:`train_mask`, :obj:`val_mask` and :obj:`test_mask`, and the
    attributes :obj:`num_classes` (int) and :obj:`public_split` (bool,
    :obj:`True` only for the public Planetoid split).

    Splits: the public split for :obj:`"cora"`, :obj:`"citeseer"` and
    :obj:`"pubmed"`; the largest connected component with 20 training and
    30 validation nodes per class drawn from :obj:`seed` for
    :obj:`"cora-npz"`, :obj:`"citeseer-npz"`, Amazon and Coauthor; fixed
    split :obj:`seed % 10` for :obj:`"actor"`; the official split for OGB.
    :obj:`"csbm"` is a synthetic graph generated from :obj:`seed` with
    :obj:`CSBM_DEFAULTS` (see :meth:`make_csbm`).

    Args:
        name (str): The dataset name (case-insensitive, see
            :meth:`available_datasets` and :obj:`ALIASES`).
        root (str, optional): The data root, see :meth:`resolve_root`.
            (default: :obj:`None`)
        seed (int, optional): The split seed. (default: :obj:`0`)
    """
    key = canonical_name(name)
    return _LOADERS[key](resolve_root(root), seed)
