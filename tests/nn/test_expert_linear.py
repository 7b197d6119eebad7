import math

import pytest
import torch

from pyg_rbm.nn.expert_linear import ExpertLinear


def naive(lin, x, index, gate, input_scale=None):
    # Row by row, slot by slot: the definition of the layer.
    rows = []
    for n in range(x.size(0)):
        row = 0
        for j in range(index.size(1)):
            e = int(index[n, j])
            inp = x[n] if input_scale is None else x[n] * input_scale[e]
            out = inp @ lin.weight[e]
            if lin.bias is not None:
                out = out + lin.bias[e]
            row = row + gate[n, j] * out
        rows.append(row)
    return torch.stack(rows)


def force_path(lin, dense):
    cost = 10**9 if dense else 0
    lin.gather_cost = lin.threaded_gather_cost = lin.onednn_gather_cost = cost


@pytest.fixture(params=['mkl', 'onednn'])
def backend(request, cpu_linear):
    cpu_linear(request.param)
    return request.param


@pytest.fixture(params=[1, 2])
def num_threads(request):
    old = torch.get_num_threads()
    torch.set_num_threads(request.param)
    yield request.param
    torch.set_num_threads(old)


def random_routing(num_rows, num_experts, k, seed=0):
    gen = torch.Generator().manual_seed(seed)
    index = torch.rand(num_rows, num_experts, generator=gen).topk(k).indices
    gate = torch.rand(num_rows, k, generator=gen)
    return index, gate


@pytest.mark.parametrize('num_experts,k,out_channels', [
    (4, 3, 5),  # dense
    (4, 3, 40),  # sorted
    (8, 2, 16),  # sorted
    (3, 3, 16),  # dense (k = E)
])
@pytest.mark.parametrize('bias', [True, False])
@pytest.mark.parametrize('scaled', [True, False])
def test_expert_linear_matches_naive(num_experts, k, out_channels, bias,
                                     scaled, num_threads, backend):
    torch.manual_seed(12345)
    lin = ExpertLinear(num_experts, 6, out_channels, bias=bias)
    # Chunked with one thread, on a small input:
    lin.chunk_size = lin.onednn_chunk_size = 7
    x = torch.randn(30, 6)
    index, gate = random_routing(30, num_experts, k)
    scale = torch.rand(num_experts, 6) + 0.5 if scaled else None

    expected = naive(lin, x, index, gate, scale)
    out = lin(x, index, gate, scale)  # Autograd path.
    assert out.size() == (30, out_channels)
    assert torch.allclose(out, expected, atol=1e-5)
    with torch.no_grad():  # Chunked path.
        assert torch.allclose(lin(x, index, gate, scale), expected,
                              atol=1e-5)


def test_expert_linear_paths_agree(num_threads, backend):
    torch.manual_seed(0)
    lin = ExpertLinear(5, 8, 12)
    x = torch.randn(40, 8)
    index, gate = random_routing(40, 5, 2)
    scale = torch.rand(5, 8)

    force_path(lin, dense=True)
    assert lin.use_dense(2)
    expected = lin(x, index, gate, scale)
    force_path(lin, dense=False)
    assert not lin.use_dense(2)
    # Padded batched groups (several threads) or a loop over experts:
    for max_padding in (0.0, 100.0):
        lin.max_padding = max_padding
        for grad in (False, True):
            with torch.set_grad_enabled(grad):
                out = lin(x, index, gate, scale)
            assert torch.allclose(out, expected, atol=1e-5)


