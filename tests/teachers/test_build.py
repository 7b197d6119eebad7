import pytest
import torch
from torch_geometric.nn import GATConv, GCNConv
from torch_geometric.nn.models import GAT, GCN, GraphSAGE
from torch_geometric.nn.norm import BatchNorm

from pyg_rbm.teachers import (
    TEACHERS,
    GCNAggrGraphSAGE,
    GCNAggrSAGEConv,
    build_teacher,
)
from pyg_rbm.teachers.sparse_sage import (
    SparseInputGraphSAGE,
    SparseInputSAGEConv,
)

X = torch.randn(5, 8)
EDGE_INDEX = torch.tensor([[0, 1, 1, 2, 3, 4], [1, 0, 2, 1, 4, 3]])


def test_teachers():
    assert TEACHERS == ('sage', 'sage-gcn', 'gcn', 'gat')


@pytest.mark.parametrize('name,cls,conv', [
    ('sage', SparseInputGraphSAGE, SparseInputSAGEConv),
    ('SAGE', SparseInputGraphSAGE, SparseInputSAGEConv),
    ('GraphSAGE', SparseInputGraphSAGE, SparseInputSAGEConv),
    ('sage-gcn', GCNAggrGraphSAGE, GCNAggrSAGEConv),
    ('gcn', GCN, GCNConv),
    ('Gat', GAT, GATConv),
])
def test_build_teacher(name, cls, conv):
    model = build_teacher(name, 8, 16, 3, num_layers=3, dropout=0.2)
    assert type(model) is cls
    assert isinstance(model, (GraphSAGE, GCN, GAT))
    assert str(model) == f'{cls.__name__}(8, 3, num_layers=3)'
    assert (model.in_channels, model.hidden_channels) == (8, 16)
    assert (model.out_channels, model.num_layers) == (3, 3)
    assert model.dropout.p == 0.2
    assert len(model.convs) == 3
    assert all(isinstance(c, conv) for c in model.convs)
    assert model.convs[0].in_channels == 8
    assert model.convs[-1].out_channels == 3
    assert model(X, EDGE_INDEX).size() == (5, 3)


def test_build_teacher_options():
    model = build_teacher('sage', 8, 16, 3, norm='batch_norm', act='elu',
                          aggr='max')
    assert isinstance(model.norms[0], BatchNorm)
    assert isinstance(model.act, torch.nn.ELU)
    assert model.convs[0].aggr == 'max'

    model = build_teacher('gat', 8, 16, 3, heads=4)
    # Hidden heads are concatenated, the output heads averaged:
    assert (model.convs[0].heads, model.convs[0].out_channels) == (4, 4)
    assert model.convs[0].concat and not model.convs[1].concat
    assert model.convs[1].out_channels == 3
    assert model(X, EDGE_INDEX).size() == (5, 3)


def test_build_teacher_errors():
    with pytest.raises(ValueError,
                       match="'name'.*'sage', 'sage-gcn', 'gcn', 'gat'"):
        build_teacher('gin', 8, 16, 3)
    with pytest.raises(ValueError, match="'heads'.*only applies to 'gat'"):
        build_teacher('sage', 8, 16, 3, heads=2)
    with pytest.raises(ValueError, match="'hidden_channels'.*divisible"):
        build_teacher('gat', 8, 10, 3, heads=4)
    with pytest.raises(ValueError, match="'in_channels'"):
        build_teacher('gcn', 0, 16, 3)
    with pytest.raises(ValueError, match="'num_layers'"):
        build_teacher('gcn', 8, 16, 3, num_layers=0)
    with pytest.raises(ValueError, match="'dropout'"):
        build_teacher('gcn', 8, 16, 3, dropout=1.0)
