"""GraphGym train loop ``distill``: a thin adapter over the training core."""
import logging
import os.path as osp
from typing import Any, Optional, Sequence

import torch
from torch_geometric.graphgym import register
from torch_geometric.graphgym.checkpoint import save_ckpt
from torch_geometric.graphgym.config import cfg
from torch_geometric.graphgym.logger import Logger
from torch_geometric.graphgym.model_builder import GraphGymModule
from torch_geometric.graphgym.optim import create_optimizer
from torch_geometric.graphgym.utils.comp_budget import params_count

from pyg_rbm import distributed
from pyg_rbm.datasets import preprocess_graph, split_setting
from pyg_rbm.datasets.validate import check_node_data
from pyg_rbm.device import resolve_device
from pyg_rbm.experiment import write_json_atomic
from pyg_rbm.graphgym.loader.student_batch import student_batch
from pyg_rbm.graphgym.register import registered
from pyg_rbm.graphgym.train.epoch_logger import EpochLogger
from pyg_rbm.graphgym.translate import distill_config_from_cfg
from pyg_rbm.train.adam import with_multi_tensor_step
from pyg_rbm.train.pipeline import (
    SeedResult,
    build_features,
    run_seed,
    split_to,
)

# A finished seed's scores, in its run folder (cfg.run_dir).
SEED_RESULT_FILE = 'seed_result.json'


