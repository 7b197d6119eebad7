"""Runs a matrix: one teacher per (dataset, setting, seed), every student
distilled from it, each result saved as soon as it exists.
"""
import datetime
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from tqdm.auto import tqdm

from pyg_rbm.experiment.matrix import Matrix, RunGroup
from pyg_rbm.experiment.results_file import (
    discard_runs,
    discard_teachers,
    hparams_of,
    is_done,
    load_results,
    record,
    results_path,
    save_results,
    stale_students,
    teacher_changed,
)

__all__ = ['MatrixPlan', 'run_matrix', 'run_group_seed']

Cell = Tuple[str, str]  # (dataset, setting)


@dataclass
class MatrixPlan:
    r"""What part of a :class:`~pyg_rbm.experiment.Matrix` to run.

    Args:
        datasets (List[str]): Datasets of the matrix.
        settings (List[str]): Settings of the matrix.
        students (List[str]): Students (default ones or ablations).
        seeds (int): Seeds :obj:`0..seeds-1`.
        first_seed (int, optional): Skip the seeds below. (default: :obj:`0`)
        extras_seeds (int, optional): Students with extras run on seeds
            below this only. (default: :obj:`None`: all)
        epochs (int, optional): Student epochs after pretraining instead of
            the shipped ones. (default: :obj:`None`)
        teacher_epochs (int, optional): Maximum teacher epochs instead of
            the shipped ones. (default: :obj:`None`)
        root (str, optional): The data root. (default: :obj:`None`)
        teacher_cache (str, optional): A folder of trained teachers
            (:func:`~pyg_rbm.train.pipeline.prepare_teacher`'s
            :obj:`cache_dir`), so that students planned later, by another
            command, distil the same teachers without training them again.
            (default: :obj:`None`)
    """
    datasets: List[str]
    settings: List[str]
    students: List[str]
    seeds: int
    first_seed: int = 0
    extras_seeds: Optional[int] = None
    epochs: Optional[int] = None
    teacher_epochs: Optional[int] = None
    root: Optional[str] = None
    teacher_cache: Optional[str] = None

    @property
    def protocol(self) -> Dict[str, Any]:
        r"""What makes results comparable; files of another protocol are
        never mixed in.
        """
        return dict(student_epochs=self.epochs,
                    teacher_epochs=self.teacher_epochs)


def run_group_seed(group: RunGroup, seed: int, students: Sequence[str],
                   configs: Dict[Tuple[RunGroup, str], Any],
                   without_teacher: Sequence[str],
                   targets: Dict[str, Dict[str, Any]], paths: Dict[str, str],
                   info: Dict[str, Any], bar: Any,
                   verbose: bool = False,
                   teacher_cache: Optional[str] = None) -> None:
    r"""Trains one teacher and distils each of :obj:`students` from it,
    saving the results of every setting in :obj:`targets` after each.
    """
    from pyg_rbm.datasets import load_dataset
    from pyg_rbm.train.pipeline import distill_student, prepare_teacher

    root = configs[(group, students[0])].root
    name = f'{group.dataset} {group.run_setting} seed {seed}'
    bar.set_postfix_str(f'{name} teacher')
    data = load_dataset(group.dataset, root, seed=seed)
    start, cpu = time.perf_counter(), time.process_time()
    run = prepare_teacher(configs[(group, students[0])], seed, data,
                          progress=verbose, cache_dir=teacher_cache)
    times = (time.perf_counter() - start, time.process_time() - cpu)
    processor, commit = info.get('cpu'), info.get('commit')
    retrained: Dict[str, Dict[str, float]] = {}
    for setting, res in targets.items():
        stored = res['runs'].get(str(seed), {}).get('teacher')
        if stored is None:
            record(res, seed, 'teacher', run.scores, times[0],
                   cpu_seconds=times[1], cpu=processor, commit=commit)
        elif stored['scores'] != run.scores:
            # Students of a resumed run then learn from another teacher.
            where = stored.get('cpu')
            why = (f' on {where} (this is {processor}; floating-point '
                   f'results differ between processor models)'
                   if where and where != processor else '')
            tqdm.write(f'Warning: the retrained teacher of {name} scores '
                       f'{run.scores}, not {stored["scores"]} as stored'
                       f'{why}')
            retrained[setting] = run.scores
    for student in students:
        bar.set_postfix_str(f'{name} {student}')
        start, cpu = time.perf_counter(), time.process_time()
        _, scores, epochs, _ = distill_student(
            run, configs[(group, student)], progress=verbose,
            without_teacher=student in without_teacher)
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu
        for setting, res in targets.items():
            record(res, seed, student, scores, seconds, epochs,
                   cpu_seconds, cpu=processor,
                   teacher_scores=retrained.get(setting), commit=commit)
            res['machine'] = info
            res['updated'] = datetime.datetime.now().isoformat(
                timespec='seconds')
            save_results(res, paths[setting])
        bar.update(1)


