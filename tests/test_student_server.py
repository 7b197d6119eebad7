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
    with pytest.raises(ValueError, match='no positional encodings'):
        server.predict(data.x[:5], torch.zeros(2, 1, dtype=torch.long))
    student, _, _ = tiny_saved_student(label_propagation=True, lp_layers=2)
    with pytest.raises(ValueError, match='label-propagation'):
        StudentServer(student)
