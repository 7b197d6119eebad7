import copy
import math

import pytest
import torch
import torch_geometric.transforms as T
from torch.utils.data import IterDataPipe
from torch_geometric.data import Batch, Data
from torch_geometric.data.datapipes import DatasetAdapter
from torch_geometric.nn import GCNConv

from pyg_rbm.teachers import build_teacher, teacher_inference
from pyg_rbm.transforms import KnowledgeDistillation


def make_data(num_classes=3):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(20, 5, generator=gen)
    edge_index = torch.randint(20, (2, 60), generator=gen)
    y = torch.arange(20) % num_classes
    return Data(x=x, edge_index=edge_index, y=y)


def make_teacher(**kwargs):
    torch.manual_seed(12345)
    return build_teacher('sage', 5, 8, 3, **kwargs)


def snapshot(data):
    return {key: copy.deepcopy(value) for key, value in data.items()}


def assert_unchanged(data, before):
    assert set(data.keys()) == set(before.keys())
    for key, value in before.items():
        if isinstance(value, torch.Tensor):
            assert torch.equal(data[key], value)
        else:
            assert data[key] == value


def test_knowledge_distillation_logits():
    logits = torch.tensor([[0.0, math.log(3.0)], [2.0, 2.0], [1.0, -1.0]])
    data = Data(x=torch.randn(3, 4), y=torch.tensor([0, 1, 1]))
    out = KnowledgeDistillation(logits=logits)(data)
    assert torch.equal(out.teacher_logits, logits)
    assert torch.allclose(out.teacher_soft[:2],
                          torch.tensor([[0.25, 0.75], [0.5, 0.5]]))
    assert 'teacher_logits' not in data  # `__call__` works on a copy.

    logits = torch.randn(20, 3)
    transform = KnowledgeDistillation(logits=logits, temperature=2.5,
                                      attr_name='kd')
    out = transform(make_data())
    assert out.kd_logits.size() == (20, 3)
    assert torch.equal(out.kd_soft, torch.softmax(logits / 2.5, dim=-1))
    assert torch.allclose(out.kd_soft.sum(dim=-1), torch.ones(20))
    assert 'teacher_soft' not in out

    # A higher temperature gives softer targets:
    sharp = KnowledgeDistillation(logits=logits, temperature=0.5)(out)
    assert (sharp.teacher_soft.max(dim=-1)[0] >
            out.kd_soft.max(dim=-1)[0]).all()


def test_knowledge_distillation_teacher():
    teacher = make_teacher(dropout=0.5).train()
    data = make_data()
    data.x.requires_grad_()
    transform = KnowledgeDistillation(teacher=teacher, temperature=2.0,
                                      store_hidden=True, batch_size=7)
    out1 = transform(data)
    out2 = transform(data)
    assert teacher.training and teacher.dropout.training
    assert torch.equal(out1.teacher_logits, out2.teacher_logits)
    assert out1.teacher_logits.grad_fn is None
    assert not out1.teacher_soft.requires_grad
    assert all(p.grad is None for p in teacher.parameters())

    teacher.eval()
    with torch.no_grad():
        expected = teacher(data.x, data.edge_index)
    assert torch.allclose(out1.teacher_logits, expected, atol=1e-5)
    assert torch.equal(out1.teacher_soft,
                       torch.softmax(out1.teacher_logits / 2.0, dim=-1))
    _, hidden = teacher_inference(teacher, data.x, data.edge_index,
                                  return_hidden=True)
    assert out1.teacher_hidden.size() == (20, 8)
    assert torch.allclose(out1.teacher_hidden, hidden, atol=1e-5)
    assert (out1.teacher_hidden >= 0).all()  # After ReLU.

    out = KnowledgeDistillation(teacher=teacher)(make_data())
    assert 'teacher_hidden' not in out

    # Any `torch.nn.Module` teacher with `forward(x, edge_index)` works:
    gcn = GCNConv(5, 3)
    out = KnowledgeDistillation(teacher=gcn)(data)
    assert torch.equal(out.teacher_logits, gcn(data.x, data.edge_index))


