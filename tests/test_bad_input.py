"""Every entry point refuses data whose numbers cannot be trusted."""
import pytest
import torch
from torch_geometric.data import Data

from pyg_rbm import KnowledgeDistillation, MLPStudent, MoE, RbM
from pyg_rbm.teachers import build_teacher
from pyg_rbm.train import StudentTrainer, train_teacher


def _graph(num_nodes=30, num_classes=3):
    g = torch.Generator().manual_seed(0)
    y = torch.arange(num_nodes) % num_classes
    x = torch.randn(num_nodes, 4, generator=g)
    edge_index = torch.stack([torch.arange(num_nodes),
                              (torch.arange(num_nodes) + 1) % num_nodes])
    nodes = torch.arange(num_nodes)
    return Data(x=x, y=y, edge_index=edge_index, train_mask=nodes < 10,
                val_mask=(nodes >= 10) & (nodes < 20), test_mask=nodes >= 20,
                teacher_logits=4.0 * torch.eye(num_classes)[y])


def _student():
    return MLPStudent(4, 8, 3)


@pytest.mark.parametrize('change,message', [
    (lambda d: d.x.__setitem__((0, 0), float('nan')), "'data.x' holds NaN"),
    (lambda d: setattr(d, 'train_mask', d.train_mask.long()),
     "'data.train_mask' must be a boolean mask"),
    (lambda d: setattr(d, 'val_mask', torch.zeros_like(d.val_mask)),
     "'data.val_mask' selects no node"),
    (lambda d: setattr(d, 'val_mask', d.val_mask | d.train_mask),
     "'data.val_mask' selects nodes that another"),
    (lambda d: d.y.__setitem__(12, 7), r"labels outside \[0, 3\)"),
])
def test_student_and_teacher_training_refuse_bad_graphs(change, message):
    data = _graph()
    change(data)
    with pytest.raises(ValueError, match=message):
        StudentTrainer(_student(), epochs=1, progress=False).fit(data)
    with pytest.raises(ValueError, match=message):
        train_teacher(build_teacher('sage', 4, 8, 3), data, epochs=1,
                      progress=False)


def test_knowledge_distillation_refuses_overflow_and_nan_features():
    data = _graph()
    with pytest.raises(ValueError, match="'temperature' .* is so small"):
        KnowledgeDistillation(logits=data.teacher_logits,
                              temperature=1e-45)(data)
    data.x[3, 1] = float('inf')
    with pytest.raises(ValueError, match="'data.x' holds NaN or infinite"):
        KnowledgeDistillation(build_teacher('sage', 4, 8, 3))(data)


@pytest.mark.parametrize('model', [
    lambda: MLPStudent(4, 8, 3, dropout=1.0),
    lambda: RbM(4, 8, 3, dropout=1.0),
    lambda: MoE(4, 8, 3, dropout=1.0),
])
def test_students_refuse_a_dropout_that_zeroes_everything(model):
    with pytest.raises(ValueError, match=r"'dropout' must be in \[0, 1\)"):
        model()
