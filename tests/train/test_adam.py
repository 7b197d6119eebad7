import pytest
import torch

from pyg_rbm.train.adam import adam, with_multi_tensor_step


def test_adam_takes_the_multi_tensor_step():
    weight = torch.nn.Parameter(torch.randn(5, 3))
    optimizer = adam([weight], lr=0.1, weight_decay=0.01)
    assert optimizer.defaults['foreach'] is True
    assert optimizer.defaults['lr'] == 0.1
    assert optimizer.defaults['weight_decay'] == 0.01


def test_adam_equals_the_default_adam_bit_for_bit():
    torch.manual_seed(0)
    shapes = [(100, 20), (20, ), ()]
    starts = [torch.randn(shape) for shape in shapes]
    grads = [[torch.randn(shape) for shape in shapes] for _ in range(20)]
    results = []
    for make in (lambda p: adam(p, 0.01, 5e-4),
                 lambda p: torch.optim.Adam(p, 0.01, weight_decay=5e-4)):
        params = [torch.nn.Parameter(start.clone()) for start in starts]
        optimizer = make(params)
        for step in grads:
            for param, grad in zip(params, step):
                param.grad = grad.clone()
            optimizer.step()
        results.append([param.detach() for param in params])
    assert not torch.equal(results[0][0], starts[0])
    for ours, default in zip(*results):
        assert torch.equal(ours, default)


def test_student_trainer_builds_the_multi_tensor_adam():
    from pyg_rbm.nn import build_student
    from pyg_rbm.train import StudentTrainer
    model = build_student('mlp', 4, 2, hidden_channels=8, num_layers=2)
    trainer = StudentTrainer(model, lr=0.02, weight_decay=0.001)
    assert isinstance(trainer.optimizer, torch.optim.Adam)
    assert trainer.optimizer.defaults['foreach'] is True
    assert trainer.optimizer.defaults['lr'] == 0.02


def test_default_adam_switched_to_the_multi_tensor_step():
    weight = torch.nn.Parameter(torch.randn(4, 2))
    default = torch.optim.Adam([weight], lr=0.1)
    assert with_multi_tensor_step(default) is default
    assert default.defaults['foreach'] is True
    assert default.param_groups[0]['foreach'] is True
    # Chosen steps, and other optimizers, stay as they are.
    for optimizer in (torch.optim.Adam([weight], foreach=False),
                      torch.optim.Adam([weight], fused=True),
                      torch.optim.Adam([weight], differentiable=True),
                      torch.optim.Adam([weight], lr=torch.tensor(0.1)),
                      torch.optim.AdamW([weight])):
        before = [dict(g) for g in optimizer.param_groups]
        assert with_multi_tensor_step(optimizer) is optimizer
        assert optimizer.param_groups == before


@pytest.mark.parametrize('weight_decay', [0.0, 5e-4])
def test_switched_adam_equals_the_default_adam_bit_for_bit(weight_decay):
    torch.manual_seed(1)
    start = torch.randn(30, 7)
    grads = [torch.randn(30, 7) for _ in range(15)]
    results = []
    for switch in (True, False):
        param = torch.nn.Parameter(start.clone())
        optimizer = torch.optim.Adam([param], 0.01, weight_decay=weight_decay)
        if switch:
            with_multi_tensor_step(optimizer)
        for grad in grads:
            param.grad = grad.clone()
            optimizer.step()
        results.append(param.detach())
    assert torch.equal(*results)
