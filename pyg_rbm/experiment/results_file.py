"""The results file of one matrix cell: a dataset in one setting, every
model's runs over seeds, written after each run and shared by processes.
"""
import fcntl
import hashlib
import itertools
import json
import os
import os.path as osp
import shlex
import tempfile
from typing import Any, Dict, Iterable, List, Optional, Sequence

__all__ = [
    'METRIC',
    'aggregate',
    'results_path',
    'new_results',
    'load_results',
    'merge_results',
    'save_results',
    'hparams_of',
    'stale_students',
    'discard_runs',
    'is_done',
    'record',
    'summarize',
]

METRIC = 'test accuracy (%) at the best validation epoch'


def aggregate(values: Sequence[float]) -> Optional[Dict[str, Any]]:
    r"""Mean and sample standard deviation of :obj:`values` (in percent);
    :obj:`None` when empty.
    """
    if len(values) == 0:
        return None
    n = len(values)
    mean = sum(values) / n
    var = (sum((v - mean)**2 for v in values) / (n - 1) if n > 1 else 0.0)
    return dict(mean=mean, std=var**0.5, n=n, runs=list(values))


def results_path(out: str, dataset: str, setting: str) -> str:
    return osp.join(out, f'{dataset}_{setting}.json')


def new_results(dataset: str, setting: str,
                protocol: Dict[str, Any]) -> Dict[str, Any]:
    from pyg_rbm.datasets.registry import dataset_info
    return dict(dataset=dataset, setting=setting,
                split=dataset_info(dataset).split, metric=METRIC,
                protocol=protocol, commands=[], machine={}, updated=None,
                hyperparameters={}, runs={}, summary={})


def load_results(path: str, dataset: str, setting: str,
                 protocol: Dict[str, Any]) -> Dict[str, Any]:
    r"""Reads a results file, or starts one; refuses to mix protocols."""
    if not osp.exists(path):
        return new_results(dataset, setting, protocol)
    with open(path) as f:
        results = json.load(f)
    if results.get('protocol') != protocol:
        raise ValueError(f"'--out': '{path}' holds results of protocol "
                         f"{results.get('protocol')}, not {protocol}; "
                         f"choose another output folder")
    return results


def merge_results(ours: Dict[str, Any], theirs: Dict[str, Any]) -> None:
    r"""Adds to :obj:`ours` the runs and commands that only :obj:`theirs`
    has (*e.g.*, written meanwhile by another process on the same file).
    """
    for seed, run in theirs.get('runs', {}).items():
        mine = ours['runs'].setdefault(seed, dict(teacher=None, students={}))
        if mine['teacher'] is None:
            mine['teacher'] = run.get('teacher')
        for student, entry in run.get('students', {}).items():
            mine['students'].setdefault(student, entry)
    for command in theirs.get('commands', []):
        if command not in ours['commands']:
            ours['commands'].append(command)
    for student, hparams in theirs.get('hyperparameters', {}).items():
        ours['hyperparameters'].setdefault(student, hparams)
    ours['summary'] = summarize(ours)


