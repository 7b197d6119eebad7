"""Each point of the authors' pipeline alone on top of the project's own.

For every cell (dataset, setting) and seed, the baseline's teacher and RbM
run once: the project's pipeline before this ablation chose the default
(PyG's GraphSAGE, raw features, no self loops, Hinton KD; `BASELINE`).
Then RbM again with one of the options of `protocol: authors` switched on
(`pyg_rbm/configs/authors/protocol.yaml` and their feature and graph
preprocessing), with the authors' hyperparameters alone, with the whole
authors protocol, with today's default (what the ablation chose), and
with the default plus each of the authors' options it did not take.
Options that change the data or the teacher train a teacher of their own;
the others distil the baseline teacher of the seed. Test accuracy at the
best validation epoch, in percent.

Results go to `<out>/<dataset>_<setting>.json` after every run, so an
interrupted run continues where it stopped; a table is printed and written
to `<out>/README.md`.

    python benchmarks/authors_ablation.py --datasets cora cora-npz --seeds 10
"""
import argparse
import json
import os
import statistics
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

from _common import machine_info, write_json
from pyg_rbm.config import (
    DistillConfig,
    authors_defaults,
    authors_pipeline,
    load_config,
    merge_config,
)

DEFAULT_OUT = os.path.join(os.path.dirname(__file__), '..', 'docs',
                           'benchmarks', 'authors_ablation')
# The dataset whose preprocessing the authors' loader applies, so that
# every cell, the CPF graphs included, tries the same options.
PIPELINE_SOURCE = 'cora'
# The project's pipeline before the ablation, on top of the shipped
# hyperparameters: every option is measured against it.
BASELINE = dict(data=dict(normalize_features=False, self_loops=False),
                teacher=dict(name='sage'), train=dict(kd_variant='hinton'))
# Every variant selects the weights as trained, as the default did while
# this ablation ran (the averaged weights, train.weight_average, came after
# it, from benchmarks/selection_rules.py), so stored runs stay comparable.
SELECTION = dict(train=dict(weight_average=0.0))


def options() -> Dict[str, Dict[str, Any]]:
    """Option name -> its config update, one key each, in file order."""
    out: Dict[str, Dict[str, Any]] = {}
    for update in authors_pipeline(PIPELINE_SOURCE):
        for section, values in update.items():
            for key, value in values.items():
                out[f'{section}.{key}={value}'] = {section: {key: value}}
    # Their kind of teacher, whose other values are the hyperparameters'.
    teacher = authors_defaults(PIPELINE_SOURCE, 'transductive')[-2]
    name = teacher['teacher']['name']
    out[f'teacher.name={name}'] = dict(teacher=dict(name=name))
    return out


def variants(dataset: str, setting: str) -> Dict[str, DistillConfig]:
    """The configs of one cell: the baseline, each option alone, the
    authors' hyperparameters alone, the whole authors protocol and the
    default."""
    default = merge_config(load_config(dataset=dataset, setting=setting),
                           SELECTION)
    baseline = merge_config(default, BASELINE)
    out = {'baseline': baseline}
    for name, update in options().items():
        changed = merge_config(baseline, update)
        if changed != baseline:
            out[name] = changed
    # Their hyperparameters alone: what `protocol: authors` merges after
    # the pipeline, with the baseline's pipeline.
    hyper = baseline
    for update in authors_defaults(dataset, setting)[len(
            authors_pipeline(dataset)):]:
        hyper = merge_config(hyper, update)
    out['authors values'] = merge_config(hyper, BASELINE)
    out['authors protocol'] = load_config(dataset=dataset, setting=setting,
                                          protocol='authors')
    out['default'] = default
    # Each of the authors' choices the default did not take, on top of it.
    for name, update in options().items():
        changed = merge_config(default, update)
        if changed != default:
            out[f'default + {name}'] = changed
    return out


def _teacher_key(config: DistillConfig) -> Tuple[str, str]:
    return (json.dumps(config.data.__dict__, sort_keys=True),
            json.dumps(config.teacher.__dict__, sort_keys=True))


