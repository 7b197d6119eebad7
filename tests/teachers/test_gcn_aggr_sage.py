import math

import pytest
import torch
from torch_geometric.utils import add_remaining_self_loops

from pyg_rbm.teachers import (
    GCNAggrGraphSAGE,
    GCNAggrSAGEConv,
    teacher_inference,
)

# 0 <- 1, 1 <- 0, 1 <- 2, 3 isolated
EDGE_INDEX = torch.tensor([[1, 0, 2], [0, 1, 1]])


def _set(conv: GCNAggrSAGEConv, weight: torch.Tensor, bias: torch.Tensor):
    with torch.no_grad():
        conv.lin_l.weight.copy_(weight)
        conv.lin_l.bias.copy_(bias)


@pytest.mark.parametrize('in_channels,out_channels', [(2, 1), (1, 2)])
def test_gcn_aggr_sage_conv_hand_computed(in_channels, out_channels):
    # Both orders of weight and aggregation (weight first when it shrinks
    # the features) give W * (x_i + sum_j x_j) / (deg_i + 1) + b.
    conv = GCNAggrSAGEConv(in_channels, out_channels)
    assert str(conv) == f'GCNAggrSAGEConv({in_channels}, {out_channels})'
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0],
                      [7.0, 8.0]])[:, :in_channels]
    weight = torch.arange(1.0, 1.0 + in_channels * out_channels).view(
        out_channels, in_channels)
    bias = torch.full((out_channels, ), 0.5)
    _set(conv, weight, bias)
    mean = torch.stack([
        (x[0] + x[1]) / 2,
        (x[1] + x[0] + x[2]) / 3,
        x[2],
        x[3],
    ])
    expected = mean @ weight.t() + bias
    assert torch.allclose(conv(x, EDGE_INDEX), expected)


def test_gcn_aggr_sage_conv_counts_an_existing_self_loop_again():
    # As DGL's 'gcn' aggregator on a graph with self loops (the RbM
    # authors' teacher): the node enters the mean twice.
    conv = GCNAggrSAGEConv(1, 1)
    _set(conv, torch.ones(1, 1), torch.zeros(1))
    x = torch.tensor([[1.0], [4.0], [0.0], [2.0]])
    looped, _ = add_remaining_self_loops(EDGE_INDEX, num_nodes=4)
    out = conv(x, looped).view(-1)
    expected = torch.tensor([(1 + 4 + 1) / 3, (4 + 1 + 0 + 4) / 4, 0.0,
                             2.0])
    assert torch.allclose(out, expected)


def test_gcn_aggr_sage_conv_init_and_fixed_arguments():
    torch.manual_seed(0)
    conv = GCNAggrSAGEConv(300, 100)
    bound = math.sqrt(2.0) * math.sqrt(6.0 / 400)  # Xavier, gain of ReLU
    assert conv.lin_l.weight.abs().max() <= bound
    assert conv.lin_l.weight.abs().max() > 0.9 * bound
    assert torch.equal(conv.lin_l.bias, torch.zeros(100))
    assert not conv.root_weight and conv.aggr == 'sum'
    with pytest.raises(ValueError, match="'aggr' is fixed"):
        GCNAggrSAGEConv(4, 2, aggr='max')


def test_gcn_aggr_graph_sage_layerwise_inference_matches_forward():
    torch.manual_seed(0)
    num_nodes = 300
    x = (torch.rand(num_nodes, 64) < 0.05).float()  # sparse, bag-of-words
    edge_index = torch.randint(0, num_nodes, (2, 1500))
    model = GCNAggrGraphSAGE(64, 16, num_layers=2, out_channels=3).eval()
    assert all(isinstance(conv, GCNAggrSAGEConv) for conv in model.convs)
    with torch.no_grad():
        expected = model(x, edge_index)
    out = teacher_inference(model, x, edge_index, batch_size=64)
    assert torch.allclose(out, expected, atol=1e-5)
