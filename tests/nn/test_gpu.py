"""The students on a GPU against the same students on the CPU.

They run where a CUDA device is (``benchmarks/device_check.sh`` runs the
test suite on a GPU machine) and are skipped elsewhere.
"""
import copy

import pytest
import torch
import torch.nn.functional as F
from torch._dynamo.utils import counters

from pyg_rbm.nn import MLPStudent, MoE, RbM
from pyg_rbm.train.evaluate import predict

GPUS = ['cuda'] if torch.cuda.is_available() else []
NAMES = ['rbm', 'rbm_pretraining', 'moe', 'mlp']


def _student(name: str) -> torch.nn.Module:
    # Without dropout and routing noise, so that both devices compute the
    # same function in training too.
    torch.manual_seed(0)
    if name == 'rbm':
        model = RbM(32, 16, 5, num_layers=3, num_experts=4, k=3)
        model.init_routing(_bag_of_words(100, seed=1))
        return model
    if name == 'rbm_pretraining':
        return RbM(32, 16, 5, num_layers=2, num_experts=3, k=2)
    if name == 'moe':
        return MoE(32, 16, 5, num_layers=2, num_experts=4, k=2,
                   noise_std=0.0)
    return MLPStudent(32, 16, 5, num_layers=2)


def _bag_of_words(n: int, seed: int = 0) -> torch.Tensor:
    # 5% non-zeros: the CPU's sparse paths where they may count them.
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 32, generator=gen)
    return x * (torch.rand(n, 32, generator=gen) < 0.05)


def _on(model: torch.nn.Module, device: str) -> torch.nn.Module:
    return copy.deepcopy(model).to(device)


@pytest.mark.parametrize('device', GPUS)
@pytest.mark.parametrize('name', NAMES)
def test_eval_forward_equals_the_cpu_one(name, device):
    cpu = _student(name).eval()
    gpu = _on(cpu, device)
    x = _bag_of_words(500)
    with torch.no_grad():
        out = gpu(x.to(device))
        assert out.device.type == torch.device(device).type
        assert torch.allclose(out.cpu(), cpu(x), atol=1e-5)
    # The entry point's paths (host counts allowed) agree as well.
    assert torch.allclose(
        predict(gpu, x.to(device), batch_size=128).cpu(), predict(cpu, x),
        atol=1e-5)


@pytest.mark.parametrize('device', GPUS)
@pytest.mark.parametrize('name', NAMES)
def test_eval_forward_never_waits_for_the_gpu(name, device):
    gpu = _on(_student(name), device).eval()
    x = _bag_of_words(300).to(device)
    with torch.no_grad():
        gpu(x)  # (weights derived once, e.g. the experts side by side)
        torch.cuda.synchronize()
        # A call that would make the host wait for the device (a copy to
        # the host, a data-dependent size) raises in this mode.
        torch.cuda.set_sync_debug_mode('error')
        try:
            gpu(x[:77])
            gpu(x)
        finally:
            torch.cuda.set_sync_debug_mode('default')


@pytest.mark.parametrize('device', GPUS)
@pytest.mark.parametrize('name', NAMES)
def test_training_step_equals_the_cpu_one(name, device):
    cpu = _student(name).train()
    gpu = _on(cpu, device).train()
    x = _bag_of_words(256, seed=2)
    y = torch.arange(256) % 5
    for model, dev in ((cpu, 'cpu'), (gpu, device)):
        out, aux = model(x.to(dev), return_aux_loss=True)
        (F.cross_entropy(out, y.to(dev)) + aux).backward()
    for (key, a), (_, b) in zip(cpu.named_parameters(),
                                gpu.named_parameters()):
        if a.grad is None:
            assert b.grad is None, key
            continue
        assert torch.allclose(b.grad.cpu(), a.grad, atol=1e-5,
                              rtol=1e-4), key
    if name == 'rbm':  # the memory moves alike on both devices
        cpu.update_memory()
        gpu.update_memory()
        for a, b in zip(cpu.layers, gpu.layers):
            assert torch.allclose(b.memory.cpu(), a.memory, atol=1e-5)


@pytest.mark.parametrize('device', GPUS)
@pytest.mark.parametrize('name', NAMES)
def test_eval_forward_compiles_into_one_graph_on_the_gpu(name, device):
    model = _on(_student(name), device).eval()
    torch._dynamo.reset()
    compiled = torch.compile(model, fullgraph=True, dynamic=True,
                             backend='aot_eager')
    graphs = []
    with torch.no_grad():
        for n in (3, 200, 1000):
            counters.clear()
            x = _bag_of_words(n).to(device)
            assert torch.allclose(compiled(x), model(x), atol=1e-6)
            graphs.append(counters['stats']['unique_graphs'])
    assert graphs == [1, 0, 0]
