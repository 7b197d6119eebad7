import os
import os.path as osp
import shutil
from typing import Callable, List, Optional, Sequence, TypeVar

__all__ = [
    'DatasetNotFoundError',
    'resolve_root',
    'copy_shared_data',
    'load_or_raise',
]

ENV_VAR = 'PYG_RBM_DATA'
COPY_HINT = ('`pyg-rbm data --copy-from ../shared/data` copies the shared '
             'files into the data root')

T = TypeVar('T')


class DatasetNotFoundError(FileNotFoundError):
    r"""Raised when the files of a dataset are missing and cannot be
    downloaded (*e.g.*, on a machine without internet access).

    Args:
        name (str): The dataset name.
        files (List[str]): The file names expected in :obj:`folder`.
        folder (str): The folder where the files are expected.
        reason (str, optional): Why downloading failed.
            (default: :obj:`None`)
    """
    def __init__(
        self,
        name: str,
        files: Sequence[str],
        folder: str,
        reason: Optional[str] = None,
    ) -> None:
        self.name = name
        self.files = list(files)
        self.folder = folder
        msg = (f"Dataset '{name}' not found: expected "
               f"{', '.join(self.files)} in '{folder}'")
        if reason is not None:
            msg += f' (downloading failed: {reason})'
        msg += (f'. Place the files there, or run where they can be '
                f'downloaded; {COPY_HINT}.')
        super().__init__(msg)


def resolve_root(root: Optional[str] = None) -> str:
    r"""Returns the absolute data root: :obj:`root` if given, else the
    environment variable :obj:`PYG_RBM_DATA`, else :obj:`./data` in the
    current working directory.

    Args:
        root (str, optional): The data root. (default: :obj:`None`)
    """
    if root is None:
        root = os.environ.get(ENV_VAR) or 'data'
    return osp.abspath(osp.expanduser(os.fspath(root)))


def copy_shared_data(src: str, root: Optional[str] = None) -> List[str]:
    r"""Copies a folder laid out like the shared data folder
    (:obj:`Cora/raw/...`, :obj:`npz/cora.npz`, ...) into the data root.

    Only files missing from the root are copied; :obj:`src` is never
    modified. Copies get fresh (writable) permissions, so that loaders can
    write their processed files next to them.

    Args:
        src (str): The folder to copy from.
        root (str, optional): The data root, see :meth:`resolve_root`.
            (default: :obj:`None`)

    Returns:
        The copied files, relative to the root.
    """
    src = osp.abspath(osp.expanduser(os.fspath(src)))
    if not osp.isdir(src):
        raise ValueError(f"'src' of 'copy_shared_data' must be a folder "
                         f"(got '{src}')")
    root = resolve_root(root)
    copied = []
    for folder, dirs, files in os.walk(src):
        dirs.sort()
        rel_folder = osp.relpath(folder, src)
        for file in sorted(files):
            rel = osp.normpath(osp.join(rel_folder, file))
            dst = osp.join(root, rel)
            if osp.exists(dst):
                continue
            os.makedirs(osp.dirname(dst), exist_ok=True)
            shutil.copyfile(osp.join(folder, file), dst)
            copied.append(rel)
    return copied


def _remove_empty_dirs(folder: str) -> None:
    for path, _, _ in sorted(os.walk(folder), key=lambda t: -len(t[0])):
        if not os.listdir(path):
            os.rmdir(path)


def load_or_raise(
    load: Callable[[], T],
    name: str,
    folder: str,
    files: Sequence[str],
    cleanup: Optional[str] = None,
) -> T:
    r"""Calls :obj:`load`, turning a failed download of missing files into
    one :class:`DatasetNotFoundError`, and a failure to read files that
    exist into a :class:`ValueError` that names them.

    When all :obj:`files` exist in :obj:`folder`, :obj:`load` runs as is.
    Otherwise it may download them; if it fails and the files are still
    missing, a :class:`DatasetNotFoundError` naming the dataset, the
    expected files and the folder is raised instead of the deep network
    error.

    Args:
        load (callable): Loads the dataset, downloading if needed.
        name (str): The dataset name for the error message.
        folder (str): The folder where :obj:`files` are expected.
        files (List[str]): The expected file names, relative to
            :obj:`folder`.
        cleanup (str, optional): A folder to prune of the empty directories
            a failed download leaves behind, when it did not exist before.
            (default: :obj:`None`)
    """
    def missing() -> bool:
        return not all(osp.isfile(osp.join(folder, f)) for f in files)

    if not missing():
        try:
            return load()
        except Exception as e:
            raise ValueError(
                f"Dataset '{name}' in '{folder}' cannot be read "
                f"({type(e).__name__}: {e}); one of its files "
                f"({', '.join(files)}) or the processed copy beside them "
                f"may be corrupt: replace them with fresh copies") from e
    existed = cleanup is not None and osp.exists(cleanup)
    try:
        return load()
    except Exception as e:
        if not missing():
            raise
        if cleanup is not None and not existed and osp.isdir(cleanup):
            _remove_empty_dirs(cleanup)
        reason = f'{type(e).__name__}: {e}'
        raise DatasetNotFoundError(name, files, folder, reason) from e
