import pytest
import torch

from pyg_rbm import load_student, save_student
from pyg_rbm.nn import build_student
from pyg_rbm.train.evaluate import predict

KWARGS = dict(rbm=dict(hidden_channels=16, num_layers=2, num_experts=3, k=2),
              moe=dict(hidden_channels=16, num_layers=2, num_experts=3, k=2),
              mlp=dict(hidden_channels=16, num_layers=2))


@pytest.mark.parametrize('name,routed', [('rbm', False), ('rbm', True),
                                         ('moe', False), ('mlp', False)])
def test_reloaded_student_predicts_the_same(tmp_path, name, routed):
    torch.manual_seed(0)
    x = torch.rand(50, 8)
    model = build_student(name, 8, 3, **KWARGS[name])
    if routed:  # RbM after the routing switch, else in pretraining
        model.init_routing(x)
    before = predict(model, x)
    path = save_student(str(tmp_path / 's.pt'), model, name,
                        dict(in_channels=8, out_channels=3, **KWARGS[name]),
                        info=dict(seed=4))
    saved = load_student(path)
    assert type(saved.model) is type(model) and not saved.model.training
    if name == 'rbm':
        assert saved.model.in_pretraining == (not routed)
    assert torch.equal(saved.predict(x), before)
    assert saved.num_classes == 3 and saved.info == dict(seed=4)


def test_saved_input_pipeline(tmp_path):
    model = build_student('mlp', 4, 2, **KWARGS['mlp'])
    kwargs = dict(in_channels=4, out_channels=2, **KWARGS['mlp'])
    x = torch.tensor([[1.0, 1.0, 2.0, 0.0], [0.0, 3.0, 0.0, 1.0]])
    path = save_student(str(tmp_path / 'n.pt'), model, 'mlp', kwargs,
                        normalize_features=True)
    saved = load_student(path)
    assert torch.equal(saved.features(x),
                       torch.tensor([[0.25, 0.25, 0.5, 0.0],
                                     [0.0, 0.75, 0.0, 0.25]]))
    assert torch.equal(saved.predict(x), predict(model, saved.features(x)))
    with pytest.raises(ValueError, match=r"shape \[N, 4\]"):
        saved.predict(torch.rand(2, 5))
    path = save_student(str(tmp_path / 'pe.pt'), model, 'mlp', kwargs,
                        feature_state=dict(positional_encoding=dict(
                            table=torch.zeros(2, 1),
                            node_ids=torch.arange(2))))
    with pytest.raises(ValueError, match='positional_encoding inputs'):
        load_student(path).predict(x)


def test_load_student_names_a_bad_file(tmp_path):
    path = tmp_path / 'bad.pt'
    path.write_bytes(b'not a student')
    with pytest.raises(ValueError, match="'.*bad.pt' cannot be read"):
        load_student(str(path))
    torch.save(dict(weights=torch.zeros(1)), str(path))
    with pytest.raises(ValueError, match='no student saved'):
        load_student(str(path))
    with pytest.raises(ValueError, match="'kwargs' must hold"):
        save_student(str(path), build_student('mlp', 4, 2, hidden_channels=8),
                     'mlp', {})


def test_saved_graph_inputs_rebuild_the_training_inputs(
        tiny_saved_student):
    # A student with positional encodings and label propagation, inductive
    # setting: the saved state rebuilds the full graph's inputs exactly.
    from pyg_rbm.train.pipeline import build_features, prepare_teacher
    saved, data, config = tiny_saved_student(
        positional_encoding=True, pe_dim=4, pe_walks_per_node=1,
        label_propagation=True, lp_layers=2)
    assert saved.graph_features == ['positional_encoding',
                                    'label_propagation']
    split = prepare_teacher(config, 0, data, progress=False).split
    _, x_full = build_features(split, config, 0)
    assert torch.allclose(saved.dataset_features(data), x_full, atol=1e-6)
    with pytest.raises(ValueError, match='dataset_features'):
        saved.predict(data.x)
