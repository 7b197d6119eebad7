"""``pyg-rbm distill``: teacher to evaluated student, over seeds."""
import argparse
import os
import sys
from typing import Any, Dict, List, Optional, Tuple

import yaml

from pyg_rbm.config import DistillConfig, presets
from pyg_rbm.datasets import available_datasets

# The exit code of a usage error (argparse's).
USAGE_EXIT = 2

# Flags that set one config key each: type, choices and help come from the
# key's declaration (pyg_rbm.config); --set reaches every other key.
FLAGS = {
    'teacher': 'teacher.name',
    'teacher-graph': 'teacher.train_graph',
    'student': 'student.name',
    'epochs': 'train.epochs',
    'kd-variant': 'train.kd_variant',
    'baseline-mlp': 'baseline_mlp',
    'device': 'device',
    'processes': 'processes',
    **{name.replace('_', '-'): f'extras.{name}'
       for name in ('reliable_sampling', 'positional_encoding',
                    'adversarial', 'similarity', 'label_propagation')},
}


def _name_choices(key: str) -> Optional[Tuple[str, ...]]:
    if key == 'teacher.name':
        from pyg_rbm.teachers.build import TEACHERS
        return tuple(TEACHERS)
    if key == 'student.name':
        from pyg_rbm.nn.build import STUDENTS
        return tuple(STUDENTS)
    return None


def add_config_flag(parser: argparse.ArgumentParser, flag: str,
                    key: str) -> None:
    """Adds :obj:`--flag`, which sets config key :obj:`key`, as the key's
    declaration describes it; unset, the shipped configuration decides.
    """
    from pyg_rbm.config import config_field
    from pyg_rbm.schema import describe_range
    field = config_field(key)
    help = f"{field.metadata['help']} (config key {key})"
    if isinstance(field.default, bool):
        parser.add_argument(f'--{flag}', dest=key, action='store_true',
                            default=None, help=help)
        return
    choices = field.metadata.get('choices') or _name_choices(key)
    allowed = describe_range(field)
    if allowed and not choices:
        help = f"{field.metadata['help']}, {allowed} (config key {key})"
    parser.add_argument(f'--{flag}', dest=key, default=None,
                        type=type(field.default), choices=choices,
                        metavar=None if choices else flag.upper(), help=help)


def load_logits(path: str) -> Any:
    """Teacher logits from a .pt tensor or a .npy array, memory-mapped."""
    import torch
    if path.endswith('.npy'):
        import warnings

        import numpy as np
        with warnings.catch_warnings():  # read-only map, never written
            warnings.filterwarnings('ignore', 'The given NumPy array')
            return torch.from_numpy(np.load(path, mmap_mode='r'))
    logits = torch.load(path, mmap=True, weights_only=True)
    if not isinstance(logits, torch.Tensor):
        raise ValueError(f"'--teacher-logits': '{path}' holds no tensor")
    return logits