def save_results(results: Dict[str, Any], path: str,
                 merge: bool = True) -> None:
    r"""Merges :obj:`results` with the file's current content under a lock
    (so runs on the same file from several processes add up) and writes
    atomically (so an interruption never leaves half a file).
    :obj:`merge=False` overwrites the file instead.
    """
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    key = hashlib.sha1(osp.abspath(path).encode()).hexdigest()[:16]
    lock_path = osp.join(tempfile.gettempdir(), f'pyg_rbm_acc_{key}.lock')
    with open(lock_path, 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if merge and osp.exists(path):
            with open(path) as f:
                merge_results(results, json.load(f))
        tmp = f'{path}.tmp'
        with open(tmp, 'w') as f:
            json.dump(results, f, indent=1)
        os.replace(tmp, path)


def hparams_of(config: Any) -> Dict[str, Any]:
    r"""A run's stored hyperparameters: its config without the keys of
    :obj:`pyg_rbm.config.PLACEMENT_KEYS` (the data root, the seeds, the
    device and the processes; the machine is recorded apart).
    """
    from pyg_rbm.config import PLACEMENT_KEYS
    hparams = config.to_dict()
    for key in PLACEMENT_KEYS:
        hparams.pop(key)
    return hparams


# The parts of a run's hyperparameters that make its teacher.
TEACHER_KEYS = ('dataset', 'setting', 'data', 'teacher')


def _teacher_part(hparams: Dict[str, Any]) -> Dict[str, Any]:
    return {k: hparams.get(k) for k in TEACHER_KEYS}


def _stored_hparams(results: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    # Each stored student's hyperparameters, options added since the file
    # was written at their defaults; the name of a preset is no
    # hyperparameter (its values are).
    from pyg_rbm.config import DistillConfig
    defaults = hparams_of(DistillConfig())
    return {
        st: {k: v for k, v in fill_defaults(_upgraded(hparams),
                                            defaults).items()
             if k != 'preset'}
        for st, hparams in results['hyperparameters'].items()
        if any(st in run['students'] for run in results['runs'].values())
    }


def stale_students(results: Dict[str, Any],
                   hyperparameters: Dict[str, Dict[str, Any]]) -> List[str]:
    r"""The students with stored runs whose hyperparameters differ from
    :obj:`hyperparameters`, and those of any student distilled from a
    teacher of other hyperparameters (a teacher serves every student of
    its seed, so a new one makes every stored student stale).
    """
    stored = _stored_hparams(results)
    current = {st: {k: v for k, v in json.loads(json.dumps(h)).items()
                    if k != 'preset'}
               for st, h in hyperparameters.items()}
    stale = {st for st, hparams in current.items() if st in stored and
             _in_effect(stored[st]) != _in_effect(hparams)}
    if teacher_changed(results, hyperparameters):
        stale |= set(stored)
    return sorted(stale)


def _in_effect(hparams: Dict[str, Any]) -> Dict[str, Any]:
    # Without the settings of the extras that are off: changing those
    # leaves a run as it was.
    from pyg_rbm.config import EXTRA_SETTINGS
    extras = hparams.get('extras')
    if not extras:
        return hparams
    idle = tuple(prefix for switch, prefix in EXTRA_SETTINGS.items()
                 if not extras.get(switch))
    return dict(hparams, extras={k: v for k, v in extras.items()
                                 if not k.startswith(idle)})


def teacher_changed(results: Dict[str, Any],
                    hyperparameters: Dict[str, Dict[str, Any]]) -> bool:
    r"""Whether the stored students learned from a teacher of other
    hyperparameters (dataset, setting, data, teacher) than those of
    :obj:`hyperparameters`.
    """
    if not hyperparameters:
        return False
    teacher = _teacher_part(json.loads(json.dumps(
        next(iter(hyperparameters.values())))))
    return any(_teacher_part(hparams) != teacher
               for hparams in _stored_hparams(results).values())


def discard_teachers(results: Dict[str, Any]) -> int:
    r"""Removes every stored teacher run (whose students are gone); returns
    how many.
    """
    count = 0
    for run in results['runs'].values():
        count += run.get('teacher') is not None
        run['teacher'] = None
    results['summary'] = summarize(results)
    return count


def _upgraded(stored: Dict[str, Any]) -> Dict[str, Any]:
    # Files written before 'extras.adv_step_ratio' hold the PGD step as
    # 'adv_step_size' (None: a quarter of epsilon).
    extras = stored.get('extras')
    if not extras or 'adv_step_size' not in extras:
        return stored
    extras = dict(extras)
    size = extras.pop('adv_step_size')
    eps = extras['adv_epsilon']
    extras['adv_step_ratio'] = 0.25 if size is None else round(size / eps, 6)
    return dict(stored, extras=extras)


def fill_defaults(stored: Dict[str, Any], defaults: Dict[str, Any]) -> Any:
    r"""The nested dict :obj:`stored` with the keys it lacks taken from
    :obj:`defaults`: options added since it was written count at their
    defaults.
    """
    filled = dict(stored)
    for key, value in defaults.items():
        if key not in filled:
            filled[key] = value
        elif isinstance(value, dict) and isinstance(filled[key], dict):
            filled[key] = fill_defaults(filled[key], value)
    return json.loads(json.dumps(filled))


def discard_runs(results: Dict[str, Any], student: str,
                 default_students: Sequence[str] = (),
                 seeds: Optional[Iterable[int]] = None,
                 keep_commit: Optional[str] = None) -> int:
    r"""Removes the stored runs of :obj:`student` (of :obj:`seeds`, or of
    every seed; those recorded with commit :obj:`keep_commit` stay);
    returns how many. Once none is left, its hyperparameters and the
    commands that ran nothing else go too (a command without
    :obj:`--students` ran :obj:`default_students`).
    """
    chosen = None if seeds is None else {str(s) for s in seeds}
    count = 0
    for seed, run in results['runs'].items():
        entry = run['students'].get(student)
        if (entry is None or (chosen is not None and seed not in chosen)
                or (keep_commit is not None
                    and entry.get('commit') == keep_commit)):
            continue
        del run['students'][student]
        count += 1
    if not any(student in run['students']
               for run in results['runs'].values()):
        results['hyperparameters'].pop(student, None)
        results['commands'] = [
            c for c in results['commands']
            if _students_of(c, default_students) != [student]
        ]
    results['summary'] = summarize(results)
    return count


def _students_of(command: str, default: Sequence[str]) -> List[str]:
    # Read by hand: a stored command may hold options since removed.
    tokens = shlex.split(command)
    if '--students' not in tokens:
        return list(default)
    rest = tokens[tokens.index('--students') + 1:]
    return list(itertools.takewhile(lambda t: not t.startswith('--'), rest))


def is_done(results: Dict[str, Any], seed: int, student: str,
            commit: Optional[str] = None) -> bool:
    r"""Whether :obj:`student` has a stored run of :obj:`seed` (made at
    :obj:`commit`, when given).
    """
    entry = results['runs'].get(str(seed), {}).get('students', {}).get(
        student)
    return entry is not None and (commit is None
                                  or entry.get('commit') == commit)


def record(results: Dict[str, Any], seed: int, model: str,
           scores: Dict[str, float], seconds: float,
           epochs: Optional[int] = None,
           cpu_seconds: Optional[float] = None,
           cpu: Optional[str] = None,
           teacher_scores: Optional[Dict[str, float]] = None,
           commit: Optional[str] = None) -> None:
    r"""Stores one run (scores as fractions; wall and CPU time of the
    training in seconds; the processor it ran on; for a student that
    learned from a retrained teacher other than the stored one, that
    teacher's scores; the commit of the code) and refreshes the summary.
    """
    from pyg_rbm.train.pipeline import headline
    entry: Dict[str, Any] = dict(
        accuracy=100 * headline(scores, results['setting']),
        scores=scores, seconds=seconds, cpu_seconds=cpu_seconds)
    if epochs is not None:
        entry['epochs'] = epochs
    if cpu is not None:
        # Another processor model gives other floating-point results.
        entry['cpu'] = cpu
    if teacher_scores is not None:
        entry['teacher_scores'] = teacher_scores
    if commit is not None:
        entry['commit'] = commit
    run = results['runs'].setdefault(str(seed), dict(teacher=None,
                                                     students={}))
    if model == 'teacher':
        run['teacher'] = entry
    else:
        run['students'][model] = entry
    results['summary'] = summarize(results)


def summarize(results: Dict[str, Any],
              models: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    r"""Per model: mean, std, count and the per-seed accuracies. Models go
    in the order of :obj:`models`, then of the file's summary, then of
    first appearance.
    """
    runs = [results['runs'][seed]
            for seed in sorted(results['runs'], key=int)]
    order = ['teacher', *(models or ()), *results.get('summary', {})]
    for run in runs:
        order.extend(run['students'])
    summary = {}
    for model in dict.fromkeys(order):
        values = [(run['teacher'] if model == 'teacher' else
                   run['students'].get(model)) for run in runs]
        stats = aggregate([v['accuracy'] for v in values if v is not None])
        if stats is not None:
            summary[model] = stats
    return summary
