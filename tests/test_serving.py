import pytest
import torch
from torch_geometric.data import Data
from torch_geometric.nn.models import GAT, GCN, GIN, GraphSAGE
from torch_geometric.utils import k_hop_subgraph

from pyg_rbm.serving import (
    NeighborhoodIndex,
    TeacherServer,
    neighborhood_subgraph,
)

DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


def _graph(num_nodes=60, num_edges=240, seed=0):
    gen = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(num_nodes - 5, (2, num_edges), generator=gen)
    # Duplicate edges and self-loops must count as in message passing;
    # the last five nodes are isolated.
    edge_index = torch.cat([edge_index, edge_index[:, :10],
                            torch.tensor([[3, 4], [3, 4]])], dim=1)
    x = torch.randn(num_nodes, 12, generator=gen)
    return x, edge_index


def test_gather_hop_structure():
    # Path 0 -> 1 -> 2 -> 3 -> 4 (messages flow along the arrows), plus
    # 5 -> 2 twice and 6 -> 0.
    edge_index = torch.tensor([[0, 1, 2, 3, 5, 5, 6], [1, 2, 3, 4, 2, 2, 0]])
    model = GraphSAGE(4, 8, num_layers=2, out_channels=3)
    server = TeacherServer(model, torch.randn(7, 4), edge_index)
    assert str(server) == ('TeacherServer(GraphSAGE, num_nodes=7, '
                           'num_edges=7, num_hops=2)')

    nb = server.gather(torch.tensor([3, 3, 2]))
    # Seeds {2, 3}; hop 1 adds 1 and 5 (in-neighbours of 2); hop 2 adds 0.
    assert nb.num_nodes_per_hop == [2, 2, 1]
    assert nb.node_id.tolist() == [2, 3, 1, 5, 0]
    assert nb.seed_inverse.tolist() == [1, 1, 0]
    # Rows: nodes within one hop (2, 3, 1, 5), their in-edges in local ids.
    assert nb.rowptr.tolist() == [0, 3, 4, 5, 5]
    assert nb.col.tolist() == [2, 3, 3, 0, 4]
    # The scratch map is reset: a second request sees a clean state.
    nb = server.gather(torch.tensor([0]))
    assert nb.node_id.tolist() == [0, 6]
    assert nb.num_nodes_per_hop == [1, 1, 0]


@pytest.mark.parametrize('num_layers', [1, 2, 3])
def test_gather_matches_k_hop_subgraph(num_layers):
    x, edge_index = _graph()
    model = GraphSAGE(12, 8, num_layers=num_layers, out_channels=3)
    server = TeacherServer(model, x, edge_index)
    nodes = torch.tensor([0, 7, 7, 31, 58])
    nb = server.gather(nodes)
    subset, _, _, _ = k_hop_subgraph(nodes, num_layers, edge_index,
                                     num_nodes=x.size(0))
    assert sorted(nb.node_id.tolist()) == subset.tolist()
    assert nb.node_id.unique().numel() == nb.node_id.numel()
    assert len(nb.num_nodes_per_hop) == num_layers + 1
    # Every in-edge of a node within K - 1 hops, with multiplicity.
    rows = sum(nb.num_nodes_per_hop[:-1])
    inner = nb.node_id[:rows]
    expected = torch.isin(edge_index[1], inner).sum()
    assert nb.rowptr.numel() == rows + 1
    assert int(nb.rowptr[-1]) == nb.col.numel() == int(expected)


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('model_fn', [
    lambda: GraphSAGE(12, 16, num_layers=2, out_channels=5),
    lambda: GraphSAGE(12, 16, num_layers=3, out_channels=5,
                      norm='batch_norm'),
    lambda: GraphSAGE(12, 16, num_layers=2, out_channels=5, aggr='max'),
    lambda: GAT(12, 16, num_layers=2, out_channels=5, heads=2),
    lambda: GIN(12, 16, num_layers=2, out_channels=5),
])
def test_predict_equals_full_graph(model_fn, device):
    torch.manual_seed(0)
    x, edge_index = (t.to(device) for t in _graph())
    model = model_fn().to(device)
    if model.norms is not None:  # Non-trivial running statistics.
        model.train()
        model(x, edge_index)
    model.train()
    server = TeacherServer(model, x, edge_index)
    nodes = torch.tensor([5, 0, 5, 59, 17, 42, 3])  # (on the CPU)
    out = server.predict(nodes)
    assert model.training  # The training flag is restored.
    assert out.device == x.device

    model.eval()
    with torch.no_grad():
        full = model(x, edge_index)
    assert out.size() == (7, 5)
    assert torch.allclose(out, full[nodes.to(device)], atol=1e-5)
    assert torch.allclose(server(torch.arange(60, device=device)), full,
                          atol=1e-5)


