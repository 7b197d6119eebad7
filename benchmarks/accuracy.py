"""Accuracy of the GraphSAGE teacher and five graph-free students.

For each dataset, evaluation setting and seed, one teacher is trained with
:func:`pyg_rbm.train.pipeline.prepare_teacher` and every student is
distilled from it with :func:`~pyg_rbm.train.pipeline.distill_student`:

- ``mlp-no-teacher``: an MLP trained on labels only (no distillation);
- ``mlp``: the same MLP distilled from the teacher (GLNN);
- ``moe``: the MoE baseline student (same width, depth, E and k as RbM);
- ``rbm``: the RbM student;
- ``rbm-extras``: RbM with reliable neighbour sampling, positional
  encodings and adversarial augmentation, the shipped preset
  ``pyg_rbm/configs/presets/rbm-extras.yaml`` (one signed-gradient step of
  1.25 epsilon from a random start instead of the authors' 5 PGD steps,
  on a random eighth of each batch's nodes, for cost).

On request (``--students``), ``rbm-krd``, ``rbm-pe`` and ``rbm-adv`` add one
extra each to RbM, to tell which of them helps or hurts (an ablation; the
report then shows a table of them).

Accuracy is test accuracy at the best validation epoch (never the best
test accuracy over epochs), in percent. Hyperparameters are the shipped
per-dataset defaults (``pyg_rbm/configs``); Actor reuses Cora's values
(but keeps PyG's GraphSAGE teacher on unprocessed data), and the
production setting uses the inductive ones (as GLNN's production numbers
come from its inductive runs).

Results go to ``<out>/<dataset>_<setting>.json`` after every student, so an
interrupted run continues where it stopped when re-run with the same
arguments; several processes may fill the same folder (e.g. one per
dataset), as each save merges with the file under a lock. Stored runs whose
hyperparameters differ from the current ones stop the command before any
training, unless ``--replace`` names their students.
``benchmarks/report.py`` renders ``docs/results.md`` from them.

Examples::

    python benchmarks/accuracy.py --quick
    python benchmarks/accuracy.py --datasets cora --settings transductive \
        --students rbm --seeds 1
    python benchmarks/accuracy.py      # the whole matrix, 10 seeds
"""
import argparse
import datetime
import fcntl
import hashlib
import itertools
import json
import os
import os.path as osp
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

# Tensors of 2 MB and more go on transparent huge pages, which saves most
# page faults on the dense perturbed inputs of RbM + extras (the results do
# not change). torch reads this at its first allocation: set it before.
os.environ.setdefault('THP_MEM_ALLOC_ENABLE', '1')

import torch  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import machine_info  # noqa: E402
from pyg_rbm.config import (  # noqa: E402
    DistillConfig,
    TeacherConfig,
    dataset_defaults,
    load_config,
    merge_config,
)
from pyg_rbm.datasets import load_dataset  # noqa: E402
from pyg_rbm.datasets.registry import dataset_info  # noqa: E402
from pyg_rbm.train.pipeline import (  # noqa: E402
    distill_student,
    headline,
    prepare_teacher,
)

DATASETS = ('cora', 'citeseer', 'actor', 'cora-npz', 'citeseer-npz')
SETTINGS = ('transductive', 'inductive', 'production')
STUDENTS = ('mlp-no-teacher', 'mlp', 'moe', 'rbm', 'rbm-extras')
MODELS = ('teacher', ) + STUDENTS
# RbM with one extra each; run only when asked for:
ABLATIONS = ('rbm-krd', 'rbm-pe', 'rbm-adv')
# Students that train with extras (and run on --extras-seeds seeds only):
EXTRAS_STUDENTS = ('rbm-extras', ) + ABLATIONS

MODEL_LABELS = {
    'teacher': 'GraphSAGE teacher',
    'mlp-no-teacher': 'MLP, no teacher',
    'mlp': 'MLP (GLNN)',
    'moe': 'MoE',
    'rbm': 'RbM',
    'rbm-extras': 'RbM + KRD, PE, adv.',
    'rbm-krd': 'RbM + KRD',
    'rbm-pe': 'RbM + PE',
    'rbm-adv': 'RbM + adv.',
}
DATASET_LABELS = {d: dataset_info(d).label for d in DATASETS}
SPLITS = {d: dataset_info(d).split for d in DATASETS}
SPLIT_LABELS = {
    'public': 'Planetoid public split',
    'fixed': 'Geom-GCN fixed 60/20/20 splits (split = seed mod 10)',
    'random': 'CPF random splits (largest connected component, '
    '20 train / 30 val per class)',
}

