"""A distilled student saved with what it needs to predict."""
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ['SavedStudent', 'save_student', 'load_student']

FORMAT = 1
# Student inputs that need the graph: not rebuilt from a node's features.
GRAPH_FEATURES = ('positional_encoding', 'label_propagation')


@dataclass
class SavedStudent:
    r"""A trained graph-free student and the input pipeline it was trained
    with (see :func:`save_student` and :func:`load_student`).

    Args:
        model (torch.nn.Module): The student, in evaluation mode.
        name (str): :obj:`"rbm"`, :obj:`"moe"` or :obj:`"mlp"`.
        kwargs (dict): Its constructor arguments, with :obj:`in_channels`
            and :obj:`out_channels`.
        normalize_features (bool): Whether node features are divided by
            their row sum before the student sees them (the dataset's
            preprocessing).
        feature_state (dict): What the input columns that need the graph
            were built with: :obj:`"positional_encoding"` (the DeepWalk
            table of the training graph's nodes, :obj:`table`, and their
            global ids, :obj:`node_ids`), :obj:`"label_propagation"`
            (:obj:`num_layers`, :obj:`alpha`), and :obj:`"self_loops"`;
            empty when node features suffice.
        info (dict): Where it comes from: dataset, setting, seed, scores.
    """
    model: torch.nn.Module
    name: str
    kwargs: Dict[str, Any]
    normalize_features: bool = False
    feature_state: Dict[str, Any] = field(default_factory=dict)
    info: Dict[str, Any] = field(default_factory=dict)

    @property
    def graph_features(self) -> List[str]:
        r"""The extras whose input columns need the graph."""
        return [name for name in GRAPH_FEATURES
                if self.feature_state.get(name) is not None]

    @property
    def num_classes(self) -> int:
        return int(self.kwargs['out_channels'])

    @property
    def graph_channels(self) -> int:
        r"""The number of input columns that need the graph, after the
        node features (encodings first, then label propagation).
        """
        pe = self.feature_state.get('positional_encoding')
        lp = self.feature_state.get('label_propagation')
        return ((int(pe['table'].size(-1)) if pe is not None else 0) +
                (self.num_classes if lp is not None else 0))

    def features(self, x: Tensor) -> Tensor:
        r"""The student's input for raw node features :obj:`x`."""
        if self.graph_features:
            raise ValueError(f"This student also takes "
                             f"{' and '.join(self.graph_features)} inputs, "
                             f"which need the graph: use "
                             f"'dataset_features(data)' for the nodes of "
                             f"its dataset")
        if x.dim() != 2 or x.size(-1) != self.kwargs['in_channels']:
            raise ValueError(f"'x' must have shape [N, "
                             f"{self.kwargs['in_channels']}] (got "
                             f"{list(x.size())})")
        return self.preprocess(x)

    def preprocess(self, x: Tensor) -> Tensor:
        r"""Raw node features :obj:`x` with the dataset's preprocessing
        (row normalisation when it was trained with it).
        """
        return F.normalize(x, p=1.0, dim=-1) if self.normalize_features \
            else x

    def dataset_features(self, data: Any) -> Tensor:
        r"""The student's input for every node of the graph :obj:`data` it
        was trained on (as :func:`~pyg_rbm.datasets.load_dataset` returns
        it, with the run's split for label propagation): the preprocessed
        features, the positional encodings of the training graph (unseen
        nodes take the mean of their observed neighbours') and the
        label-propagation features, as in training.
        """
        from pyg_rbm.datasets import preprocess_graph
        from pyg_rbm.train.extras import (
            extend_to_unseen,
            label_propagation_features,
        )
        state = self.feature_state
        full = preprocess_graph(data, self.normalize_features,
                                bool(state.get('self_loops', False)))
        parts = [full.x]
        pe = state.get('positional_encoding')
        if pe is not None:
            table = pe['table'].to(full.x.device)
            parts.append(extend_to_unseen(table,
                                          pe['node_ids'].to(full.x.device),
                                          full.edge_index, full.num_nodes))
        lp = state.get('label_propagation')
        if lp is not None:
            parts.append(label_propagation_features(
                full.edge_index, full.y, full.train_mask, full.num_nodes,
                self.num_classes, num_layers=lp['num_layers'],
                alpha=lp['alpha']))
        x = torch.cat(parts, dim=-1)
        if x.size(-1) != self.kwargs['in_channels']:
            raise ValueError(f"'data' gives {x.size(-1)} input columns but "
                             f"the student takes "
                             f"{self.kwargs['in_channels']}")
        return x

    def predict(self, x: Tensor, batch_size: Optional[int] = None) -> Tensor:
        r"""Eval-mode logits :obj:`[N, num_classes]` for raw node features
        :obj:`x` :obj:`[N, in_channels]`.
        """
        from pyg_rbm.train.evaluate import predict
        return predict(self.model, self.features(x), batch_size)


