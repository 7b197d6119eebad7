"""Side by side: the RbM authors' released code against `--protocol authors`.

Runs their code (github.com/Rufaim/routing-by-memory, a checkout the user
provides; nothing of it enters this repository) in a separate Python
environment with DGL, and this project's `authors` protocol, on the same
datasets, settings and seed numbers, offline, and writes per-seed test
accuracy at the best validation epoch and the best test accuracy over
epochs of the teacher and of RbM to `docs/benchmarks/authors_check.json`.

    python benchmarks/authors_check.py --authors-repo /tmp/routing-by-memory \
        --python /tmp/authors/venv/bin/python --seeds 5

Their code runs on a temporary copy with these changes, made here at run
time and listed in the JSON (`PATCHES`): DGL's dataset folders are laid out
from the Planetoid raw files of the data root, so nothing is downloaded;
`dgl.graphbolt` (shipped by dgl 2.1 only for torch 2.0-2.2, unused by
their code) is replaced by an empty module; the one call to
`adjacency_matrix()` (its sparse library has no build for this torch)
becomes the equal (destination, source) edge list. Each side caches its
finished cells under `--workdir`, so `--side authors` and `--side ours`
can run as two processes and a rerun only fills what is missing.
"""
import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Sequence, Tuple

from _common import machine_info, write_json

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, '..', 'docs', 'benchmarks',
                           'authors_check.json')
MODELS = ('teacher', 'rbm')
METRICS = ('test_at_best_val', 'best_test_over_epochs')
# DGL's folder for each dataset (dgl/data/citation_graph.py of dgl 2.1:
# `<raw_dir>/<name>_<hash>`, files `ind.<name>.*`): when it exists, DGL
# reads it instead of downloading.
DGL_FOLDERS = {
    'cora': ('cora_v2_d697a464', 'cora_v2', 'Cora', 'cora'),
    'citeseer': ('citeseer_d6836239', 'citeseer', 'CiteSeer', 'citeseer'),
}
SUFFIXES = ('x', 'tx', 'allx', 'y', 'ty', 'ally', 'graph', 'test.index')
PATCHES = [
    "DGL dataset folders (e.g. cora_v2_d697a464/ind.cora_v2.*) linked to "
    "the Planetoid raw files of the data root: no download.",
    "sys.modules['dgl.graphbolt'] set to an empty module before dgl is "
    "imported: dgl 2.1 ships graphbolt only for torch 2.0-2.2 and their "
    "code does not use it.",
    "yaml.FullLoader reads numbers written without a dot, such as 1e-6, "
    "as floats: YAML 1.1 reads them as strings, and their RbM fails with "
    "a TypeError on citeseer inductive (vq_coeff: 1e-6) and wherever such "
    "a value reaches a comparison.",
    "main_distill.py: `X.adjacency_matrix().T.indices()` replaced by "
    "`torch.stack(X.edges(order='eid')[::-1])`, the same (destination, "
    "source) edges (dgl.sparse has no build for this torch); used only by "
    "reliable sampling, which this check does not run.",
]
# A number such as 1e-6 (no dot) as YAML 1.1 misses it: a float.
FLOAT_PATTERN = r'^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$'
LAUNCHER_SETUP = f'''import re
import runpy
import sys
import types

import yaml

sys.modules['dgl.graphbolt'] = types.ModuleType('dgl.graphbolt')
yaml.FullLoader.add_implicit_resolver(
    'tag:yaml.org,2002:float', re.compile(r'{FLOAT_PATTERN}'),
    list('-+0123456789'))
'''
LAUNCHER_RUN = '''sys.argv = ['main_distill.py'] + sys.argv[1:]
runpy.run_path('main_distill.py', run_name='__main__')
'''
LAUNCHER = LAUNCHER_SETUP + LAUNCHER_RUN
EPOCH_LINE = re.compile(r'^(Teacher|Student)\[(\d+)\].*Val Acc: ([\d.]+), '
                        r'Test Acc: ([\d.]+)')