# Datasets without shipped defaults reuse another dataset's
# hyperparameters, but not its preprocessing and kind of teacher: they keep
# the generic pipeline (PyG's GraphSAGE, unprocessed data), since the GCN
# aggregator, which mixes a node with its neighbours, cost the Actor
# teacher 3.7 points (10 seeds, transductive).
DEFAULTS_FROM = {'actor': 'cora'}
# The shipped hyperparameters used in each setting:
HPARAM_SETTING = dict(transductive='transductive', inductive='inductive',
                      production='inductive')
# Config updates of each student on top of the dataset defaults:
VARIANTS: Dict[str, Dict[str, Any]] = {
    'mlp-no-teacher': dict(student=dict(name='mlp')),
    'mlp': dict(student=dict(name='mlp')),
    'moe': dict(student=dict(name='moe')),
    'rbm': dict(student=dict(name='rbm')),
    'rbm-extras': dict(preset='rbm-extras'),
    # The ablation: RbM with one of the preset's three extras each (the
    # adversarial one with the preset's attack).
    'rbm-krd': dict(student=dict(name='rbm'),
                    extras=dict(reliable_sampling=True)),
    'rbm-pe': dict(student=dict(name='rbm'),
                   extras=dict(positional_encoding=True)),
    'rbm-adv': dict(preset='rbm-extras',
                    extras=dict(reliable_sampling=False,
                                positional_encoding=False)),
}
WITHOUT_TEACHER = ('mlp-no-teacher', )

SEEDS = 10
# RbM + extras is the dearest student (its adversarial inputs are dense):
# --extras-seeds 3 runs it on fewer seeds for a cheaper matrix.
EXTRAS_SEEDS = SEEDS
# --quick: a smoke run of the pipeline, well under 30 minutes on two CPU
# cores, without RbM + extras.
QUICK = dict(datasets=['cora'], settings=['transductive'],
             students=[s for s in STUDENTS if s != 'rbm-extras'], seeds=3,
             epochs=20, teacher_epochs=50)
METRIC = 'test accuracy (%) at the best validation epoch'


@dataclass(frozen=True)
class RunGroup:
    """Runs that share teachers: one per (dataset, split setting).

    :obj:`run_setting` is the setting the graph is split for; the results
    are reported for every setting in :obj:`reports`.
    """
    dataset: str
    run_setting: str
    reports: Tuple[str, ...]


def plan_runs(datasets: Sequence[str],
              settings: Sequence[str]) -> List[RunGroup]:
    """The run groups that cover :obj:`settings` on :obj:`datasets`.

    On random or fixed splits the inductive setting holds out 20% of the
    test nodes like the production setting, so one run gives both; on the
    public Planetoid split it holds out the whole test set, so they are
    separate runs.
    """
    for name, values, known in (('datasets', datasets, DATASETS),
                                ('settings', settings, SETTINGS)):
        unknown = [v for v in values if v not in known]
        if unknown:
            raise ValueError(f"Unknown {name} {unknown} in 'plan_runs' "
                             f"(known: {', '.join(known)})")
    groups: List[RunGroup] = []
    for dataset in dict.fromkeys(datasets):
        shared = SPLITS[dataset] != 'public'
        for setting in SETTINGS:
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


def student_config(dataset: str, setting: str, student: str,
                   epochs: Optional[int] = None,
                   teacher_epochs: Optional[int] = None,
                   root: Optional[str] = None) -> Any:
    """The :class:`~pyg_rbm.config.DistillConfig` of one student run.

    Every student of a (dataset, setting) shares the teacher section, so
    one teacher serves all of them.
    """
    if student not in VARIANTS:
        raise ValueError(f"Unknown student '{student}' in 'student_config' "
                         f"(known: {', '.join(VARIANTS)})")
    hparams = HPARAM_SETTING[setting]
    overrides: Dict[str, Any] = {}
    if dataset in DEFAULTS_FROM:
        overrides = dataset_defaults(DEFAULTS_FROM[dataset], hparams)
        overrides.pop('data', None)
        overrides['teacher'] = dict(overrides['teacher'],
                                    name=TeacherConfig.name)
    variant = dict(VARIANTS[student])
    config = load_config(overrides=overrides, dataset=dataset,
                         setting=hparams, preset=variant.pop('preset', None))
    updates: Dict[str, Any] = dict(variant, setting=setting, root=root)
    if epochs is not None:
        updates['train'] = dict(epochs=epochs)
    if teacher_epochs is not None:
        updates['teacher'] = dict(epochs=teacher_epochs)
    return merge_config(config, updates)


