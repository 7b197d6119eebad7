"""One GraphGym experiment: a YAML file, N seeds, aggregated results."""
import argparse
import os
import os.path as osp
from typing import Any, Dict, List, Sequence

from torch_geometric import seed_everything
from torch_geometric.graphgym import register
from torch_geometric.graphgym.config import (
    cfg,
    dump_cfg,
    get_fname,
    load_cfg,
    set_cfg,
    set_out_dir,
    set_run_dir,
)
from torch_geometric.graphgym.loader import create_loader
from torch_geometric.graphgym.logger import create_logger, set_printing
from torch_geometric.graphgym.model_builder import create_model
from torch_geometric.graphgym.optim import create_optimizer, create_scheduler
from torch_geometric.graphgym.utils.agg_runs import agg_runs
from torch_geometric.graphgym.utils.io import makedirs_rm_exist

from pyg_rbm.experiment import write_json_atomic
from pyg_rbm.graphgym.agg_test import agg_test_splits
from pyg_rbm.graphgym.aggregate import aggregate
from pyg_rbm.graphgym.register import register_all
from pyg_rbm.graphgym.train.distill import finished_seed
from pyg_rbm.graphgym.translate import distill_config_from_cfg

RESULTS_FILE = 'results.json'


def load_experiment_cfg(cfg_file: str, opts: Sequence[str] = ()) -> None:
    r"""Resets GraphGym's global :obj:`cfg` to its defaults plus the
    groups of :mod:`pyg_rbm.graphgym`, then merges :obj:`cfg_file` and the
    :obj:`KEY VALUE` pairs of :obj:`opts`.

    yacs raises on an unknown key (:class:`KeyError`) or a value of the
    wrong type (:class:`ValueError`), naming the key, and
    :func:`~pyg_rbm.graphgym.distill_config_from_cfg` checks the values,
    all before anything runs.

    Args:
        cfg_file (str): The YAML file.
        opts (List[str], optional): Overrides, *e.g.*,
            :obj:`["optim.max_epoch", "10"]`.
    """
    if len(opts) % 2:
        raise ValueError(f"'opts' must hold KEY VALUE pairs "
                         f"(got {list(opts)})")
    register_all()
    set_cfg(cfg)
    load_cfg(cfg, argparse.Namespace(cfg_file=cfg_file, opts=list(opts)))
    distill_config_from_cfg(cfg)
    if cfg.tensorboard_agg or cfg.tensorboard_each_run:
        try:
            import tensorboardX  # noqa: F401
        except ImportError:
            raise ValueError("'cfg.tensorboard_agg' and "
                             "'cfg.tensorboard_each_run' need tensorboardX, "
                             "which is not installed: set them to False")


def run_experiment(cfg_file: str, repeat: int = 1,
                   opts: Sequence[str] = ()) -> Dict[str, Any]:
    r"""Runs the GraphGym experiment of :obj:`cfg_file` for seeds
    :obj:`cfg.seed + i`, :obj:`i < repeat`, through the registered loader
    and train loop :obj:`cfg.train.mode`, then aggregates: GraphGym's
    :func:`~torch_geometric.graphgym.utils.agg_runs.agg_runs` for the train
    and validation logs (:obj:`<out_dir>/agg`), and
    :func:`~pyg_rbm.graphgym.aggregate.aggregate` for the test accuracy at
    the best validation epoch (:obj:`<out_dir>/results.json`). The
    experiment folder :obj:`<out_dir>` is :obj:`cfg.out_dir` joined with
    the file's name, as in GraphGym.

    Returns the aggregate, with :obj:`out_dir` added.

    Args:
        cfg_file (str): The YAML file.
        repeat (int, optional): The number of seeds. (default: :obj:`1`)
        opts (List[str], optional): :obj:`KEY VALUE` overrides.
    """
    if repeat < 1:
        raise ValueError(f"'repeat' must be positive in 'run_experiment' "
                         f"(got {repeat})")
    load_experiment_cfg(cfg_file, opts)
    config = distill_config_from_cfg(cfg)
    target = osp.join(cfg.out_dir, get_fname(cfg_file))
    if (osp.isdir(target) and os.listdir(target)
            and not cfg.train.auto_resume):
        raise ValueError(f"'{target}' holds an earlier experiment; set "
                         f"'train.auto_resume True' to keep its finished "
                         f"seeds and run the others, or choose another "
                         f"'out_dir'")
    set_out_dir(cfg.out_dir, cfg_file)
    dump_cfg(cfg)
    first_seed = cfg.seed
    results: List[Any] = []
    try:
        for i in range(repeat):
            cfg.seed = first_seed + i
            # Seeds finished in an earlier run are kept (train.auto_resume).
            finished = finished_seed(osp.join(cfg.out_dir, str(cfg.seed)))
            if finished is not None:
                results.append(finished)
                continue
            # An unfinished seed's logs start again.
            makedirs_rm_exist(osp.join(cfg.out_dir, str(cfg.seed)))
            set_run_dir(cfg.out_dir)
            set_printing()
            seed_everything(cfg.seed)
            # GraphGym's own sequence, as its main scripts run it.
            loaders = create_loader()
            loggers = create_logger()
            model = create_model(to_device=False)
            optimizer = create_optimizer(model.parameters(), cfg.optim)
            scheduler = create_scheduler(optimizer, cfg.optim)
            results.append(register.train_dict[cfg.train.mode](
                loggers, loaders, model, optimizer, scheduler))
    finally:
        cfg.seed = first_seed
    agg_runs(cfg.out_dir, cfg.metric_best)
    agg_test_splits(cfg.out_dir, cfg.metric_best, config.train.ties)
    config.seeds = [r.seed for r in results]
    summary = aggregate(results, config)
    summary['out_dir'] = cfg.out_dir
    write_json_atomic(osp.join(cfg.out_dir, RESULTS_FILE), summary)
    return summary
