import pytest
import torch
from torch_geometric.data import Data

from pyg_rbm.nn import MLPStudent, RbM, Student, StudentAdapter
from pyg_rbm.train import DistillationObjective, StudentTrainer


def test_students_follow_the_protocol():
    assert isinstance(RbM(4, 8, 3), Student)
    assert isinstance(MLPStudent(4, 8, 3), Student)
    assert not isinstance(torch.nn.Linear(4, 3), Student)


class _NoChannels(torch.nn.Module):
    def forward(self, x, return_aux_loss=False):
        return x


class _NoAux(torch.nn.Module):
    in_channels, out_channels = 4, 3

    def forward(self, x):
        return x


def test_trainer_names_what_a_student_lacks():
    with pytest.raises(ValueError, match="lacks an integer 'in_channels' "
                       "and an integer 'out_channels'"):
        StudentTrainer(_NoChannels())
    with pytest.raises(ValueError, match=r"lacks 'forward\(x, "
                       r"return_aux_loss=False\)'.*StudentAdapter"):
        StudentTrainer(_NoAux())
    with pytest.raises(ValueError, match="must be a 'torch.nn.Module'"):
        StudentTrainer(lambda x: x)


def test_adapter_reads_channels_and_trains():
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(),
                              torch.nn.Linear(16, 3))
    student = StudentAdapter(mlp)
    assert (student.in_channels, student.out_channels) == (8, 3)
    x = torch.randn(5, 8)
    out, aux = student(x, return_aux_loss=True)
    assert torch.equal(out, mlp(x)) and float(aux) == 0.0
    assert str(student).startswith('StudentAdapter(Sequential(')
    assert str(student).endswith('in_channels=8, out_channels=3)')
    with pytest.raises(ValueError, match="'in_channels' of 'StudentAdapter'"):
        StudentAdapter(torch.nn.ReLU())

    g = torch.Generator().manual_seed(0)
    y = torch.arange(120) % 3
    data = Data(x=3 * torch.eye(3, 8)[y] + torch.randn(120, 8, generator=g),
                y=y, teacher_logits=4 * torch.eye(3)[y],
                train_mask=torch.arange(120) < 30,
                val_mask=(torch.arange(120) >= 30) & (torch.arange(120) < 60),
                test_mask=torch.arange(120) >= 60)
    result = StudentTrainer(student, DistillationObjective(lam=0.5),
                            epochs=150, patience=None, ties='last',
                            progress=False).fit(data)
    assert result.best_metrics['test'] > 0.9