def prepare_authors_copy(repo: str, root: str, workdir: str,
                         launcher: str = LAUNCHER) -> str:
    """A patched copy of their code and DGL's data folders, started by
    :obj:`launch.py` (:obj:`launcher`); returns its path."""
    code = os.path.join(workdir, 'authors-code')
    if os.path.exists(code):
        shutil.rmtree(code)
    shutil.copytree(repo, code, ignore=shutil.ignore_patterns('.git'))
    path = os.path.join(code, 'main_distill.py')
    with open(path) as f:
        source = f.read()
    source, count = re.subn(
        r'([\w.()]+)\.adjacency_matrix\(\)\.T\.indices\(\)',
        r"torch.stack(\1.edges(order='eid')[::-1])", source)
    if count != 1:
        raise RuntimeError(f'expected one adjacency_matrix() call in '
                           f'{path}, found {count}')
    with open(path, 'w') as f:
        f.write(source)
    with open(os.path.join(code, 'launch.py'), 'w') as f:
        f.write(launcher)
    data = os.path.join(code, 'data')
    for folder, name, ours, key in DGL_FOLDERS.values():
        os.makedirs(os.path.join(data, folder), exist_ok=True)
        for suffix in SUFFIXES:
            src = os.path.join(root, ours, 'raw', f'ind.{key}.{suffix}')
            dst = os.path.join(data, folder, f'ind.{name}.{suffix}')
            if not os.path.exists(src):
                raise FileNotFoundError(f'{src} (copy the raw files with '
                                        f'`pyg-rbm data`)')
            shutil.copyfile(src, dst)
    return code


def parse_log(text: str) -> List[Dict[str, Dict[str, float]]]:
    """Per run of their verbose log: both metrics (percent) of the teacher
    and the student, selecting as their script does (the later of tied
    validation scores)."""
    runs: List[Dict[str, List[Tuple[float, float]]]] = []
    for line in text.splitlines():
        match = EPOCH_LINE.match(line.strip())
        if match is None:
            continue
        who, epoch, val, test = match.groups()
        if who == 'Teacher' and int(epoch) == 0:
            runs.append(dict(Teacher=[], Student=[]))
        runs[-1][who].append((float(val), float(test)))
    out = []
    for run in runs:
        scores = {}
        for who, model in (('Teacher', 'teacher'), ('Student', 'rbm')):
            best_val, selected = -1.0, float('nan')
            for val, test in run[who]:
                if val >= best_val:
                    best_val, selected = val, test
            scores[model] = dict(
                test_at_best_val=100 * selected,
                best_test_over_epochs=100 * max(t for _, t in run[who]),
                epochs=len(run[who]))
        out.append(scores)
    return out


def run_authors(code: str, python: str, dataset: str, setting: str,
                seeds: int, log_path: str) -> Dict[str, Any]:
    command = [
        python, 'launch.py', '-d', dataset, '-m', setting, '-t', 'sage',
        '-s', 'rbm', '--config', 'parameters.yaml', '--data_dir', 'data',
        '--batch_size', '4096', '--num_runs',
        str(seeds), '--seed', '0', '--verbose'
    ]
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    before, t0 = os.times(), time.time()
    # A log of its own until it is complete: another process running the
    # same cell never mixes into it.
    part = f'{log_path}.{os.getpid()}.part'
    with open(part, 'w') as log:
        subprocess.run(command, cwd=code, env=env, stdout=log,
                       stderr=subprocess.STDOUT, check=True)
    os.replace(part, log_path)
    after = os.times()
    cpu_s = (after.children_user + after.children_system -
             before.children_user - before.children_system)
    with open(log_path) as f:
        text = f.read()
    runs = parse_log(text)
    if len(runs) != seeds:
        raise RuntimeError(f'{log_path}: {len(runs)} runs, expected {seeds}')
    summary = re.search(r'Teacher: ([\d.]+) .*Student: ([\d.]+)', text)
    for model, printed in zip(MODELS, summary.groups()):
        mean = statistics.mean(r[model]['best_test_over_epochs']
                               for r in runs)
        if abs(mean - float(printed)) > 0.01:
            raise RuntimeError(f'{log_path}: parsed {model} mean {mean:.2f}'
                               f' but their summary printed {printed}')
    return dict(runs=runs, wall_s=time.time() - t0, cpu_s=cpu_s,
                command=' '.join(command))


