"""Accuracy of the GraphSAGE teacher and five graph-free students.

For each dataset, evaluation setting and seed, one teacher is trained with
:func:`pyg_rbm.train.pipeline.prepare_teacher` and every student is
distilled from it with :func:`~pyg_rbm.train.pipeline.distill_student`:

- ``mlp-no-teacher``: an MLP trained on labels only (no distillation);
- ``mlp``: the same MLP distilled from the teacher (GLNN);
- ``moe``: the MoE baseline student (same width, depth, E and k as RbM);
- ``rbm``: the RbM student;
- ``rbm-extras``: RbM with reliable neighbour sampling and adversarial
  augmentation, the shipped preset
  ``pyg_rbm/configs/presets/rbm-extras.yaml`` (one signed-gradient step of
  1.25 epsilon from a random start instead of the authors' 5 PGD steps,
  on a random eighth of each batch's nodes, for cost).

On request (``--students``), ``rbm-krd``, ``rbm-pe`` and ``rbm-adv`` add one
extra each to RbM, and ``rbm-krd-pe-adv`` all three (the preset with the
positional encodings), to tell which of them helps or hurts (an ablation;
the report then shows a table of them).

Accuracy is test accuracy at the best validation epoch (never the best
test accuracy over epochs), in percent. Hyperparameters are the shipped
per-dataset defaults (``pyg_rbm/configs``); Actor reuses Cora's values
(but keeps PyG's GraphSAGE teacher on unprocessed data), and the
production setting uses the inductive ones (as GLNN's production numbers
come from its inductive runs).

The matrix (datasets, settings, students and their config updates) is
``pyg_rbm/configs/matrices/accuracy.yaml``; this script is a front over
:func:`pyg_rbm.experiment.run_matrix`.

Results go to ``<out>/<dataset>_<setting>.json`` after every student, so an
interrupted run continues where it stopped when re-run with the same
arguments; several processes may fill the same folder (e.g. one per
dataset), as each save merges with the file under a lock. Stored runs whose
hyperparameters differ from the current ones stop the command before any
training, unless ``--replace`` names their students. Code changes are not
detected: ``--rerun`` names the students to train again (every run records
the commit it ran at; runs of the current commit are kept, so an
interrupted ``--rerun`` continues when given again from the same commit:
run it from a fixed checkout, such as a ``git worktree``).
``benchmarks/report.py`` renders ``docs/results.md`` from them.

Examples::

    python benchmarks/accuracy.py --quick
    python benchmarks/accuracy.py --datasets cora --settings transductive \
        --students rbm --seeds 1
    python benchmarks/accuracy.py      # the whole matrix, 10 seeds
"""
import argparse
import os
import os.path as osp
import shlex
import sys
from typing import Optional, Sequence

# Tensors of 2 MB and more go on transparent huge pages, which saves most
# page faults on the dense perturbed inputs of RbM + extras (the results do
# not change). torch reads this at its first allocation: set it before.
os.environ.setdefault('THP_MEM_ALLOC_ENABLE', '1')

import torch  # noqa: E402

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import machine_info  # noqa: E402
from pyg_rbm.experiment import MatrixPlan, load_matrix, run_matrix  # noqa
from pyg_rbm.experiment.results_file import METRIC  # noqa: E402,F401

MATRIX = load_matrix('accuracy')
DATASETS = MATRIX.datasets
SETTINGS = MATRIX.settings
STUDENTS = tuple(MATRIX.students)
ABLATIONS = tuple(MATRIX.ablations)
MODELS = MATRIX.models
SEEDS = MATRIX.seeds
# RbM + extras is the dearest student (its adversarial inputs are dense):
# --extras-seeds 3 runs it on fewer seeds for a cheaper matrix.
EXTRAS_SEEDS = SEEDS
QUICK = MATRIX.quick


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
                   f'but rbm-extras); {", ".join(ABLATIONS)}: RbM with some '
                   'of the extras, an ablation')
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
    p.add_argument('--teacher-cache', default=None,
                   help='folder of trained teachers: students planned by a '
                   'later command (e.g. --students moe after --students mlp '
                   'rbm) distil the same teachers without training them '
                   'again (default: none)')
    p.add_argument('--threads', type=int, default=None,
                   help='torch CPU threads (default: torch\'s choice)')
    p.add_argument('--replace', nargs='+', choices=STUDENTS + ABLATIONS,
                   default=[],
                   help='discard the stored runs of these students where '
                   'their hyperparameters changed, and run them again '
                   '(without it, such runs stop the command)')
    p.add_argument('--rerun', nargs='+', choices=STUDENTS + ABLATIONS,
                   default=[],
                   help='discard the stored runs of these students (of '
                   'the chosen seeds, datasets and settings) made by '
                   'another commit, and run them again, as after a change '
                   'of their code; each must be in --students')
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
    unplanned = [s for s in args.rerun if s not in args.students]
    if unplanned:
        p.error(f'--rerun names students not in --students: '
                f'{" ".join(unplanned)}')
    if not 0 <= args.first_seed < args.seeds:
        p.error(f'--first-seed must be in [0, --seeds) = [0, {args.seeds}) '
                f'(got {args.first_seed})')
    return args


def plan_of(args: argparse.Namespace) -> MatrixPlan:
    return MatrixPlan(datasets=args.datasets, settings=args.settings,
                      students=args.students, seeds=args.seeds,
                      first_seed=args.first_seed,
                      extras_seeds=args.extras_seeds, epochs=args.epochs,
                      teacher_epochs=args.teacher_epochs, root=args.root,
                      teacher_cache=args.teacher_cache)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    command = 'python ' + shlex.join(
        [osp.relpath(sys.argv[0])] +
        list(sys.argv[1:] if argv is None else argv))
    results = run_matrix(MATRIX, plan_of(args), args.out,
                         replace=args.replace, rerun=args.rerun,
                         command=command,
                         info=machine_info(), verbose=args.verbose)
    for (dataset, setting), res in sorted(results.items()):
        line = ', '.join(f'{m} {v["mean"]:.2f} +- {v["std"]:.2f} '
                         f'(n={v["n"]})' for m, v in res['summary'].items())
        print(f'{dataset} {setting}: {line or "nothing run"}')
    print(f'Results in {args.out}; render them with python '
          f'benchmarks/report.py --results {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
