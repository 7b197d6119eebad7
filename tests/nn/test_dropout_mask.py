import pytest
import torch

from pyg_rbm.nn.dropout_mask import dropout_mask


@pytest.mark.parametrize('p', [0.1, 0.3, 0.5])
def test_dropout_mask_is_inverted_dropout(p):
    torch.manual_seed(0)
    mask = dropout_mask((999, 1001), p)  # an odd number of elements
    assert mask.shape == (999, 1001) and mask.dtype == torch.float32
    kept = round((1 - p) * 2**16)
    assert torch.equal(mask.unique(), torch.tensor([0.0, 2**16 / kept]))
    # 1M Bernoulli draws: the share of zeros has std below 5e-4.
    assert float((mask == 0).float().mean()) == pytest.approx(p, abs=2e-3)
    assert float(mask.double().mean()) == pytest.approx(1.0, abs=4e-3)


def test_dropout_mask_elements_are_independent():
    # The four elements of one 64-bit draw, and neighbouring draws.
    torch.manual_seed(0)
    zero = (dropout_mask((250_000, 8), 0.5) == 0).float()
    corr = torch.corrcoef(zero.t())
    assert (corr - torch.eye(8)).abs().max() < 0.01


def test_dropout_mask_follows_the_seed_and_checks_p():
    torch.manual_seed(3)
    a = dropout_mask((5, 7), 0.3, torch.float64)
    torch.manual_seed(3)
    assert torch.equal(a, dropout_mask((5, 7), 0.3, torch.float64))
    assert not torch.equal(a, dropout_mask((5, 7), 0.3, torch.float64))
    assert dropout_mask((0, 4), 0.5).shape == (0, 4)
    with pytest.raises(ValueError, match="'p' must be in"):
        dropout_mask((2, 2), 1.0)