def save_student(path: str, model: torch.nn.Module, name: str,
                 kwargs: Dict[str, Any], normalize_features: bool = False,
                 feature_state: Optional[Dict[str, Any]] = None,
                 info: Optional[Dict[str, Any]] = None) -> str:
    r"""Writes :obj:`model` with its constructor arguments and input
    pipeline to :obj:`path` (a temporary file, then renamed); returns the
    path. :func:`load_student` reads it with
    :obj:`torch.load(weights_only=True)`.

    Args:
        path (str): The file.
        model (torch.nn.Module): The trained student.
        name (str): Its name for :func:`~pyg_rbm.nn.build_student`.
        kwargs (dict): Its constructor arguments, :obj:`in_channels` and
            :obj:`out_channels` included (numbers, strings, booleans and
            :obj:`None` only).
        normalize_features (bool, optional): Divide features by their row
            sum first. (default: :obj:`False`)
        feature_state (dict, optional): What the inputs that need the
            graph were built with (see :class:`SavedStudent`).
            (default: :obj:`None`)
        info (dict, optional): Where it comes from (JSON-like).
    """
    for key in ('in_channels', 'out_channels'):
        if key not in kwargs:
            raise ValueError(f"'kwargs' must hold '{key}' in 'save_student'")
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    features = {
        key: ({k: (v.detach().cpu() if isinstance(v, Tensor) else v)
               for k, v in value.items()} if isinstance(value, dict) else
              value)
        for key, value in (feature_state or {}).items()
    }
    entry = dict(format=FORMAT, name=name, kwargs=dict(kwargs),
                 normalize_features=bool(normalize_features),
                 feature_state=features, info=dict(info or {}),
                 state_dict=state)
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    tmp = f'{path}.tmp{os.getpid()}'
    torch.save(entry, tmp)
    os.replace(tmp, path)
    return path


def load_student(path: str,
                 map_location: Union[str, torch.device, None] = 'cpu'
                 ) -> SavedStudent:
    r"""Restores a student written by :func:`save_student` (or by
    ``pyg-rbm distill`` in :obj:`<run>/students/<seed>.pt`), in evaluation
    mode, RbM in the phase it was saved in.

    Args:
        path (str): The file.
        map_location (str or torch.device, optional): Where the student
            goes. (default: :obj:`"cpu"`)
    """
    from pyg_rbm.nn import build_student
    try:
        entry = torch.load(path, weights_only=True, map_location=map_location)
    except Exception as error:
        raise ValueError(f"The student '{path}' cannot be read "
                         f"({type(error).__name__}: {error})") from error
    if not isinstance(entry, dict) or entry.get('format') != FORMAT:
        raise ValueError(f"'{path}' holds no student saved by "
                         f"'save_student' (format {FORMAT})")
    kwargs = dict(entry['kwargs'])
    model = build_student(entry['name'], kwargs.pop('in_channels'),
                          kwargs.pop('out_channels'), **kwargs)
    model.load_state_dict(entry['state_dict'])
    if map_location is not None:
        model = model.to(map_location)
    model.eval()
    return SavedStudent(model, entry['name'], dict(entry['kwargs']),
                        entry['normalize_features'],
                        dict(entry['feature_state']), dict(entry['info']))
