import pytest
import torch
from torch_geometric.nn import MLP

from pyg_rbm.nn import MLPStudent


def test_mlp_student_repr_and_interface():
    model = MLPStudent(1433, 64, 7)
    assert str(model) == 'MLPStudent(1433, 7, num_layers=2)'
    assert model.in_channels == 1433 and model.out_channels == 7

    x = torch.randn(5, 1433)
    out, aux = model(x, return_aux_loss=True)
    assert out.size() == (5, 7)
    assert aux.dim() == 0 and aux.item() == 0.
    assert torch.equal(model(x), out)  # No dropout.


def test_mlp_student_equals_pyg_mlp():
    torch.manual_seed(0)
    model = MLPStudent(8, 16, 3, num_layers=3, dropout=0.5,
                       norm='batch_norm', act='elu')
    mlp = MLP(in_channels=8, hidden_channels=16, out_channels=3,
              num_layers=3, dropout=0.5, norm='batch_norm', act='elu',
              plain_last=True)
    mlp.load_state_dict(model.mlp.state_dict())

    x = torch.randn(20, 8)
    model.train(), mlp.train()
    torch.manual_seed(1)
    out = model(x)
    torch.manual_seed(1)
    assert torch.allclose(out, mlp(x))

    model.eval(), mlp.eval()
    assert torch.allclose(model(x), mlp(x))


def test_mlp_student_output_layer():
    model = MLPStudent(8, 16, 3, num_layers=3).eval()
    assert model.output_layer is model.mlp.lins[-1]

    seen = []
    model.output_layer.register_forward_hook(
        lambda module, inputs, output: seen.append(inputs[0]))
    x = torch.randn(4, 8)
    out = model(x)
    assert seen[0].size() == (4, 16)
    assert torch.allclose(model.output_layer(seen[0]), out)


def test_mlp_student_layer_norm_is_per_node():
    torch.manual_seed(0)
    model = MLPStudent(8, 16, 3, norm='layer_norm').eval()
    x = torch.randn(20, 8)
    assert torch.allclose(model(x[:3]), model(x)[:3], atol=1e-6)


def test_mlp_student_errors():
    with pytest.raises(ValueError, match="'num_layers'"):
        MLPStudent(8, 16, 3, num_layers=0)
    with pytest.raises(ValueError, match="'x' must have shape"):
        MLPStudent(8, 16, 3)(torch.randn(4, 9))
