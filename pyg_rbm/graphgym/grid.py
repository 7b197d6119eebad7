"""GraphGym grid search: configs from a grid file, run, one CSV row each."""
import copy
import csv
import itertools
import json
import logging
import os
import os.path as osp
import traceback
from multiprocessing import get_context
from multiprocessing.connection import wait
from typing import (
    Any,
    Callable,
    Dict,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
)

import yaml
from torch_geometric.graphgym.config import get_fname, set_cfg
from torch_geometric.graphgym.utils.io import (
    makedirs_rm_exist,
    string_to_python,
)
from yacs.config import CfgNode as CN

__all__ = ['GridConfig', 'load_grid', 'generate_configs', 'run_grid']

GridRow = Tuple[str, str, List[Any]]  # key, alias, values

RESULT_COLUMNS = ('val_mean', 'val_std', 'test_mean', 'test_std',
                  'teacher_test_mean', 'teacher_test_std', 'repeats',
                  'status', 'error')


class GridConfig(NamedTuple):
    """One generated config: its name, content and grid values."""
    name: str
    config: Dict[str, Any]
    varied: Dict[str, Any]  # alias -> value


def load_grid(path: str) -> List[List[GridRow]]:
    r"""Parses a GraphGym grid file.

    Each row reads :obj:`KEY ALIAS [V1,V2,...]`: a config key (at most two
    levels, *e.g.*, :obj:`rbm.k`), a short alias used in config names and
    as CSV column, and a Python list of values. Consecutive rows form a
    block, whose configs are the product of its rows' values; blank lines
    separate blocks, and the grid is the union of its blocks. :obj:`#`
    starts a comment.

    Args:
        path (str): The grid file.
    """
    blocks: List[List[GridRow]] = []
    block: List[GridRow] = []
    with open(path) as f:
        lines = f.read().splitlines()
    for number, raw in enumerate(lines + [''], start=1):
        if not raw.strip():
            if block:
                blocks.append(block)
            block = []
            continue
        line = raw.split('#', 1)[0].strip()
        if not line:
            continue
        parts = line.split(None, 2)
        where = f"line {number} of the grid file '{path}'"
        if len(parts) != 3:
            raise ValueError(f"{where} must read 'KEY ALIAS [V1,V2,...]' "
                             f"(got '{line}')")
        key, alias, text = parts
        values = string_to_python(text)
        if not isinstance(values, list) or not values:
            raise ValueError(f"{where} must give a non-empty list of values "
                             f"(got '{text}')")
        if key.count('.') > 1:
            raise ValueError(f"{where}: GraphGym keys have at most two "
                             f"levels (got '{key}')")
        if key in [row[0] for row in block]:
            raise ValueError(f"{where} repeats the key '{key}' in its block")
        block.append((key, alias, values))
    if not blocks:
        raise ValueError(f"The grid file '{path}' holds no rows")
    return blocks


def _set(config: Dict[str, Any], key: str, value: Any) -> None:
    node = config
    *parents, leaf = key.split('.')
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ValueError(f"Cannot set '{key}': '{part}' is not a group")
    node[leaf] = value


def _name_part(value: Any) -> str:
    text = str(value).strip('[]').strip('\'"')
    return text.replace(' ', '').replace(os.sep, '_')


def generate_configs(base: Dict[str, Any], blocks: List[List[GridRow]],
                     base_name: str) -> List[GridConfig]:
    r"""Expands a grid into configs, named as GraphGym names them
    (:obj:`<base>-<alias>=<value>-...`).

    Every config starts from a deep copy of :obj:`base`, so that values set
    in one block never leak into another (as they do with the shallow copy
    of GraphGym's :obj:`configs_gen.py`). A config generated twice by
    overlapping blocks is kept once.

    Args:
        base (dict): The base config, as loaded from its YAML file.
        blocks (List[List[tuple]]): The grid, see :func:`load_grid`.
        base_name (str): The base config's name.
    """
    out: List[GridConfig] = []
    seen: Dict[str, Dict[str, Any]] = {}
    for block in blocks:
        for values in itertools.product(*[row[2] for row in block]):
            config = copy.deepcopy(base)
            name = base_name
            varied = {}
            for (key, alias, _), value in zip(block, values):
                _set(config, key, copy.deepcopy(value))
                name += f'-{alias}={_name_part(value)}'
                varied[alias] = value
            if name in seen:
                if seen[name] != config:
                    raise ValueError(f"The grid names two different configs "
                                     f"'{name}': give their keys distinct "
                                     f"aliases")
                continue
            seen[name] = config
            out.append(GridConfig(name, config, varied))
    return out


