import pytest
import torch
from torch_geometric.nn import GCNConv
from torch_geometric.nn.models import GIN

from pyg_rbm.teachers import build_teacher, teacher_inference


def random_graph(num_nodes=40, num_edges=200, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(num_nodes, 6, generator=gen)
    edge_index = torch.randint(num_nodes, (2, num_edges), generator=gen)
    # Duplicate edges and self-loops must be handled as PyG does:
    loops = torch.arange(3).repeat(2, 1)
    edge_index = torch.cat([edge_index, edge_index[:, :10], loops], dim=1)
    return x, edge_index


def eval_output(model, x, edge_index):
    training = model.training
    model.eval()
    with torch.no_grad():
        out = model(x, edge_index)
    model.train(training)
    return out


class CustomTeacher(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(6, 8)
        self.dropout = torch.nn.Dropout(0.5)
        self.conv = GCNConv(8, 3)

    def forward(self, x, edge_index):
        return self.conv(self.dropout(self.lin(x).relu()), edge_index)


@pytest.mark.parametrize('name,kwargs', [
    ('sage', {}),
    ('sage', dict(aggr='max')),
    ('sage', dict(aggr='sum', num_layers=3)),
    ('gcn', {}),
    ('gcn', dict(normalize=False)),
    ('gat', dict(heads=2)),
    ('gat', dict(heads=2, v2=True)),
    ('sage', dict(norm='batch_norm')),
    ('gcn', dict(norm='layer_norm')),  # Graph-mode: not node-wise.
])
@pytest.mark.parametrize('batch_size', [None, 7])
def test_teacher_inference_basic_gnn(name, kwargs, batch_size):
    torch.manual_seed(12345)
    x, edge_index = random_graph()
    model = build_teacher(name, 6, 8, 3, **kwargs)
    for norm in model.norms:
        if hasattr(norm, 'module'):  # Non-trivial running statistics:
            norm.module.running_mean.uniform_(-1, 1)
            norm.module.running_var.uniform_(0.5, 2)
    expected = eval_output(model, x, edge_index)

    out = teacher_inference(model, x, edge_index, batch_size=batch_size)
    assert out.size() == (40, 3)
    assert torch.allclose(out, expected, atol=1e-5)
    assert model.training


def test_teacher_inference_exact_sage():
    # out_i = mean_{j -> i} x_j + 0.5 * x_i:
    model = build_teacher('sage', 1, 4, 1, num_layers=1)
    conv = model.convs[0]
    with torch.no_grad():
        conv.lin_l.weight.fill_(1.0)
        conv.lin_l.bias.fill_(0.0)
        conv.lin_r.weight.fill_(0.5)
    x = torch.tensor([[1.0], [2.0], [4.0]])
    edge_index = torch.tensor([[0, 1, 2], [2, 2, 0]])
    for batch_size in [1, 2, 3]:
        out = teacher_inference(model, x, edge_index, batch_size=batch_size)
        assert out.view(-1).tolist() == [4.5, 1.0, 3.5]


def test_teacher_inference_hidden():
    torch.manual_seed(12345)
    x, edge_index = random_graph()
    model = build_teacher('sage', 6, 8, 3, num_layers=3).eval()
    out, hidden = teacher_inference(model, x, edge_index, batch_size=5,
                                    return_hidden=True)
    assert hidden.size() == (40, 8)
    h = model.convs[1](model.convs[0](x, edge_index).relu(), edge_index)
    assert torch.allclose(hidden, h.relu(), atol=1e-5)
    assert torch.allclose(out, model.convs[2](hidden, edge_index), atol=1e-5)

    # A single layer has the input features as its last hidden embedding:
    model = build_teacher('gcn', 6, 8, 3, num_layers=1)
    _, hidden = teacher_inference(model, x, edge_index, return_hidden=True)
    assert torch.equal(hidden, x)


def test_teacher_inference_no_message_tensor():
    # Mean aggregation runs as a sparse matrix product: no [E, C] messages.
    # GAT runs chunk by chunk: messages only for the edges into a chunk.
    x, edge_index = random_graph()
    sizes = []

    def hook(module, inputs, output):
        sizes.append(output.size(0))

    for name in ['sage', 'gcn', 'gat']:
        model = build_teacher(name, 6, 8, 3)
        for conv in model.convs:
            conv.register_message_forward_hook(hook)
        teacher_inference(model, x, edge_index, batch_size=10)
        if name == 'gat':
            assert len(sizes) == 2 * 4
            assert max(sizes) < edge_index.size(1)
            # Every edge and every (re-added) self-loop was seen once:
            num_messages = int((edge_index[0] != edge_index[1]).sum()) + 40
            assert sum(sizes) == 2 * num_messages
        else:
            assert sizes == []
        model(x, edge_index)
        assert max(sizes) >= edge_index.size(1)  # The hooks do fire.
        sizes.clear()


def test_teacher_inference_modes():
    torch.manual_seed(12345)
    x, edge_index = random_graph()
    model = build_teacher('sage', 6, 8, 3, dropout=0.5)
    model.train()
    model.convs[1].eval()  # Mixed flags are restored one by one.
    x.requires_grad_()

    out1 = teacher_inference(model, x, edge_index)
    out2 = teacher_inference(model, x, edge_index)
    assert model.training and model.convs[0].training
    assert not model.convs[1].training
    assert torch.equal(out1, out2)  # No dropout.
    assert torch.allclose(out1, eval_output(model, x, edge_index), atol=1e-5)
    assert not out1.requires_grad and out1.grad_fn is None
    assert all(p.grad is None for p in model.parameters())

    model.eval()
    teacher_inference(model, x, edge_index)
    assert not model.training and not model.dropout.training


def test_teacher_inference_other_models():
    torch.manual_seed(12345)
    x, edge_index = random_graph()

    model = CustomTeacher().train()
    out = teacher_inference(model, x, edge_index)
    assert torch.allclose(out, eval_output(model, x, edge_index), atol=1e-5)
    assert torch.equal(out, teacher_inference(model, x, edge_index))
    assert model.training and model.dropout.training

    for model in [GIN(6, 8, 2, 3), build_teacher('sage', 6, 8, 3, jk='cat')]:
        out = teacher_inference(model, x, edge_index, batch_size=4)
        expected = eval_output(model, x, edge_index)
        assert torch.allclose(out, expected, atol=1e-5)

    with pytest.raises(ValueError, match="'return_hidden'.*'CustomTeacher'"):
        teacher_inference(CustomTeacher(), x, edge_index, return_hidden=True)
    with pytest.raises(ValueError, match="'return_hidden'.*GraphSAGE'"):
        teacher_inference(model, x, edge_index, return_hidden=True)


def test_teacher_inference_errors():
    x, edge_index = random_graph()
    model = build_teacher('sage', 6, 8, 3)
    with pytest.raises(ValueError, match="'model'"):
        teacher_inference(lambda x, e: x, x, edge_index)
    with pytest.raises(ValueError, match="'batch_size'"):
        teacher_inference(model, x, edge_index, batch_size=0)
    with pytest.raises(ValueError, match=r"'edge_index'.*\[2, num_edges\]"):
        teacher_inference(model, x, edge_index.t())
    with pytest.raises(ValueError, match=r"'edge_index'.*\[0, 40\)"):
        teacher_inference(model, x, edge_index.clamp(max=40) + 1)
    with pytest.raises(ValueError, match="'x'"):
        teacher_inference(model, x.view(-1), edge_index)
    assert model.training