def print_keys() -> None:
    """Prints every config key with its default, allowed values and help."""
    from pyg_rbm.config import config_keys
    print('Config keys (--set KEY=VALUE, or a --config YAML); the shipped '
          'per-dataset configs (pyg_rbm/configs) override these defaults.')
    rows = [(k, repr(d), a, h) for k, d, a, h in config_keys()]
    width = max(len(r[0]) for r in rows)
    for key, default, allowed, help in rows:
        print(f'{key:<{width}}  {help}; default {default}'
              + (f'; {allowed}' if allowed else ''))


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser('distill', help='distil a GNN teacher into a student',
                       description='Trains a GNN teacher, distils it into a '
                       'graph-free student and reports test accuracy at the '
                       'best validation epoch, mean and std over seeds.')
    p.add_argument('--dataset', default=None,
                   help=f"one of {', '.join(available_datasets())} or an "
                   f"alias (default: {DistillConfig.dataset})")
    p.add_argument('--root', default=None,
                   help='data root (default: $PYG_RBM_DATA or ./data)')
    p.add_argument('--setting', default=None,
                   choices=['transductive', 'inductive', 'production'],
                   help="transductive: every node is seen in training (its "
                   "label hidden) and test nodes are scored; inductive: "
                   "test nodes (all on the public split, 20%% elsewhere) "
                   "and their edges are held out of training and scored "
                   "as new nodes; production: 0.8 x transductive + 0.2 x "
                   "inductive accuracy, 20%% of the test nodes held out "
                   "(default: transductive)")
    p.add_argument('--protocol', default=None, choices=['default', 'authors'],
                   help="'authors' reproduces the RbM authors' released "
                   "pipeline point by point with their hyperparameters "
                   "(pyg_rbm/configs/authors/); --set switches single "
                   "options back (default: default)")
    p.add_argument('--preset', default=None, choices=presets(),
                   help='a shipped configuration on top of the dataset '
                   "defaults, e.g. 'rbm-extras' (RbM with KRD and "
                   'adversarial augmentation; add --positional-encoding '
                   'where most test nodes are new); '
                   'pyg_rbm/configs/presets/')
    p.add_argument('--seeds', type=int, default=None,
                   help='number of seeds, 0..N-1 (default: 1)')
    p.add_argument('--config', default=None, metavar='FILE',
                   help='YAML overriding the shipped per-dataset defaults')
    p.add_argument('--set', action='append', default=[], metavar='KEY=VALUE',
                   help='override one value, e.g. --set student.k=2 '
                   '(--keys lists them)')
    p.add_argument('--keys', action='store_true',
                   help='list every config key with its default, allowed '
                   'values and meaning, and exit')
    for flag, key in FLAGS.items():
        add_config_flag(p, flag, key)
    p.add_argument('--out', default='runs/latest',
                   help='run folder: run.json, one record per finished '
                   'seed (seeds/), results.json (default: runs/latest)')
    p.add_argument('--teacher-logits', default=None, metavar='FILE',
                   help='the teacher as logits [num_nodes, num_classes] '
                   'computed elsewhere (.pt tensor or .npy array, read '
                   'memory-mapped): no teacher is trained (not with '
                   '--reliable-sampling or --similarity, which need the '
                   'model)')
    p.add_argument('--teacher-cache', default=None, metavar='DIR',
                   help='keep trained teachers in DIR and reuse them '
                   '(same dataset, setting, seed, preprocessing and '
                   'teacher configuration; default: the run folder\'s '
                   'teachers/)')
    mode = p.add_mutually_exclusive_group()
    mode.add_argument('--resume', action='store_true',
                      help='continue the run in --out: finished seeds are '
                      'kept and skipped, an interrupted seed continues from '
                      'its last checkpoint (same configuration; more seeds '
                      'may be asked for)')
    mode.add_argument('--overwrite', action='store_true',
                      help='replace the run in --out')
    p.add_argument('--log', nargs='+', choices=['csv', 'tensorboard'],
                   default=['csv'],
                   help='per-epoch logs in the run folder: CSV files '
                   '(history/<seed>/<model>.csv, always written) and '
                   'TensorBoard (tensorboard/, needs pip install '
                   'tensorboard); see pyg-rbm show')
    p.add_argument('--no-timing', action='store_true',
                   help='skip timing the teacher\'s and the student\'s '
                   'full-graph inference after each seed')
    p.add_argument('--no-progress', action='store_true')


def overrides_from_args(args: argparse.Namespace) -> Dict[str, Any]:
    """Nested config overrides from the command-line flags."""
    out: Dict[str, Any] = {}

    def put(path: str, value: Any) -> None:
        node = out
        *parents, leaf = path.split('.')
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value

    for item in args.set:
        if '=' not in item:
            raise SystemExit(f"--set expects KEY=VALUE (got '{item}')")
        key, value = item.split('=', 1)
        put(key, yaml.safe_load(value))
    for key in FLAGS.values():
        if getattr(args, key) is not None:
            put(key, getattr(args, key))
    if args.seeds is not None:
        out['seeds'] = list(range(args.seeds))
    if args.root is not None:
        out['root'] = args.root
    return out


def run_identity(config: DistillConfig) -> Dict[str, Any]:
    r"""What makes a run the same run: its config without the keys of
    :obj:`pyg_rbm.config.PLACEMENT_KEYS` (the data root, the seed list, the
    device and the processes; the environment is recorded with each seed).
    """
    from pyg_rbm.config import PLACEMENT_KEYS
    return {k: v for k, v in config.to_dict().items()
            if k not in PLACEMENT_KEYS}


