import torch
from torch_geometric.data import Data

from pyg_rbm.datasets import preprocess_graph


def _graph():
    x = torch.tensor([[1.0, 3.0], [0.0, 0.0], [2.0, 2.0]])
    edge_index = torch.tensor([[0, 1, 1, 2, 2], [1, 0, 2, 1, 2]])
    return Data(x=x, edge_index=edge_index, y=torch.tensor([0, 1, 0]))


def test_preprocess_graph_rows_and_self_loops():
    data = _graph()
    out = preprocess_graph(data, normalize_features=True, self_loops=True)
    assert torch.equal(out.x, torch.tensor([[0.25, 0.75], [0.0, 0.0],
                                            [0.5, 0.5]]))
    loops = out.edge_index[:, out.edge_index[0] == out.edge_index[1]]
    # Node 2 keeps its one loop, nodes 0 and 1 get one each.
    assert sorted(loops[0].tolist()) == [0, 1, 2]
    assert out.edge_index.size(1) == 4 + 3
    # The input is left as it was.
    assert torch.equal(data.x, _graph().x)
    assert torch.equal(data.edge_index, _graph().edge_index)
    assert torch.equal(out.y, data.y)


def test_preprocess_graph_defaults_change_nothing():
    data = _graph()
    out = preprocess_graph(data)
    assert out.x is data.x and out.edge_index is data.edge_index


def test_preprocess_graph_is_idempotent():
    # GraphGym's train loop preprocesses before the core does it again.
    once = preprocess_graph(_graph(), normalize_features=True,
                            self_loops=True)
    twice = preprocess_graph(once, normalize_features=True, self_loops=True)
    assert torch.equal(twice.x, once.x)
    assert torch.equal(twice.edge_index, once.edge_index)
