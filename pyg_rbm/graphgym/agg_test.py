"""GraphGym's aggregation over seeds, for the splits it leaves out."""
import os
import os.path as osp
from typing import Dict, List

from torch_geometric.graphgym.utils.agg_runs import (
    agg_dict_list,
    dict_list_to_json,
    dict_to_json,
    is_seed,
    json_to_dict_list,
)
from torch_geometric.graphgym.utils.io import makedirs_rm_exist

__all__ = ['agg_test_splits']

SPLITS = ('test', 'inductive', 'observed_test')


def _best_epoch(val: List[Dict[str, float]], metric: str,
                ties: str) -> int:
    best = 0
    for i, stats in enumerate(val):
        if (stats[metric] > val[best][metric]
                or (ties == 'last' and stats[metric] == val[best][metric])):
            best = i
    return val[best]['epoch']


def agg_test_splits(dir: str, metric_best: str = 'auto',
                    ties: str = 'first') -> List[str]:
    r"""Aggregates the test splits of every seed of the experiment in
    :obj:`dir` into :obj:`<dir>/agg/<split>/stats.json` (per epoch) and
    :obj:`best.json` (at each seed's best validation epoch), in the format
    of GraphGym's :func:`~torch_geometric.graphgym.utils.agg_runs.agg_runs`,
    which aggregates the train and validation splits only. Call it after
    :obj:`agg_runs` in a GraphGym main script.

    The splits are :obj:`test` (the setting's test nodes),
    :obj:`inductive` (held-out nodes) and :obj:`observed_test`, those the
    seeds logged. Returns them.

    Args:
        dir (str): The experiment folder (:obj:`cfg.out_dir`).
        metric_best (str, optional): The validation metric that selects the
            epoch; :obj:`"auto"` takes :obj:`auc` when logged, else
            :obj:`accuracy`. (default: :obj:`"auto"`)
        ties (str, optional): Of epochs tied on it, :obj:`"first"` or
            :obj:`"last"`, as :obj:`distill.ties`. (default: :obj:`"first"`)
    """
    per_epoch: Dict[str, List[List[Dict[str, float]]]] = {}
    best: Dict[str, List[Dict[str, float]]] = {}
    for seed in sorted(os.listdir(dir)):
        run = osp.join(dir, seed)
        if not is_seed(seed) or not osp.exists(osp.join(run, 'val')):
            continue
        val = json_to_dict_list(osp.join(run, 'val', 'stats.json'))
        metric = (('auc' if 'auc' in val[0] else 'accuracy')
                  if metric_best == 'auto' else metric_best)
        epoch = _best_epoch(val, metric, ties)
        for split in SPLITS:
            path = osp.join(run, split, 'stats.json')
            if not osp.exists(path):
                continue
            stats = json_to_dict_list(path)
            best.setdefault(split, []).extend(
                s for s in stats if s['epoch'] == epoch)
            rows = per_epoch.setdefault(split, [[] for _ in stats])
            if len(rows) != len(stats):
                raise ValueError(f"The seeds in '{dir}' logged different "
                                 f"numbers of epochs of split '{split}'")
            for row, s in zip(rows, stats):
                row.append(s)
    for split, rows in per_epoch.items():
        out = osp.join(dir, 'agg', split)
        makedirs_rm_exist(out)
        dict_list_to_json([agg_dict_list(row) for row in rows],
                          osp.join(out, 'stats.json'))
        dict_to_json(agg_dict_list(best[split]), osp.join(out, 'best.json'))
    return list(per_epoch)

