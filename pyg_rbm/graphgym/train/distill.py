"""GraphGym train loop ``distill``: a thin adapter over the training core."""
import logging
from typing import Optional

import torch
from torch_geometric.data import Data
from torch_geometric.graphgym import register
from torch_geometric.graphgym.checkpoint import save_ckpt
from torch_geometric.graphgym.config import cfg
from torch_geometric.graphgym.logger import create_logger
from torch_geometric.graphgym.utils.comp_budget import params_count

from pyg_rbm.datasets import preprocess_graph, split_setting
from pyg_rbm.datasets.validate import check_node_data
from pyg_rbm.graphgym.loader.student_batch import student_batch
from pyg_rbm.graphgym.register import registered
from pyg_rbm.graphgym.train.epoch_logger import EpochLogger
from pyg_rbm.graphgym.translate import distill_config_from_cfg
from pyg_rbm.train.pipeline import SeedResult, build_features, run_seed


@registered('train', 'distill')
def train_distill(data: Data, seed: Optional[int] = None) -> SeedResult:
    r"""Runs one seed of the distillation pipeline for GraphGym's
    :obj:`cfg` and logs it through GraphGym's loggers in
    :obj:`cfg.run_dir`.

    This is no second training loop: it calls
    :func:`pyg_rbm.train.pipeline.run_seed` (teacher training, the
    :class:`~pyg_rbm.transforms.KnowledgeDistillation` transform, the
    setting's held-out nodes, :class:`~pyg_rbm.train.StudentTrainer`) with
    the config of :func:`~pyg_rbm.graphgym.distill_config_from_cfg`, the
    student built by the registered network :obj:`cfg.model.type`, and an
    :class:`~pyg_rbm.graphgym.train.EpochLogger` callback. The same
    hyperparameters and seed therefore give the same result as
    ``pyg-rbm distill``.

    Sets :obj:`cfg.share.dim_in`, :obj:`cfg.share.dim_out` and
    :obj:`cfg.share.num_splits` from the data, as GraphGym's loaders do.

    Args:
        data (torch_geometric.data.Data): The dataset from the registered
            loader (:func:`~pyg_rbm.graphgym.loader.load_pyg_rbm`).
        seed (int, optional): The seed; :obj:`cfg.seed` when :obj:`None`.
            (default: :obj:`None`)
    """
    seed = cfg.seed if seed is None else seed
    config = distill_config_from_cfg(cfg)
    # Preprocessed and split once, for the loggers' batch, the student
    # inputs (DeepWalk encodings among them) and the core.
    data = preprocess_graph(data, config.data.normalize_features,
                            config.data.self_loops)
    check_node_data(data, 'train_distill')
    split = split_setting(data, config.setting, seed=seed)
    features = build_features(split, config, seed)
    batch = student_batch(data, config, seed, features, split)
    cfg.share.dim_in = batch.x.size(-1)
    cfg.share.dim_out = batch.num_classes
    cfg.share.num_splits = 3
    pretrain = config.train.pretrain_epochs if config.student.name == 'rbm' \
        else 0
    callback = EpochLogger(create_logger(), batch, lr=config.train.lr,
                           total_epochs=pretrain + config.train.epochs,
                           ties=config.train.ties)

    def student_fn(in_channels: int, out_channels: int) -> torch.nn.Module:
        network = register.network_dict[cfg.model.type](
            dim_in=in_channels, dim_out=out_channels)
        logging.info(network)
        logging.info(f'Num parameters: {params_count(network)}')
        callback.network = network
        return network.model

    try:
        result = run_seed(config, seed, data=data, callbacks=[callback],
                          progress=False, student_fn=student_fn,
                          features=features, split=split)
        callback.finish(config.train.epochs)
    finally:
        callback.close()
    logging.info(f'Best validation epoch: {callback.best_epoch}')
    if cfg.train.enable_ckpt:
        # The selected student (restored best validation epoch), in
        # GraphGym's checkpoint format (<run_dir>/ckpt/<epoch>.ckpt).
        save_ckpt(callback.network, epoch=callback.best_epoch)
    return result
