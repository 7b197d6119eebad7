import os.path as osp

from torch_geometric.data import Data
from torch_geometric.datasets import Actor
from torch_geometric.utils import remove_self_loops, to_undirected

from pyg_rbm.datasets.root import load_or_raise

__all__ = ['load_actor']

NUM_SPLITS = 10


def load_actor(root: str, seed: int = 0) -> Data:
    r"""Loads the heterophilous Actor (film) graph of the `"Geom-GCN:
    Geometric Graph Convolutional Networks"
    <https://openreview.net/forum?id=S1e2agrFvS>`_ paper through
    :class:`torch_geometric.datasets.Actor` from :obj:`<root>/Actor/raw`.

    Of its 10 fixed 60/20/20 splits, split :obj:`seed % 10` is used. The
    edges are made undirected and self-loops are removed.

    Args:
        root (str): The data root.
        seed (int, optional): Selects the split. (default: :obj:`0`)
    """
    folder = osp.join(root, 'Actor')
    files = ['out1_node_feature_label.txt', 'out1_graph_edges.txt']
    files += [f'film_split_0.6_0.2_{i}.npz' for i in range(NUM_SPLITS)]
    dataset = load_or_raise(lambda: Actor(folder), 'Actor',
                            osp.join(folder, 'raw'), files, cleanup=folder)
    data = dataset[0]
    split = seed % NUM_SPLITS
    edge_index = to_undirected(data.edge_index, num_nodes=data.num_nodes)
    data.edge_index, _ = remove_self_loops(edge_index)
    data.train_mask = data.train_mask[:, split].contiguous()
    data.val_mask = data.val_mask[:, split].contiguous()
    data.test_mask = data.test_mask[:, split].contiguous()
    data.num_classes = dataset.num_classes
    data.public_split = False
    return data
