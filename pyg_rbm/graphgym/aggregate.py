"""Test accuracy at the best validation epoch, aggregated over seeds."""
from typing import Any, Dict, List, Sequence

import torch

from pyg_rbm.config import DistillConfig
from pyg_rbm.train.pipeline import SeedResult, summarize

MODELS = ('teacher', 'student', 'mlp')
METRIC = 'accuracy (%) at the best validation epoch'


def _mean_std(values: Sequence[float]) -> Dict[str, Any]:
    t = torch.tensor([float(v) for v in values])
    return dict(mean=float(t.mean()),
                std=float(t.std()) if len(t) > 1 else 0.0,
                runs=[float(v) for v in t])


def aggregate(results: List[SeedResult],
              config: DistillConfig) -> Dict[str, Any]:
    r"""Mean and standard deviation over seeds of each model's validation
    and test accuracy (in percent) at its best validation epoch.

    GraphGym's :func:`~torch_geometric.graphgym.utils.agg_runs.agg_runs`
    aggregates the train and validation logs only; this is the test side.
    :obj:`"test"` is the setting's headline
    (:func:`pyg_rbm.train.pipeline.headline`: test nodes, held-out nodes,
    or their production mix), computed by
    :func:`pyg_rbm.train.pipeline.summarize` exactly as ``pyg-rbm distill``
    reports it.

    Args:
        results (List[SeedResult]): One result per seed.
        config (DistillConfig): The run's hyperparameters.
    """
    if not results:
        raise ValueError("'results' of 'aggregate' is empty")
    test = summarize(results, config.setting)
    out: Dict[str, Any] = dict(dataset=config.dataset,
                               setting=config.setting,
                               student_name=config.student.name,
                               teacher_name=config.teacher.name,
                               metric=METRIC,
                               seeds=[r.seed for r in results])
    for model in MODELS:
        if model not in test:
            continue
        val = _mean_std([100 * getattr(r, model)['val'] for r in results])
        out[model] = dict(val=val, test=test[model])
    out['per_seed'] = [r.to_dict() for r in results]
    out['hyperparameters'] = config.to_dict()
    return out


def format_table(summary: Dict[str, Any]) -> str:
    r"""The aggregate of :func:`aggregate` as a printable table."""
    names = dict(teacher=f'teacher ({summary["teacher_name"]})',
                 student=f'student ({summary["student_name"]})',
                 mlp='MLP without teacher')
    header = f'{"model":<22} {"val":>16} {"test":>16}'
    lines = [
        f'{summary["dataset"]}, {summary["setting"]}, '
        f'{len(summary["seeds"])} seed(s): {summary["metric"]}', header,
        '-' * len(header)
    ]
    for model in MODELS:
        if model in summary:
            cells = [
                f'{summary[model][key]["mean"]:.2f} +- '
                f'{summary[model][key]["std"]:.2f}' for key in ('val', 'test')
            ]
            lines.append(f'{names[model]:<22} {cells[0]:>16} {cells[1]:>16}')
    return '\n'.join(lines)
