import pytest
import torch

import torch_geometric.transforms as T
from torch_geometric.contrib.transforms import KnowledgeDistillation
from torch_geometric.data import Data
from torch_geometric.nn import GCN, GraphSAGE


def _data():
    x = torch.randn(6, 4)
    edge_index = torch.tensor([[0, 1, 1, 2, 3, 4, 5, 0],
                               [1, 0, 2, 1, 4, 3, 0, 5]])
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    return Data(x=x, edge_index=edge_index, y=y)


def _without_edge_weight(teacher):
    class Plain(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.teacher = teacher

        def forward(self, x, edge_index):
            return self.teacher(x, edge_index)

    return Plain()


def test_knowledge_distillation_from_logits():
    logits = torch.tensor([[2.0, 0.0, 0.0]]).repeat(6, 1)
    transform = KnowledgeDistillation(logits=logits, temperature=2.0)
    assert str(transform) == ('KnowledgeDistillation(logits=[6, 3], '
                              'temperature=2.0)')
    data = transform(_data())
    assert torch.equal(data.teacher_logits, logits)
    assert data.teacher_soft.size() == (6, 3)
    expected = torch.tensor([1.0, 0.0, 0.0]).exp()
    assert torch.allclose(data.teacher_soft[0], expected / expected.sum())


def test_knowledge_distillation_from_teacher():
    torch.manual_seed(12345)
    teacher = GraphSAGE(4, 8, num_layers=2, out_channels=3).eval()
    transform = KnowledgeDistillation(teacher, attr_name='kd',
                                      store_hidden=True)
    assert str(transform) == ('KnowledgeDistillation(teacher=GraphSAGE, '
                              "temperature=1.0, attr_name='kd', "
                              'store_hidden=True)')
    data = transform(_data())
    assert torch.allclose(data.kd_logits, teacher(data.x, data.edge_index),
                          atol=1e-6)
    assert data.kd_hidden.size() == (6, 8)
    assert torch.allclose(data.kd_soft.sum(dim=-1), torch.ones(6))


def test_knowledge_distillation_adj_t_and_edge_weight():
    torch.manual_seed(12345)
    teacher = GCN(4, 8, num_layers=2, out_channels=3).eval()
    data = _data()
    data.edge_weight = torch.rand(data.num_edges) + 0.5
    expected = teacher(data.x, data.edge_index, edge_weight=data.edge_weight)

    out = KnowledgeDistillation(teacher)(data.clone())
    assert torch.allclose(out.teacher_logits, expected, atol=1e-6)

    sparse = T.ToSparseTensor()(data.clone())
    out = KnowledgeDistillation(teacher)(sparse)
    assert torch.allclose(out.teacher_logits, expected, atol=1e-5)

    out = KnowledgeDistillation(lambda data: teacher(data.x, data.edge_index))(
        data.clone())
    assert torch.allclose(out.teacher_logits, teacher(data.x, data.edge_index))


def test_knowledge_distillation_errors():
    logits = torch.randn(6, 3)
    with pytest.raises(ValueError, match="exactly one of 'teacher'"):
        KnowledgeDistillation()
    with pytest.raises(ValueError, match="'temperature'"):
        KnowledgeDistillation(logits=logits, temperature=0.0)
    with pytest.raises(ValueError, match="must not contain 'edge'"):
        KnowledgeDistillation(logits=logits, attr_name='edge_teacher')
    with pytest.raises(ValueError, match="the data has 5 nodes"):
        KnowledgeDistillation(logits=logits)(Data(num_nodes=5))
    teacher = GraphSAGE(4, 8, num_layers=2, out_channels=3)
    data = _data()
    data.edge_weight = torch.ones(data.num_edges)
    with pytest.raises(ValueError, match="takes no 'edge_weight'"):
        KnowledgeDistillation(_without_edge_weight(teacher))(data)
