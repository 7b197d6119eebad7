import numpy as np
import pytest
import torch

from pyg_rbm import load_student, save_student
from pyg_rbm.export import StudentPipeline, export_student
from pyg_rbm.nn import build_student

KWARGS = dict(rbm=dict(hidden_channels=16, num_layers=3, num_experts=4, k=3),
              moe=dict(hidden_channels=16, num_layers=2, num_experts=4, k=2),
              mlp=dict(hidden_channels=16, num_layers=2))
BATCHES = (1, 3, 1000)


def _saved(tmp_path, name, normalize=True):
    torch.manual_seed(0)
    model = build_student(name, 32, 5, **KWARGS[name])
    if name == 'rbm':
        model.init_routing(torch.rand(200, 32))
    path = save_student(str(tmp_path / f'{name}.pt'), model, name,
                        dict(in_channels=32, out_channels=5, **KWARGS[name]),
                        normalize_features=normalize)
    return load_student(path)


def _eager(student, x):
    with torch.no_grad():
        return StudentPipeline(student)(x)


@pytest.mark.parametrize('name', ['rbm', 'moe', 'mlp'])
def test_exported_program_and_torchscript_equal_eager(tmp_path, name):
    student = _saved(tmp_path, name)
    program = torch.export.load(
        export_student(student, str(tmp_path / 'p.pt2'), 'exported-program'))
    script = torch.jit.load(
        export_student(student, str(tmp_path / 's.ts'), 'torchscript'))
    for n in BATCHES:
        x = torch.rand(n, 32)
        expected = _eager(student, x)
        # The pipeline applies the saved preprocessing, as predict() does.
        assert torch.allclose(expected, student.predict(x), atol=1e-5)
        with torch.no_grad():
            assert torch.allclose(program.module()(x), expected, atol=1e-6)
            assert torch.allclose(script(x), expected, atol=1e-6)


@pytest.mark.parametrize('name', ['rbm', 'moe', 'mlp'])
def test_onnx_runtime_equals_eager(tmp_path, name):
    ort = pytest.importorskip('onnxruntime')
    pytest.importorskip('onnxscript')
    onnx = pytest.importorskip('onnx')
    student = _saved(tmp_path, name)
    path = export_student(student, str(tmp_path / 's.onnx'), 'onnx')
    # No loop over rows (an exported `embedding_bag` was one, and its cost
    # grew faster than the batch):
    assert 'Loop' not in {node.op_type for node in onnx.load(path).graph.node}
    session = ort.InferenceSession(path)
    for n in BATCHES:
        x = torch.rand(n, 32)
        out = session.run(None, {'x': x.numpy()})[0]
        assert np.abs(out - _eager(student, x).numpy()).max() <= 1e-5


def test_onnx_keeps_tied_routing(tmp_path):
    # Two pairs of identical memory keys: a row ties between experts, and
    # k=1 must pick the one eager picks (the lower index).
    ort = pytest.importorskip('onnxruntime')
    pytest.importorskip('onnxscript')
    torch.manual_seed(0)
    model = build_student('rbm', 4, 3, hidden_channels=8, num_layers=1,
                          num_experts=4, k=1)
    model.init_routing(torch.randn(50, 4))
    with torch.no_grad():
        layer = model.layers[0]
        layer.memory[2] = layer.memory[1]
        layer.memory[3] = layer.memory[0]
        layer.experts.weight += torch.arange(4.0).view(4, 1, 1)
    path = save_student(str(tmp_path / 't.pt'), model, 'rbm',
                        dict(in_channels=4, out_channels=3,
                             hidden_channels=8, num_layers=1, num_experts=4,
                             k=1))
    student = load_student(path)
    x = torch.randn(1000, 4)
    routed = layer.route(x)[1].view(-1)
    assert set(routed.tolist()) <= {0, 1}  # ties go to the lower index
    session = ort.InferenceSession(export_student(
        student, str(tmp_path / 't.onnx'), 'onnx'))
    out = session.run(None, {'x': x.numpy()})[0]
    assert np.abs(out - _eager(student, x).numpy()).max() <= 1e-5


@pytest.mark.parametrize('format', ['exported-program', 'onnx'])
def test_students_with_graph_inputs_take_them_as_a_second_input(
        tiny_saved_student, tmp_path, format):
    if format == 'onnx':
        ort = pytest.importorskip('onnxruntime')
        pytest.importorskip('onnxscript')
    from pyg_rbm.serving import StudentServer
    student, data, _ = tiny_saved_student(
        positional_encoding=True, pe_dim=4, pe_walks_per_node=1,
        label_propagation=True, lp_layers=2)
    assert student.graph_channels == 4 + student.num_classes
    pipeline = StudentPipeline(student)
    assert pipeline.in_channels == data.num_features
    path = export_student(student, str(tmp_path / f'g.{format}'),
                          format)
    inputs = student.dataset_features(data)
    graph_x = inputs[:, data.num_features:]
    # New nodes 0-2 with edges to nodes 10-13: the server's columns.
    server = StudentServer(student, graph=data)
    new_edges = torch.tensor([[0, 0, 1, 2], [10, 11, 12, 13]])
    new_graph_x = server.graph_inputs(new_edges, 3)
    with pytest.raises(ValueError, match="takes 'graph_x'"):
        pipeline(data.x[:3])
    for x, g in ((data.x, graph_x), (data.x[:3], new_graph_x),
                 (data.x[:1], graph_x[:1])):
        with torch.no_grad():
            expected = student.model(torch.cat(
                [student.preprocess(x), g], dim=-1))
            assert torch.allclose(pipeline(x, g), expected)
            if format == 'onnx':
                out = torch.from_numpy(ort.InferenceSession(path).run(
                    None, {'x': x.numpy(), 'graph_x': g.numpy()})[0])
                assert torch.allclose(out, expected, atol=1e-5)
            else:
                out = torch.export.load(path).module()(x, g)
                assert torch.allclose(out, expected, atol=1e-6)


def test_export_refuses_bad_formats(tmp_path):
    model = build_student('mlp', 4, 2, hidden_channels=8)
    path = save_student(str(tmp_path / 'g.pt'), model, 'mlp',
                        dict(in_channels=4, out_channels=2,
                             hidden_channels=8))
    with pytest.raises(ValueError, match="'format' must be one of"):
        export_student(load_student(path), str(tmp_path / 'g.x'), 'tflite')