def run_ours(dataset: str, setting: str, seeds: int,
             root: str) -> Dict[str, Any]:
    import torch

    from pyg_rbm.config import load_config
    from pyg_rbm.train import distill_student, headline, prepare_teacher

    torch.set_num_threads(1)
    config = load_config(dataset=dataset, setting=setting,
                         protocol='authors', overrides=dict(root=root))
    runs = []
    t0, c0 = time.time(), time.process_time()
    for seed in range(seeds):
        run = prepare_teacher(config, seed, progress=False)
        _, scores, epochs, _ = distill_student(run, progress=False)
        runs.append({
            model: dict(
                test_at_best_val=100 * headline(values, setting),
                best_test_over_epochs=100 * values['best_test_over_epochs'],
                **(dict(epochs=epochs) if model == 'rbm' else {}))
            for model, values in (('teacher', run.scores), ('rbm', scores))
        })
        print(f'ours {dataset} {setting} seed {seed}: {runs[-1]}',
              flush=True)
    return dict(runs=runs, wall_s=time.time() - t0,
                cpu_s=time.process_time() - c0,
                command=(f'load_config(dataset={dataset!r}, setting='
                         f'{setting!r}, protocol="authors")'),
                config=config.to_dict())


def compare(authors: List[float], ours: List[float]) -> Dict[str, Any]:
    """Difference of means and the criterion max(1, 2 standard errors)."""
    n_a, n_o = len(authors), len(ours)
    var_a = statistics.variance(authors) if n_a > 1 else 0.0
    var_o = statistics.variance(ours) if n_o > 1 else 0.0
    se = math.sqrt(var_a / n_a + var_o / n_o)
    diff = statistics.mean(ours) - statistics.mean(authors)
    bound = max(1.0, 2.0 * se)
    return dict(difference=diff, standard_error=se, bound=bound,
                within=abs(diff) <= bound)


def rows_of(cells: Dict[str, Dict[str, Any]]) -> List[Dict[str, Any]]:
    rows = []
    for key in sorted(cells):
        dataset, setting = key.split('/')
        cell = cells[key]
        if 'authors' not in cell or 'ours' not in cell:
            continue
        for model in MODELS:
            for metric in METRICS:
                a = [r[model][metric] for r in cell['authors']['runs']]
                o = [r[model][metric] for r in cell['ours']['runs']]
                n = min(len(a), len(o))  # the same seeds on both sides
                a, o = a[:n], o[:n]
                rows.append(dict(
                    dataset=dataset, setting=setting, model=model,
                    metric=metric,
                    authors=dict(runs=a, mean=statistics.mean(a),
                                 std=statistics.stdev(a) if n > 1 else 0.0),
                    ours=dict(runs=o, mean=statistics.mean(o),
                              std=statistics.stdev(o) if n > 1 else 0.0),
                    seeds=list(range(n)), **compare(a, o)))
    return rows


def format_table(rows: List[Dict[str, Any]]) -> str:
    lines = [
        '| dataset | setting | model | metric | seeds | authors | ours | '
        'difference | bound | within |',
        '|---|---|---|---|---|---|---|---|---|---|',
    ]
    for r in rows:
        a, o = r['authors'], r['ours']
        lines.append(
            f"| {r['dataset']} | {r['setting']} | {r['model']} | "
            f"{r['metric']} | {len(r['seeds'])} | "
            f"{a['mean']:.2f} ± {a['std']:.2f} | "
            f"{o['mean']:.2f} ± {o['std']:.2f} | {r['difference']:+.2f} | "
            f"{r['bound']:.2f} | {'yes' if r['within'] else 'no'} |")
    return '\n'.join(lines)


