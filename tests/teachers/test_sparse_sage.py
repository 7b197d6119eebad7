import pytest
import torch
from torch_geometric.nn import SAGEConv

from pyg_rbm.nn.sparse_input import sparse_input
from pyg_rbm.teachers import build_teacher
from pyg_rbm.teachers.inference import teacher_inference
from pyg_rbm.teachers.sparse_sage import SparseInputSAGEConv


def sparse_graph(seed=0):
    gen = torch.Generator().manual_seed(seed)
    mask = torch.rand(70, 40, generator=gen) < 0.05
    x = mask.float() * torch.rand(70, 40, generator=gen)
    # Node 11 has no incoming edge; node 2 receives a duplicate edge.
    edge_index = torch.tensor([[0, 1, 1, 3, 4, 5, 6, 7, 8, 9, 10, 0, 0, 0],
                               [1, 0, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 2, 2]])
    ring = torch.arange(12, 70)
    ring = torch.stack([ring, ring.roll(-1)])
    assert sparse_input(x) is not None  # the sparse path is tested
    return x, torch.cat([edge_index, ring], dim=1)


@pytest.mark.parametrize('kwargs', [
    dict(aggr='mean'),
    dict(aggr='sum'),
    dict(aggr='mean', bias=False),
    dict(aggr='mean', root_weight=False),
    dict(aggr='mean', normalize=True),
])
def test_sparse_input_sage_conv_matches_sage_conv(kwargs):
    x, edge_index = sparse_graph()
    conv = SparseInputSAGEConv(40, 6, **kwargs)
    ref = SAGEConv(40, 6, **kwargs)
    ref.load_state_dict(conv.state_dict())

    out = conv(x, edge_index)
    expected = ref(x, edge_index)
    assert out.size() == (70, 6)
    assert torch.allclose(out, expected, atol=1e-6)
    # The isolated node gets the bias and its own term only:
    own = x[11] @ conv.lin_r.weight.t() if conv.root_weight else 0
    bias = conv.lin_l.bias if conv.lin_l.bias is not None else 0
    if not conv.normalize:
        assert torch.allclose(out[11], own + bias, atol=1e-6)

    grads = torch.autograd.grad(out.square().sum(), list(conv.parameters()))
    expected_grads = torch.autograd.grad(expected.square().sum(),
                                         list(ref.parameters()))
    for grad, expected_grad in zip(grads, expected_grads):
        assert torch.allclose(grad, expected_grad, atol=1e-5)


def test_sparse_input_sage_conv_falls_back():
    x, edge_index = sparse_graph()
    for kwargs, inputs in [(dict(aggr='max'), x),
                           (dict(project=True), x),
                           (dict(), torch.rand(70, 40))]:
        conv = SparseInputSAGEConv(40, 6, **kwargs)
        ref = SAGEConv(40, 6, **kwargs)
        ref.load_state_dict(conv.state_dict())
        assert torch.equal(conv(inputs, edge_index), ref(inputs, edge_index))


def test_sparse_input_sage_teacher_inference_in_chunks():
    torch.manual_seed(0)
    x, edge_index = sparse_graph()
    model = build_teacher('sage', 40, 16, 3, num_layers=2).eval()
    expected = model(x, edge_index)
    for batch_size in (None, 5):
        out = teacher_inference(model, x, edge_index, batch_size=batch_size)
        assert torch.allclose(out, expected, atol=1e-6)
