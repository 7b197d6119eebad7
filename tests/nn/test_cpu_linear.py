import pytest
import torch
import torch.nn.functional as F

from pyg_rbm.cli.main import main
from pyg_rbm.nn import cpu_linear
from pyg_rbm.nn.cpu_linear import (
    CPULinear,
    cpu_linear_backend,
    linear,
    matmul,
    onednn_linear,
    takes_onednn,
    uses_onednn,
)

needs_onednn = pytest.mark.skipif(
    cpu_linear._op() is None or not torch.backends.mkldnn.is_available(),
    reason="PyTorch built without oneDNN's linear kernel")


@pytest.fixture
def backend(monkeypatch):
    def use(value):
        monkeypatch.setenv('PYG_RBM_CPU_LINEAR', value)
        uses_onednn.cache_clear()

    yield use
    uses_onednn.cache_clear()  # (after monkeypatch restores the variable)


def _reference(x, weight, bias):
    # The same map in float64, and its gradients for the loss sum(out * w).
    x, weight = x.double().requires_grad_(), weight.double().requires_grad_()
    bias = bias.double().requires_grad_()
    out = F.linear(x, weight, bias)
    return out, x, weight, bias


@needs_onednn
@pytest.mark.parametrize('rows', [1, 7, 300])
def test_onednn_linear_forward_and_gradients(rows):
    torch.manual_seed(0)
    x = torch.randn(rows, 33, requires_grad=True)
    weight = torch.randn(17, 33, requires_grad=True)
    bias = torch.randn(17, requires_grad=True)
    out = onednn_linear(x, weight, bias)
    ref, x64, w64, b64 = _reference(x.detach(), weight.detach(),
                                    bias.detach())
    assert out.shape == (rows, 17)
    assert torch.allclose(out.double(), ref, atol=1e-4)
    probe = torch.randn(rows, 17)
    (out * probe).sum().backward()
    (ref * probe.double()).sum().backward()
    for got, want in ((x.grad, x64.grad), (weight.grad, w64.grad),
                      (bias.grad, b64.grad)):
        assert got.dtype == torch.float32
        assert torch.allclose(got.double(), want, atol=1e-4)


@needs_onednn
def test_onednn_linear_without_bias_or_input_gradient():
    torch.manual_seed(0)
    x = torch.rand(64, 20)  # a constant input, as node features are
    weight = torch.randn(5, 20, requires_grad=True)
    out = onednn_linear(x, weight)
    assert torch.allclose(out, x @ weight.detach().t(), atol=1e-5)
    out.sum().backward()
    assert torch.allclose(weight.grad, x.sum(0).expand(5, -1), atol=1e-4)


@pytest.mark.parametrize('value', ['onednn', 'mkl'])
def test_backend_is_chosen_by_the_environment(backend, value, monkeypatch):
    backend(value)
    expected = value if cpu_linear._op() is not None else 'mkl'
    assert cpu_linear_backend() == expected
    assert uses_onednn() == (expected == 'onednn')
    assert takes_onednn(torch.ones(2, 2)) == (expected == 'onednn')
    assert not takes_onednn(torch.ones(2, 2, dtype=torch.float64))

    calls = []
    monkeypatch.setattr(cpu_linear, 'onednn_linear',
                        lambda *args: calls.append(1) or onednn_linear(*args))
    torch.manual_seed(1)
    # 300 x 64 x 64 multiply-adds: over MIN_MULTIPLY_ADDS.
    x, weight = torch.randn(300, 64), torch.randn(64, 64)
    bias = torch.randn(64)
    assert x.numel() * 64 >= cpu_linear.MIN_MULTIPLY_ADDS
    assert torch.allclose(linear(x, weight, bias), F.linear(x, weight, bias),
                          atol=1e-4)
    assert torch.allclose(matmul(x, weight.t()), x @ weight.t(), atol=1e-4)
    assert len(calls) == (2 if expected == 'onednn' else 0)
    # Small products keep PyTorch's kernels (oneDNN's calls cost more):
    assert torch.equal(linear(x[:3], weight, bias),
                       F.linear(x[:3], weight, bias))
    assert len(calls) == (2 if expected == 'onednn' else 0)


def test_auto_takes_onednn_only_off_intel_with_avx512(backend, monkeypatch):
    backend('auto')
    if cpu_linear._op() is None:
        assert cpu_linear_backend() == 'mkl'
        return
    capability = torch.backends.cpu.get_cpu_capability()
    for vendor, expected in [('GenuineIntel', 'mkl'), ('unknown', 'mkl'),
                             ('AuthenticAMD', 'onednn'
                              if capability.startswith('AVX512') else 'mkl')]:
        monkeypatch.setattr(cpu_linear, 'processor_vendor', lambda: vendor)
        assert cpu_linear_backend() == expected, vendor


def test_unknown_backend_is_refused_by_name(backend, capsys):
    backend('blas')
    with pytest.raises(ValueError, match="'PYG_RBM_CPU_LINEAR' must be one "
                       "of"):
        cpu_linear_backend()
    # The command line refuses it before any work:
    with pytest.raises(SystemExit) as exit:
        main(['distill', '--dataset', 'cora', '--root', '/nonexistent'])
    assert exit.value.code == 2
    assert "'PYG_RBM_CPU_LINEAR'" in capsys.readouterr().err
    # ... as does GraphGym's entry point:
    from pyg_rbm.graphgym.__main__ import main as graphgym_main
    with pytest.raises(SystemExit) as exit:
        graphgym_main(['--cfg', '/nonexistent.yaml'])
    assert exit.value.code == 2
    assert "'PYG_RBM_CPU_LINEAR'" in capsys.readouterr().err


def test_other_inputs_take_pytorch_kernels(backend):
    backend('onednn')
    torch.manual_seed(2)
    weight = torch.randn(4, 6, dtype=torch.float64)
    x = torch.randn(3, 6, dtype=torch.float64)
    assert torch.equal(linear(x, weight), F.linear(x, weight))
    x3 = torch.randn(2, 3, 6)
    w = weight.float()
    assert torch.equal(linear(x3, w), F.linear(x3, w))
    empty = torch.randn(0, 6)
    assert linear(empty, w).shape == (0, 4)
    # Traced graphs keep PyTorch's operator (exporters know no other):
    traced = torch.jit.trace(lambda t: linear(t, w), torch.randn(5, 6))
    assert 'mkldnn' not in str(traced.graph)


@pytest.mark.parametrize('value', ['onednn', 'mkl'])
def test_cpu_linear_layer(backend, value):
    backend(value)
    torch.manual_seed(3)
    layer = CPULinear(10, 4)
    reference = torch.nn.Linear(10, 4)
    reference.load_state_dict(layer.state_dict())
    x = torch.randn(32, 10, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_()
    assert torch.allclose(layer(x), reference(x_ref), atol=1e-5)
    layer(x).square().sum().backward()
    reference(x_ref).square().sum().backward()
    assert torch.allclose(x.grad, x_ref.grad, atol=1e-4)
    assert torch.allclose(layer.weight.grad, reference.weight.grad,
                          atol=1e-4)
    # Lazy initialisation, as torch_geometric.nn.Linear has it:
    lazy = CPULinear(-1, 4)
    assert lazy(torch.randn(5, 7)).shape == (5, 4)