def format_table(summary: Dict[str, Any], timings: Dict[str, float],
                 config: Any, teacher: Optional[str] = None) -> str:
    """The end-of-run table: accuracy mean +- std and inference times."""
    s, t = config.student, config.teacher
    names = dict(teacher=f'teacher ({teacher or t.name})',
                 student=f'student ({s.name})',
                 mlp='MLP without teacher')
    time_key = dict(teacher='teacher_inference_s',
                    student='student_inference_s')
    nodes = int(timings.get('nodes', 0))
    header = (f'{"model":<22} {"test acc (%)":>16} '
              f'{"best test, any epoch*":>22} '
              f'{"inference, " + str(nodes) + " nodes (ms)":>30}')
    lines = [f'{config.dataset}, {config.setting}, '
             f'{len(config.seeds)} seed(s), protocol {config.protocol}',
             header, '-' * len(header)]
    for key, value in summary.items():
        acc = f'{value["mean"]:.2f} +- {value["std"]:.2f}'
        best = value.get('best_test_over_epochs')
        best = f'{best["mean"]:.2f} +- {best["std"]:.2f}' if best else ''
        ms = (f'{1000 * timings[time_key[key]]:.2f}'
              if key in time_key and time_key[key] in timings else '')
        lines.append(f'{names[key]:<22} {acc:>16} {best:>22} {ms:>30}')
    lines.append('test acc: at the best validation epoch. *Selected on the '
                 'test set, as the RbM authors report; for comparison only.')
    return '\n'.join(lines)


# Score keys in the order and wording of a seed's line.
_SCORE_LABELS = dict(val='val', test='test', inductive='inductive',
                     best_test_over_epochs='best test over epochs*')


def format_scores(scores: Dict[str, float]) -> str:
    """Scores (fractions) as percentages, e.g. ``val 79.20%, test 80.40%``."""
    return ', '.join(f'{_SCORE_LABELS.get(key, key)} {100 * value:.2f}%'
                     for key, value in sorted(
                         scores.items(),
                         key=lambda item: list(_SCORE_LABELS).index(item[0])
                         if item[0] in _SCORE_LABELS else len(_SCORE_LABELS)))


def run(args: argparse.Namespace) -> int:
    from pyg_rbm import distributed
    from pyg_rbm.cli.main import UsageError
    from pyg_rbm.config import load_config
    from pyg_rbm.datasets import DatasetNotFoundError
    from pyg_rbm.device import resolve_device
    from pyg_rbm.experiment import RunStore, environment
    from pyg_rbm.experiment.history import (
        CSVLogger,
        TensorBoardLogger,
        check_tensorboard,
        write_history,
    )
    from pyg_rbm.train.pipeline import (
        SeedResult,
        check_teacher_logits,
        mean_timings,
        run_seed,
        summarize,
    )

    if args.keys:
        print_keys()
        return 0
    # Bad values, missing data and an unusable --out fail here, before any
    # training.
    try:
        config = load_config(args.config, overrides_from_args(args),
                             dataset=args.dataset, setting=args.setting,
                             protocol=args.protocol, preset=args.preset)
        started = distributed.started_processes()  # (torchrun's)
        if started > 1 and config.processes not in (1, started):
            raise ValueError(f"'processes' is {config.processes} but the "
                             f"launcher started {started} processes")
        config.check_processes(max(started, config.processes))
    except (ValueError, DatasetNotFoundError, OSError) as error:
        raise UsageError(error) from error
    if config.processes > 1 and not distributed.launched():
        return _launch(args, config.processes)
    try:
        device = resolve_device(config.device)
        # Under torchrun: every process runs this command, rank 0 writes.
        joined = distributed.init_from_env(device)
        # Rank 0 processes the raw files first; the others then read them.
        with distributed.main_process_first():
            data = config.load_dataset(config.seeds[0])
        identity = run_identity(config)
        logits = None
        if args.teacher_logits is not None:
            logits = load_logits(args.teacher_logits)
            check_teacher_logits(logits, data.num_nodes,
                                 int(data.num_classes), config,
                                 '--teacher-logits')
            identity['teacher_logits'] = dict(
                path=os.path.abspath(args.teacher_logits),
                bytes=os.path.getsize(args.teacher_logits))
        tensorboard = 'tensorboard' in args.log
        if tensorboard:
            check_tensorboard()
        mode = ('resume' if args.resume else
                'overwrite' if args.overwrite else 'new')
        problem, store = None, None
        if distributed.is_main_process():
            try:
                store = RunStore(args.out, identity, mode,
                                 environment(device),
                                 defaults=run_identity(DistillConfig()))
            except (ValueError, OSError) as error:
                problem = str(error)
        problem = distributed.broadcast_object(problem)
        if problem is not None:
            raise ValueError(problem)
    except (ValueError, DatasetNotFoundError, OSError) as error:
        raise UsageError(error) from error
    progress = not args.no_progress
    if store is None:
        _follow(args, config, logits)  # processes of rank > 0
        if joined:
            distributed.shutdown()
        return 0
    with store:
        finished = store.finished()
        distributed.broadcast_object(sorted(finished))
        results: List[SeedResult] = []
        for seed in config.seeds:
            if seed in finished:
                result = SeedResult.from_record(finished[seed])
                state = 'stored'
            else:
                # The run folder keeps the seed's teacher and checkpoints, so
                # that --resume continues an interrupted seed.
                # Student epochs are logged as they come, every model's
                # whole history when the seed ends.
                loggers: List[Any] = [
                    CSVLogger(store.history_path(seed, 'student'))
                ]
                board = (TensorBoardLogger(store.tensorboard_dir(
                    seed, 'student')) if tensorboard else None)
                if board is not None:
                    loggers.append(board)
                result = run_seed(
                    config, seed, callbacks=loggers, progress=progress,
                    teacher_cache=args.teacher_cache or store.teachers_folder,
                    checkpoint_dir=store.checkpoint_dir(seed),
                    student_path=store.student_path(seed),
                    teacher_logits=logits, timing=not args.no_timing)
                for model, records in result.history.items():
                    write_history(store.history_path(seed, model), records)
                    if board is not None and model != 'student':
                        TensorBoardLogger(store.tensorboard_dir(
                            seed, model)).write(records)
                if board is not None:
                    board.close()
                # A resumed run may span machines: each seed says where
                # it ran.
                store.save_seed(seed, dict(result.to_dict(),
                                           environment=environment(device)))
                state = 'saved'
            results.append(result)
            print(f'seed {seed} ({state}): teacher '
                  f'{format_scores(result.teacher)}; student '
                  f'{format_scores(result.student)}', flush=True)
        summary = summarize(results, config.setting)
        timings = mean_timings(results)
        print(format_table(summary, timings, config,
                           'logits' if logits is not None else None))
        path = store.save_summary(
            dict(**summary, setting=config.setting, dataset=config.dataset,
                 metric='test accuracy (%) at the best validation epoch',
                 hyperparameters=config.to_dict(), timings=timings,
                 environment=environment(device),
                 per_seed=[r.to_dict() for r in results]))
    print(f'Wrote {path}')
    if joined:
        distributed.shutdown()
    return 0


