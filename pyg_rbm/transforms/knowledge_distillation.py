import inspect
import math
from typing import Any, Callable, Dict, Optional, Tuple

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.data.datapipes import functional_transform
from torch_geometric.nn.models.basic_gnn import BasicGNN
from torch_geometric.transforms import BaseTransform


def _all_finite(tensor: Tensor) -> bool:
    return bool(torch.isfinite(tensor).all())


# Substrings PyG treats specially when batching (`*index*`, `*batch*`) or
# that would read as edge-level or split attributes.
_RESERVED = ('index', 'batch', 'edge', 'val', 'test')


@functional_transform('knowledge_distillation')
class KnowledgeDistillation(BaseTransform):
    r"""Adds a teacher's predictions to every node as knowledge distillation
    targets, as used by graph-to-MLP distillation (*e.g.*, the Routing by
    Memory student of the `"Graph Knowledge Distillation to Mixture of
    Experts" <https://arxiv.org/abs/2406.11919>`_ paper)
    (functional name: :obj:`knowledge_distillation`).

    The targets come either from a trained :obj:`teacher`, run on the full
    graph in evaluation mode and without gradients, or from precomputed
    :obj:`logits`. A :class:`torch.nn.Module` teacher is called as
    :obj:`teacher(x, edge_index)`, or :obj:`teacher(x, adj_t)` for data
    prepared by :class:`~torch_geometric.transforms.ToSparseTensor`, with
    :obj:`edge_weight` and :obj:`edge_attr` passed by keyword when the data
    holds them (its :meth:`forward` must take them). A
    :class:`~torch_geometric.nn.models.basic_gnn.BasicGNN` on
    :obj:`edge_index` alone runs through the class attribute
    :obj:`inference`, when set, as
    :obj:`inference(teacher, x, edge_index, batch_size, return_hidden)`
    (e.g. a layer-by-layer inference, whose memory stays that of two
    hidden layers). Any other signature goes
    through a callable :obj:`teacher` that takes the data object and
    returns the logits, *e.g.*,
    :obj:`lambda data: model(data.x, data.edge_index, data.edge_type)`.
    The transform stores the logits :math:`\mathbf{Z}` in
    :obj:`data[f"{attr_name}_logits"]` and the soft labels

    .. math::
        \mathbf{P} = \mathrm{softmax}(\mathbf{Z} / \tau)

    in :obj:`data[f"{attr_name}_soft"]`, both of shape
    :obj:`[num_nodes, num_classes]`.
    All inputs are checked before anything is written; on error the data
    object is left unchanged.

    Args:
        teacher (torch.nn.Module or callable, optional): A trained teacher
            (see above). (default: :obj:`None`)
        logits (torch.Tensor, optional): Precomputed teacher logits of shape
            :obj:`[num_nodes, num_classes]`. Exactly one of :obj:`teacher`
            and :obj:`logits` must be given. (default: :obj:`None`)
        temperature (float, optional): The softmax temperature :math:`\tau`
            of the soft labels. (default: :obj:`1.0`)
        attr_name (str, optional): The prefix of the attribute names. It
            must not contain :obj:`"index"`, :obj:`"batch"`, :obj:`"edge"`,
            :obj:`"val"` or :obj:`"test"`. (default: :obj:`"teacher"`)
        store_hidden (bool, optional): If set to :obj:`True`, will also store
            the teacher's last hidden embedding in
            :obj:`data[f"{attr_name}_hidden"]` (only with a
            :class:`~torch_geometric.nn.models.basic_gnn.BasicGNN`
            :obj:`teacher`). (default: :obj:`False`)
        batch_size (int, optional): The number of nodes per chunk of the
            layer-wise teacher inference. (default: :obj:`None`)
    """
    # A whole-graph inference for BasicGNN teachers (see above).
    inference: Optional[Callable[..., Any]] = None

    def __init__(
        self,
        teacher: Optional[torch.nn.Module] = None,
        logits: Optional[Tensor] = None,
        temperature: float = 1.0,
        attr_name: str = 'teacher',
        store_hidden: bool = False,
        batch_size: Optional[int] = None,
    ) -> None:
        name = self.__class__.__name__
        if (teacher is None) == (logits is None):
            given = 'both' if teacher is not None else 'neither'
            raise ValueError(f"'{name}' needs exactly one of 'teacher' and "
                             f"'logits' (got {given})")
        if teacher is not None and not callable(teacher):
            raise ValueError(f"'teacher' in '{name}' must be a "
                             f"'torch.nn.Module' or a callable (got "
                             f"'{type(teacher).__name__}')")
        if logits is not None:
            if (not isinstance(logits, Tensor) or logits.dim() != 2
                    or not logits.is_floating_point()):
                raise ValueError(f"'logits' in '{name}' must be a float "
                                 f"tensor of shape [num_nodes, num_classes]")
            if not _all_finite(logits):
                raise ValueError(f"'logits' in '{name}' must be finite "
                                 f"(found NaN or infinite values)")
            logits = logits.detach()
        if (isinstance(temperature, bool)
                or not isinstance(temperature, (int, float))
                or not math.isfinite(temperature) or temperature <= 0):
            raise ValueError(f"'temperature' in '{name}' must be a positive "
                             f"finite number (got {temperature!r})")
        if not isinstance(attr_name, str) or not attr_name.isidentifier():
            raise ValueError(f"'attr_name' in '{name}' must be a valid "
                             f"identifier (got {attr_name!r})")
        reserved = [word for word in _RESERVED if word in attr_name.lower()]
        if reserved:
            raise ValueError(f"'attr_name' in '{name}' must not contain "
                             f"{reserved[0]!r} (got {attr_name!r})")
        if store_hidden and not (isinstance(teacher, BasicGNN)
                                 and teacher.jk_mode is None):
            raise ValueError(f"'store_hidden' in '{name}' needs a 'BasicGNN' "
                             f"teacher without jumping knowledge (got "
                             f"'{type(teacher).__name__}')")
        if batch_size is not None and (isinstance(batch_size, bool)
                                       or not isinstance(batch_size, int)
                                       or batch_size < 1):
            raise ValueError(f"'batch_size' in '{name}' must be a positive "
                             f"integer or None (got {batch_size!r})")

        self.teacher = teacher
        self.logits = logits
        self.temperature = float(temperature)
        self.attr_name = attr_name
        self.store_hidden = store_hidden
        self.batch_size = batch_size

    def forward(self, data: Data) -> Data:
        name = self.__class__.__name__
        if not isinstance(data, Data):
            raise ValueError(f"'{name}' expects a 'Data' object (got "
                             f"'{type(data).__name__}')")
        num_nodes = data.num_nodes
        num_classes = self._num_classes(data)

        hidden: Optional[Tensor] = None
        if self.teacher is not None:
            logits, hidden = self._run_teacher(data)
            if not isinstance(logits, Tensor):
                raise ValueError(f"'teacher' in '{name}' must return a "
                                 f"tensor of logits (got "
                                 f"'{type(logits).__name__}')")
            arg = 'teacher'
        else:
            assert self.logits is not None
            logits, arg = self.logits, 'logits'

        if logits.dim() != 2 or logits.size(0) != num_nodes:
            raise ValueError(f"'{arg}' in '{name}' gives outputs of shape "
                             f"{list(logits.shape)}, but the data has "
                             f"{num_nodes} nodes")
        if num_classes is not None and logits.size(1) != num_classes:
            raise ValueError(f"'{arg}' in '{name}' gives {logits.size(1)} "
                             f"outputs per node, but the data has "
                             f"{num_classes} classes")
        if not _all_finite(logits):
            raise ValueError(f"'{arg}' in '{name}' gives non-finite logits")

        scaled = logits / self.temperature
        if not _all_finite(scaled):
            raise ValueError(f"'temperature' in '{name}' is so small "
                             f"({self.temperature!r}) that the logits "
                             f"divided by it overflow")
        soft = torch.softmax(scaled, dim=-1)
        data[f'{self.attr_name}_logits'] = logits
        data[f'{self.attr_name}_soft'] = soft
        if hidden is not None:
            data[f'{self.attr_name}_hidden'] = hidden
        return data

    def _run_teacher(self, data: Data) -> Tuple[Tensor, Optional[Tensor]]:
        name = self.__class__.__name__
        teacher = self.teacher
        if not isinstance(teacher, torch.nn.Module):  # the user's adapter
            with torch.no_grad():
                return teacher(data), None
        graph = data.get('edge_index')
        if graph is None:
            graph = data.get('adj_t')
        if data.get('x') is None or graph is None:
            raise ValueError(f"'{name}' with a 'teacher' needs 'data.x' "
                             f"and 'data.edge_index' (or 'data.adj_t')")
        if not _all_finite(data.x):
            raise ValueError(f"'data.x' holds NaN or infinite values in "
                             f"'{name}'")
        params = inspect.signature(teacher.forward).parameters
        kwargs = {}
        for key in ('edge_weight', 'edge_attr'):
            if data.get(key) is None:
                continue
            if key not in params:
                raise ValueError(
                    f"'data' holds '{key}' but the teacher's forward takes "
                    f"no '{key}' in '{name}'; pass 'teacher' as a callable "
                    f"of the data, e.g. 'lambda data: model(data.x, "
                    f"data.edge_index)', to leave it out")
            kwargs[key] = data[key]
        basic = (isinstance(teacher, BasicGNN) and not kwargs
                 and data.get('edge_index') is not None)
        if self.store_hidden and not basic:
            raise ValueError(f"'store_hidden' in '{name}' needs a 'BasicGNN'"
                             f" teacher on 'edge_index' alone")
        inference = type(self).inference
        if basic and inference is not None:
            out = inference(teacher, data.x, graph, self.batch_size,
                            self.store_hidden)
            return out if self.store_hidden else (out, None)
        hidden = []
        handle = None
        if self.store_hidden:  # the input of the last layer
            handle = teacher.convs[-1].register_forward_pre_hook(
                lambda module, args: hidden.append(args[0]))
        training = teacher.training
        teacher.eval()
        try:
            with torch.no_grad():
                out = teacher(data.x, graph, **kwargs)
        finally:
            teacher.train(training)
            if handle is not None:
                handle.remove()
        return out, hidden[0] if hidden else None

    @staticmethod
    def _num_classes(data: Data) -> Optional[int]:
        num_classes = data.get('num_classes')
        if num_classes is not None:
            return int(num_classes)
        y = data.get('y')
        if isinstance(y, Tensor) and y.numel() > 0:
            return int(y.max()) + 1
        return None

    def __repr__(self) -> str:
        if self.teacher is not None:
            teacher = self.teacher
            source = 'teacher=' + (teacher.__class__.__name__ if isinstance(
                teacher, torch.nn.Module) else getattr(
                    teacher, '__name__', type(teacher).__name__))
        else:
            assert self.logits is not None
            source = f'logits={list(self.logits.shape)}'
        extra: Dict[str, object] = {}
        if self.attr_name != 'teacher':
            extra['attr_name'] = repr(self.attr_name)
        if self.store_hidden:
            extra['store_hidden'] = True
        args = ''.join(f', {key}={value}' for key, value in extra.items())
        return (f'{self.__class__.__name__}({source}, '
                f'temperature={self.temperature}{args})')
