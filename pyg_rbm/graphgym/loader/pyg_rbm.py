"""GraphGym loader for ``dataset.format: pyg_rbm``: the project's datasets."""
from typing import Optional

from torch_geometric.data import Data
from torch_geometric.graphgym.config import cfg

from pyg_rbm.graphgym.register import registered
from pyg_rbm.graphgym.translate import FORMAT


@registered('loader', FORMAT)
def load_pyg_rbm(format: str, name: str, dataset_dir: str) -> Optional[Data]:
    r"""Loads :obj:`name` with :func:`pyg_rbm.datasets.load_dataset` when
    :obj:`format` is :obj:`"pyg_rbm"` (else returns :obj:`None`, as
    GraphGym's loader protocol asks).

    The graph comes with its :obj:`train_mask`, :obj:`val_mask` and
    :obj:`test_mask` for split seed :obj:`cfg.seed` (random-split datasets
    draw their split per seed). The registered train loop ``distill`` hands
    it to :func:`pyg_rbm.train.pipeline.run_seed`, the project's one path
    that holds out the inductive nodes, trains (or loads) the teacher and
    materialises its outputs with
    :class:`~pyg_rbm.transforms.KnowledgeDistillation`.

    Args:
        format (str): :obj:`cfg.dataset.format`.
        name (str): :obj:`cfg.dataset.name`, *e.g.*, :obj:`"cora"`.
        dataset_dir (str): :obj:`cfg.dataset.dir`, the data root;
            :obj:`""` means :obj:`$PYG_RBM_DATA` or :obj:`./data`.
    """
    if format != FORMAT:
        return None
    from pyg_rbm.datasets import load_dataset
    return load_dataset(name, dataset_dir or None, seed=cfg.seed)
