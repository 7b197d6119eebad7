"""A saved student as a file other runtimes load: ONNX, a ``torch.export``
program or TorchScript, with a dynamic batch dimension.
"""
import os
import warnings
from typing import List, Optional, Tuple

import torch
from torch import Tensor

from pyg_rbm.saved_student import SavedStudent

__all__ = ['FORMATS', 'StudentPipeline', 'export_student']

FORMATS = ('onnx', 'exported-program', 'torchscript')
EXTENSIONS = {'onnx': '.onnx', 'exported-program': '.pt2',
              'torchscript': '.ts'}


class StudentPipeline(torch.nn.Module):
    r"""A saved student with its input preprocessing: raw node features
    :obj:`x` :obj:`[N, F]` in, logits :obj:`[N, num_classes]` out, in
    evaluation mode (the students' eval forward makes no host
    synchronisation, see :mod:`pyg_rbm.nn.host_sync`).

    A student whose inputs also need the graph (positional encodings,
    label propagation) takes those columns as a second input,
    :obj:`graph_x` :obj:`[N, student.graph_channels]`, built by
    :meth:`~pyg_rbm.serving.StudentServer.graph_inputs` for new nodes (or
    the last columns of
    :meth:`~pyg_rbm.saved_student.SavedStudent.dataset_features`).

    Args:
        student (SavedStudent): From :func:`~pyg_rbm.load_student`.
    """
    def __init__(self, student: SavedStudent):
        super().__init__()
        self.model = student.model.eval()
        self.preprocess = student.preprocess
        self.graph_channels = student.graph_channels
        self.in_channels = (int(student.kwargs['in_channels']) -
                            self.graph_channels)

    def forward(self, x: Tensor, graph_x: Optional[Tensor] = None) -> Tensor:
        x = self.preprocess(x)
        if self.graph_channels:
            if graph_x is None or graph_x.size(-1) != self.graph_channels:
                raise ValueError(f"The student takes 'graph_x' [N, "
                                 f"{self.graph_channels}], the input "
                                 f"columns that need the graph")
            x = torch.cat([x, graph_x], dim=-1)
        return self.model(x)

    @property
    def input_names(self) -> List[str]:
        return ['x', 'graph_x'] if self.graph_channels else ['x']


def _example(pipeline: StudentPipeline) -> Tuple[Tensor, ...]:
    device = next(pipeline.model.parameters()).device
    x = torch.rand(8, pipeline.in_channels, device=device)
    if pipeline.graph_channels:
        return x, torch.rand(8, pipeline.graph_channels, device=device)
    return (x, )


def export_student(student: SavedStudent, path: str,
                   format: str = 'onnx') -> str:
    r"""Writes :obj:`student` (with its input preprocessing, see
    :class:`StudentPipeline`) to :obj:`path` in :obj:`format`, with a
    dynamic batch dimension; returns the path.

    :obj:`"onnx"` needs the packages :obj:`onnx` and :obj:`onnxscript`
    (ONNX Runtime runs the file); :obj:`"exported-program"` is
    :func:`torch.export.save`'s format, loaded by :func:`torch.export.load`;
    :obj:`"torchscript"` is a traced module for :func:`torch.jit.load`
    (TorchScript is deprecated in PyTorch; prefer the others). Routing is
    the eager one, ties included (:func:`~pyg_rbm.nn.top_k.top_k`).

    Args:
        student (SavedStudent): The student.
        path (str): The output file.
        format (str, optional): :obj:`"onnx"`, :obj:`"exported-program"` or
            :obj:`"torchscript"`. (default: :obj:`"onnx"`)
    """
    if format not in FORMATS:
        raise ValueError(f"'format' must be one of {FORMATS} in "
                         f"'export_student' (got {format!r})")
    pipeline = StudentPipeline(student)
    example = _example(pipeline)
    batch = torch.export.Dim('batch', min=1)
    dynamic = {name: {0: batch} for name in pipeline.input_names}
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    with torch.no_grad():
        if format == 'onnx':
            torch.onnx.export(pipeline, example, path, dynamo=True,
                              input_names=pipeline.input_names,
                              output_names=['logits'],
                              dynamic_shapes=dynamic)
        elif format == 'exported-program':
            program = torch.export.export(pipeline, example,
                                          dynamic_shapes=dynamic)
            torch.export.save(program, path)
        else:
            with warnings.catch_warnings():  # TorchScript's deprecation
                warnings.simplefilter('ignore')
                traced = torch.jit.trace(pipeline, example,
                                         check_trace=False)
            traced.save(path)
    return path
