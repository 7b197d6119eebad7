import os.path as osp
from typing import Callable, List

import pytest
import torch

CONFIGS = osp.normpath(
    osp.join(osp.dirname(osp.abspath(__file__)), '..', '..',
             'graphgym_configs'))


@pytest.fixture
def gg_config() -> Callable[[str], str]:
    """The path of a shipped GraphGym config, by file name."""
    return lambda name: osp.join(CONFIGS, name)


@pytest.fixture
def fast() -> List[str]:
    """Overrides for the whole pipeline in seconds on Cora: few epochs,
    small widths."""
    return [
        'teacher.epochs', '20', 'teacher.hidden_channels', '64',
        'optim.max_epoch', '10', 'rbm.pretrain_epochs', '2',
        'gnn.dim_inner', '64'
    ]


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread: the pipeline on Cora is tiny, and extra threads
    only contend for the shared cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