def _launch(args: argparse.Namespace, processes: int) -> int:
    # Runs this command on `processes` new processes; a usage error that
    # they find (the same on each, or rank 0's alone) is reported here.
    import tempfile

    from torch.distributed.elastic.multiprocessing.errors import (
        ChildFailedError,
    )

    from pyg_rbm import distributed
    from pyg_rbm.cli.main import UsageError
    with tempfile.TemporaryDirectory(prefix='pyg_rbm_distill_') as folder:
        try:
            return distributed.launch(processes, _process, args, folder)
        except ChildFailedError:
            # (The launcher stops the other processes at the first that
            # fails; the others may fail in turn, waiting for it.)
            for name in sorted(os.listdir(folder)):
                with open(os.path.join(folder, name)) as f:
                    raise UsageError(f.read()) from None
            raise


def _process(args: argparse.Namespace, folder: str) -> int:
    # One process of a run that `_launch` started; a usage error goes to
    # `folder`, for the launching process to report.
    from pyg_rbm.cli.main import UsageError
    from pyg_rbm.heap import retain_freed_memory
    retain_freed_memory()
    try:
        return run(args)
    except UsageError as error:
        rank = os.environ.get('RANK', '0')
        with open(os.path.join(folder, f'{int(rank):06d}'), 'w') as f:
            f.write(str(error))
        sys.exit(USAGE_EXIT)


def _follow(args: argparse.Namespace, config: Any, logits: Any) -> None:
    # A process of rank > 0: trains the seeds that rank 0 runs, with it,
    # and writes nothing.
    from pyg_rbm import distributed
    from pyg_rbm.experiment.store import RunStore
    from pyg_rbm.train.pipeline import run_seed

    finished = distributed.broadcast_object(None)
    checkpoints = RunStore.checkpoints_of(args.out)
    for seed in config.seeds:
        if seed not in finished:
            run_seed(config, seed, progress=False,
                     checkpoint_dir=os.path.join(checkpoints, str(seed)),
                     teacher_logits=logits, timing=False)
