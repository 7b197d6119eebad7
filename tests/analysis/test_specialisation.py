import json
import os

import pytest
import torch

from pyg_rbm.analysis import analyse_routing, plot_routing
from pyg_rbm.nn import RbM


def _class_routed_rbm():
    # Four classes in four directions; memory keys on those directions:
    # an RbM whose first choice is the class, by construction.
    torch.manual_seed(0)
    centers = torch.eye(4) * 5
    y = torch.arange(4).repeat_interleave(50)
    x = centers[y] + 0.3 * torch.randn(200, 4)
    model = RbM(4, 8, 4, num_layers=1, num_experts=4, k=2)
    model.init_routing(x)
    with torch.no_grad():
        model.layers[0].memory.copy_(centers)
    return model, x, y


def test_analysis_finds_known_specialisation(tmp_path):
    model, x, y = _class_routed_rbm()
    analysis = analyse_routing(model, x, y, max_points=100)
    layer, = analysis['layers']
    assert layer['nmi'] == pytest.approx(1.0)
    assert layer['purity'] == pytest.approx(1.0)
    assert layer['top1_load'] == [0.25] * 4
    assert layer['load_entropy'] == pytest.approx(1.0)
    proj = layer['projection']
    assert len(proj['xy']) == 100 and len(proj['xy'][0]) == 2
    assert proj['expert'] == [y[n].item() for n in proj['nodes']]
    # Routing collapse reads as such: every key on one class.
    with torch.no_grad():
        model.layers[0].memory.copy_(torch.eye(4)[[0, 0, 0, 0]] * 5)
    collapsed, = analyse_routing(model, x, y)['layers']
    assert collapsed['max_top1_load'] == 1.0
    assert collapsed['load_entropy'] == 0.0 and collapsed['nmi'] == 0.0
    pytest.importorskip('matplotlib')
    path = plot_routing(dict(rbm=analysis, collapsed=dict(layers=[
        collapsed])), str(tmp_path / 'r.png'))
    assert os.path.getsize(path) > 1000


def test_analyze_command(tmp_path, capsys):
    from pyg_rbm import save_student
    from pyg_rbm.cli.main import main
    from pyg_rbm.datasets import make_csbm
    model = RbM(16, 8, 3, num_layers=2, num_experts=3, k=2)
    data = make_csbm(num_nodes=300, num_classes=3, num_features=16,
                     avg_degree=5, homophily=0.8, seed=0)
    model.init_routing(data.x)
    run = tmp_path / 'run'
    save_student(str(run / 'students' / '0.pt'), model, 'rbm',
                 dict(in_channels=16, out_channels=3, hidden_channels=8,
                      num_layers=2, num_experts=3, k=2),
                 info=dict(dataset='csbm', seed=0))
    import pyg_rbm.datasets as datasets
    original = datasets.load_dataset
    datasets.load_dataset = lambda *args, **kwargs: data
    try:
        assert main(['analyze', str(run), '--max-points', '50']) == 0
    finally:
        datasets.load_dataset = original
    with open(run / 'analysis' / 'analysis.json') as f:
        analysis = json.load(f)
    layers = analysis['rbm (run)']['layers']
    assert len(layers) == 2 and 0.0 <= layers[0]['nmi'] <= 1.0
    assert 'layer 1: entropy' in capsys.readouterr().out
    with pytest.raises(SystemExit):  # never overwritten
        main(['analyze', str(run)])
