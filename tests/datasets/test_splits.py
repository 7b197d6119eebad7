import pytest
import torch

from pyg_rbm.datasets import per_class_split


def test_per_class_split_small_classes():
    y = torch.tensor([0, 0, 0, 1, 1, 2, 0, 1])
    gen = torch.Generator().manual_seed(0)
    train, val, test = per_class_split(y, num_train=1, num_val=2,
                                       generator=gen)
    # Class 0 (4 nodes): 1/2/1; class 1 (3 nodes): 1/2/0; class 2: 1/0/0.
    assert torch.bincount(y[train], minlength=3).tolist() == [1, 1, 1]
    assert torch.bincount(y[val], minlength=3).tolist() == [2, 2, 0]
    assert torch.bincount(y[test], minlength=3).tolist() == [1, 0, 0]
    assert (train.long() + val.long() + test.long()).eq(1).all()
    assert train.dtype == val.dtype == test.dtype == torch.bool


def test_per_class_split_seeds():
    y = torch.arange(600) % 3

    def split(seed):
        return per_class_split(y, 20, 30, torch.Generator().manual_seed(seed))

    a, b, c = split(0), split(0), split(1)
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    assert not torch.equal(a[0], c[0])
    assert torch.bincount(y[a[0]]).tolist() == [20] * 3
    assert torch.bincount(y[a[1]]).tolist() == [30] * 3
    # Every node of a class is equally likely to be picked for training:
    hits = sum(split(s)[0].long() for s in range(50))
    assert int(hits.max()) < 15 and int((hits > 0).sum()) > 500


def test_per_class_split_errors():
    with pytest.raises(ValueError, match="'y' of 'per_class_split'"):
        per_class_split(torch.zeros(3, 2, dtype=torch.long))
    with pytest.raises(ValueError, match="'num_train' and 'num_val'"):
        per_class_split(torch.zeros(3, dtype=torch.long), num_train=-1)