def aggregate(values: Sequence[float]) -> Optional[Dict[str, Any]]:
    """Mean and sample standard deviation of :obj:`values` (in percent);
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
    return dict(dataset=dataset, setting=setting, split=SPLITS[dataset],
                metric=METRIC, protocol=protocol, commands=[], machine={},
                updated=None, hyperparameters={}, runs={}, summary={})


def load_results(path: str, dataset: str, setting: str,
                 protocol: Dict[str, Any]) -> Dict[str, Any]:
    """Reads a results file, or starts one; refuses to mix protocols."""
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
    """Adds to :obj:`ours` the runs and commands that only :obj:`theirs`
    has (e.g. written meanwhile by another process on the same file).
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
    """Merges :obj:`results` with the file's current content under a lock
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


def stale_students(results: Dict[str, Any],
                   hyperparameters: Dict[str, Dict[str, Any]]) -> List[str]:
    """The students with stored runs whose hyperparameters differ from
    :obj:`hyperparameters`.
    """
    stored = results['hyperparameters']
    # Options added since a file was written count at their defaults; the
    # name of a preset is no hyperparameter (its values are).
    defaults = hparams_of(DistillConfig())

    def values(hparams: Dict[str, Any]) -> Dict[str, Any]:
        return {k: v for k, v in hparams.items() if k != 'preset'}

    return sorted(
        st for st, hparams in hyperparameters.items()
        if st in stored and values(_filled(_upgraded(stored[st]), defaults))
        != values(json.loads(json.dumps(hparams))) and any(
                st in run['students'] for run in results['runs'].values()))


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


def _filled(stored: Dict[str, Any], defaults: Dict[str, Any]) -> Any:
    filled = dict(stored)
    for key, value in defaults.items():
        if key not in filled:
            filled[key] = value
        elif isinstance(value, dict) and isinstance(filled[key], dict):
            filled[key] = _filled(filled[key], value)
    return json.loads(json.dumps(filled))


def discard_runs(results: Dict[str, Any], student: str) -> int:
    """Removes every stored run of :obj:`student`, and the commands that
    ran nothing else; returns how many runs.
    """
    count = 0
    for run in results['runs'].values():
        count += run['students'].pop(student, None) is not None
    results['hyperparameters'].pop(student, None)
    results['commands'] = [
        c for c in results['commands'] if _students_of(c) != [student]
    ]
    results['summary'] = summarize(results)
    return count


def _students_of(command: str) -> List[str]:
    # Read by hand: a stored command may hold options since removed.
    tokens = shlex.split(command)
    if '--students' not in tokens:
        return list(STUDENTS)
    rest = tokens[tokens.index('--students') + 1:]
    return list(itertools.takewhile(lambda t: not t.startswith('--'), rest))


def is_done(results: Dict[str, Any], seed: int, student: str) -> bool:
    return student in results['runs'].get(str(seed), {}).get('students', {})


def record(results: Dict[str, Any], seed: int, model: str,
           scores: Dict[str, float], seconds: float,
           epochs: Optional[int] = None,
           cpu_seconds: Optional[float] = None,
           cpu: Optional[str] = None,
           teacher_scores: Optional[Dict[str, float]] = None) -> None:
    """Stores one run (scores as fractions; wall and CPU time of the
    training in seconds; the processor it ran on; for a student that
    learned from a retrained teacher other than the stored one, that
    teacher's scores) and refreshes the summary.
    """
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
    run = results['runs'].setdefault(str(seed), dict(teacher=None,
                                                     students={}))
    if model == 'teacher':
        run['teacher'] = entry
    else:
        run['students'][model] = entry
    results['summary'] = summarize(results)


def summarize(results: Dict[str, Any]) -> Dict[str, Any]:
    """Per model: mean, std, count and the per-seed accuracies."""
    summary = {}
    for model in MODELS + ABLATIONS:
        values = []
        for seed in sorted(results['runs'], key=int):
            run = results['runs'][seed]
            entry = (run['teacher'] if model == 'teacher' else
                     run['students'].get(model))
            if entry is not None:
                values.append(entry['accuracy'])
        stats = aggregate(values)
        if stats is not None:
            summary[model] = stats
    return summary


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--datasets', nargs='+', choices=DATASETS,
                   help='default: all (with --quick: '
                   f'{" ".join(QUICK["datasets"])})')
    p.add_argument('--settings', nargs='+', choices=SETTINGS,
                   help='default: all (with --quick: '
                   f'{" ".join(QUICK["settings"])})')
    p.add_argument('--students', nargs='+', choices=STUDENTS + ABLATIONS,
                   help=f'default: {" ".join(STUDENTS)} (with --quick: all '
                   f'but rbm-extras); {", ".join(ABLATIONS)} add one extra '
                   'each to RbM')
    p.add_argument('--seeds', type=int, default=None,
                   help=f'number of seeds, 0..N-1 (default: {SEEDS}, '
                   f'{QUICK["seeds"]} with --quick)')
    p.add_argument('--first-seed', type=int, default=0,
                   help='skip the seeds below this one (to share a matrix '
                   'between processes or machines; default: 0)')
    p.add_argument('--extras-seeds', type=int, default=EXTRAS_SEEDS,
                   help='students with extras run on seeds 0..N-1 only, N '
                   'at most '
                   f'--seeds (default: {EXTRAS_SEEDS})')
    p.add_argument('--quick', action='store_true',
                   help='a smoke run: fewer datasets, settings, students '
                   f'and seeds, {QUICK["epochs"]} student epochs after '
                   f'pretraining and at most {QUICK["teacher_epochs"]} '
                   'teacher epochs; explicit options take precedence')
    p.add_argument('--epochs', type=int, default=None,
                   help='student epochs after pretraining (default: the '
                   'shipped config)')
    p.add_argument('--teacher-epochs', type=int, default=None,
                   help='maximum teacher epochs (default: the shipped '
                   'config)')
    p.add_argument('--out', default=None,
                   help='results folder (default: docs/benchmarks/accuracy, '
                   'docs/benchmarks/accuracy-quick with --quick)')
    p.add_argument('--root', default=None,
                   help='data root (default: $PYG_RBM_DATA or ./data)')
    p.add_argument('--threads', type=int, default=None,
                   help='torch CPU threads (default: torch\'s choice)')
    p.add_argument('--replace', nargs='+', choices=STUDENTS + ABLATIONS,
                   default=[],
                   help='discard the stored runs of these students where '
                   'their hyperparameters changed, and run them again '
                   '(without it, such runs stop the command)')
    p.add_argument('--verbose', action='store_true',
                   help='also show per-epoch progress bars')
    args = p.parse_args(argv)
    full = dict(datasets=list(DATASETS), settings=list(SETTINGS),
                students=list(STUDENTS), seeds=SEEDS, epochs=None,
                teacher_epochs=None)
    for key, value in (QUICK if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key,
                    list(value) if isinstance(value, list) else value)
    if args.out is None:
        args.out = osp.join('docs', 'benchmarks',
                            'accuracy-quick' if args.quick else 'accuracy')
    for name in ('seeds', 'extras_seeds', 'epochs', 'teacher_epochs',
                 'threads'):
        value = getattr(args, name)
        if value is not None and value < 1:
            p.error(f'--{name.replace("_", "-")} must be positive '
                    f'(got {value})')
    if not 0 <= args.first_seed < args.seeds:
        p.error(f'--first-seed must be in [0, --seeds) = [0, {args.seeds}) '
                f'(got {args.first_seed})')
    return args


def hparams_of(config: Any) -> Dict[str, Any]:
    """A run's stored hyperparameters: its config without the data root
    and the seeds.
    """
    hparams = config.to_dict()
    for key in ('root', 'seeds'):
        hparams.pop(key)
    return hparams


def protocol_of(args: argparse.Namespace) -> Dict[str, Any]:
    """What makes results comparable; files of another protocol are never
    mixed in.
    """
    return dict(student_epochs=args.epochs,
                teacher_epochs=args.teacher_epochs)


def run_seed(group: RunGroup, seed: int, students: Sequence[str],
             configs: Dict[Tuple[RunGroup, str], Any],
             targets: Dict[str, Dict[str, Any]], paths: Dict[str, str],
             info: Dict[str, Any], bar: Any, verbose: bool = False) -> None:
    """Trains one teacher and distils each of :obj:`students` from it,
    saving the results of every setting in :obj:`targets` after each.
    """
    root = configs[(group, students[0])].root
    name = f'{group.dataset} {group.run_setting} seed {seed}'
    bar.set_postfix_str(f'{name} teacher')
    data = load_dataset(group.dataset, root, seed=seed)
    start, cpu = time.perf_counter(), time.process_time()
    run = prepare_teacher(configs[(group, students[0])], seed, data,
                          progress=verbose)
    times = (time.perf_counter() - start, time.process_time() - cpu)
    processor = info.get('cpu')
    retrained: Dict[str, Dict[str, float]] = {}
    for setting, res in targets.items():
        stored = res['runs'].get(str(seed), {}).get('teacher')
        if stored is None:
            record(res, seed, 'teacher', run.scores, times[0],
                   cpu_seconds=times[1], cpu=processor)
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
            without_teacher=student in WITHOUT_TEACHER)
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu
        for setting, res in targets.items():
            record(res, seed, student, scores, seconds, epochs,
                   cpu_seconds, cpu=processor,
                   teacher_scores=retrained.get(setting))
            res['machine'] = info
            res['updated'] = datetime.datetime.now().isoformat(
                timespec='seconds')
            save_results(res, paths[setting])
        bar.update(1)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    protocol = protocol_of(args)
    groups = plan_runs(args.datasets, args.settings)
    command = 'python ' + shlex.join(
        [osp.relpath(sys.argv[0])] +
        list(sys.argv[1:] if argv is None else argv))
    paths = {(g.dataset, s): results_path(args.out, g.dataset, s)
             for g in groups for s in g.reports}
    # Reads every file (and checks its protocol) before any training.
    results = {key: load_results(path, *key, protocol)
               for key, path in paths.items()}
    configs = {(g, st): student_config(g.dataset, g.run_setting, st,
                                       args.epochs, args.teacher_epochs,
                                       args.root)
               for g in groups for st in args.students}
    for g in groups:  # Fails early with a clear message if data is missing.
        load_dataset(g.dataset, args.root, seed=0)
    hyperparameters = {g: {st: hparams_of(configs[(g, st)])
                           for st in args.students} for g in groups}
    for g in groups:  # Never mixes runs of different hyperparameters.
        for s in g.reports:
            res, path = results[(g.dataset, s)], paths[(g.dataset, s)]
            for st in stale_students(res, hyperparameters[g]):
                if st not in args.replace:
                    raise ValueError(
                        f"'{path}' holds runs of '{st}' with other "
                        f"hyperparameters; pass '--replace {st}' to "
                        f"discard them, or choose another '--out'")
                count = discard_runs(res, st)
                save_results(res, path, merge=False)
                tqdm.write(f'Discarded {count} stale runs of {st} in {path}')

    def students_of(seed: int) -> List[str]:
        return [st for st in args.students
                if st not in EXTRAS_STUDENTS or seed < args.extras_seeds]

    info = machine_info()
    bar = tqdm(total=len(groups) *
               sum(len(students_of(seed))
                   for seed in range(args.first_seed, args.seeds)),
               desc='accuracy', unit='run')
    for group in groups:
        targets = {s: results[(group.dataset, s)] for s in group.reports}
        for res in targets.values():
            if command not in res['commands']:
                res['commands'].append(command)
            res['hyperparameters'].update(hyperparameters[group])
        for seed in range(args.first_seed, args.seeds):
            todo = [
                st for st in students_of(seed)
                if not all(is_done(res, seed, st)
                           for res in targets.values())
            ]
            bar.update(len(students_of(seed)) - len(todo))
            if todo:
                run_seed(group, seed, todo, configs, targets,
                         {s: paths[(group.dataset, s)] for s in targets},
                         info, bar, args.verbose)
    bar.close()
    for (dataset, setting), res in sorted(results.items()):
        line = ', '.join(f'{m} {v["mean"]:.2f} +- {v["std"]:.2f} '
                         f'(n={v["n"]})' for m, v in res['summary'].items())
        print(f'{dataset} {setting}: {line or "nothing run"}')
    print(f'Results in {args.out}; render them with python '
          f'benchmarks/report.py --results {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
