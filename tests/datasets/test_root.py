import os
import os.path as osp
import stat

import pytest

from pyg_rbm.datasets import (
    DatasetNotFoundError,
    copy_shared_data,
    resolve_root,
)
from pyg_rbm.datasets.root import load_or_raise


def test_resolve_root(tmp_path, monkeypatch):
    monkeypatch.delenv('PYG_RBM_DATA', raising=False)
    monkeypatch.chdir(tmp_path)
    assert resolve_root() == osp.join(str(tmp_path), 'data')
    assert resolve_root('rel') == osp.join(str(tmp_path), 'rel')
    monkeypatch.setenv('PYG_RBM_DATA', '/some/where')
    assert resolve_root() == '/some/where'
    assert resolve_root('/explicit') == '/explicit'


def make_tree(path, files):
    for rel, text in files.items():
        os.makedirs(osp.dirname(osp.join(path, rel)), exist_ok=True)
        with open(osp.join(path, rel), 'w') as f:
            f.write(text)


def test_copy_shared_data(tmp_path):
    src, root = str(tmp_path / 'shared'), str(tmp_path / 'root')
    make_tree(src, {'Cora/raw/a': 'A', 'npz/b.npz': 'B', 'README.md': 'R'})
    make_tree(root, {'npz/b.npz': 'mine'})
    # A read-only source, like the shared folder:
    for folder, _, files in os.walk(src):
        for file in files:
            os.chmod(osp.join(folder, file), 0o444)
        os.chmod(folder, 0o555)
    try:
        copied = copy_shared_data(src, root)
        assert sorted(copied) == ['Cora/raw/a', 'README.md']
        assert open(osp.join(root, 'npz/b.npz')).read() == 'mine'
        assert open(osp.join(root, 'Cora/raw/a')).read() == 'A'
        # Copies and their folders are writable (PyG adds `processed/`):
        mode = os.stat(osp.join(root, 'Cora/raw/a')).st_mode
        assert mode & stat.S_IWUSR
        os.makedirs(osp.join(root, 'Cora', 'processed'))
        assert copy_shared_data(src, root) == []
        assert sorted(os.listdir(src)) == ['Cora', 'README.md', 'npz']
        assert open(osp.join(src, 'npz/b.npz')).read() == 'B'
    finally:
        for folder, _, _ in os.walk(src):
            os.chmod(folder, 0o755)


def test_copy_shared_data_bad_src(tmp_path):
    with pytest.raises(ValueError, match="'src' of 'copy_shared_data'"):
        copy_shared_data(str(tmp_path / 'missing'), str(tmp_path))


def test_load_or_raise(tmp_path):
    folder = str(tmp_path / 'D' / 'raw')

    def failing_download():
        os.makedirs(folder)
        raise OSError('no network')

    with pytest.raises(DatasetNotFoundError) as info:
        load_or_raise(failing_download, 'D', folder, ['f.txt'],
                      cleanup=str(tmp_path / 'D'))
    assert str(info.value).startswith(
        f"Dataset 'D' not found: expected f.txt in '{folder}' "
        f"(downloading failed: OSError: no network)")
    assert info.value.files == ['f.txt'] and info.value.folder == folder
    assert os.listdir(tmp_path) == []

    # With the files present, a loader that cannot read them names them:
    make_tree(folder, {'f.txt': ''})

    def broken():
        raise KeyError('bad header')

    with pytest.raises(ValueError, match=f"Dataset 'D' in '{folder}' cannot "
                       r"be read \(KeyError: 'bad header'\); one of its "
                       r"files \(f.txt\)"):
        load_or_raise(broken, 'D', folder, ['f.txt'])
    assert load_or_raise(lambda: 42, 'D', folder, ['f.txt']) == 42


def test_a_corrupt_raw_file_is_named(data_root, tmp_path):
    import shutil

    from pyg_rbm.datasets import load_dataset
    shutil.copytree(osp.join(data_root, 'Cora', 'raw'),
                    tmp_path / 'Cora' / 'raw')
    (tmp_path / 'Cora' / 'raw' / 'ind.cora.x').write_text('garbage')
    with pytest.raises(ValueError, match="Dataset 'Cora' in .* cannot be "
                       "read .*ind.cora.x"):
        load_dataset('cora', str(tmp_path))
