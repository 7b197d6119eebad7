import pytest
import torch

from pyg_rbm.nn import MLPStudent, MoE, RbM, build_student
from pyg_rbm.nn.build import STUDENTS


def test_students():
    assert STUDENTS == ('rbm', 'moe', 'mlp')


@pytest.mark.parametrize('name,cls', [
    ('rbm', RbM),
    ('RbM', RbM),
    ('moe', MoE),
    ('MLP', MLPStudent),
])
def test_build_student(name, cls):
    model = build_student(name, 12, 5, hidden_channels=16, num_layers=2,
                          dropout=0.1, norm=None)
    assert type(model) is cls
    assert model.in_channels == 12 and model.out_channels == 5
    out, aux = model.eval()(torch.randn(4, 12), return_aux_loss=True)
    assert out.size() == (4, 5) and aux.dim() == 0


def test_build_student_specific_kwargs():
    model = build_student('moe', 12, 5, hidden_channels=16, num_layers=3,
                          num_experts=6, k=3, noise_std=0.5,
                          load_balance_weight=0.1)
    assert str(model) == 'MoE(12, 5, num_layers=3, num_experts=6, k=3)'
    assert model.noise_std == 0.5 and model.load_balance_weight == 0.1

    model = build_student('rbm', 12, 5, hidden_channels=16, num_experts=5,
                          k=3, momentum=0.8, commitment_weight=0.1,
                          similarity_weight=0.02, load_balance_weight=0.03,
                          input_attention=True)
    assert model.num_experts == 5 and model.k == 3

    model = build_student('mlp', 12, 5, hidden_channels=16, num_layers=3)
    assert str(model) == 'MLPStudent(12, 5, num_layers=3)'


def test_build_student_errors():
    with pytest.raises(ValueError, match=r"'name' must be one of \['rbm'"):
        build_student('gcn', 12, 5, hidden_channels=16)
    with pytest.raises(ValueError, match=r"\['k', 'num_experts'\]"):
        build_student('mlp', 12, 5, hidden_channels=16, num_experts=4, k=2)
    with pytest.raises(ValueError, match=r"\['momentum'\].*'moe'"):
        build_student('moe', 12, 5, hidden_channels=16, momentum=0.9)
    with pytest.raises(ValueError, match=r"Missing .*\['hidden_channels'\]"):
        build_student('moe', 12, 5)
