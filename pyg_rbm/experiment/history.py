"""Per-epoch histories of a run: CSV files (always) and TensorBoard logs."""
import csv
import os
from typing import Any, Dict, List, Optional, Sequence

from pyg_rbm.train.loop import EpochRecord

__all__ = [
    'history_rows',
    'write_history',
    'read_history',
    'CSVLogger',
    'TensorBoardLogger',
    'check_tensorboard',
]

# Columns before the metrics; accuracies are fractions, as in the records.
FIXED = ('epoch', 'phase', 'loss', 'seconds')


def _load_text(shares: Sequence[Sequence[float]]) -> str:
    # Each layer's expert shares, layers separated by '|'.
    return ' | '.join(' '.join(f'{v:.4f}' for v in layer)
                      for layer in shares)


def history_rows(records: Sequence[EpochRecord]) -> List[Dict[str, Any]]:
    r"""One flat row per epoch: epoch, phase, loss, seconds, every metric
    and, for mixture students, :obj:`expert_load` (per layer, the share
    of the evaluated nodes each expert takes first; layers separated by
    :obj:`|`).
    """
    rows = []
    for record in records:
        row: Dict[str, Any] = dict(epoch=record.epoch, phase=record.phase,
                                   loss=record.loss, seconds=record.seconds)
        row.update(record.metrics)
        load = record.extra.get('expert_load')
        if load is not None:
            row['expert_load'] = _load_text(load)
        rows.append(row)
    return rows


def _columns(rows: Sequence[Dict[str, Any]]) -> List[str]:
    extra = sorted({k for row in rows for k in row} - set(FIXED))
    if 'expert_load' in extra:  # last: the widest column
        extra.remove('expert_load')
        extra.append('expert_load')
    return [*FIXED, *extra]


def write_history(path: str, records: Sequence[EpochRecord]) -> str:
    r"""Writes :obj:`records` as a CSV file at :obj:`path` (atomically,
    replacing a partial log); returns :obj:`path`.
    """
    rows = history_rows(records)
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    tmp = f'{path}.tmp'
    with open(tmp, 'w', newline='') as f:
        writer = csv.DictWriter(f, _columns(rows))
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)
    return path


def read_history(path: str) -> List[Dict[str, Any]]:
    r"""The rows of a history CSV file, numbers as numbers and
    :obj:`expert_load` as a list of per-layer lists.
    """
    rows = []
    with open(path, newline='') as f:
        for row in csv.DictReader(f):
            out: Dict[str, Any] = {}
            for key, value in row.items():
                if value in ('', None):
                    continue
                if key == 'phase':
                    out[key] = value
                elif key == 'expert_load':
                    out[key] = [[float(v) for v in layer.split()]
                                for layer in value.split('|')]
                elif key == 'epoch':
                    out[key] = int(value)
                else:
                    out[key] = float(value)
            rows.append(out)
    return rows


class CSVLogger:
    r"""An epoch callback that appends each record to a CSV file as it
    comes, so that a running seed can be watched (the columns are those
    of the first record; :func:`write_history` rewrites the file whole).
    """
    def __init__(self, path: str):
        self.path = path
        self.columns: Optional[List[str]] = None

    def __call__(self, record: EpochRecord) -> None:
        row = history_rows([record])[0]
        os.makedirs(os.path.dirname(self.path) or '.', exist_ok=True)
        if self.columns is None:
            self.columns = _columns([row])
            with open(self.path, 'w', newline='') as f:
                csv.DictWriter(f, self.columns).writeheader()
        with open(self.path, 'a', newline='') as f:
            csv.DictWriter(f, self.columns,
                           extrasaction='ignore').writerow(row)


def check_tensorboard(option: str = '--log tensorboard') -> None:
    r"""Raises a :class:`ValueError` naming :obj:`option` when TensorBoard
    is not installed.
    """
    try:
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401
    except ImportError as error:
        raise ValueError(f"'{option}' needs TensorBoard "
                         f"(pip install tensorboard): {error}") from error


class TensorBoardLogger:
    r"""An epoch callback that writes each record's loss, metrics and
    expert shares as TensorBoard scalars under :obj:`log_dir`.
    """
    def __init__(self, log_dir: str):
        from torch.utils.tensorboard import SummaryWriter
        self.writer = SummaryWriter(log_dir=log_dir)

    def __call__(self, record: EpochRecord) -> None:
        step = record.epoch
        self.writer.add_scalar('loss', record.loss, step)
        for key, value in record.metrics.items():
            self.writer.add_scalar(f'accuracy/{key}', value, step)
        for layer, shares in enumerate(record.extra.get('expert_load', [])):
            self.writer.add_scalars(
                f'expert_load/layer{layer}',
                {f'expert{e}': v
                 for e, v in enumerate(shares)}, step)

    def write(self, records: Sequence[EpochRecord]) -> None:
        for record in records:
            self(record)
        self.close()

    def close(self) -> None:
        self.writer.close()
