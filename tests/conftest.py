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
