import torch

from pyg_rbm.nn.top_k import _top_k_by_rank, top_k


def test_top_k_breaks_ties_by_lower_index():
    score = torch.tensor([[0.5, 0.9, 0.5, 0.1],
                          [0.2, 0.2, 0.2, 0.2],
                          [-1.0, 3.0, 3.0, 2.0]])
    expected_index = torch.tensor([[1, 0, 2], [0, 1, 2], [1, 2, 3]])
    expected_score = torch.tensor([[0.9, 0.5, 0.5], [0.2, 0.2, 0.2],
                                   [3.0, 3.0, 2.0]])
    for fn in (top_k, _top_k_by_rank):
        value, index = fn(score, 3)
        assert torch.equal(index, expected_index)
        assert torch.equal(value, expected_score)


def test_top_k_sort_and_rank_agree():
    gen = torch.Generator().manual_seed(0)
    # Scores on a coarse grid, so that many rows tie.
    score = torch.randint(0, 4, (500, 8), generator=gen).float()
    for k in (1, 3, 8):
        a, b = top_k(score, k), _top_k_by_rank(score, k)
        assert a[1].size() == (500, k)
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