@registered('train', 'distill')
def train_distill(loggers: Sequence[Logger], loaders: Sequence[Any],
                  model: GraphGymModule, optimizer: torch.optim.Optimizer,
                  scheduler: Any) -> SeedResult:
    r"""Runs seed :obj:`cfg.seed` of the distillation pipeline with
    GraphGym's train-loop signature, so that a GraphGym main script
    dispatching :obj:`train_dict[cfg.train.mode](loggers, loaders, model,
    optimizer, scheduler)` runs it.

    This is no second training loop: it calls
    :func:`pyg_rbm.train.pipeline.run_seed` (teacher training, the
    :class:`~pyg_rbm.transforms.KnowledgeDistillation` transform, the
    setting's held-out nodes, :class:`~pyg_rbm.train.StudentTrainer`) with
    the config of :func:`~pyg_rbm.graphgym.distill_config_from_cfg`, the
    student of :obj:`model` trained by :obj:`optimizer`, and an
    :class:`~pyg_rbm.graphgym.train.EpochLogger` over :obj:`loggers`. The
    student starts from the weights the core gives it for the seed, so the
    same hyperparameters and seed give the same result as
    ``pyg-rbm distill``. An :class:`torch.optim.Adam` at PyTorch's default
    step (GraphGym's :obj:`"adam"`) takes the multi-tensor step
    (:func:`~pyg_rbm.train.adam.with_multi_tensor_step`), the same result,
    faster.

    GraphGym sizes :obj:`model` from the graph's features and classes;
    when the student's inputs are wider (positional encodings or
    label-propagation features) or the classes are two (GraphGym then
    builds one output), the registered network :obj:`cfg.model.type` is
    built again with the right widths and trained by a new optimizer of
    :obj:`cfg.optim`. :obj:`scheduler` is not stepped: the core keeps the
    learning rate constant, and :obj:`cfg.optim.scheduler` must be
    :obj:`"none"`.

    The seed's scores go to :obj:`<cfg.run_dir>/seed_result.json`, and
    with :obj:`cfg.train.enable_ckpt` the selected student to GraphGym's
    checkpoint folder. Sets :obj:`cfg.share.dim_in`,
    :obj:`cfg.share.dim_out` and :obj:`cfg.share.num_splits` to the
    student's.

    Args:
        loggers (List[Logger]): GraphGym's loggers, from
            :func:`~torch_geometric.graphgym.logger.create_logger`.
        loaders (List[DataLoader]): GraphGym's loaders, from
            :func:`~torch_geometric.graphgym.loader.create_loader` over the
            registered loader :func:`~pyg_rbm.graphgym.load_pyg_rbm`; the
            graph is the first loader's dataset.
        model (GraphGymModule): The registered network, from
            :func:`~torch_geometric.graphgym.model_builder.create_model`.
        optimizer (torch.optim.Optimizer): Over :obj:`model`'s parameters,
            from :func:`~torch_geometric.graphgym.optim.create_optimizer`.
        scheduler: GraphGym's scheduler (not stepped).
    """
    seed = cfg.seed
    config = distill_config_from_cfg(cfg)
    processes = config.processes
    if processes > 1 and distributed.world_size() != processes:
        raise ValueError(f"'cfg.devices' is {processes} but this process "
                         f"trains in a group of {distributed.world_size()} "
                         f"in 'train_distill': run the experiment with "
                         f"'python -m pyg_rbm.graphgym', which starts the "
                         f"processes, or join them into a process group "
                         f"first (torchrun, then "
                         f"'pyg_rbm.distributed.init_from_env')")
    data = loaders[0].dataset[0]
    # Preprocessed and split once, for the loggers' batch, the student
    # inputs (DeepWalk encodings among them) and the core.
    data = preprocess_graph(data, config.data.normalize_features,
                            config.data.self_loops)
    check_node_data(data, 'train_distill')
    device = resolve_device(config.device)
    split = split_to(split_setting(data, config.setting, seed=seed), device)
    features = build_features(split, config, seed)
    batch = student_batch(data, config, seed, features, split).to(device)
    dim_in, dim_out = batch.x.size(-1), batch.num_classes
    cfg.share.dim_in, cfg.share.dim_out, cfg.share.num_splits = (dim_in,
                                                                 dim_out, 3)
    # The student trains on the run's device (cfg.accelerator); moving it
    # keeps the optimizer's parameters.
    model.to(device)
    network = model.model
    if (getattr(network, 'dim_in', None), getattr(network, 'dim_out',
                                                  None)) != (dim_in, dim_out):
        logging.info(f'The student takes {dim_in} inputs and {dim_out} '
                     f'classes: building the network again')
        model = GraphGymModule(dim_in, dim_out, cfg).to(device)
        network = model.model
        optimizer = create_optimizer(model.parameters(), cfg.optim)
    logging.info(model)
    logging.info(f'Num parameters: {params_count(model)}')

    pretrain = config.train.pretrain_epochs if config.student.name == 'rbm' \
        else 0
    callback = EpochLogger(loggers, batch, lr=config.train.lr,
                           total_epochs=pretrain + config.train.epochs,
                           ties=config.train.ties)
    callback.network = network

    def student_fn(in_channels: int, out_channels: int) -> torch.nn.Module:
        # The weights a network built now, under the core's seed, starts
        # with: those of pyg-rbm distill.
        fresh = register.network_dict[cfg.model.type](dim_in=in_channels,
                                                      dim_out=out_channels)
        network.load_state_dict(fresh.state_dict())
        return network.model

    # GraphGym's "adam" steps parameter by parameter on the CPU; the
    # multi-tensor step gives the same result, faster.
    optimizer = with_multi_tensor_step(optimizer)
    try:
        result = run_seed(config, seed, data=data, callbacks=[callback],
                          progress=False, student_fn=student_fn,
                          features=features, split=split,
                          optimizer=optimizer,
                          teacher_cache=cfg.distill.teacher_cache or None)
        callback.finish(config.train.epochs)
    finally:
        callback.close()
    logging.info(f'Best validation epoch: {callback.best_epoch}')
    if cfg.train.enable_ckpt:
        # The selected student (restored best validation epoch), in
        # GraphGym's checkpoint format (<run_dir>/ckpt/<epoch>.ckpt).
        save_ckpt(model, optimizer, epoch=callback.best_epoch)
    write_json_atomic(osp.join(cfg.run_dir, SEED_RESULT_FILE),
                      result.to_dict())
    return result


def finished_seed(run_dir: str) -> Optional[SeedResult]:
    r"""The result stored in :obj:`run_dir` by :func:`train_distill`, or
    :obj:`None` when the seed has not finished.
    """
    import json
    path = osp.join(run_dir, SEED_RESULT_FILE)
    if not osp.exists(path):
        return None
    with open(path) as f:
        return SeedResult.from_record(json.load(f))
