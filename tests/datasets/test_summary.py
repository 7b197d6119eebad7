import torch
from torch_geometric.data import Data

from pyg_rbm.datasets import dataset_summary, format_summary_table


def small_graph():
    # Path 0-1-2-3 plus edge 0-2, stored both ways; labels 0, 0, 1, 1.
    edges = [(0, 1), (1, 2), (2, 3), (0, 2)]
    edge_index = torch.tensor(edges + [(j, i) for i, j in edges]).t()
    data = Data(x=torch.ones(4, 3), edge_index=edge_index,
                y=torch.tensor([0, 0, 1, 1]))
    data.train_mask = torch.tensor([True, False, False, False])
    data.val_mask = torch.tensor([False, True, False, False])
    data.test_mask = torch.tensor([False, False, True, True])
    data.num_classes = 2
    return data


def test_dataset_summary():
    row = dataset_summary(small_graph(), 'toy')
    assert row == dict(dataset='toy', nodes=4, edges=4, features=3,
                       classes=2, train=1, val=1, test=2, homophily=0.5)
    assert 'dataset' not in dataset_summary(small_graph())


def test_format_summary_table():
    rows = [
        dataset_summary(small_graph(), 'toy'),
        dict(dataset='bigger', nodes=1000, edges=5, features=3, classes=2,
             train=1, val=1, test=2, homophily=0.8125),
    ]
    assert format_summary_table(rows) == '\n'.join([
        'dataset  nodes  edges  features  classes  train  val  test'
        '  homophily',
        '-------  -----  -----  --------  -------  -----  ---  ----'
        '  ---------',
        'toy          4      4         3        2      1    1     2'
        '      0.500',
        'bigger    1000      5         3        2      1    1     2'
        '      0.812',
    ])
    assert format_summary_table([]) == ''
