import pytest
import torch

from pyg_rbm.serving import StudentServer
from pyg_rbm.train.evaluate import predict


def test_new_nodes_get_the_trained_models_answers(tiny_saved_student):
    student, data, _ = tiny_saved_student(positional_encoding=True,
                                          pe_dim=4, pe_walks_per_node=1)
    from pyg_rbm.datasets.settings import split_setting
    held_out = split_setting(data, 'inductive', seed=0).held_out
    # What the trained model gives the held-out nodes within the full graph:
    expected = predict(student.model,
                       student.dataset_features(data))[held_out]
    # Served as new nodes: features plus their edges to the dataset.
    position = torch.full((data.num_nodes, ), -1, dtype=torch.long)
    position[held_out] = torch.arange(held_out.numel())
    src, dst = data.edge_index
    keep = position[dst] >= 0
    neighbors = torch.stack([position[dst[keep]], src[keep]])
    server = StudentServer(student, batch_size=7)
    out = server.predict(data.x[held_out], neighbors)
    assert torch.allclose(out, expected, atol=1e-6)
    with pytest.raises(ValueError, match="give 'neighbor_index'"):
        server.predict(data.x[held_out])


def test_plain_and_refused_students(tiny_saved_student):
    student, data, _ = tiny_saved_student()
    server = StudentServer(student)
    assert torch.equal(server.predict(data.x[:5]), student.predict(data.x[:5]))
    with pytest.raises(ValueError, match='no inputs that need the graph'):
        server.predict(data.x[:5], torch.zeros(2, 1, dtype=torch.long))
    with pytest.raises(ValueError, match="'graph' is given"):
        StudentServer(student, graph=data)
    student, data, _ = tiny_saved_student(label_propagation=True, lp_layers=2)
    with pytest.raises(ValueError, match="give 'graph'"):
        StudentServer(student)
    with pytest.raises(ValueError, match="must hold 'train_mask'"):
        StudentServer(student, graph=data.__class__(
            edge_index=data.edge_index, y=data.y, num_nodes=data.num_nodes))


@pytest.mark.parametrize('self_loops', [False, True])
def test_label_propagation_students_serve_new_nodes(tiny_saved_student,
                                                    self_loops):
    student, data, _ = tiny_saved_student(self_loops=self_loops,
                                          label_propagation=True,
                                          lp_layers=3)
    from pyg_rbm.datasets.settings import split_setting
    held_out = split_setting(data, 'inductive', seed=0).held_out.tolist()
    # Held-out nodes without edges among them: served together as new
    # nodes, they join the rest of the graph as they sit in it.
    src, dst = data.edge_index
    neighbors_of = [set() for _ in range(data.num_nodes)]
    for u, v in zip(src.tolist(), dst.tolist()):
        neighbors_of[u].add(v)
    new = []
    for node in held_out:
        if not neighbors_of[node] & set(new):
            new.append(node)
    new = torch.tensor(new)
    assert new.numel() >= 20
    inputs = student.dataset_features(data)
    expected = predict(student.model, inputs)[new]
    lp_columns = inputs[new][:, -student.num_classes:]
    assert lp_columns.abs().sum(dim=-1).gt(0).sum() >= 10

    is_new = torch.zeros(data.num_nodes, dtype=torch.bool)
    is_new[new] = True
    position = torch.full((data.num_nodes, ), -1, dtype=torch.long)
    position[new] = torch.arange(new.numel())
    known = data.clone()
    known.edge_index = data.edge_index[:, ~is_new[src] & ~is_new[dst]]
    keep = is_new[dst]
    neighbors = torch.stack([position[dst[keep]], src[keep]])
    server = StudentServer(student, graph=known, batch_size=7)
    assert torch.allclose(server.inputs(data.x[new], neighbors),
                          inputs[new], atol=1e-6)
    assert torch.allclose(server.predict(data.x[new], neighbors), expected,
                          atol=1e-6)
    # Left in the graph, the new nodes' own edges would count twice.
    twice = StudentServer(student, graph=data)
    assert not torch.allclose(twice.inputs(data.x[new], neighbors),
                              inputs[new], atol=1e-4)


def test_bad_neighbors_repeated_edges_and_index_masks(tiny_saved_student):
    student, data, _ = tiny_saved_student(label_propagation=True,
                                          lp_layers=2)
    server = StudentServer(student, graph=data)
    x = data.x[:2]
    edges = torch.tensor([[0, 1, 1], [5, 6, 7]])
    out = server.graph_inputs(edges, 2)
    assert out.size() == (2, student.num_classes)
    # An edge given twice counts once; the order of edges does not matter.
    twice = torch.cat([edges, edges[:, [2, 0]]], dim=1)
    assert torch.allclose(server.graph_inputs(twice, 2), out, atol=1e-6)
    # The training nodes as ids instead of a mask: the same graph.
    by_index = data.clone()
    by_index.train_mask = data.train_mask.nonzero().view(-1)
    assert torch.equal(
        StudentServer(student, graph=by_index).graph_inputs(edges, 2), out)
    # No edges: zero label-propagation columns.
    empty = torch.empty(2, 0, dtype=torch.long)
    assert torch.equal(server.graph_inputs(empty, 2),
                       torch.zeros(2, student.num_classes))
    for bad in (torch.tensor([[0], [-1]]), torch.tensor([[2], [5]]),
                torch.tensor([[-1], [5]])):
        with pytest.raises(ValueError, match="'neighbor_index' must hold"):
            server.predict(x, bad)
    with pytest.raises(ValueError, match='integer tensor of shape'):
        server.predict(x, edges.float())
    with pytest.raises(ValueError, match='integer tensor of shape'):
        server.predict(x, edges[0])
    by_index.train_mask = torch.tensor([0, data.num_nodes])
    with pytest.raises(ValueError, match="'graph.train_mask' must be"):
        StudentServer(student, graph=by_index)
    by_index.train_mask = data.train_mask[:-1]
    with pytest.raises(ValueError, match="must have 300 entries"):
        StudentServer(student, graph=by_index)
