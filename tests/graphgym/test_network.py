import pytest
import torch
import torch_geometric.graphgym.register as gg
from torch_geometric.data import Data
from torch_geometric.graphgym.config import cfg

from pyg_rbm.graphgym import load_experiment_cfg


@pytest.fixture
def batch():
    torch.manual_seed(0)
    mask = torch.tensor([True, False, True, False, False, True])
    return Data(x=torch.randn(6, 8), y=torch.tensor([0, 1, 2, 0, 1, 2]),
                train_mask=mask, val_mask=~mask)


@pytest.mark.parametrize('name,cls', [('mlp', 'MLPStudent'), ('moe', 'MoE'),
                                      ('rbm', 'RbM')])
def test_network_returns_pred_and_true_of_the_split(gg_config, batch, name,
                                                    cls):
    load_experiment_cfg(gg_config(f'cora-{name}-transductive.yaml'),
                        ['gnn.dim_inner', '16'])
    cfg.share.dim_in, cfg.share.dim_out = 8, 3
    network = gg.network_dict[name]()
    assert str(network).startswith(f'{type(network).__name__}({cls}(8, ')
    student = network.model
    assert (student.in_channels, student.out_channels) == (8, 3)
    assert student.hidden_channels == 16
    network.eval()
    batch.split = 'val'
    pred, true = network(batch)
    assert pred.size() == (3, 3)
    assert torch.equal(true, torch.tensor([1, 0, 1]))
    assert torch.allclose(pred, student(batch.x[batch.val_mask]))
    batch.split = 'train'
    pred, true = network(batch)
    assert torch.equal(true, torch.tensor([0, 2, 2]))
    network.reset_parameters()


def test_network_needs_a_split(gg_config, batch):
    load_experiment_cfg(gg_config('cora-mlp-transductive.yaml'))
    network = gg.network_dict['mlp'](dim_in=8, dim_out=3)
    with pytest.raises(ValueError, match="'batch.split'"):
        network(batch)
    batch.split = 'inductive'  # no such mask here
    with pytest.raises(ValueError, match="'batch.split'"):
        network(batch)
