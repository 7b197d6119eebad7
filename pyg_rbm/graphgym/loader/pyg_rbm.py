"""GraphGym loader for ``dataset.format: pyg_rbm``: the project's datasets."""
from typing import Optional

from torch_geometric.data import Data, InMemoryDataset
from torch_geometric.graphgym.config import cfg

from pyg_rbm.graphgym.register import registered
from pyg_rbm.graphgym.translate import FORMAT


class OneGraphDataset(InMemoryDataset):
    r"""A dataset holding the single graph :obj:`data`, in the form
    GraphGym's :func:`~torch_geometric.graphgym.loader.create_loader`
    expects (it reads :obj:`dataset._data` for the input and output widths
    and the number of splits).

    Args:
        data (torch_geometric.data.Data): The graph.
    """
    def __init__(self, data: Data):
        super().__init__()
        self._data, self.slices = self.collate([data])


@registered('loader', FORMAT)
def load_pyg_rbm(format: str, name: str,
                 dataset_dir: str) -> Optional[OneGraphDataset]:
    r"""Loads :obj:`name` with :func:`pyg_rbm.datasets.load_dataset` when
    :obj:`format` is :obj:`"pyg_rbm"` (else returns :obj:`None`, as
    GraphGym's loader protocol asks), as a one-graph dataset, so that
    :func:`~torch_geometric.graphgym.loader.create_loader` builds its
    train, validation and test loaders from it.

    The graph comes with its :obj:`train_mask`, :obj:`val_mask` and
    :obj:`test_mask` for split seed :obj:`cfg.seed` (random-split datasets
    draw their split per seed). The registered train loop ``distill``
    takes it from the loaders and hands it to
    :func:`pyg_rbm.train.pipeline.run_seed`, the project's one path that
    holds out the inductive nodes, trains (or loads) the teacher and
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
    from pyg_rbm import distributed
    from pyg_rbm.datasets import load_dataset
    from pyg_rbm.graphgym.translate import distill_config_from_cfg
    options = distill_config_from_cfg(cfg).data.generator_options()
    # Of several processes, one processes the raw files, then the others
    # read its result.
    with distributed.main_process_first():
        data = load_dataset(name, dataset_dir or None, seed=cfg.seed,
                            **options)
    return OneGraphDataset(data)
