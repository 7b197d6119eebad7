"""A saved student as a file other runtimes load: ONNX, a ``torch.export``
program or TorchScript, with a dynamic batch dimension.
"""
import os
import warnings
from typing import Tuple

import torch
from torch import Tensor

from pyg_rbm.saved_student import SavedStudent

__all__ = ['FORMATS', 'StudentPipeline', 'export_student']

FORMATS = ('onnx', 'exported-program', 'torchscript')
EXTENSIONS = {'onnx': '.onnx', 'exported-program': '.pt2',
              'torchscript': '.ts'}


class StudentPipeline(torch.nn.Module):
    r"""A saved student with its input preprocessing: raw node features
    :obj:`[N, in_channels]` in, logits :obj:`[N, num_classes]` out, in
    evaluation mode (the students' eval forward makes no host
    synchronisation, see :mod:`pyg_rbm.nn.host_sync`).

    Args:
        student (SavedStudent): From :func:`~pyg_rbm.load_student`.
    """
    def __init__(self, student: SavedStudent):
        super().__init__()
        if student.graph_features:
            raise ValueError(f"The student also takes "
                             f"{' and '.join(student.graph_features)} "
                             f"inputs, which need the graph: it cannot be "
                             f"exported as a function of node features")
        self.model = student.model.eval()
        self.preprocess = student.preprocess
        self.in_channels = int(student.kwargs['in_channels'])

    def forward(self, x: Tensor) -> Tensor:
        return self.model(self.preprocess(x))


def _example(pipeline: StudentPipeline) -> Tuple[Tensor]:
    return (torch.rand(8, pipeline.in_channels), )


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
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    with torch.no_grad():
        if format == 'onnx':
            torch.onnx.export(pipeline, example, path, dynamo=True,
                              input_names=['x'], output_names=['logits'],
                              dynamic_shapes={'x': {0: batch}})
        elif format == 'exported-program':
            program = torch.export.export(pipeline, example,
                                          dynamic_shapes={'x': {0: batch}})
            torch.export.save(program, path)
        else:
            with warnings.catch_warnings():  # TorchScript's deprecation
                warnings.simplefilter('ignore')
                traced = torch.jit.trace(pipeline, example,
                                         check_trace=False)
            traced.save(path)
    return path
