"""An accuracy matrix: students, datasets and settings, from a YAML file."""
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

__all__ = ['MatrixStudent', 'Matrix', 'RunGroup', 'load_matrix', 'matrices']

_FOLDER = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                   'configs', 'matrices')
SETTINGS = ('transductive', 'inductive', 'production')


@dataclass(frozen=True)
class MatrixStudent:
    r"""One student of a matrix: its config update on top of the dataset
    defaults (after the shipped :obj:`preset`, if any), whether it learns
    from labels only, and whether it trains with extras (and then runs on
    fewer seeds on request).
    """
    name: str
    label: str
    config: Dict[str, Any] = field(default_factory=dict)
    preset: Optional[str] = None
    without_teacher: bool = False
    extras: bool = False


@dataclass(frozen=True)
class RunGroup:
    r"""Runs that share teachers: one per (dataset, split setting).

    :obj:`run_setting` is the setting the graph is split for; the results
    are reported for every setting in :obj:`reports`.
    """
    dataset: str
    run_setting: str
    reports: Tuple[str, ...]


@dataclass(frozen=True)
class Matrix:
    r"""The definition of an accuracy matrix (see
    :obj:`pyg_rbm/configs/matrices/accuracy.yaml`).
    """
    datasets: Tuple[str, ...]
    settings: Tuple[str, ...]
    seeds: int
    teacher_label: str
    students: Dict[str, MatrixStudent]
    ablations: Dict[str, MatrixStudent]
    defaults_from: Dict[str, str]
    hyperparameters_of: Dict[str, str]
    quick: Dict[str, Any]

    @property
    def models(self) -> Tuple[str, ...]:
        r"""The teacher and the default students, in report order."""
        return ('teacher', *self.students)

    @property
    def all_students(self) -> Dict[str, MatrixStudent]:
        return {**self.students, **self.ablations}

    @property
    def labels(self) -> Dict[str, str]:
        return dict(teacher=self.teacher_label,
                    **{k: s.label for k, s in self.all_students.items()})

    def plan_runs(self, datasets: Sequence[str],
                  settings: Sequence[str]) -> List[RunGroup]:
        r"""The run groups that cover :obj:`settings` on :obj:`datasets`.

        On random or fixed splits the inductive setting holds out 20% of
        the test nodes like the production setting, so one run gives both;
        on the public Planetoid split it holds out the whole test set, so
        they are separate runs.
        """
        from pyg_rbm.datasets.registry import dataset_info
        for name, values, known in (('datasets', datasets, self.datasets),
                                    ('settings', settings, self.settings)):
            unknown = [v for v in values if v not in known]
            if unknown:
                raise ValueError(f"Unknown {name} {unknown} in 'plan_runs' "
                                 f"(known: {', '.join(known)})")
        groups: List[RunGroup] = []
        for dataset in dict.fromkeys(datasets):
            shared = dataset_info(dataset).split != 'public'
            for setting in self.settings:
                if setting not in settings:
                    continue
                if shared and setting != 'transductive':
                    group = RunGroup(dataset, 'production',
                                     ('inductive', 'production'))
                else:
                    group = RunGroup(dataset, setting, (setting, ))
                if group not in groups:
                    groups.append(group)
        return groups

    def student_config(self, dataset: str, setting: str, student: str,
                       epochs: Optional[int] = None,
                       teacher_epochs: Optional[int] = None,
                       root: Optional[str] = None) -> Any:
        r"""The :class:`~pyg_rbm.config.DistillConfig` of one student run.

        Every student of a (dataset, setting) shares the teacher section,
        so one teacher serves all of them.
        """
        from pyg_rbm.config import (
            TeacherConfig,
            dataset_defaults,
            load_config,
            merge_config,
        )
        students = self.all_students
        if student not in students:
            raise ValueError(f"Unknown student '{student}' in "
                             f"'student_config' (known: "
                             f"{', '.join(students)})")
        hparams = self.hyperparameters_of[setting]
        overrides: Dict[str, Any] = {}
        if dataset in self.defaults_from:
            overrides = dataset_defaults(self.defaults_from[dataset],
                                         hparams)
            overrides.pop('data', None)
            # The ball of the adversarial extra is set for the features of
            # that dataset's preprocessing (e.g. 0.0024 for row-normalised
            # Cora against the authors' 0.04 for raw features).
            overrides.get('extras', {}).pop('adv_epsilon', None)
            overrides['teacher'] = dict(overrides['teacher'],
                                        name=TeacherConfig.name)
        entry = students[student]
        config = load_config(overrides=overrides, dataset=dataset,
                             setting=hparams, preset=entry.preset)
        updates: Dict[str, Any] = dict(entry.config, setting=setting,
                                       root=root)
        if epochs is not None:
            updates['train'] = dict(epochs=epochs)
        if teacher_epochs is not None:
            updates['teacher'] = dict(epochs=teacher_epochs)
        return merge_config(config, updates)


def matrices() -> List[str]:
    r"""The names of the shipped matrices (:obj:`configs/matrices`)."""
    return sorted(n[:-5] for n in os.listdir(_FOLDER) if n.endswith('.yaml'))


def _students(entries: Dict[str, Any], where: str) -> Dict[str, Any]:
    known = {'label', 'config', 'preset', 'without_teacher', 'extras'}
    out = {}
    for name, entry in (entries or {}).items():
        unknown = set(entry) - known
        if unknown:
            raise ValueError(f"Unknown keys {sorted(unknown)} of student "
                             f"'{name}' in '{where}' (known: "
                             f"{', '.join(sorted(known))})")
        out[name] = MatrixStudent(name=name, **entry)
    return out


def load_matrix(name: str = 'accuracy') -> Matrix:
    r"""Reads a matrix: a shipped one by name, or a YAML file by path.

    Args:
        name (str, optional): :obj:`"accuracy"` or a path.
            (default: :obj:`"accuracy"`)
    """
    path = name if name.endswith('.yaml') else osp.join(_FOLDER,
                                                        f'{name}.yaml')
    if not osp.exists(path):
        raise ValueError(f"Unknown matrix '{name}' in 'load_matrix' "
                         f"(shipped: {', '.join(matrices())})")
    with open(path) as f:
        raw = yaml.safe_load(f)
    settings = tuple(raw['settings'])
    unknown = [s for s in settings if s not in SETTINGS]
    if unknown:
        raise ValueError(f"Unknown settings {unknown} in '{path}'")
    students = _students(raw['students'], path)
    ablations = _students(raw.get('ablations'), path)
    quick = dict(raw.get('quick') or {})
    return Matrix(datasets=tuple(raw['datasets']), settings=settings,
                  seeds=int(raw['seeds']),
                  teacher_label=raw.get('teacher_label', 'teacher'),
                  students=students, ablations=ablations,
                  defaults_from=dict(raw.get('defaults_from') or {}),
                  hyperparameters_of=dict(raw['hyperparameters_of']),
                  quick=quick)