@pytest.mark.parametrize('max_padding', [0.0, 100.0])
def test_expert_linear_gradients_match_naive(num_threads, max_padding,
                                            backend):
    torch.manual_seed(1)
    x = torch.randn(12, 4)
    index, gate = random_routing(12, 4, 2)
    scale = torch.rand(4, 4) + 0.5
    for dense in (False, True):
        lin = ExpertLinear(4, 4, 3)
        lin.max_padding = max_padding
        force_path(lin, dense)
        grads = []
        for fn in (lin, lambda *args: naive(lin, *args)):
            lin.zero_grad()
            x_ = x.clone().requires_grad_()
            gate_ = gate.clone().requires_grad_()
            scale_ = scale.clone().requires_grad_()
            (fn(x_, index, gate_, scale_) * torch.arange(3.)).sum().backward()
            grads.append([
                x_.grad, gate_.grad, scale_.grad, lin.weight.grad.clone(),
                lin.bias.grad.clone()
            ])
        for a, b in zip(*grads):
            assert torch.allclose(a, b, atol=1e-5)


@pytest.mark.parametrize('kernels', ['mkl', 'onednn'])
def test_expert_linear_dense_rule(num_threads, kernels, cpu_linear):
    cpu_linear(kernels)
    cost = 32 if num_threads == 1 else 256
    if kernels == 'onednn':
        cost = 128
    assert ExpertLinear(4, 16, 7).use_dense(3)  # (4 - 3) * 7 <= cost * 3
    assert ExpertLinear(8, 16, 40).use_dense(3) == (200 <= cost * 3)
    assert ExpertLinear(4, 16, 512).use_dense(3) == (512 <= cost * 3)
    assert not ExpertLinear(8, 16, 256).use_dense(3)  # 1280 > 768
    assert ExpertLinear(4, 16, 512).use_dense(4)

    lin = ExpertLinear(4, 16, 7, dropout=0.5)
    assert not lin.use_dense(3)  # Training needs per-slot masks.
    lin.eval()
    assert lin.use_dense(3)


def sparse_features(num_rows, num_features, density, seed=0):
    # Bag-of-words-like rows with a few positive counts; row 1 is empty.
    gen = torch.Generator().manual_seed(seed)
    mask = torch.rand(num_rows, num_features, generator=gen) < density
    x = mask * torch.randint(1, 4, (num_rows, num_features), generator=gen)
    x[1] = 0.0
    return x.float()


def test_expert_linear_sparse_rule():
    lin = ExpertLinear(3, 40, 8)
    x = sparse_features(30, 40, 0.05)
    assert lin.use_sparse(x)
    assert not lin.use_sparse(x.clone().requires_grad_())  # needs grad(x)
    assert not lin.use_sparse(torch.randn(30, 40))
    x = torch.zeros(10, 40)
    x[:, :6] = 1.0  # exactly 15% non-zeros
    assert lin.use_sparse(x)
    x[0, 6] = 1.0
    assert not lin.use_sparse(x)
    lin.sparse_density = 0.0
    assert not lin.use_sparse(sparse_features(30, 40, 0.05))


@pytest.mark.parametrize('num_experts,k,out_channels', [(4, 3, 40),
                                                        (8, 2, 16),
                                                        (3, 3, 5)])
@pytest.mark.parametrize('bias', [True, False])
def test_expert_linear_sparse_matches_naive(num_experts, k, out_channels,
                                            bias, num_threads):
    torch.manual_seed(3)
    lin = ExpertLinear(num_experts, 40, out_channels, bias=bias)
    x = sparse_features(25, 40, 0.08)
    assert lin.use_sparse(x)
    index, gate = random_routing(25, num_experts, k)
    scale = torch.rand(num_experts, 40) + 0.5
    with torch.no_grad():
        assert torch.allclose(lin(x, index, gate, scale),
                              naive(lin, x, index, gate, scale), atol=1e-5)

    grads = []
    for fn in (lin, lambda *args: naive(lin, *args)):
        lin.zero_grad()
        gate_ = gate.clone().requires_grad_()
        scale_ = scale.clone().requires_grad_()
        out = fn(x, index, gate_, scale_)
        (out * torch.arange(out_channels, dtype=torch.float)).sum().backward()
        grads.append([gate_.grad, scale_.grad, lin.weight.grad.clone()] +
                     ([lin.bias.grad.clone()] if bias else []))
    for a, b in zip(*grads):
        assert torch.allclose(a, b, atol=1e-4)