def _run_one(path: str, repeat: int) -> Dict[str, Any]:
    from pyg_rbm.graphgym.run import run_experiment
    try:
        summary = run_experiment(path, repeat)
    except Exception as e:  # reported in the CSV; the grid goes on
        traceback.print_exc()
        error = f'{type(e).__name__}: {e}'.replace('\n', ' ')
        return dict(status='failed', error=error)
    return dict(status='ok', error='', summary=summary)


def _worker(path: str, repeat: int, threads: int, outcome_path: str) -> None:
    import torch

    from pyg_rbm.experiment import write_json_atomic
    torch.set_num_threads(threads)
    write_json_atomic(outcome_path, _run_one(path, repeat))


def _run_parallel(
    paths: Sequence[str],
    repeat: int,
    jobs: int,
    threads: int,
    outcomes_dir: str,
    target: Callable[[str, int, int, str], None] = _worker,
    context: str = 'spawn',
) -> List[Dict[str, Any]]:
    # One process per config, so that a worker that dies (killed, out of
    # memory) fails its config only; each outcome is a file it writes.
    os.makedirs(outcomes_dir, exist_ok=True)
    ctx = get_context(context)
    pending = list(enumerate(paths))
    running: Dict[Any, Tuple[int, Any, str]] = {}
    outcomes: List[Dict[str, Any]] = [{} for _ in paths]
    while pending or running:
        while pending and len(running) < jobs:
            i, path = pending.pop(0)
            outcome_path = osp.join(outcomes_dir, f'{i}.json')
            if osp.exists(outcome_path):
                os.remove(outcome_path)
            process = ctx.Process(target=target,
                                  args=(path, repeat, threads, outcome_path))
            process.start()
            running[process.sentinel] = (i, process, outcome_path)
        for sentinel in wait(list(running)):
            i, process, outcome_path = running.pop(sentinel)
            process.join()
            if osp.exists(outcome_path):
                with open(outcome_path) as f:
                    outcomes[i] = json.load(f)
            else:
                code = process.exitcode
                why = (f'killed by signal {-code}' if code is not None
                       and code < 0 else f'exit code {code}')
                outcomes[i] = dict(status='failed',
                                   error=f'the worker process ended ({why}) '
                                   f'before finishing the config')
            print(f'{osp.basename(paths[i])}: {outcomes[i]["status"]}',
                  flush=True)
    return outcomes


_MISSING = object()


def _lookup(config: Dict[str, Any], key: str) -> Any:
    node: Any = config
    for part in key.split('.'):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _row(entry: GridConfig, aliases: Dict[str, str], defaults: CN,
         outcome: Dict[str, Any], repeat: int) -> Dict[str, Any]:
    row: Dict[str, Any] = dict(config=entry.name)
    for alias, key in aliases.items():
        value = entry.varied.get(alias, _MISSING)
        if value is _MISSING:  # not varied here: the file's or the default
            value = _lookup(entry.config, key)
        if value is _MISSING:
            value = _lookup(defaults, key)
        row[alias] = '' if value is _MISSING else value
    row.update({column: '' for column in RESULT_COLUMNS})
    summary = outcome.get('summary')
    if summary is not None:
        student, teacher = summary['student'], summary['teacher']
        row.update(val_mean=student['val']['mean'],
                   val_std=student['val']['std'],
                   test_mean=student['test']['mean'],
                   test_std=student['test']['std'],
                   teacher_test_mean=teacher['test']['mean'],
                   teacher_test_std=teacher['test']['std'])
    row.update(repeats=repeat, status=outcome['status'],
               error=outcome['error'])
    return row