def test_teacher_server_errors():
    x, edge_index = _graph()
    with pytest.raises(ValueError, match="'GCNConv' without bipartite"):
        TeacherServer(GCN(12, 8, num_layers=2), x, edge_index)
    with pytest.raises(ValueError, match="'model' in 'TeacherServer'"):
        TeacherServer(torch.nn.Linear(12, 3), x, edge_index)
    model = GraphSAGE(12, 8, num_layers=2)
    with pytest.raises(ValueError, match="outside"):
        TeacherServer(model, x[:10], edge_index)
    with pytest.raises(ValueError, match="'edge_index'"):
        TeacherServer(model, x, edge_index.float())
    server = TeacherServer(model, x, edge_index)
    with pytest.raises(ValueError, match="'nodes' in 'NeighborhoodIndex'"):
        server.predict(torch.tensor([60]))
    with pytest.raises(ValueError, match="non-empty 1-D"):
        server.predict(torch.tensor([], dtype=torch.long))


def test_neighborhood_subgraph_gives_seed_outputs():
    torch.manual_seed(0)
    x, edge_index = _graph()
    model = GraphSAGE(12, 16, num_layers=3, out_channels=5).eval()
    nb = TeacherServer(model, x, edge_index).gather(torch.tensor([9, 2, 9]))
    sub_edge_index = nb.edge_index()
    assert sub_edge_index.size() == (2, nb.col.numel())
    assert int(sub_edge_index.max()) < nb.node_id.numel()
    # Edges map back to real edges of the graph.
    glob = nb.node_id[sub_edge_index]
    real = set(map(tuple, edge_index.t().tolist()))
    assert all(tuple(e) in real for e in glob.t().tolist())
    with torch.no_grad():
        sub = model(x[nb.node_id], sub_edge_index)
        full = model(x, edge_index)
    assert nb.node_id[:2].tolist() == [2, 9]
    assert torch.allclose(sub[:2], full[[2, 9]], atol=1e-5)
    # Only the seeds are exact: nodes at the border miss in-edges.
    assert not torch.allclose(sub, full[nb.node_id], atol=1e-3)


def test_neighborhood_index():
    edge_index = torch.tensor([[0, 1, 2, 3, 5, 5, 6], [1, 2, 3, 4, 2, 2, 0]])
    index = NeighborhoodIndex(edge_index, num_nodes=8)
    assert str(index) == 'NeighborhoodIndex(num_nodes=8, num_edges=7)'
    assert index.rowptr.tolist() == [0, 1, 2, 5, 6, 7, 7, 7, 7]
    nb = index.gather(torch.tensor([4]), num_hops=3)
    assert nb.node_id.tolist() == [4, 3, 2, 1, 5]
    assert nb.num_nodes_per_hop == [1, 1, 1, 2]
    with pytest.raises(ValueError, match="'num_hops' in 'NeighborhoodIndex'"):
        index.gather(torch.tensor([4]), num_hops=0)
    with pytest.raises(ValueError, match="outside"):
        NeighborhoodIndex(edge_index, num_nodes=6)


def test_neighborhood_subgraph_data():
    torch.manual_seed(0)
    x, edge_index = _graph()
    mask = torch.zeros(60, dtype=torch.bool)
    mask[[2, 9, 30]] = True
    data = Data(x=x, edge_index=edge_index, y=torch.arange(60),
                train_mask=mask, edge_attr=torch.randn(edge_index.size(1)))
    data.num_classes = 7
    sub = neighborhood_subgraph(data, torch.tensor([30, 9, 11]), num_hops=2)
    assert sub.num_seed_nodes == 3
    assert sub.node_id[:3].tolist() == [9, 11, 30]
    assert torch.equal(sub.y, sub.node_id)
    assert torch.equal(sub.x, x[sub.node_id])
    # Masks survive on the seeds only, edge attributes are dropped.
    assert sub.train_mask.nonzero().view(-1).tolist() == [0, 2]
    assert 'edge_attr' not in sub and sub.num_classes == 7
    assert sub.num_nodes == sub.node_id.numel() < 60

    model = GraphSAGE(12, 16, num_layers=2, out_channels=5)
    model.train()
    torch.manual_seed(1)  # Dropout-free model: same loss and gradients.
    loss = model(sub.x, sub.edge_index)[sub.train_mask].sum()
    grads = torch.autograd.grad(loss, list(model.parameters()))
    full_loss = model(x, edge_index)[[9, 30]].sum()  # Seeds in the mask.
    full_grads = torch.autograd.grad(full_loss, list(model.parameters()))
    assert torch.allclose(loss, full_loss, atol=1e-4)
    assert all(torch.allclose(g, h, atol=1e-4)
               for g, h in zip(grads, full_grads))
    with pytest.raises(ValueError, match="'index' in 'neighborhood_sub"):
        neighborhood_subgraph(data, torch.tensor([1]), 2,
                              index=NeighborhoodIndex(edge_index, 61))