def test_knowledge_distillation_num_classes():
    # `data.num_classes` wins over `y` (labels may miss a class):
    data = make_data(num_classes=2)
    data.num_classes = 3
    out = KnowledgeDistillation(logits=torch.randn(20, 3))(data)
    assert out.teacher_soft.size() == (20, 3)

    # Without labels the number of classes is not checked:
    data = Data(x=torch.randn(20, 5))
    out = KnowledgeDistillation(logits=torch.randn(20, 4))(data)
    assert out.teacher_soft.size() == (20, 4)


@pytest.mark.parametrize('kwargs,match', [
    (dict(), "exactly one of 'teacher' and 'logits'.*neither"),
    (dict(teacher=GCNConv(5, 3), logits=torch.randn(20, 3)),
     "exactly one of 'teacher' and 'logits'.*both"),
    (dict(teacher='sage'), "'teacher'.*'torch.nn.Module'"),
    (dict(logits=torch.randn(20)), "'logits'.*shape"),
    (dict(logits=torch.tensor([[0.0, float('nan')]])), "'logits'.*finite"),
    (dict(logits=torch.tensor([[0.0, float('inf')]])), "'logits'.*finite"),
    (dict(logits=torch.randn(20, 3), temperature=0.0), "'temperature'"),
    (dict(logits=torch.randn(20, 3), temperature=-1.0), "'temperature'"),
    (dict(logits=torch.randn(20, 3), temperature=float('nan')),
     "'temperature'"),
    (dict(logits=torch.randn(20, 3), attr_name=''), "'attr_name'"),
    (dict(logits=torch.randn(20, 3), attr_name='a b'), "'attr_name'"),
    (dict(logits=torch.randn(20, 3), store_hidden=True), "'store_hidden'"),
    (dict(teacher=GCNConv(5, 3), store_hidden=True), "'store_hidden'"),
    (dict(logits=torch.randn(20, 3), batch_size=0), "'batch_size'"),
])
def test_knowledge_distillation_init_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        KnowledgeDistillation(**kwargs)


@pytest.mark.parametrize('attr_name', [
    'teacher_index', 'batch', 'edge_teacher', 'val', 'Test_kd'
])
def test_knowledge_distillation_reserved_attr_name(attr_name):
    with pytest.raises(ValueError, match="'attr_name' .* must not contain"):
        KnowledgeDistillation(logits=torch.randn(20, 3), attr_name=attr_name)


def nan_teacher():
    teacher = make_teacher()
    with torch.no_grad():
        teacher.convs[1].lin_l.bias[0] = float('nan')
    return teacher


@pytest.mark.parametrize('make_transform,edit,match', [
    (lambda: KnowledgeDistillation(logits=torch.randn(20, 4)), None,
     "'logits'.*4 outputs per node.*3 classes"),
    (lambda: KnowledgeDistillation(logits=torch.randn(20, 3)),
     lambda data: setattr(data, 'num_classes', 4),
     "'logits'.*3 outputs per node.*4 classes"),
    (lambda: KnowledgeDistillation(logits=torch.randn(19, 3)), None,
     "'logits'.*shape.*20 nodes"),
    (lambda: KnowledgeDistillation(teacher=build_teacher('gcn', 5, 8, 4)),
     None, "'teacher'.*4 outputs per node.*3 classes"),
    (lambda: KnowledgeDistillation(teacher=make_teacher()),
     lambda data: setattr(data, 'num_nodes', 21), "'teacher'.*21 nodes"),
    (lambda: KnowledgeDistillation(teacher=nan_teacher()), None,
     "'teacher'.*non-finite"),
    (lambda: KnowledgeDistillation(teacher=make_teacher()),
     lambda data: delattr(data, 'edge_index'), "'data.edge_index'"),
])
def test_knowledge_distillation_forward_errors(make_transform, edit, match):
    data = make_data()
    if edit is not None:
        edit(data)
    before = snapshot(data)
    transform = make_transform()
    with pytest.raises(ValueError, match=match):
        transform.forward(data)  # In place: must write nothing.
    assert_unchanged(data, before)
    if transform.teacher is not None:
        assert transform.teacher.training