@pytest.mark.parametrize('in_channels,nonzeros', [(200, 200), (400, 40)])
def test_expert_linear_dropout_per_slot(in_channels, nonzeros):
    # All-ones rows (sorted path) or 10% non-zeros (sparse path), identity
    # experts, so that the output shows each slot's mask.
    torch.manual_seed(0)
    lin = ExpertLinear(2, in_channels, in_channels, dropout=0.5, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.eye(in_channels).expand(2, -1, -1))
    x = torch.zeros(3, in_channels)
    x[:, :nonzeros] = 1.0
    assert lin.use_sparse(x) == (nonzeros < in_channels)
    # The same expert twice with opposite gates cancels exactly unless the
    # two slots draw different dropout masks:
    index = torch.tensor([[0, 0], [1, 1], [0, 0]])
    gate = torch.tensor([[1.0, -1.0], [1.0, -1.0], [1.0, 0.0]])

    out = lin(x, index, gate).detach()
    assert (out[:2].abs() > 0).any(dim=1).all()
    # Inverted dropout: only the non-zeros are dropped, the kept ones
    # scaled by 1 / (1 - p) = 2.
    assert set(out[2, :nonzeros].tolist()) == {0.0, 2.0}
    assert not out[2, nonzeros:].any()
    with torch.no_grad():
        kept = torch.stack([lin(x, index, gate)[2].sum() for _ in range(200)])
    # E = nonzeros; the mean of 200 draws has std sqrt(nonzeros / 200).
    tol = 3.5 * (nonzeros / 200)**0.5
    assert abs(float(kept.mean()) - nonzeros) < tol

    lin.eval()
    out = lin(x, index, gate)
    assert torch.equal(out, torch.cat([torch.zeros(2, in_channels), x[2:]]))


def test_expert_linear_batch_size_invariance(num_threads, backend):
    torch.manual_seed(0)
    for dense in (True, False):
        lin = ExpertLinear(6, 32, 8).eval()
        force_path(lin, dense)
        lin.chunk_size = lin.onednn_chunk_size = 16
        x = torch.randn(50, 32)
        index, gate = random_routing(50, 6, 2)
        with torch.no_grad():
            full = lin(x, index, gate)
            for start, end in ((0, 1), (7, 8), (3, 20), (10, 50)):
                part = lin(x[start:end], index[start:end], gate[start:end])
                assert torch.allclose(part, full[start:end], atol=1e-5)


def test_expert_linear_reset_and_copy():
    torch.manual_seed(0)
    lin = ExpertLinear(3, 25, 4)
    assert str(lin) == 'ExpertLinear(25, 4, num_experts=3)'
    assert lin.weight.size() == (3, 25, 4)
    assert lin.bias.size() == (3, 4)
    # Like torch.nn.Linear: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
    bound = 1 / math.sqrt(25)
    assert lin.weight.abs().max() <= bound
    assert lin.weight.abs().max() > 0.8 * bound
    assert lin.bias.abs().max() <= bound
    assert not torch.equal(lin.weight[0], lin.weight[1])

    lin.copy_expert(1)
    for e in range(3):
        assert torch.equal(lin.weight[e], lin.weight[1])
        assert torch.equal(lin.bias[e], lin.bias[1])

    with pytest.raises(ValueError, match="'src' must be in"):
        lin.copy_expert(3)
    with pytest.raises(ValueError, match="'num_experts' must be at least"):
        ExpertLinear(0, 4, 4)
    with pytest.raises(ValueError, match="'dropout' must be in"):
        ExpertLinear(2, 4, 4, dropout=1.0)


