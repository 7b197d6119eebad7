import pytest
import torch
from torch_geometric.nn.norm import BatchNorm, LayerNorm

from pyg_rbm.nn import MLPStudent, MoE, RbM
from pyg_rbm.nn.norm import node_norm_kwargs


def test_node_norm_kwargs():
    assert node_norm_kwargs('layer_norm') == dict(mode='node')
    assert node_norm_kwargs('LayerNorm', dict(eps=1e-3)) == dict(
        eps=1e-3, mode='node')
    assert node_norm_kwargs(LayerNorm) == dict(mode='node')
    assert node_norm_kwargs('layer', dict(mode='graph')) == dict(mode='graph')
    assert node_norm_kwargs('batch_norm') == {}
    assert node_norm_kwargs(BatchNorm, dict(momentum=0.2)) == dict(
        momentum=0.2)
    assert node_norm_kwargs(None) == {}


@pytest.mark.parametrize('cls', [RbM, MoE, MLPStudent])
def test_students_normalise_each_node_alone(cls):
    torch.manual_seed(0)
    model = cls(6, 8, 3, num_layers=3, norm='layer_norm').eval()
    norms = [m for m in model.modules() if isinstance(m, LayerNorm)]
    assert len(norms) == 2 and all(m.mode == 'node' for m in norms)
    x = torch.randn(10, 6)
    assert torch.allclose(model(x)[:3], model(x[:3]), atol=1e-6)