def test_knowledge_distillation_functional():
    assert 'knowledge_distillation' in IterDataPipe.functions
    logits = torch.randn(20, 3)
    dp = DatasetAdapter([make_data(), make_data()])
    dp = dp.knowledge_distillation(logits=logits, temperature=2.0)
    out = list(dp)
    assert len(out) == 2
    for data in out:
        assert torch.equal(data.teacher_soft,
                           torch.softmax(logits / 2.0, dim=-1))


def test_knowledge_distillation_compose_and_batch():
    transform = T.Compose([
        T.ToUndirected(),
        KnowledgeDistillation(teacher=make_teacher()),
    ])
    data = make_data()
    out = transform(data)
    assert 'teacher_soft' not in data
    assert out.edge_index.size(1) > data.edge_index.size(1)
    teacher = make_teacher().eval()
    with torch.no_grad():
        expected = teacher(out.x, out.edge_index)
    assert torch.allclose(out.teacher_logits, expected, atol=1e-5)

    # Stored as node-level attributes: batching concatenates them.
    batch = Batch.from_data_list([out, out])
    assert batch.teacher_soft.size() == (40, 3)


def test_knowledge_distillation_repr():
    transform = KnowledgeDistillation(teacher=make_teacher())
    assert str(transform) == ('KnowledgeDistillation('
                              'teacher=SparseInputGraphSAGE, temperature=1.0)')
    transform = KnowledgeDistillation(logits=torch.randn(20, 3),
                                      temperature=2, attr_name='kd')
    assert str(transform) == ("KnowledgeDistillation(logits=[20, 3], "
                              "temperature=2.0, attr_name='kd')")
    transform = KnowledgeDistillation(teacher=make_teacher(),
                                      store_hidden=True)
    assert str(transform) == ('KnowledgeDistillation('
                              'teacher=SparseInputGraphSAGE, temperature=1.0, '
                              'store_hidden=True)')


def test_own_teacher_on_adj_t_and_edge_weight():
    import torch_geometric.transforms as T
    from torch_geometric.nn import GCN, GraphSAGE
    torch.manual_seed(0)
    x = torch.randn(6, 4)
    edge_index = torch.tensor([[0, 1, 1, 2, 3, 4, 5, 0], [1, 0, 2, 1, 4, 3,
                                                         0, 5]])
    weight = torch.rand(8) + 0.5
    gcn = GCN(4, 8, 2, 3)
    data = Data(x=x, edge_index=edge_index, edge_weight=weight, num_nodes=6)
    by_index = KnowledgeDistillation(gcn)(data.clone()).teacher_logits
    gcn.eval()
    expected = gcn(x, edge_index, edge_weight=weight)
    assert torch.allclose(by_index, expected, atol=1e-6)
    assert not torch.allclose(by_index, gcn(x, edge_index), atol=1e-3)
    sparse = T.ToSparseTensor()(data.clone())  # adj_t holds the weights
    assert 'edge_index' not in sparse and 'edge_weight' not in sparse
    by_adj = KnowledgeDistillation(gcn)(sparse).teacher_logits
    assert torch.allclose(by_adj, expected, atol=1e-5)
    assert gcn.training is False  # the mode it was given back in

    # A teacher whose forward takes no edge weights is refused by name,
    # and a callable of the data adapts any signature.
    sage = GraphSAGE(4, 8, 2, 3)
    plain = torch.nn.Module()
    plain.forward = lambda x, edge_index: sage(x, edge_index)
    with pytest.raises(ValueError, match="takes no 'edge_weight'"):
        KnowledgeDistillation(plain)(data.clone())
    sage.eval()
    out = KnowledgeDistillation(
        lambda d: sage(d.x, d.edge_index))(data.clone()).teacher_logits
    assert torch.allclose(out, sage(x, edge_index))
    with pytest.raises(ValueError, match="must return a tensor"):
        KnowledgeDistillation(lambda d: None)(data.clone())
    with pytest.raises(ValueError, match="needs a 'BasicGNN' teacher on "
                       "'edge_index' alone"):
        KnowledgeDistillation(gcn, store_hidden=True)(data.clone())
