"""Config group ``cfg.extras``: optional knowledge-distillation extras."""
from yacs.config import CfgNode as CN

from pyg_rbm.config import ExtrasConfig
from pyg_rbm.graphgym.register import registered


@registered('config', 'extras')
def set_cfg_extras(cfg: CN) -> None:
    r"""Adds :obj:`cfg.extras`, the KD extras of
    :class:`pyg_rbm.config.ExtrasConfig`, each off by default.
    """
    e = ExtrasConfig()
    cfg.extras = CN()
    # Neighbour distillation with reliable edge sampling (KRD)
    cfg.extras.reliable_sampling = e.reliable_sampling
    # EMA momentum of the reliability estimate
    cfg.extras.rs_momentum = e.rs_momentum
    # Histogram bins of the reliability estimate
    cfg.extras.rs_bins = e.rs_bins
    # First epoch at which the sampling exponent is refitted
    cfg.extras.rs_start_epoch = e.rs_start_epoch
    # Std of the feature noise probing the teacher's stability
    cfg.extras.rs_noise = e.rs_noise
    # DeepWalk positional encodings concatenated to the features (NOSMOG)
    cfg.extras.positional_encoding = e.positional_encoding
    # Positional-encoding dimensions
    cfg.extras.pe_dim = e.pe_dim
    # DeepWalk walk length
    cfg.extras.pe_walk_length = e.pe_walk_length
    # DeepWalk walks per node
    cfg.extras.pe_walks_per_node = e.pe_walks_per_node
    # DeepWalk context window
    cfg.extras.pe_window = e.pe_window
    # PGD adversarial feature augmentation (NOSMOG)
    cfg.extras.adversarial = e.adversarial
    # PGD epsilon-ball radius
    cfg.extras.adv_epsilon = e.adv_epsilon
    # PGD steps
    cfg.extras.adv_steps = e.adv_steps
    # PGD step size as a multiple of adv_epsilon
    cfg.extras.adv_step_ratio = e.adv_step_ratio
    # Weight of the adversarial loss
    cfg.extras.adv_weight = e.adv_weight
    # Share of each batch's nodes that are perturbed (1.0: all)
    cfg.extras.adv_fraction = e.adv_fraction
    # Representation-similarity distillation (NOSMOG)
    cfg.extras.similarity = e.similarity
    # Weight of the representation-similarity loss
    cfg.extras.rsd_weight = e.rsd_weight
    # Label-propagation features (CoHOp)
    cfg.extras.label_propagation = e.label_propagation
    # Label-propagation steps
    cfg.extras.lp_layers = e.lp_layers
    # Label-propagation weight alpha of the propagated term
    cfg.extras.lp_alpha = e.lp_alpha