def run_matrix(matrix: Matrix, plan: MatrixPlan, out: str,
               replace: Sequence[str] = (), rerun: Sequence[str] = (),
               command: Optional[str] = None,
               info: Optional[Dict[str, Any]] = None,
               verbose: bool = False) -> Dict[Cell, Dict[str, Any]]:
    r"""Runs :obj:`plan` of :obj:`matrix` into the results files of
    :obj:`out` (one per dataset and setting, see
    :mod:`pyg_rbm.experiment.results_file`) and returns them.

    Runs already in the files are skipped, so an interrupted matrix
    continues where it stopped; several processes may fill the same folder.
    Every file is read, and every config built and its data found, before
    any training: stored runs of another protocol, or of students whose
    hyperparameters changed, stop it (unless :obj:`replace` names those
    students, whose stale runs are then discarded). The stored runs of the
    planned seeds of the students in :obj:`rerun` are discarded and run
    again, as after a change of their code; those recorded with the
    current commit (:obj:`info['commit']`, when the code is committed)
    are kept, so that an interrupted rerun given again continues (as long
    as no commit was made in between: run it from a fixed checkout).

    Args:
        matrix (Matrix): The matrix definition.
        plan (MatrixPlan): What to run.
        out (str): The results folder.
        replace (List[str], optional): Students whose stale runs may be
            discarded. (default: :obj:`()`)
        rerun (List[str], optional): Students to run again on the planned
            seeds and cells. (default: :obj:`()`)
        command (str, optional): The command line, recorded in the files.
        info (dict, optional): The machine, recorded in the files.
        verbose (bool, optional): Per-epoch progress bars too.
    """
    from pyg_rbm.datasets import load_dataset
    from pyg_rbm.device import resolve_device
    from pyg_rbm.experiment.environment import environment

    students = matrix.all_students
    unknown = [s for s in plan.students if s not in students]
    if unknown:
        raise ValueError(f"Unknown students {unknown} in 'run_matrix' "
                         f"(known: {', '.join(students)})")
    unplanned = [s for s in rerun if s not in plan.students]
    if unplanned:
        raise ValueError(f"'rerun' names students that are not planned "
                         f"({unplanned}; planned: "
                         f"{', '.join(plan.students)})")
    groups = matrix.plan_runs(plan.datasets, plan.settings)
    paths = {(g.dataset, s): results_path(out, g.dataset, s)
             for g in groups for s in g.reports}
    results = {key: load_results(path, *key, plan.protocol)
               for key, path in paths.items()}
    configs = {(g, st): matrix.student_config(g.dataset, g.run_setting, st,
                                              plan.epochs,
                                              plan.teacher_epochs, plan.root)
               for g in groups for st in plan.students}
    for g in groups:  # Fails early with a clear message if data is missing.
        load_dataset(g.dataset, plan.root, seed=0)
    device = resolve_device(next(iter(configs.values())).device)
    info = dict(info if info is not None else environment(device),
                device=str(device))
    # Runs of the current commit survive a rerun, so that an interrupted
    # one continues; uncommitted code ('+') cannot be told apart.
    commit = info.get('commit')
    pinned = commit if commit and not commit.endswith('+') else None
    if rerun and pinned is None:
        tqdm.write(f'Warning: the code has no clean commit ({commit}); '
                   f'every planned run of {list(rerun)} is run again')
    extras_seeds = (plan.seeds if plan.extras_seeds is None else
                    plan.extras_seeds)
    seeds = range(plan.first_seed, plan.seeds)

    def students_of(seed: int) -> List[str]:
        return [st for st in plan.students
                if not students[st].extras or seed < extras_seeds]

    hyperparameters = {g: {st: hparams_of(configs[(g, st)])
                           for st in plan.students} for g in groups}
    for g in groups:  # Never mixes runs of different hyperparameters.
        for s in g.reports:
            res, path = results[(g.dataset, s)], paths[(g.dataset, s)]
            stale = stale_students(res, hyperparameters[g])
            refused = [st for st in stale if st not in replace]
            if refused:
                raise ValueError(
                    f"'{path}' holds runs of {refused} with other "
                    f"hyperparameters (or another teacher's); pass "
                    f"'--replace {' '.join(refused)}' to discard them, or "
                    f"choose another '--out'")
            new_teacher = teacher_changed(res, hyperparameters[g])
            for st in stale:
                count = discard_runs(res, st, list(matrix.students))
                tqdm.write(f'Discarded {count} stale runs of {st} in {path}')
            if new_teacher:
                count = discard_teachers(res)
                tqdm.write(f'Discarded {count} teacher runs of other '
                           f'hyperparameters in {path}')
            again = [st for st in rerun if st not in stale]
            for st in again:
                count = discard_runs(res, st, list(matrix.students),
                                     [seed for seed in seeds
                                      if st in students_of(seed)],
                                     keep_commit=pinned)
                tqdm.write(f'Discarded {count} runs of {st} in {path} '
                           f'to run them again')
            if stale or again:
                save_results(res, path, merge=False)

    without_teacher = [k for k, s in students.items() if s.without_teacher]
    bar = tqdm(total=len(groups) * sum(len(students_of(s)) for s in seeds),
               desc='accuracy', unit='run')
    for group in groups:
        targets = {s: results[(group.dataset, s)] for s in group.reports}
        for res in targets.values():
            if command is not None and command not in res['commands']:
                res['commands'].append(command)
            res['hyperparameters'].update(hyperparameters[group])
        for seed in seeds:
            todo = [
                st for st in students_of(seed)
                # A run to do again counts once made by this commit, even
                # when another process's save brought an older one back.
                if not all(is_done(res, seed, st,
                                   pinned if st in rerun else None)
                           for res in targets.values())
            ]
            bar.update(len(students_of(seed)) - len(todo))
            if todo:
                run_group_seed(group, seed, todo, configs, without_teacher,
                               targets,
                               {s: paths[(group.dataset, s)]
                                for s in targets}, info, bar, verbose,
                               plan.teacher_cache)
    bar.close()
    return results
