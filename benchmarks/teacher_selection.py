"""Which epoch of the teacher each selection rule keeps, and how sure of
itself the kept teacher is.

For every seed the shipped configuration's teacher trains twice, with
`teacher.selection` set to `accuracy` and to `loss` (validation accuracy or
validation cross-entropy picks the epoch; early stopping counts from it).
For each it reports the kept epoch, validation and test accuracy, the
validation loss and the mean top probability of the teacher's soft labels
over all nodes (1 / num_classes for uniform outputs): what the students
learn from.

    python benchmarks/teacher_selection.py --dataset citeseer --seeds 10 \
        --threads 1

Results go to `<out>/<dataset>_<setting>.json` and a table to
`<out>/README.md` (the tables of every file in the folder).
"""
import argparse
import json
import os
import statistics
from typing import Any, Dict, Optional, Sequence

import torch
import yaml

from _common import machine_info, write_json
from pyg_rbm.config import load_config
from pyg_rbm.experiment.results_file import aggregate
from pyg_rbm.teachers import teacher_inference
from pyg_rbm.train.pipeline import prepare_teacher
from report import format_cell, markdown_table

DEFAULT_OUT = os.path.join(os.path.dirname(__file__), '..', 'docs',
                           'benchmarks', 'teacher_selection')
RULES = ('accuracy', 'loss')


def parse_sets(items: Sequence[str]) -> Dict[str, Any]:
    """``section.key=value`` strings as a nested config update."""
    update: Dict[str, Any] = {}
    for item in items:
        if '=' not in item or '.' not in item.split('=', 1)[0]:
            raise SystemExit(f"--set expects SECTION.KEY=VALUE (got "
                             f"'{item}')")
        key, value = item.split('=', 1)
        section, name = key.split('.', 1)
        update.setdefault(section, {})[name] = yaml.safe_load(value)
    return update


def teacher_run(dataset: str, setting: str, seed: int, rule: str,
                update: Dict[str, Any], root: Optional[str]) -> Dict[str, Any]:
    """Trains the teacher of one seed under one rule; returns what it
    kept."""
    teacher = dict(update.get('teacher', {}), selection=rule)
    overrides = dict(update, teacher=teacher)
    if root is not None:
        overrides['root'] = root
    config = load_config(dataset=dataset, setting=setting,
                         overrides=overrides)
    run = prepare_teacher(config, seed, progress=False)
    # The epoch the rule kept: the best score, the first or the last of
    # tied ones as the config says.
    later = 1 if config.teacher.ties == 'last' else -1
    sign = 1 if rule == 'accuracy' else -1
    metric = 'val' if rule == 'accuracy' else 'val_loss'
    epoch = max(run.history, key=lambda r: (sign * r.metrics[metric],
                                            later * r.epoch))
    full = run.split.full
    with torch.no_grad():
        soft = teacher_inference(run.teacher, full.x,
                                 full.edge_index).softmax(dim=-1)
    return dict(epoch=epoch.epoch, epochs_run=len(run.history),
                val=100 * run.scores['val'],
                test=100 * run.scores.get('test', float('nan')),
                inductive=100 * run.scores.get('inductive', float('nan')),
                val_loss=epoch.metrics['val_loss'],
                top_probability=float(soft.max(dim=-1).values.mean()),
                num_classes=int(soft.size(-1)))


def table(results: Dict[str, Any]) -> str:
    """A markdown table: per rule, the mean over seeds and the seeds whose
    kept teacher is close to uniform."""
    key = 'inductive' if results['setting'] == 'inductive' else 'test'
    seeds = sorted(results['runs'], key=int)
    rows = []
    for rule in RULES:
        kept = {s: results['runs'][s][rule] for s in seeds
                if rule in results['runs'][s]}
        if not kept:
            continue
        unsure = [s for s, run in kept.items()
                  if run['top_probability'] < 0.5]

        def cell(name: str) -> str:
            return format_cell(aggregate([r[name] for r in kept.values()]))

        epochs = statistics.median(r['epoch'] for r in kept.values())
        rows.append([
            rule, str(len(kept)), f'{epochs:g}', cell('val'), cell(key),
            cell('val_loss'), cell('top_probability'),
            ', '.join(unsure) if unsure else 'none'
        ])
    update = f" ({results['update']})" if results['update'] else ''
    title = f"### {results['dataset']}, {results['setting']}{update}\n\n"
    return title + markdown_table(
        ['rule', 'seeds', 'kept epoch (median)', 'val', key, 'val loss',
         'mean top probability', 'seeds with top probability < 0.5'], rows)


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--dataset', default='citeseer')
    p.add_argument('--setting', default='transductive',
                   choices=['transductive', 'inductive'])
    p.add_argument('--seeds', type=int, default=10)
    p.add_argument('--set', action='append', default=[],
                   metavar='SECTION.KEY=VALUE',
                   help='a config value on top of the shipped ones')
    p.add_argument('--root', default=None, help='data root')
    p.add_argument('--out', default=DEFAULT_OUT)
    p.add_argument('--threads', type=int, default=None)
    args = p.parse_args(argv)
    if args.seeds < 1:
        p.error(f'--seeds must be positive (got {args.seeds})')
    update = parse_sets(args.set)
    if 'selection' in update.get('teacher', {}):
        p.error('--set teacher.selection: both rules run anyway')
    load_config(dataset=args.dataset, setting=args.setting,
                overrides=update)  # bad keys fail before any training
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    os.makedirs(args.out, exist_ok=True)
    suffix = '_'.join(item.replace('=', '-') for item in args.set)
    name = f'{args.dataset}_{args.setting}' + (f'_{suffix}' if suffix
                                               else '')
    path = os.path.join(args.out, f'{name}.json')
    results: Dict[str, Any] = dict(dataset=args.dataset,
                                   setting=args.setting,
                                   update=' '.join(args.set), runs={})
    if os.path.exists(path):
        with open(path) as f:
            results = json.load(f)
    for seed in range(args.seeds):
        for rule in RULES:
            if rule in results['runs'].get(str(seed), {}):
                continue
            out = teacher_run(args.dataset, args.setting, seed, rule,
                              update, args.root)
            results['runs'].setdefault(str(seed), {})[rule] = out
            print(f"seed {seed} {rule}: epoch {out['epoch']}, val "
                  f"{out['val']:.2f}, test {out['test']:.2f}, val loss "
                  f"{out['val_loss']:.3f}, top probability "
                  f"{out['top_probability']:.3f}", flush=True)
            results['machine'] = machine_info()
            write_json(path, results)
    print(table(results))
    tables = []
    for file in sorted(os.listdir(args.out)):
        if file.endswith('.json'):
            with open(os.path.join(args.out, file)) as f:
                tables.append(table(json.load(f)))
    with open(os.path.join(args.out, 'README.md'), 'w') as f:
        f.write('# Teacher selection: validation accuracy or loss\n\n'
                'Written by `benchmarks/teacher_selection.py`; accuracy '
                'in %, mean ± std over seeds.\n\n' + '\n\n'.join(tables) +
                '\n')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
