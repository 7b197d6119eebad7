import importlib

import pytest
import torch

from pyg_rbm.nn import MLPStudent, MoE
from pyg_rbm.nn.finite import all_finite
from pyg_rbm.nn.sparse_input import (
    SparseInputLinear,
    sparse_input,
    sparse_input_linear,
)


def bag_of_words(num_rows=80, num_cols=50, density=0.04, seed=0):
    gen = torch.Generator().manual_seed(seed)
    mask = torch.rand(num_rows, num_cols, generator=gen) < density
    return mask.float() * torch.rand(num_rows, num_cols, generator=gen)


def test_sparse_input_takes_sparse_constant_matrices_only():
    x = bag_of_words()
    csr = sparse_input(x)
    assert csr.layout == torch.sparse_csr
    assert torch.equal(csr.to_dense(), x)
    assert csr._nnz() == int((x != 0).sum())

    assert sparse_input(torch.rand(80, 50)) is None  # dense
    assert sparse_input(x.clone().requires_grad_()) is None
    assert sparse_input(x[0]) is None  # not a matrix
    assert sparse_input(x[:63]) is None  # too few rows
    assert sparse_input(x[:63], min_rows=63) is not None
    assert sparse_input(x.long()) is None
    assert sparse_input(torch.empty(0, 50)) is None
    # Off the CPU the dense product runs (no count of non-zeros, which
    # would make the device wait for the host):
    assert sparse_input(x.to('meta')) is None


def test_sparse_input_cache_frees_with_input():
    module = importlib.import_module('pyg_rbm.nn.sparse_input')
    x = bag_of_words(seed=1)
    sparse_input(x)
    assert id(x) in module._cache
    key = id(x)
    del x
    assert key not in module._cache


def test_sparse_input_in_inference_mode():
    module = importlib.import_module('pyg_rbm.nn.sparse_input')
    with torch.inference_mode():
        x = bag_of_words(seed=2)
        assert torch.equal(sparse_input(x).to_dense(), x)
        assert sparse_input(torch.ones(3, 4)) is None
    assert id(x) not in module._cache  # no version counter to check


def test_sparse_input_density_threshold():
    x = torch.zeros(4, 5)
    x[0, :3] = 1.0  # 3 of 20 non-zeros: a share of exactly 0.15
    assert sparse_input(x, min_rows=1) is not None
    assert sparse_input(x, max_density=0.1, min_rows=1) is None
    x[1, 0] = 1.0
    assert sparse_input(x, min_rows=1) is None


def test_sparse_input_rules_out_dense_input_from_a_sample(monkeypatch):
    counted = []
    count_nonzero = torch.count_nonzero

    def counting(t):
        counted.append(t.numel())
        return count_nonzero(t)

    monkeypatch.setattr(torch, 'count_nonzero', counting)
    x = torch.randn(4096, 20).relu()  # about half non-zeros
    assert sparse_input(x, min_rows=1) is None
    assert counted == []  # every 64th row ruled it out: no whole count
    x[::64] = 0.0  # a sparse-looking sample: the whole input is counted
    assert sparse_input(x, min_rows=1) is None
    assert counted == [4096 * 20]
    counted.clear()
    x = bag_of_words(num_rows=4096, num_cols=20)
    assert sparse_input(x) is not None
    assert counted == [4096 * 20]  # past the sample, every entry
    x = torch.full((4096, 20), float('nan'))  # NaNs are not zeros
    assert sparse_input(x) is None
    # The sample decides: its rows (every 15th of 1000) are full, the others
    # empty; 67 of 1000 rows, a share below 0.15 that is not counted.
    x = torch.zeros(1000, 10)
    x[::15] = 1.0
    assert sparse_input(x) is None
    assert sparse_input(x[1:]) is not None  # the sample misses the rows


def test_sparse_input_cache_follows_in_place_changes():
    x = bag_of_words()
    assert sparse_input(x) is sparse_input(x)
    x.mul_(2.0)
    assert torch.equal(sparse_input(x).to_dense(), x)
    x.fill_(1.0)  # no longer sparse
    assert sparse_input(x) is None
    module = importlib.import_module('pyg_rbm.nn.sparse_input')
    assert module._cache[id(x)][2:] == (80 * 50, None)  # counted once
    x.zero_()
    assert sparse_input(x)._nnz() == 0


def test_sparse_input_linear_hand_computed():
    x = torch.tensor([[0.0, 2.0, 0.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    x = torch.cat([x, torch.zeros(7, 3)])  # 3 of 30 non-zeros
    weight = torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]])
    bias = torch.tensor([0.5, -0.5])
    out = sparse_input_linear(x, weight, bias, min_rows=1)
    assert out[:3].tolist() == [[4.5, 0.5], [0.5, -0.5], [1.5, -1.5]]
    assert torch.equal(out[3:], bias.expand(7, 2))
    assert sparse_input_linear(x, weight, min_rows=1)[0].tolist() == [4.0, 1.0]