def test_expert_linear_validation():
    lin = ExpertLinear(3, 4, 2)
    x = torch.randn(5, 4)
    index, gate = random_routing(5, 3, 2)
    with pytest.raises(ValueError, match="'x' must have shape \\[N, 4\\]"):
        lin(torch.randn(5, 3), index, gate)
    with pytest.raises(ValueError, match="'index' must have shape"):
        lin(x, index[:4], gate)
    with pytest.raises(ValueError, match="'gate' must have the shape"):
        lin(x, index, gate[:, :1])
    with pytest.raises(ValueError, match="'input_scale' must have shape"):
        lin(x, index, gate, torch.ones(3, 5))
    for dense in (False, True):
        force_path(lin, dense=dense)
        with pytest.raises(ValueError,
                           match="'index' must lie in \\[0, 3\\)"):
            lin(x, index + 1, gate)
    x_sparse = torch.zeros(5, 4)
    x_sparse[0, 1] = 1.0
    assert lin.use_sparse(x_sparse)
    with pytest.raises(ValueError, match="'index' must lie in \\[0, 3\\)"):
        lin(x_sparse, index + 1, gate)
    assert lin(x[:0], index[:0], gate[:0]).size() == (0, 2)


def _count_grouped_calls(monkeypatch):
    calls = []
    grouped_mm = torch._grouped_mm

    def counting(*args, **kwargs):
        calls.append(args[0].size())
        return grouped_mm(*args, **kwargs)

    monkeypatch.setattr(torch, '_grouped_mm', counting)
    return calls


@pytest.mark.parametrize('in_channels,out_channels', [(6, 5), (8, 12)])
@pytest.mark.parametrize('scaled', [True, False])
def test_expert_linear_grouped_eval_path_matches_naive(
        monkeypatch, num_threads, in_channels, out_channels, scaled,
        cpu_linear):
    # Eval without autograd on CPU float32 (PyTorch's kernels): the grouped
    # path, with its sizes padded to multiples of 4 and rows in chunks of 7.
    cpu_linear('mkl')
    calls = _count_grouped_calls(monkeypatch)
    torch.manual_seed(3)
    lin = ExpertLinear(5, in_channels, out_channels).eval()
    force_path(lin, dense=False)
    # Chunks on any number of threads (threaded_chunk_size: sorted only):
    lin.chunk_size, lin.threaded_chunk_size = 7, None
    x = torch.randn(30, in_channels)
    index, gate = random_routing(30, 5, 2)
    index[index == 4] = 3  # expert 4 gets no row (an empty group)
    index[:, 1] = torch.where(index[:, 0] == 3, 0, 3)  # distinct slots
    scale = torch.rand(5, in_channels) + 0.5 if scaled else None
    with torch.no_grad():
        out = lin(x, index, gate, scale)
    assert lin.use_grouped(x)
    assert len(calls) == 5  # ceil(30 / 7) chunks
    assert calls[0] == (14, in_channels + (-in_channels % 4))
    assert torch.allclose(out, naive(lin, x, index, gate, scale), atol=1e-5)


def test_expert_linear_grouped_path_makes_no_host_sync(monkeypatch,
                                                       cpu_linear):
    cpu_linear('mkl')
    lin = ExpertLinear(4, 16, 32).eval()
    force_path(lin, dense=False)
    x = torch.randn(50, 16)
    index, gate = random_routing(50, 4, 3)
    expected = naive(lin, x, index, gate)

    def refuse(*args, **kwargs):
        raise AssertionError('host synchronisation')

    for name in ('tolist', 'item', '__int__', '__bool__', 'nonzero'):
        monkeypatch.setattr(torch.Tensor, name, refuse)
    monkeypatch.setattr(torch, 'count_nonzero', refuse)
    with torch.no_grad():
        out = lin(x, index, gate)
    monkeypatch.undo()
    assert torch.allclose(out, expected, atol=1e-5)


def test_expert_linear_grouped_path_only_for_cpu_float32(monkeypatch):
    calls = _count_grouped_calls(monkeypatch)
    lin = ExpertLinear(4, 8, 16).double().eval()
    force_path(lin, dense=False)
    x = torch.randn(20, 8, dtype=torch.float64)
    index, gate = random_routing(20, 4, 2)
    assert not lin.use_grouped(x)
    with torch.no_grad():
        out = lin(x, index, gate.double())  # the dense path
    assert calls == []
    assert torch.allclose(out, naive(lin, x, index, gate.double()))
    # With autograd the sorted or dense paths run:
    lin = ExpertLinear(4, 8, 16).eval()
    force_path(lin, dense=False)
    lin(x.float(), index, gate)
    assert calls == []


