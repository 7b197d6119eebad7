"""A run folder that never loses or silently replaces finished work."""
import fcntl
import hashlib
import json
import os
import shutil
from typing import Any, Dict, Optional

__all__ = ['RunStore', 'RunStoreError', 'write_json_atomic']

MODES = ('new', 'resume', 'overwrite')


class RunStoreError(ValueError):
    r"""The run folder cannot be used as asked (it holds another run, is
    being written by another process, or cannot be written).
    """


def write_json_atomic(path: str, value: Any) -> None:
    r"""Writes :obj:`value` as JSON to a temporary file beside :obj:`path`,
    then renames it, so that an interruption never leaves half a file.
    """
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'w') as f:
        json.dump(value, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def config_hash(config: Dict[str, Any]) -> str:
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class RunStore:
    r"""The folder of one run: :obj:`run.json` (configuration, its hash and
    the environment), one :obj:`seeds/<seed>.json` per finished seed,
    written atomically as the seed ends, its per-epoch logs
    (:obj:`history/<seed>/<model>.csv`, :obj:`tensorboard/`),
    :obj:`results.json`, the summary,
    and, while a seed runs, its checkpoints (:obj:`checkpoints/<seed>/`);
    :obj:`teachers/` may hold the trained teachers and :obj:`students/`
    the selected students.

    Opening takes a lock for the life of the object, so two processes never
    write one run. In mode :obj:`"new"` a folder that already holds a run is
    refused; :obj:`"resume"` continues it (finished seeds are kept and
    skipped; its configuration must be the same); :obj:`"overwrite"`
    discards its seeds first. The folder is created and written once at
    opening, so that an unwritable place fails before any work.

    Args:
        folder (str): The run folder.
        config (dict): The run's configuration (JSON-serialisable).
        mode (str, optional): :obj:`"new"`, :obj:`"resume"` or
            :obj:`"overwrite"`. (default: :obj:`"new"`)
        environment (dict, optional): Recorded in :obj:`run.json`.
            (default: :obj:`None`)
        defaults (dict, optional): The configuration's defaults: keys a
            stored run lacks (options added since it was written) count at
            these values when it is resumed. (default: :obj:`None`)
    """
    def __init__(self, folder: str, config: Dict[str, Any],
                 mode: str = 'new',
                 environment: Optional[Dict[str, Any]] = None,
                 defaults: Optional[Dict[str, Any]] = None):
        if mode not in MODES:
            raise ValueError(f"'mode' must be one of {MODES} in "
                             f"'RunStore' (got {mode!r})")
        self.folder = folder
        self.seeds_folder = os.path.join(folder, 'seeds')
        self.checkpoints_folder = self.checkpoints_of(folder)
        self.teachers_folder = os.path.join(folder, 'teachers')
        self.students_folder = os.path.join(folder, 'students')
        self.history_folder = os.path.join(folder, 'history')
        self.tensorboard_folder = os.path.join(folder, 'tensorboard')
        try:
            os.makedirs(self.seeds_folder, exist_ok=True)
            self._lock = open(os.path.join(folder, '.lock'), 'w')
        except OSError as error:
            raise RunStoreError(f"The run folder '{folder}' cannot be "
                                f"written: {error.strerror}") from error
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            self._lock.close()
            raise RunStoreError(f"Another process is writing the run in "
                                f"'{folder}'") from error
        try:
            self._open(config, mode, environment, defaults)
        except Exception:
            self.close()
            raise

    def _open(self, config: Dict[str, Any], mode: str,
              environment: Optional[Dict[str, Any]],
              defaults: Optional[Dict[str, Any]]) -> None:
        path = os.path.join(self.folder, 'run.json')
        digest = config_hash(config)
        if os.path.exists(path) and mode != 'overwrite':
            with open(path) as f:
                stored = json.load(f)
            if mode == 'new':
                raise RunStoreError(
                    f"'{self.folder}' already holds a run; pass --resume "
                    f"to continue it, --overwrite to replace it, or "
                    f"choose another folder")
            old = stored.get('config', {})
            if defaults is not None:  # keys added since count at defaults
                from pyg_rbm.experiment.results_file import fill_defaults
                old = fill_defaults(old, defaults)
            if (stored.get('config_hash') != digest
                    and config_hash(old) != digest):
                changed = sorted(_differences(old, config))
                raise RunStoreError(
                    f"The run in '{self.folder}' has another "
                    f"configuration ({', '.join(changed) or 'unknown'} "
                    f"differ); it cannot be resumed with this one")
        if mode == 'overwrite':
            for name in os.listdir(self.seeds_folder):
                os.remove(os.path.join(self.seeds_folder, name))
            for folder in (self.checkpoints_folder, self.teachers_folder,
                           self.students_folder, self.history_folder,
                           self.tensorboard_folder):
                shutil.rmtree(folder, ignore_errors=True)
            results = os.path.join(self.folder, 'results.json')
            if os.path.exists(results):
                os.remove(results)
        write_json_atomic(path, dict(config=config, config_hash=digest,
                                     environment=environment or {}))

    @staticmethod
    def checkpoints_of(folder: str) -> str:
        r"""The checkpoints folder of the run in :obj:`folder` (where the
        other processes of a multi-process run resume from).
        """
        return os.path.join(folder, 'checkpoints')

    def finished(self) -> Dict[int, Dict[str, Any]]:
        r"""The records of the finished seeds, by seed."""
        return finished_seeds(self.folder)

    def student_path(self, seed: int) -> str:
        r"""Where the selected student of :obj:`seed` is saved."""
        return os.path.join(self.students_folder, f'{seed}.pt')

    def history_path(self, seed: int, model: str) -> str:
        r"""The per-epoch CSV log of :obj:`model` (:obj:`"teacher"`,
        :obj:`"student"` or :obj:`"mlp"`) in seed :obj:`seed`.
        """
        return os.path.join(self.history_folder, str(seed), f'{model}.csv')

    def tensorboard_dir(self, seed: int, model: str) -> str:
        r"""The TensorBoard log folder of :obj:`model` in :obj:`seed`."""
        return os.path.join(self.tensorboard_folder, str(seed), model)

    def checkpoint_dir(self, seed: int) -> str:
        r"""The folder of the running seed's training checkpoints, from
        which :obj:`"resume"` continues an interrupted seed; emptied when
        the seed is saved.
        """
        return os.path.join(self.checkpoints_folder, str(seed))

    def save_seed(self, seed: int, record: Dict[str, Any]) -> str:
        r"""Stores a finished seed's record and drops its checkpoints;
        returns the record's path.
        """
        path = os.path.join(self.seeds_folder, f'{seed}.json')
        write_json_atomic(path, dict(record, seed=seed))
        shutil.rmtree(self.checkpoint_dir(seed), ignore_errors=True)
        return path

    def save_summary(self, summary: Dict[str, Any]) -> str:
        r"""Stores the run's summary as :obj:`results.json`; returns its
        path.
        """
        path = os.path.join(self.folder, 'results.json')
        write_json_atomic(path, summary)
        return path

    def close(self) -> None:
        if not self._lock.closed:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()

    def __enter__(self) -> 'RunStore':
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()


def finished_seeds(folder: str) -> Dict[int, Dict[str, Any]]:
    r"""The records of the finished seeds of the run in :obj:`folder`, by
    seed (read without opening the run, e.g. while it runs).
    """
    out = {}
    seeds = os.path.join(folder, 'seeds')
    for name in os.listdir(seeds) if os.path.isdir(seeds) else ():
        if name.endswith('.json'):
            with open(os.path.join(seeds, name)) as f:
                record = json.load(f)
            out[int(record['seed'])] = record
    return dict(sorted(out.items()))


def _differences(old: Any, new: Any, prefix: str = '') -> set:
    if isinstance(old, dict) and isinstance(new, dict):
        out: set = set()
        for key in set(old) | set(new):
            out |= _differences(old.get(key), new.get(key),
                                f'{prefix}{key}.')
        return out
    return set() if old == new else {prefix.rstrip('.')}
