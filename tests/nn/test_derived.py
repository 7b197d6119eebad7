import torch
import torch.nn.functional as F

from pyg_rbm.nn import RbM
from pyg_rbm.nn.derived import derived


def _unit(t: torch.Tensor) -> torch.Tensor:
    return F.normalize(t.detach(), dim=-1)


def test_derived_is_reused_until_the_parameter_changes():
    param = torch.nn.Parameter(torch.tensor([[3.0, 4.0], [0.0, 2.0]],
                                            dtype=torch.float64))
    calls = []

    def unit(t):
        calls.append(1)
        return _unit(t)

    with torch.no_grad():
        first = derived(param, 'unit', unit)
        assert derived(param, 'unit', unit) is first
        assert len(calls) == 1
        assert first.tolist() == [[0.6, 0.8], [0.0, 1.0]]
        param.mul_(-1.0)  # in place: a new version
        second = derived(param, 'unit', unit)
        assert len(calls) == 2
        assert second.tolist() == [[-0.6, -0.8], [-0.0, -1.0]]
        # Rebinding the storage, as RbM's forward memory update does:
        param.data = torch.tensor([[0.0, -5.0], [1.0, 0.0]],
                                  dtype=torch.float64)
        assert derived(param, 'unit', unit).tolist() == [[0.0, -1.0],
                                                         [1.0, 0.0]]
        assert len(calls) == 3
        # Another name is another tensor:
        assert derived(param, 'sum', lambda t: t.sum()).item() == -4.0


def test_derived_is_computed_afresh_with_autograd():
    param = torch.nn.Parameter(torch.tensor([2.0, 0.5]))
    first = derived(param, 'exp', torch.exp)
    second = derived(param, 'exp', torch.exp)
    assert first is not second
    assert first.grad_fn is not None  # the gradient reaches the parameter
    with torch.inference_mode():
        inferred = derived(param, 'exp', torch.exp)
        assert derived(param, 'exp', torch.exp) is inferred
    with torch.no_grad():  # (an entry made in inference mode serves too)
        assert derived(param, 'exp', torch.exp) is inferred


def test_rbm_evaluation_follows_its_parameters():
    torch.manual_seed(0)
    model = RbM(8, 16, 3, num_layers=2, num_experts=3, k=2, dropout=0.0,
                input_attention=True)
    x = torch.randn(50, 8)
    model.init_routing(x)
    model.eval()
    with torch.no_grad():
        before = model(x)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    model.train()
    out, aux = model(x, return_aux_loss=True)
    (out.square().mean() + aux).backward()
    optimizer.step()  # moves the memory keys, scales and weights in place
    model.eval()
    with torch.no_grad():
        after = model(x)
    with torch.enable_grad():  # (no reuse with autograd)
        expected = model(x).detach()
    assert not torch.allclose(after, before)
    assert torch.equal(after, expected)
