import os
import os.path as osp

import pytest

SHARED_DATA = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..',
                       'shared', 'data')


@pytest.fixture(scope='session')
def data_root(tmp_path_factory) -> str:
    """A data root holding the shared real datasets.

    The root in ``$PYG_RBM_DATA`` when set (``make test`` fills it from the
    shared folder), else a session-wide temporary copy of
    ``../shared/data``; skips when neither is available.
    """
    root = os.environ.get('PYG_RBM_DATA')
    if root:
        return osp.abspath(root)
    if not osp.isdir(SHARED_DATA):
        pytest.skip(f'no real data: set PYG_RBM_DATA or provide '
                    f'{osp.normpath(SHARED_DATA)}')
    from pyg_rbm.datasets import copy_shared_data
    root = str(tmp_path_factory.mktemp('data'))
    copy_shared_data(SHARED_DATA, root)
    return root


@pytest.fixture
def tiny_saved_student(tmp_path):
    """Trains a small RbM on a 300-node CSBM (inductive setting, a few
    epochs) with the given extras (and self loops) and saves it; returns
    the loaded student, the graph and the config."""
    def train(self_loops=False, **extras):
        from pyg_rbm import load_student
        from pyg_rbm.config import DistillConfig, merge_config
        from pyg_rbm.datasets import make_csbm
        from pyg_rbm.train.pipeline import run_seed
        data = make_csbm(num_nodes=300, num_classes=3, num_features=8,
                         avg_degree=6, homophily=0.9, seed=0)
        config = merge_config(
            DistillConfig(dataset='csbm', setting='inductive', device='cpu'),
            dict(teacher=dict(hidden_channels=16, epochs=5),
                 student=dict(hidden_channels=16, num_experts=3, k=2),
                 train=dict(epochs=3, pretrain_epochs=1), extras=extras,
                 data=dict(self_loops=self_loops)))
        path = str(tmp_path / 'student.pt')
        run_seed(config, 0, data=data, progress=False, student_path=path)
        return load_student(path), data, config

    return train


@pytest.fixture
def cpu_linear(monkeypatch):
    r"""Sets the kernels of :mod:`pyg_rbm.nn.cpu_linear` for one test:
    :obj:`cpu_linear('mkl')` or :obj:`cpu_linear('onednn')` (then for
    products of any size, so that small test inputs take them too).
    """
    from pyg_rbm.nn import cpu_linear as module

    def use(value: str) -> None:
        monkeypatch.setenv('PYG_RBM_CPU_LINEAR', value)
        monkeypatch.setattr(module, 'MIN_MULTIPLY_ADDS', 0)
        module.uses_onednn.cache_clear()

    yield use
    module.uses_onednn.cache_clear()  # re-read once the variable is restored
