"""The accuracy matrix as a figure: one panel per (setting, dataset), each
model's per-seed test accuracies as dots and their mean +- std as a bar.

Used by ``benchmarks/report.py``, which writes ``docs/benchmarks/
accuracy.png`` beside ``docs/results.md``.
"""
import os
import os.path as osp
from typing import Any, Dict, List, Sequence, Tuple

from pyg_rbm.datasets.registry import dataset_info
from pyg_rbm.experiment import load_matrix

MATRIX = load_matrix('accuracy')
DATASETS, SETTINGS, MODELS = MATRIX.datasets, MATRIX.settings, MATRIX.models
MODEL_LABELS = MATRIX.labels
DATASET_LABELS = {d: dataset_info(d).label for d in DATASETS}
SPLITS = {d: dataset_info(d).split for d in DATASETS}

Results = Dict[Tuple[str, str], Dict[str, Any]]
Published = Sequence[Tuple[str, Dict[str, float]]]


def accuracy_panels(results: Results, published: Published = (),
                    published_setting: str = 'transductive'
                    ) -> List[List[Dict[str, Any]]]:
    """The data of the figure: one row per setting, one panel per dataset.

    Each panel is :obj:`dict(title, models, published)`: :obj:`models`
    lists, in the order of :obj:`MODELS`, the models with results as
    :obj:`dict(label, runs, mean, std)`; :obj:`published` lists the
    :obj:`(name, accuracy)` pairs of :obj:`published` for the panel's
    dataset in :obj:`published_setting`.
    """
    rows = []
    for setting in SETTINGS:
        row = []
        for dataset in DATASETS:
            summary = results.get((dataset, setting), {}).get('summary', {})
            models = [
                dict(label=MODEL_LABELS[m], runs=list(summary[m]['runs']),
                     mean=summary[m]['mean'], std=summary[m]['std'])
                for m in MODELS if summary.get(m)
            ]
            marks = [(name, values[dataset]) for name, values in published
                     if setting == published_setting and dataset in values]
            row.append(dict(title=f'{DATASET_LABELS[dataset]} '
                            f'({SPLITS[dataset]}), {setting}',
                            models=models, published=marks))
        rows.append(row)
    return rows


def plot_accuracy(results: Results, path: str, published: Published = (),
                  published_setting: str = 'transductive') -> str:
    """Saves the figure of :func:`accuracy_panels` as a PNG at :obj:`path`.
    Every panel lists all models, so that rows line up across panels; a
    model without results has an empty row.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    rows = accuracy_panels(results, published, published_setting)
    labels = [MODEL_LABELS[m] for m in MODELS]
    ypos = {label: len(labels) - 1 - i for i, label in enumerate(labels)}
    fig, axes = plt.subplots(len(rows), len(rows[0]), squeeze=False,
                             sharey=True,
                             figsize=(3.4 * len(rows[0]), 2.9 * len(rows)))
    for r, row in enumerate(rows):
        for c, panel in enumerate(row):
            ax = axes[r][c]
            for model in panel['models']:
                y = ypos[model['label']]
                ax.scatter(model['runs'], [y] * len(model['runs']), s=9,
                           color='tab:blue', alpha=0.45, linewidths=0)
                ax.errorbar(model['mean'], y, xerr=model['std'], fmt='o',
                            color='black', markersize=3.5, capsize=2.5,
                            linewidth=1)
            for i, (name, value) in enumerate(panel['published']):
                ax.axvline(value, color=f'C{i + 1}', linestyle=':',
                           linewidth=1, label=f'{name} (published)')
            if not panel['models']:
                ax.text(0.5, 0.5, 'not run', transform=ax.transAxes,
                        ha='center', va='center', color='grey')
            ax.set_title(panel['title'], fontsize=9)
            ax.set_yticks(range(len(labels)))
            ax.set_yticklabels(labels[::-1], fontsize=7)
            ax.tick_params(axis='x', labelsize=7)
            ax.grid(True, axis='x', linewidth=0.3, alpha=0.5)
            if r == len(rows) - 1:
                ax.set_xlabel('test accuracy (%)', fontsize=8)
    handles, names = [], []
    for ax in axes.flat:
        for handle, name in zip(*ax.get_legend_handles_labels()):
            if name not in names:
                handles.append(handle)
                names.append(name)
    if handles:
        fig.legend(handles, names, loc='lower center', ncol=len(names),
                   fontsize=8, frameon=False)
    fig.suptitle('Test accuracy at the best validation epoch: seeds (dots), '
                 'mean ± std (bars)', fontsize=10)
    fig.tight_layout(rect=(0, 0.04 if handles else 0, 1, 1))
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
