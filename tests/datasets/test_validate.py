import pytest
import torch
from torch_geometric.data import Data

from pyg_rbm.datasets.validate import check_node_data


def _graph(**changes):
    mask = lambda *nodes: torch.isin(torch.arange(6),  # noqa: E731
                                     torch.tensor(nodes))
    data = Data(x=torch.ones(6, 3), y=torch.tensor([0, 1, 2, 0, 1, 2]),
                edge_index=torch.tensor([[0, 1, 2], [1, 2, 3]]),
                train_mask=mask(0, 1), val_mask=mask(2, 3),
                test_mask=mask(4, 5))
    for key, value in changes.items():
        data[key] = value
    return data


def test_a_sound_graph_passes():
    check_node_data(_graph(), 'here')
    check_node_data(_graph(num_classes=3), 'here')


@pytest.mark.parametrize('changes,message', [
    (dict(x=torch.tensor([[float('nan')] * 3] + [[1.0] * 3] * 5)),
     "'data.x' holds NaN or infinite values in 'here'"),
    (dict(train_mask=torch.tensor([1, 1, 0, 0, 0, 0])),
     "'data.train_mask' must be a boolean mask"),
    (dict(val_mask=torch.ones(5, dtype=torch.bool)),
     r"'data.val_mask' must have one entry per node \(6, got \[5\]\)"),
    (dict(val_mask=torch.zeros(6, dtype=torch.bool)),
     "'data.val_mask' selects no node"),
    (dict(test_mask=torch.tensor([1, 0, 0, 0, 1, 1], dtype=torch.bool)),
     "'data.test_mask' selects nodes that another"),
    (dict(y=torch.tensor([0, 1, 2, 0, 1, -1])),
     r"labels outside \[0, 3\) on 'test_mask' nodes"),
    (dict(y=torch.tensor([0, 1, 2, 0, 1])), "one label per node"),
    (dict(edge_index=torch.tensor([[0], [6]])), "'data.edge_index' points"),
])
def test_untrustworthy_graphs_fail_by_name(changes, message):
    with pytest.raises(ValueError, match=message):
        check_node_data(_graph(**changes), 'here')


def test_labels_beyond_the_stated_classes():
    with pytest.raises(ValueError, match=r"outside \[0, 2\) on 'val_mask'"):
        check_node_data(_graph(), 'here', num_classes=2)
    # Only the named masks are required.
    data = _graph()
    del data.test_mask
    check_node_data(data, 'here', masks=('train_mask', 'val_mask'))