def run_cell(dataset: str, setting: str, seeds: int, root: str,
             path: str,
             only: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """Runs the variants of one cell (the baseline and :obj:`only`, when
    given) on seeds 0 to :obj:`seeds` - 1, skipping stored runs."""
    from pyg_rbm.train import distill_student, headline, prepare_teacher

    results: Dict[str, Any] = dict(dataset=dataset, setting=setting,
                                   runs={})
    if os.path.exists(path):
        with open(path) as f:
            results = json.load(f)
    configs = variants(dataset, setting)
    if only is not None:
        configs = {name: config for name, config in configs.items()
                   if name == 'baseline' or name in only}
    for seed in range(seeds):
        teachers: Dict[Tuple[str, str], Any] = {}
        for name, config in configs.items():
            done = results['runs'].setdefault(name, {})
            if str(seed) in done:
                continue
            config = merge_config(config, dict(root=root))
            key = _teacher_key(config)
            t0 = time.process_time()
            if key not in teachers:
                teachers[key] = prepare_teacher(config, seed, progress=False)
            run = teachers[key]
            _, scores, epochs, _ = distill_student(run, config,
                                                   progress=False)
            done[str(seed)] = dict(
                teacher=100 * headline(run.scores, setting),
                rbm=100 * headline(scores, setting), epochs=epochs,
                cpu_s=time.process_time() - t0)
            results['machine'] = machine_info()
            write_json(path, results)
            print(f'{dataset} {setting} seed {seed} {name}: '
                  f'{done[str(seed)]}', flush=True)
    return results


def summary_rows(results: Dict[str, Any]) -> List[List[str]]:
    """Rows of option, seeds, teacher, RbM and the change of RbM against
    the baseline on the same seeds."""
    runs = results['runs']
    base = runs.get('baseline', {})
    rows = []
    for name, per_seed in runs.items():
        seeds = sorted(set(per_seed) & set(base), key=int)
        if not seeds:
            continue

        def stats(values: List[float]) -> str:
            std = statistics.stdev(values) if len(values) > 1 else 0.0
            return f'{statistics.mean(values):.2f} ± {std:.2f}'

        teacher = [per_seed[s]['teacher'] for s in seeds]
        rbm = [per_seed[s]['rbm'] for s in seeds]
        delta = [per_seed[s]['rbm'] - base[s]['rbm'] for s in seeds]
        # Options on top of the default are measured against it too.
        default = runs.get('default', {})
        on_default = [s for s in seeds if s in default]
        against_default = (stats([per_seed[s]['rbm'] - default[s]['rbm']
                                  for s in on_default])
                           if name.startswith('default') and on_default
                           else '')
        rows.append([name, str(len(seeds)), stats(teacher), stats(rbm),
                     stats(delta), against_default])
    return rows


# Marks the stored rows that are no variant of the cell any more: an
# option on top of an earlier default that the default has since taken.
STALE_MARK = ' (earlier default)'


def format_tables(all_results: List[Dict[str, Any]]) -> str:
    lines = []
    for results in all_results:
        current = variants(results['dataset'], results['setting'])
        lines += [f"### {results['dataset']}, {results['setting']}", '',
                  '| option | seeds | teacher | RbM | RbM - baseline | '
                  'RbM - default |', '|---|---|---|---|---|---|']
        for row in summary_rows(results):
            if row[0] not in current:
                row[0] += STALE_MARK
            lines.append('| ' + ' | '.join(row) + ' |')
        lines.append('')
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--datasets', nargs='+',
                        default=['cora', 'citeseer', 'cora-npz',
                                 'citeseer-npz'])
    parser.add_argument('--settings', nargs='+',
                        default=['transductive', 'inductive'],
                        choices=['transductive', 'inductive'])
    parser.add_argument('--seeds', type=int, default=10)
    parser.add_argument('--root', default='data')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--out', default=DEFAULT_OUT)
    parser.add_argument('--options', nargs='+', default=None,
                        help='run only these variants (names as in the '
                        'tables) besides the baseline; default: all')
    parser.add_argument('--report', action='store_true',
                        help='only write the tables of the stored cells')
    args = parser.parse_args()
    if args.seeds < 1:
        parser.error('--seeds must be positive')
    for dataset in args.datasets:  # fails before any work on a bad name
        for setting in args.settings:
            unknown = set(args.options or ()) - set(variants(dataset,
                                                             setting))
            if unknown:
                parser.error(f'unknown --options {sorted(unknown)}; known: '
                             f'{list(variants(dataset, setting))}')
    import torch
    torch.set_num_threads(args.threads)
    for dataset in args.datasets:
        for setting in args.settings:
            if args.report:
                continue
            path = os.path.join(args.out, f'{dataset}_{setting}.json')
            run_cell(dataset, setting, args.seeds,
                     os.path.abspath(args.root), path, args.options)
    all_results = []
    for name in sorted(os.listdir(args.out)):
        if name.endswith('.json'):
            with open(os.path.join(args.out, name)) as f:
                all_results.append(json.load(f))
    text = format_tables(all_results)
    print(text)
    with open(os.path.join(args.out, 'README.md'), 'w') as f:
        f.write('# Ablation of the authors\' pipeline\n\nWritten by '
                '`benchmarks/authors_ablation.py`: RbM with each point of '
                'the authors\' pipeline alone on top of the baseline (the '
                'project\'s pipeline before the ablation: PyG\'s '
                'GraphSAGE, raw features, no self loops, Hinton KD), and '
                'the default it chose; test accuracy (%) at the best '
                'validation epoch, mean ± std over the seeds, and the '
                'change against the baseline (and, for the default and '
                'the options on top of it, against the default) on the '
                f'same seeds. Rows marked "{STALE_MARK.strip()}" put an '
                'option on top of an earlier default that has taken it '
                'since; their "RbM - default" is against the runs of the '
                'current default.\n\n'
                + text)


if __name__ == '__main__':
    main()