def run_grid(config_path: str, grid_path: str, out_dir: Optional[str] = None,
             jobs: int = 1, repeat: int = 1,
             opts: Sequence[str] = ()) -> Tuple[List[Dict[str, Any]], str]:
    r"""Generates the configs of a grid, runs each with
    :func:`~pyg_rbm.graphgym.run.run_experiment` and writes one CSV row per
    config.

    The base YAML plus the :obj:`KEY VALUE` overrides of :obj:`opts` (grid
    values take precedence) is expanded by :func:`generate_configs`; the
    configs are written to :obj:`<out_dir>/configs`, run into
    :obj:`<out_dir>/runs` (sequentially, or in :obj:`jobs` processes), and
    summarised in :obj:`<out_dir>/results.csv`: the config's values of all
    grid aliases, validation and test accuracy (%) at the best validation
    epoch (mean and std over :obj:`repeat` seeds; test is the setting's
    headline), the teacher's test accuracy and a status. A failing config
    does not stop the grid: its row says :obj:`failed` and holds the error;
    with :obj:`jobs` > 1 each config runs in a process of its own, so a
    worker that dies (killed, out of memory) fails only its config.
    Trained teachers are kept in :obj:`<out_dir>/teachers` (or
    :obj:`distill.teacher_cache`) and reused by every configuration with
    the same dataset, setting, seed, preprocessing and teacher.

    Returns the rows and the CSV path.

    Args:
        config_path (str): The base YAML file.
        grid_path (str): The grid file, see :func:`load_grid`.
        out_dir (str, optional): The output folder; defaults to
            :obj:`results/<base>_grid_<grid>`. (default: :obj:`None`)
        jobs (int, optional): Configs run at once. (default: :obj:`1`)
        repeat (int, optional): Seeds per config. (default: :obj:`1`)
        opts (List[str], optional): :obj:`KEY VALUE` overrides of the base.
    """
    from pyg_rbm.graphgym.register import register_all

    if jobs < 1 or repeat < 1:
        raise ValueError(f"'jobs' and 'repeat' must be positive in "
                         f"'run_grid' (got {jobs}, {repeat})")
    if len(opts) % 2:
        raise ValueError(f"'opts' must hold KEY VALUE pairs in 'run_grid' "
                         f"(got {list(opts)})")
    with open(config_path) as f:
        base = yaml.safe_load(f) or {}
    if not isinstance(base, dict):
        raise ValueError(f"The base config '{config_path}' must hold a "
                         f"mapping")
    for key, value in zip(opts[::2], opts[1::2]):
        _set(base, key, string_to_python(value))
    blocks = load_grid(grid_path)
    base_name = get_fname(config_path)
    out_dir = out_dir or osp.join(
        'results', f'{base_name}_grid_{get_fname(grid_path)}')
    base['out_dir'] = osp.join(out_dir, 'runs')
    # Configurations that differ in the student share each seed's teacher.
    distill = base.setdefault('distill', {})
    if not distill.get('teacher_cache'):
        distill['teacher_cache'] = osp.join(out_dir, 'teachers')
    resume = (base.get('train') or {}).get('auto_resume', False)
    if osp.isdir(base['out_dir']) and os.listdir(base['out_dir']) and (
            not resume):
        raise ValueError(f"'{out_dir}' holds an earlier grid; set "
                         f"'train.auto_resume True' to keep its finished "
                         f"seeds and run the others, or choose another "
                         f"output folder")
    entries = generate_configs(base, blocks, base_name)

    configs_dir = osp.join(out_dir, 'configs')
    makedirs_rm_exist(configs_dir)
    paths = []
    for entry in entries:
        paths.append(osp.join(configs_dir, f'{entry.name}.yaml'))
        with open(paths[-1], 'w') as f:
            yaml.safe_dump(entry.config, f, default_flow_style=False)
    print(f'{len(entries)} configs written to {configs_dir}', flush=True)

    if jobs == 1:
        outcomes = [_run_one(path, repeat) for path in paths]
    else:
        threads = max(1, (os.cpu_count() or 1) // jobs)
        outcomes = _run_parallel(paths, repeat, jobs, threads,
                                 osp.join(out_dir, 'outcomes'))

    register_all()
    defaults = CN()
    set_cfg(defaults)
    aliases = {row[1]: row[0] for block in blocks for row in block}
    rows = [
        _row(entry, aliases, defaults, outcome, repeat)
        for entry, outcome in zip(entries, outcomes)
    ]
    csv_path = osp.join(out_dir, 'results.csv')
    with open(csv_path, 'w', newline='') as f:
        writer = csv.DictWriter(f, ['config', *aliases, *RESULT_COLUMNS])
        writer.writeheader()
        writer.writerows(rows)
    logging.info(f'Grid results saved in {csv_path}')
    return rows, csv_path
