"""One GraphGym experiment: a YAML file, N seeds, aggregated results."""
import argparse
import logging
import os
import os.path as osp
import tempfile
from typing import Any, Dict, List, Optional, Sequence

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

from pyg_rbm import distributed
from pyg_rbm.device import resolve_device
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
                   opts: Sequence[str] = ()) -> Optional[Dict[str, Any]]:
    r"""Runs the GraphGym experiment of :obj:`cfg_file` for seeds
    :obj:`cfg.seed + i`, :obj:`i < repeat`, through the registered loader
    and train loop :obj:`cfg.train.mode`, then aggregates: GraphGym's
    :func:`~torch_geometric.graphgym.utils.agg_runs.agg_runs` for the train
    and validation logs (:obj:`<out_dir>/agg`), and
    :func:`~pyg_rbm.graphgym.aggregate.aggregate` for the test accuracy at
    the best validation epoch (:obj:`<out_dir>/results.json`). The
    experiment folder :obj:`<out_dir>` is :obj:`cfg.out_dir` joined with
    the file's name, as in GraphGym.

    With :obj:`cfg.devices` :math:`N > 1`, the experiment runs on
    :math:`N` processes (one GPU each with CUDA, gloo on the CPU): started
    here by :func:`pyg_rbm.distributed.launch`, or by :obj:`torchrun
    --standalone --nproc-per-node N -m pyg_rbm.graphgym` (a launch of any
    other number of processes is refused). They train every seed together
    (:class:`~pyg_rbm.train.StudentTrainer`'s data-parallel training, each
    process on its share of every batch); rank 0 alone writes the
    experiment folder and returns the aggregate (the others return
    :obj:`None`; their GraphGym logs go to a temporary folder).

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
    processes = config.processes
    if not distributed.launched():
        if processes > 1:
            problem = _earlier_experiment(cfg_file)
            if problem is not None:  # (refused before any process starts)
                raise ValueError(problem)
            return distributed.launch(processes, run_experiment, cfg_file,
                                      repeat, list(opts))
    else:
        problem = _launch_problem(processes)
        if problem is not None:
            raise ValueError(problem)
    joined = distributed.init_from_env(resolve_device(config.device))
    summary = _run_seeds(cfg_file, repeat, config)
    if joined:
        distributed.shutdown()
    return summary


def _launch_problem(processes: int) -> Optional[str]:
    # Why the processes a launcher started cannot run `processes`, if so.
    started = distributed.started_processes()
    if started > 1 and started != processes:
        return (f"'cfg.devices' is {processes} but the launcher started "
                f"{started} processes: set 'devices {started}' or start "
                f"{processes}")
    return None


def _earlier_experiment(cfg_file: str) -> Optional[str]:
    # Why the experiment folder cannot be written, if it cannot.
    target = osp.join(cfg.out_dir, get_fname(cfg_file))
    if (osp.isdir(target) and os.listdir(target)
            and not cfg.train.auto_resume):
        return (f"'{target}' holds an earlier experiment; set "
                f"'train.auto_resume True' to keep its finished seeds and "
                f"run the others, or choose another 'out_dir'")
    return None


def _run_seeds(cfg_file: str, repeat: int,
               config: Any) -> Optional[Dict[str, Any]]:
    main = distributed.is_main_process()
    problem = distributed.broadcast_object(
        _earlier_experiment(cfg_file) if main else None)
    if problem is not None:
        raise ValueError(problem)
    scratch = None
    if not main:
        # GraphGym's logs of the other processes: written, then dropped.
        scratch = tempfile.TemporaryDirectory(prefix='pyg_rbm_rank_')
        cfg.out_dir, cfg.print = scratch.name, 'file'
    set_out_dir(cfg.out_dir, cfg_file)
    if main:
        dump_cfg(cfg)
    first_seed = cfg.seed
    seeds = [first_seed + i for i in range(repeat)]
    # Seeds finished in an earlier run are kept (train.auto_resume).
    finished = {seed: finished_seed(osp.join(cfg.out_dir, str(seed)))
                for seed in seeds} if main else {}
    done = distributed.broadcast_object(
        [seed for seed, result in finished.items() if result is not None])
    results: List[Any] = []
    try:
        for seed in seeds:
            cfg.seed = seed
            if seed in done:
                if main:
                    results.append(finished[seed])
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
        if scratch is not None:
            for handler in logging.root.handlers:  # (files of the folder)
                handler.close()
            logging.root.handlers = []
            scratch.cleanup()
    if scratch is not None:
        return None
    agg_runs(cfg.out_dir, cfg.metric_best)
    agg_test_splits(cfg.out_dir, cfg.metric_best, config.train.ties)
    config.seeds = [r.seed for r in results]
    summary = aggregate(results, config)
    summary['out_dir'] = cfg.out_dir
    write_json_atomic(osp.join(cfg.out_dir, RESULTS_FILE), summary)
    return summary