def test_expert_linear_onednn_evaluation_paths(monkeypatch, cpu_linear):
    # Where oneDNN's kernels are taken, the default evaluation forward runs
    # the dense path (no host synchronisation, no grouped product), and a
    # forward that may synchronise the sorted one, a product per expert.
    from pyg_rbm.nn import allow_host_sync
    from pyg_rbm.nn import cpu_linear as module
    cpu_linear('onednn')
    grouped = _count_grouped_calls(monkeypatch)
    products = []
    onednn_linear = module.onednn_linear
    monkeypatch.setattr(module, 'onednn_linear', lambda *args: (
        products.append(args[0].size(0)) or onednn_linear(*args)))
    torch.manual_seed(4)
    lin = ExpertLinear(4, 16, 32).eval()
    force_path(lin, dense=False)
    x = torch.randn(50, 16)
    index, gate = random_routing(50, 4, 3)
    expected = naive(lin, x, index, gate)
    assert not lin.use_grouped(x)

    def refuse(*args, **kwargs):
        raise AssertionError('host synchronisation')

    with monkeypatch.context() as m:
        for name in ('tolist', 'item', '__int__', '__bool__', 'nonzero'):
            m.setattr(torch.Tensor, name, refuse)
        with torch.no_grad():
            out = lin(x, index, gate)
    assert torch.allclose(out, expected, atol=1e-5)
    assert grouped == [] and products == [50]  # all experts side by side

    products.clear()
    with torch.no_grad(), allow_host_sync():
        out = lin(x, index, gate)
    assert torch.allclose(out, expected, atol=1e-5)
    counts = torch.bincount(index.view(-1), minlength=4)
    assert products == counts[counts > 0].tolist()


def test_expert_linear_grouped_path_uses_the_one_thread_gather_cost():
    old = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        lin = ExpertLinear(4, 16, 256)  # waste 256 against 32 * 3 or 256 * 3
        assert lin.use_dense(3) and not lin.use_dense(3, grouped=True)
    finally:
        torch.set_num_threads(old)


def test_expert_linear_check_index_false_skips_the_host_read():
    # A training forward on the dense path reads the index only to check
    # it; a caller that chose the experts itself skips that read.
    lin = ExpertLinear(4, 16, 32).train()
    force_path(lin, dense=True)
    x = torch.randn(50, 16, requires_grad=True)  # (never sparse)
    index, gate = random_routing(50, 4, 3)
    with pytest.raises(ValueError, match="'index' must lie in"):
        lin(x, index + 1, gate)
    expected = naive(lin, x, index, gate)

    def refuse(*args, **kwargs):
        raise AssertionError('host synchronisation')

    with pytest.MonkeyPatch.context() as m:
        for name in ('tolist', 'item', '__int__', '__bool__', 'nonzero'):
            m.setattr(torch.Tensor, name, refuse)
        out = lin(x, index, gate, check_index=False)
    assert torch.allclose(out, expected, atol=1e-5)
    out.sum().backward()
    assert lin.bias.grad.size() == (4, 32)


@pytest.mark.parametrize('name', ['rbm', 'moe'])
def test_students_do_not_check_their_own_routing(monkeypatch, name):
    from pyg_rbm.nn import build_student
    from pyg_rbm.nn.expert_bank import ExpertBank
    seen = []
    check = ExpertBank._check_input

    def recording(self, *args, check_index=True):
        seen.append(check_index)
        return check(self, *args, check_index=check_index)

    monkeypatch.setattr(ExpertBank, '_check_input', recording)
    kwargs = dict(hidden_channels=8, num_layers=2, num_experts=3, k=2)
    model = build_student(name, 6, 2, **kwargs).train()
    if name == 'rbm':
        model.init_routing(torch.randn(30, 6))
    seen.clear()
    model(torch.randn(30, 6)).sum().backward()
    assert seen == [False, False]
