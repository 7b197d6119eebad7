"""CPU time of one RbM training epoch: the authors' released code against
this project, at the same configuration.

Runs their code (github.com/Rufaim/routing-by-memory, a checkout the user
provides, patched at run time as `authors_check.py` does) in a separate
Python environment with DGL, and this project's student under the
`authors` protocol (their pipeline and values) and under the default one,
on one thread each, and writes the median CPU seconds of a routed epoch
(training and evaluation; the epoch that initialises the routing
excluded) to `docs/benchmarks/training_cost.json`.

    python benchmarks/training_cost.py --authors-repo /tmp/routing-by-memory \
        --python /tmp/authors/venv/bin/python

Their launcher also stamps every printed line with the process's CPU time,
and their parameters.yaml gets the epoch caps of `--teacher-epochs` and
`--student-epochs` (patience beyond them), so every run has the same
number of epochs; both changes are listed in the JSON.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List

import yaml

from _common import machine_info, write_json
from authors_check import (
    FLOAT_PATTERN,
    LAUNCHER_RUN,
    LAUNCHER_SETUP,
    PATCHES,
    add_authors_arguments,
    check_authors_repo,
    prepare_authors_copy,
)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, '..', 'docs', 'benchmarks',
                           'training_cost.json')
STAMP = '#cpu '
# Each printed line is followed by one with the CPU time of the process.
LAUNCHER_STAMP = f'''import builtins
import time

_print = builtins.print


def _stamped(*args, **kwargs):
    _print(*args, **kwargs)
    _print('{STAMP}' + repr(time.process_time()), flush=True)


builtins.print = _stamped
'''
EXTRA_PATCHES = [
    "launch.py prints the process's CPU time (time.process_time) after "
    "each printed line.",
    "parameters.yaml: the teacher's and the RbM student's max_epoch of the "
    "measured cell set to --teacher-epochs and --student-epochs, and "
    "--patience beyond both, so that every epoch runs.",
]
STUDENT_LINE = re.compile(r'^Student\[(\d+)\]')


def _yaml_loader() -> type:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_implicit_resolver('tag:yaml.org,2002:float',
                                 re.compile(FLOAT_PATTERN),
                                 list('-+0123456789'))
    return Loader


def cap_epochs(code: str, dataset: str, setting: str, teacher_epochs: int,
               student_epochs: int) -> int:
    """Sets the epoch caps of their SAGE-to-RbM cell; returns its number
    of pretraining epochs."""
    path = os.path.join(code, 'parameters.yaml')
    with open(path) as f:
        params = yaml.load(f, Loader=_yaml_loader())
    optimizer = params[dataset][setting]['sage']['rbm']['optimizer']
    optimizer['teacher']['max_epoch'] = teacher_epochs
    optimizer['student']['max_epoch'] = student_epochs
    with open(path, 'w') as f:
        yaml.safe_dump(params, f)
    return int(optimizer['student'].get('pretrain_epoch', 0))


def epoch_costs(stamps: List[float], first_routed: int) -> Dict[str, Any]:
    """Median, minimum and count of the CPU seconds of the epochs after
    :obj:`first_routed` (which initialises the routing), from the CPU time
    stamped after each epoch."""
    costs = [b - a for a, b in zip(stamps, stamps[1:])][first_routed:]
    if not costs:
        raise ValueError('no routed epoch after the first one was timed')
    return dict(median_cpu_s=statistics.median(costs), min_cpu_s=min(costs),
                epochs=len(costs))


def parse_stamps(text: str) -> List[float]:
    """The CPU stamp after each student epoch line of their log."""
    stamps, pending = [], False
    for line in text.splitlines():
        if pending and line.startswith(STAMP):
            stamps.append(float(line[len(STAMP):]))
        pending = STUDENT_LINE.match(line.strip()) is not None
    return stamps


def run_authors(code: str, python: str, dataset: str, setting: str,
                teacher_epochs: int, student_epochs: int,
                log_path: str) -> Dict[str, Any]:
    pretrain = cap_epochs(code, dataset, setting, teacher_epochs,
                          student_epochs)
    patience = teacher_epochs + student_epochs + pretrain + 1
    command = [
        python, 'launch.py', '-d', dataset, '-m', setting, '-t', 'sage',
        '-s', 'rbm', '--config', 'parameters.yaml', '--data_dir', 'data',
        '--batch_size', '4096', '--num_runs', '1', '--seed', '0',
        '--patience', str(patience), '--verbose'
    ]
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    with open(log_path, 'w') as log:
        subprocess.run(command, cwd=code, env=env, stdout=log,
                       stderr=subprocess.STDOUT, check=True)
    with open(log_path) as f:
        stamps = parse_stamps(f.read())
    if len(stamps) != pretrain + student_epochs:
        raise RuntimeError(f'{log_path}: {len(stamps)} student epochs, '
                           f'expected {pretrain + student_epochs}')
    return dict(epoch_costs(stamps, pretrain),
                pretrain_epochs=pretrain, command=' '.join(command))


def run_ours(dataset: str, setting: str, protocol: str, teacher_epochs: int,
             student_epochs: int, root: str) -> Dict[str, Any]:
    import torch

    from pyg_rbm.config import load_config
    from pyg_rbm.train import distill_student, prepare_teacher

    torch.set_num_threads(1)
    patience = teacher_epochs + student_epochs + 1
    config = load_config(
        dataset=dataset, setting=setting, protocol=protocol,
        overrides=dict(root=root, student=dict(name='rbm'),
                       teacher=dict(epochs=teacher_epochs, patience=patience),
                       train=dict(epochs=student_epochs,
                                  patience=patience)))
    run = prepare_teacher(config, 0, progress=False)
    stamps: List[float] = []
    distill_student(run, progress=False,
                    callbacks=[lambda record: stamps.append(
                        time.process_time())])
    pretrain = config.train.pretrain_epochs
    if len(stamps) != pretrain + student_epochs:
        raise RuntimeError(f'{len(stamps)} student epochs, expected '
                           f'{pretrain + student_epochs}')
    return dict(epoch_costs(stamps, pretrain), pretrain_epochs=pretrain,
                command=f'load_config(dataset={dataset!r}, setting='
                f'{setting!r}, protocol={protocol!r})')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_authors_arguments(
        parser, 'the Python of an environment with DGL for their code '
        '(required)', ['transductive'])
    parser.add_argument('--teacher-epochs', type=int, default=20)
    parser.add_argument('--student-epochs', type=int, default=40)
    parser.add_argument('--root', default='data', help='data root')
    parser.add_argument('--workdir', default=None,
                        help='where their patched copy and logs go '
                        '(default: a temporary folder)')
    parser.add_argument('--out', default=DEFAULT_OUT)
    args = parser.parse_args()
    for name in ('teacher_epochs', 'student_epochs'):
        if getattr(args, name) < 3:
            parser.error(f"--{name.replace('_', '-')} must be at least 3")
    if args.python is None:
        parser.error('--python is needed to run their code')
    check_authors_repo(parser, args.authors_repo)
    root = os.path.abspath(args.root)
    machine = dict(machine_info(), threads_per_side=1)
    workdir = args.workdir or tempfile.mkdtemp(prefix='training_cost_')
    os.makedirs(workdir, exist_ok=True)
    code = prepare_authors_copy(
        os.path.abspath(args.authors_repo), root, workdir,
        launcher=LAUNCHER_SETUP + LAUNCHER_STAMP + LAUNCHER_RUN)

    rows = []
    for dataset in args.datasets:
        for setting in args.settings:
            log = os.path.join(workdir, f'authors_{dataset}_{setting}.log')
            authors = run_authors(code, os.path.abspath(args.python),
                                  dataset, setting, args.teacher_epochs,
                                  args.student_epochs, log)
            row = dict(dataset=dataset, setting=setting, authors=authors)
            for protocol in ('authors', 'default'):
                ours = run_ours(dataset, setting, protocol,
                                args.teacher_epochs, args.student_epochs,
                                root)
                row[f'ours_{protocol}'] = dict(
                    ours, ratio=authors['median_cpu_s'] /
                    ours['median_cpu_s'])
            rows.append(row)
            same, default = row['ours_authors'], row['ours_default']
            print(f"{dataset} {setting}: authors "
                  f"{authors['median_cpu_s']:.3f} CPU-s per epoch; ours, "
                  f"authors protocol {same['median_cpu_s']:.3f} "
                  f"({same['ratio']:.2f}x cheaper); ours, default "
                  f"{default['median_cpu_s']:.3f}", flush=True)

    result = dict(
        rows=rows,
        unit='median CPU seconds of a routed RbM epoch (training and '
        'evaluation), one thread; ratio = authors / ours',
        machine=dict(machine, load_average_end=list(os.getloadavg())),
        commands=[' '.join([os.path.basename(sys.executable)] + sys.argv)],
        patches=PATCHES + EXTRA_PATCHES,
    )
    write_json(args.out, result)
    table = os.path.splitext(args.out)[0] + '.md'
    with open(table, 'w') as f:
        f.write(markdown(result))
    print(f'Wrote {args.out} and {table}')


def markdown(result: Dict[str, Any]) -> str:
    """The results as a Markdown table with the machine and command."""
    machine = result['machine']
    load = f"load average {machine['load_average'][0]:.2f}"
    if 'load_average_end' in machine:
        load += f" at start, {machine['load_average_end'][0]:.2f} at the end"
    lines = [
        f"Measured {machine['date']} on {machine['cpu']} "
        f"({machine['cpu_count']} cores, {load}), torch "
        f"{machine['torch']}, one thread per run, commit "
        f"{machine['commit']}: {result['unit']}.", '',
        '| dataset | setting | authors | ours, `--protocol authors` | '
        'authors / ours | ours, default | authors / ours |',
        '|---|---|---|---|---|---|---|'
    ]
    for row in result['rows']:
        same, default = row['ours_authors'], row['ours_default']
        lines.append(
            f"| {row['dataset']} | {row['setting']} | "
            f"{row['authors']['median_cpu_s']:.3f} | "
            f"{same['median_cpu_s']:.3f} | {same['ratio']:.2f}x | "
            f"{default['median_cpu_s']:.3f} | {default['ratio']:.2f}x |")
    lines += ['', 'Command: `' + result['commands'][0] + '`', '']
    return '\n'.join(lines)


if __name__ == '__main__':
    main()
