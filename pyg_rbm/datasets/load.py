from typing import Any, Dict, List, Optional

from torch_geometric.data import Data

from pyg_rbm.datasets.registry import CSBM_DEFAULTS, DATASETS, dataset_info
from pyg_rbm.datasets.root import resolve_root

__all__ = ['ALIASES', 'CSBM_DEFAULTS', 'available_datasets',
           'canonical_name', 'load_dataset']

# Every alias and the canonical name it stands for:
ALIASES: Dict[str, str] = {
    alias: info.name
    for info in DATASETS.values() for alias in info.aliases
}


def available_datasets() -> List[str]:
    r"""Returns the canonical dataset names of :meth:`load_dataset`."""
    return list(DATASETS)


def canonical_name(name: str) -> str:
    r"""Maps a dataset name or alias (any case, :obj:`"_"` or :obj:`"-"`)
    to its canonical name, *e.g.*, :obj:`"Amazon_Photo"` to
    :obj:`"amazon-photo"`.

    Args:
        name (str): The dataset name.
    """
    return dataset_info(name).name


def load_dataset(
    name: str,
    root: Optional[str] = None,
    seed: int = 0,
    **options: Any,
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
    :obj:`CSBM_DEFAULTS` updated by :obj:`options` (:obj:`num_nodes`,
    :obj:`num_classes`, :obj:`num_features`, :obj:`avg_degree`,
    :obj:`homophily`; see :meth:`make_csbm`).

    Args:
        name (str): The dataset name (case-insensitive, see
            :meth:`available_datasets` and :obj:`ALIASES`).
        root (str, optional): The data root, see :meth:`resolve_root`.
            (default: :obj:`None`)
        seed (int, optional): The split seed. (default: :obj:`0`)
        **options (optional): The generator's options of :obj:`"csbm"`.
    """
    info = dataset_info(name)
    if options and info.split != 'synthetic':
        raise ValueError(f"'{info.name}' is read from files and takes no "
                         f"generator options (got {sorted(options)})")
    unknown = sorted(set(options) - set(CSBM_DEFAULTS))
    if unknown:
        raise ValueError(f"Unknown option(s) {unknown} of '{info.name}' "
                         f"(known: {sorted(CSBM_DEFAULTS)})")
    return info.load(resolve_root(root), seed, **options)
