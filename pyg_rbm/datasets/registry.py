"""The datasets the project knows: one entry each, read by name."""
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

from torch_geometric.data import Data

from pyg_rbm.datasets.actor import load_actor
from pyg_rbm.datasets.benchmarks import load_benchmark
from pyg_rbm.datasets.csbm import make_csbm
from pyg_rbm.datasets.npz import load_npz
from pyg_rbm.datasets.ogb import OGB_ALIASES, OGB_SPLITS, load_ogb
from pyg_rbm.datasets.planetoid import load_planetoid

__all__ = ['CSBM_DEFAULTS', 'SPLIT_KINDS', 'DatasetInfo', 'DATASETS',
           'dataset_info']

# The graph `load_dataset('csbm')` generates, small enough for smoke runs:
CSBM_DEFAULTS = dict(num_nodes=10_000, num_classes=5, num_features=32,
                     avg_degree=10.0, homophily=0.8)

SPLIT_KINDS = {
    'public': 'the public Planetoid split',
    'random': 'largest connected component, 20 training and 30 validation '
    'nodes per class drawn per seed (CPF)',
    'fixed': 'the 10 fixed Geom-GCN splits, split = seed mod 10',
    'official': 'the official OGB split',
    'synthetic': 'a graph and split generated per seed',
}


@dataclass(frozen=True)
class DatasetInfo:
    r"""What the project knows about a dataset.

    Args:
        name (str): The canonical name, *e.g.*, :obj:`"cora-npz"`.
        label (str): The name shown in tables, *e.g.*, :obj:`"Cora"`.
        split (str): The kind of split (a key of :obj:`SPLIT_KINDS`).
        load (callable): :obj:`(root, seed) -> Data`; a generated graph's
            also takes its generator's options by keyword.
        config (str, optional): The shipped defaults it takes,
            :obj:`pyg_rbm/configs/<config>.yaml` (those of the same graph
            for the CPF versions); :obj:`None` for none.
        aliases (tuple of str): Other names it answers to.
        evaluator (str, optional): The name of its OGB evaluator, whose
            metric replaces plain accuracy.
    """
    name: str
    label: str
    split: str
    load: Callable[..., Data]
    config: Optional[str] = None
    aliases: Tuple[str, ...] = ()
    evaluator: Optional[str] = None


def _entries() -> Tuple[DatasetInfo, ...]:
    planetoid = [
        DatasetInfo(name, label, 'public',
                    lambda root, seed, name=name: load_planetoid(name, root),
                    config=name)
        for name, label in (('cora', 'Cora'), ('citeseer', 'CiteSeer'),
                            ('pubmed', 'PubMed'))
    ]
    cpf = [
        DatasetInfo(f'{name}-npz', label, 'random',
                    lambda root, seed, name=name: load_npz(name, root, seed),
                    config=name, aliases=(f'cpf-{name}', ))
        for name, label in (('cora', 'Cora'), ('citeseer', 'CiteSeer'))
    ]
    benchmarks = [
        DatasetInfo(name, label, 'random',
                    lambda root, seed, name=name: load_benchmark(
                        name, root, seed), config=name, aliases=aliases)
        for name, label, aliases in (
            ('amazon-photo', 'Amazon Photo',
             ('photo', 'a-photo', 'amazonphoto')),
            ('amazon-computers', 'Amazon Computers',
             ('computers', 'amazon-com', 'a-computer', 'a-computers',
              'amazoncomputers')),
            ('coauthor-cs', 'Coauthor CS', ('cs', 'coauthorcs')),
            ('coauthor-physics', 'Coauthor Physics',
             ('physics', 'coauthor-phy', 'coauthorphysics')),
        )
    ]
    ogb = [
        DatasetInfo(name, name, 'official',
                    lambda root, seed, name=name: load_ogb(name, root),
                    config=name, evaluator=name, aliases=tuple(
                        a for a, n in OGB_ALIASES.items() if n == name))
        for name in OGB_SPLITS
    ]
    actor = DatasetInfo('actor', 'Actor', 'fixed',
                        lambda root, seed: load_actor(root, seed),
                        aliases=('film', ))
    csbm = DatasetInfo(
        'csbm', 'CSBM', 'synthetic', lambda root, seed, **options:
        make_csbm(**dict(CSBM_DEFAULTS, **options), seed=seed))
    return (*planetoid, *cpf, *benchmarks, actor, *ogb, csbm)


DATASETS: Dict[str, DatasetInfo] = {info.name: info for info in _entries()}
_BY_NAME: Dict[str, str] = {
    key: info.name
    for info in DATASETS.values() for key in (info.name, *info.aliases)
}


def dataset_info(name: str) -> DatasetInfo:
    r"""Returns the :class:`DatasetInfo` of a dataset name or alias (any
    case, :obj:`"_"` or :obj:`"-"`), *e.g.*, :obj:`"Amazon_Photo"` or
    :obj:`"photo"` for :obj:`"amazon-photo"`.

    Args:
        name (str): The dataset name.
    """
    key = str(name).strip().lower().replace('_', '-')
    if key not in _BY_NAME:
        aliases = [a for info in DATASETS.values() for a in info.aliases]
        raise ValueError(f"The dataset must be one of "
                         f"{', '.join(DATASETS)} or an alias "
                         f"({', '.join(aliases)}); got '{name}'")
    return DATASETS[_BY_NAME[key]]
