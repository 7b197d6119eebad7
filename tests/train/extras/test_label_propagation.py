import math

import pytest
import torch
from torch_geometric.utils import to_undirected

from pyg_rbm.train.extras import label_propagation_features


def test_path_graph_by_hand():
    # Path 0 - 1 - 2, node 0 labelled 0 and node 2 labelled 1.
    edge_index = to_undirected(torch.tensor([[0, 1], [1, 2]]))
    y = torch.tensor([0, 0, 1])
    train_mask = torch.tensor([True, False, True])
    out = label_propagation_features(edge_index, y, train_mask, 3, 2,
                                     num_layers=2, alpha=0.9, normalize=False)
    # A_hat = D^-1/2 A D^-1/2 with degrees (1, 2, 1): all weights 1/sqrt(2).
    # Layer 1: Y1 = 0.9 A_hat Y0 + 0.1 Y0.
    w = 1 / math.sqrt(2)
    y1 = torch.tensor([[0.1, 0.0], [0.9 * w, 0.9 * w], [0.0, 0.1]])
    # Layer 2: Y2 = 0.9 A_hat Y1 + 0.1 Y0.
    y2 = torch.tensor([
        [0.9 * w * y1[1, 0] + 0.1, 0.9 * w * y1[1, 1]],
        [0.9 * w * (y1[0, 0] + y1[2, 0]), 0.9 * w * (y1[0, 1] + y1[2, 1])],
        [0.9 * w * y1[1, 0], 0.9 * w * y1[1, 1] + 0.1],
    ])
    assert torch.allclose(out, y2, atol=1e-6)
    assert torch.allclose(out[0], torch.tensor([0.505, 0.405]), atol=1e-6)

    normed = label_propagation_features(edge_index, y, train_mask, 3, 2,
                                        num_layers=2, alpha=0.9)
    assert torch.allclose(normed, y2 / y2.sum(dim=-1, keepdim=True))
    assert torch.allclose(normed[1], torch.tensor([0.5, 0.5]))


def random_graph(num_nodes: int = 30, num_edges: int = 60, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(num_nodes, (2, num_edges), generator=gen)
    edge_index = edge_index[:, edge_index[0] != edge_index[1]]
    y = torch.randint(3, (num_nodes, ), generator=gen)
    train_mask = torch.zeros(num_nodes, dtype=torch.bool)
    train_mask[:10] = True
    return to_undirected(edge_index, num_nodes=num_nodes), y, train_mask


def test_non_train_labels_never_used():
    edge_index, y, train_mask = random_graph()
    out = label_propagation_features(edge_index, y, train_mask, 30, 3)
    y_other = y.clone()
    y_other[~train_mask] = (y[~train_mask] + 1) % 3
    assert torch.equal(
        out, label_propagation_features(edge_index, y_other, train_mask, 30,
                                        3))
    y_other[~train_mask] = -1  # even invalid values are never read
    assert torch.equal(
        out, label_propagation_features(edge_index, y_other, train_mask, 30,
                                        3))
    index = train_mask.nonzero().view(-1)
    assert torch.equal(out,
                       label_propagation_features(edge_index, y, index, 30, 3))


def test_rows():
    edge_index, y, train_mask = random_graph()
    # Append node 30 without edges and unlabelled.
    y = torch.cat([y, torch.tensor([0])])
    train_mask = torch.cat([train_mask, torch.tensor([False])])
    out = label_propagation_features(edge_index, y, train_mask, 31, 3)
    assert out.shape == (31, 3)
    assert (out >= 0).all()
    sums = out.sum(dim=-1)
    reached = sums > 0
    assert torch.allclose(sums[reached], torch.ones(int(reached.sum())))
    assert not reached[30]
    assert reached[train_mask].all()

    raw = label_propagation_features(edge_index, y, train_mask, 31, 3,
                                     normalize=False)
    assert ((raw >= 0) & (raw <= 1)).all()
    # A training node keeps at least the (1 - alpha) share of its own label.
    own = raw[train_mask].gather(1, y[train_mask].view(-1, 1))
    assert (own >= 0.1 - 1e-6).all()


def test_errors():
    edge_index, y, train_mask = random_graph()
    name = 'label_propagation_features'
    with pytest.raises(ValueError, match=f"'alpha'.*'{name}'"):
        label_propagation_features(edge_index, y, train_mask, 30, 3, alpha=1.5)
    with pytest.raises(ValueError, match=f"'y' must have shape.*'{name}'"):
        label_propagation_features(edge_index, y[:5], train_mask, 30, 3)
    with pytest.raises(ValueError, match="training labels"):
        label_propagation_features(edge_index, y, train_mask, 30, 2)


def test_cora_accuracy(data_root):
    from torch_geometric.datasets import Planetoid

    data = Planetoid(data_root, 'Cora')[0]
    out = label_propagation_features(data.edge_index, data.y, data.train_mask,
                                     data.num_nodes, 7)
    pred = out.argmax(dim=-1)
    acc = (pred[data.test_mask] == data.y[data.test_mask]).float().mean()
    assert acc > 0.65  # label propagation alone on the public split