def add_authors_arguments(parser: argparse.ArgumentParser,
                          python_help: str,
                          settings: Sequence[str]) -> None:
    """The options of a script that runs their code: their checkout, its
    Python, the datasets and the settings (default :obj:`settings`)."""
    parser.add_argument('--authors-repo', required=True,
                        help="a checkout of the RbM authors' code")
    parser.add_argument('--python', default=None, help=python_help)
    parser.add_argument('--datasets', nargs='+',
                        default=['cora', 'citeseer'],
                        choices=sorted(DGL_FOLDERS))
    parser.add_argument('--settings', nargs='+', default=list(settings),
                        choices=['transductive', 'inductive'])


def check_authors_repo(parser: argparse.ArgumentParser, path: str) -> None:
    if not os.path.isfile(os.path.join(path, 'main_distill.py')):
        parser.error(f'--authors-repo {path} holds no main_distill.py')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_authors_arguments(
        parser, 'the Python of an environment with DGL for their code '
        '(needed by --side authors and both)',
        ['transductive', 'inductive'])
    parser.add_argument('--seeds', type=int, default=5)
    parser.add_argument('--side', default='both',
                        choices=['both', 'authors', 'ours', 'report'])
    parser.add_argument('--root', default='data', help='data root')
    parser.add_argument('--workdir', default='runs/authors_check',
                        help='cached cells and their logs')
    parser.add_argument('--out', default=DEFAULT_OUT)
    args = parser.parse_args()
    if args.seeds < 2:
        parser.error('--seeds must be at least 2 (a standard error needs '
                     'two runs)')
    if args.side in ('both', 'authors') and args.python is None:
        parser.error('--python is needed to run their code')
    check_authors_repo(parser, args.authors_repo)
    os.makedirs(args.workdir, exist_ok=True)
    root = os.path.abspath(args.root)

    code = None
    for dataset in args.datasets:
        for setting in args.settings:
            for side in ('authors', 'ours'):
                if args.side not in ('both', side):
                    continue
                path = os.path.join(args.workdir,
                                    f'{side}_{dataset}_{setting}.json')
                if os.path.exists(path):
                    with open(path) as f:
                        if len(json.load(f)['runs']) >= args.seeds:
                            continue
                if side == 'authors':
                    if code is None:
                        code = prepare_authors_copy(
                            os.path.abspath(args.authors_repo), root,
                            tempfile.mkdtemp(dir=args.workdir))
                    log = os.path.join(args.workdir,
                                       f'authors_{dataset}_{setting}.log')
                    result = run_authors(code, os.path.abspath(args.python),
                                         dataset, setting, args.seeds, log)
                else:
                    result = run_ours(dataset, setting, args.seeds, root)
                tmp = path + '.tmp'
                with open(tmp, 'w') as f:
                    json.dump(result, f, indent=1)
                os.replace(tmp, path)
                print(f'Wrote {path}', flush=True)

    cells: Dict[str, Dict[str, Any]] = {}
    for name in sorted(os.listdir(args.workdir)):
        match = re.match(r'(authors|ours)_(\w+)_(\w+)\.json$', name)
        if match:
            side, dataset, setting = match.groups()
            with open(os.path.join(args.workdir, name)) as f:
                cells.setdefault(f'{dataset}/{setting}', {})[side] = (
                    json.load(f))
    rows = rows_of(cells)
    if not rows:
        print('No cell has both sides yet.')
        return
    result = dict(
        rows=rows,
        machine=dict(machine_info(), threads_per_side=1),
        commands=[' '.join([os.path.basename(sys.executable)] + sys.argv)] +
        [
            f"{side}: {cell[side]['command']} ({cell[side]['cpu_s']:.0f} "
            f"CPU s)" for cell in cells.values() for side in cell
        ],
        patches=PATCHES,
        metrics=dict(
            test_at_best_val='test accuracy (%) at the best validation '
            'epoch (later epoch on ties, as their script selects)',
            best_test_over_epochs='the highest test accuracy (%) of any '
            'epoch: what their script prints; for comparison only'),
    )
    write_json(args.out, result)
    print(format_table(rows))
    print(f'Wrote {args.out}')


if __name__ == '__main__':
    main()