@pytest.mark.parametrize('bias', [True, False])
def test_sparse_input_linear_module_matches_dense(bias):
    torch.manual_seed(0)
    x = bag_of_words()
    lin = SparseInputLinear(50, 8, bias=bias)
    out = lin(x)
    expected = torch.nn.functional.linear(x, lin.weight, lin.bias)
    assert out.size() == (80, 8)
    assert torch.allclose(out, expected, atol=1e-6)

    params = [p for p in lin.parameters()]
    grads = torch.autograd.grad(out.square().sum(), params)
    expected_grads = torch.autograd.grad(expected.square().sum(), params)
    for grad, expected_grad in zip(grads, expected_grads):
        assert torch.allclose(grad, expected_grad, atol=1e-5)

    dense = torch.randn(80, 50, requires_grad=True)  # takes the dense path
    assert torch.allclose(lin(dense), dense @ lin.weight.t() +
                          (lin.bias if bias else 0), atol=1e-6)
    assert str(lin) == f'SparseInputLinear(50, 8, bias={bias})'


def test_all_finite():
    assert all_finite(torch.randn(20, 5))
    assert all_finite(torch.arange(5))
    assert all_finite(torch.full((4, ), 3e38))  # the sum overflows
    for bad in (float('nan'), float('inf'), -float('inf')):
        x = torch.randn(20, 5)
        x[3, 2] = bad
        assert not all_finite(x)
    x = torch.tensor([float('inf'), -float('inf')])
    assert not all_finite(x)


def test_students_multiply_sparse_features_in_their_non_zeros(monkeypatch):
    torch.manual_seed(0)
    x = bag_of_words()
    for model in (MLPStudent(50, 16, 3, num_layers=2), MoE(50, 16, 3)):
        model.eval()
        first = (model.mlp.lins[0]
                 if isinstance(model, MLPStudent) else model.layers[0].router)
        assert isinstance(first, SparseInputLinear)
        out = model(x)
        monkeypatch.setattr(SparseInputLinear, 'min_rows', 10**9)  # dense
        assert torch.allclose(model(x), out, atol=1e-5)
        monkeypatch.undo()


def assert_same_csr(csr, x):
    expected = x.to_sparse_csr()
    assert torch.equal(csr.crow_indices(), expected.crow_indices())
    assert torch.equal(csr.col_indices(), expected.col_indices())
    assert torch.equal(csr.values(), expected.values())
    assert csr.size() == expected.size()


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_sparse_input_matrix_equals_torch_conversion(dtype):
    x = bag_of_words(num_rows=90, seed=3).to(dtype)
    x[5] = 0.0  # an empty row
    x[7, 3] = -2.5
    assert_same_csr(sparse_input(x), x)


def test_gather_rows_carries_the_csr_matrix(monkeypatch):
    module = importlib.import_module('pyg_rbm.nn.sparse_input')
    x = bag_of_words(num_rows=100, seed=4)
    x[10] = 0.0
    index = torch.tensor([3, 10, 3, 99, 0, 57])  # repeats, an empty row
    out = module.gather_rows(x, index)
    assert torch.equal(out, x[index])

    def no_scan(*args):
        raise AssertionError('the gathered rows were scanned again')

    monkeypatch.setattr(module, '_to_csr', no_scan)
    monkeypatch.setattr(torch, 'count_nonzero', no_scan)
    assert_same_csr(sparse_input(out, min_rows=1), x[index])


def test_gather_rows_of_dense_or_trainable_input_is_a_plain_gather():
    module = importlib.import_module('pyg_rbm.nn.sparse_input')
    index = torch.tensor([2, 0])
    dense = torch.rand(80, 50)
    out = module.gather_rows(dense, index)
    assert torch.equal(out, dense[index]) and id(out) not in module._cache
    x = bag_of_words(seed=5).requires_grad_()
    out = module.gather_rows(x, index)
    assert out.requires_grad and torch.equal(out, x[index])
    assert id(out) not in module._cache
    with torch.inference_mode():  # nothing cached: no conversion per call
        x = bag_of_words(seed=5)
    out = module.gather_rows(x, index)
    assert torch.equal(out, x[index]) and id(x) not in module._cache


def test_row_blocks_of_a_sparse_input_reuse_its_matrix(monkeypatch):
    module = importlib.import_module('pyg_rbm.nn.sparse_input')
    x = bag_of_words(num_rows=200, seed=6)
    sparse_input(x)
    chunks = x.split(70)
    monkeypatch.setattr(module, '_to_csr', lambda x: 1 / 0)
    for chunk in chunks:
        assert_same_csr(sparse_input(chunk, min_rows=1), chunk)
    # Not whole rows of the cached matrix: converted as usual.
    monkeypatch.undo()
    columns = x[:, :30]
    assert_same_csr(sparse_input(columns), columns)
