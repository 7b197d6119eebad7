import os.path as osp
import urllib.error
import urllib.request
from typing import Callable, List

import pytest
from ogb.nodeproppred import PygNodePropPredDataset
from torch_geometric.datasets import Actor, Amazon, Coauthor, Planetoid

import pyg_rbm.datasets.npz


@pytest.fixture
def offline(monkeypatch) -> List[str]:
    """Makes every download raise a URL error, as on a machine without
    internet; returns the list of attempted downloads."""
    attempts: List[str] = []

    def fail(what: str) -> Callable:
        def raise_url_error(*args, **kwargs):
            attempts.append(what)
            raise urllib.error.URLError('offline (test)')

        return raise_url_error

    for cls in (Planetoid, Amazon, Coauthor, Actor, PygNodePropPredDataset):
        monkeypatch.setattr(cls, 'download', fail(cls.__name__))
    monkeypatch.setattr(pyg_rbm.datasets.npz, 'download_url', fail('npz'))
    monkeypatch.setattr(urllib.request, 'urlopen', fail('urlopen'))
    return attempts


@pytest.fixture
def need(data_root) -> Callable[..., str]:
    """Returns ``need(*paths)``: the data root, or a skip when one of the
    paths (relative to it) is missing."""
    def check(*paths: str) -> str:
        for path in paths:
            if not osp.exists(osp.join(data_root, path)):
                pytest.skip(f'{path} is missing from the data root '
                            f'{data_root}')
        return data_root

    return check
