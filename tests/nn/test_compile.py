import pytest
import torch
from torch._dynamo.utils import counters

from pyg_rbm.nn import MLPStudent, MoE, RbM
from pyg_rbm.nn.host_sync import allow_host_sync, host_sync_allowed
from pyg_rbm.train.evaluate import predict


def _students():
    torch.manual_seed(0)
    rbm = RbM(32, 16, 5, num_layers=3, num_experts=4, k=3)
    rbm.init_routing(torch.randn(100, 32))
    pretraining = RbM(32, 16, 5, num_layers=2, num_experts=3, k=2)
    return dict(rbm=rbm, rbm_pretraining=pretraining,
                moe=MoE(32, 16, 5, num_layers=2, num_experts=4, k=2),
                mlp=MLPStudent(32, 16, 5, num_layers=2))


def _bag_of_words(n):
    # 5% non-zeros: the eval forward would take the sparse paths if it
    # were allowed to count them on the host.
    x = torch.rand(n, 32)
    return x * (torch.rand(n, 32) < 0.05)


def test_host_sync_switch():
    assert not host_sync_allowed() and host_sync_allowed(training=True)
    with allow_host_sync():
        assert host_sync_allowed()
        with allow_host_sync():
            assert host_sync_allowed()
        assert host_sync_allowed()
    assert not host_sync_allowed()


@pytest.mark.parametrize('name', ['rbm', 'rbm_pretraining', 'moe', 'mlp'])
def test_eval_forward_compiles_into_one_graph(name):
    model = _students()[name].eval()
    torch._dynamo.reset()
    compiled = torch.compile(model, fullgraph=True, dynamic=True,
                             backend='aot_eager')
    graphs = []
    with torch.no_grad():
        for n in (3, 200, 1000, 77):
            counters.clear()
            x = _bag_of_words(n)
            out = compiled(x)
            graphs.append(counters['stats']['unique_graphs'])
            assert torch.allclose(out, model(x), atol=1e-6)
            # The host-synchronising paths of predict() agree up to float
            # rounding, with the same choice of experts.
            assert torch.allclose(out, predict(model, x), atol=1e-5)
    # One graph for every batch size (fullgraph: no break at all).
    assert graphs == [1, 0, 0, 0]


@pytest.mark.slow
def test_rbm_compiles_with_inductor():
    model = _students()['rbm'].eval()
    torch._dynamo.reset()
    compiled = torch.compile(model, fullgraph=True, dynamic=True)
    with torch.no_grad():
        for n in (3, 1000):
            x = _bag_of_words(n)
            assert torch.allclose(compiled(x), model(x), atol=1e-5)
