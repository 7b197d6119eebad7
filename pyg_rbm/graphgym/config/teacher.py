"""Config group ``cfg.teacher``: the GNN teacher and its training."""
from yacs.config import CfgNode as CN

from pyg_rbm.config import TeacherConfig
from pyg_rbm.graphgym.register import registered


@registered('config', 'teacher')
def set_cfg_teacher(cfg: CN) -> None:
    r"""Adds :obj:`cfg.teacher`, the GNN trained on the labelled nodes
    whose outputs the student distils.
    """
    teacher = TeacherConfig()
    cfg.teacher = CN()
    # GNN type: sage, gcn or gat
    cfg.teacher.name = teacher.name
    # Hidden width
    cfg.teacher.hidden_channels = teacher.hidden_channels
    # Number of message-passing layers
    cfg.teacher.num_layers = teacher.num_layers
    # Dropout
    cfg.teacher.dropout = teacher.dropout
    # Normalisation between layers: none, batch_norm or layer_norm
    cfg.teacher.norm = teacher.norm or 'none'
    # Adam learning rate
    cfg.teacher.lr = teacher.lr
    # Adam weight decay
    cfg.teacher.weight_decay = teacher.weight_decay
    # Maximum training epochs
    cfg.teacher.epochs = teacher.epochs
    # Early-stopping patience on validation accuracy
    cfg.teacher.patience = teacher.patience
    # Graph of the training epochs: 'full', or 'labelled' (the neighbourhood
    # of the training and validation nodes; exact for SAGE and GAT, and much
    # cheaper on large graphs)
    cfg.teacher.train_graph = teacher.train_graph
    # Keep the 'first' or the 'last' of epochs tied on validation accuracy
    cfg.teacher.ties = teacher.ties
