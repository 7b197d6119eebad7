import pytest
import torch

from pyg_rbm.config import DistillConfig, load_config, merge_config
from pyg_rbm.datasets import make_csbm
from pyg_rbm.device import check_device, resolve_device
from pyg_rbm.train.draws import generator_on, randperm
from pyg_rbm.train.pipeline import distill_student, prepare_teacher

DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


def test_device_names():
    assert resolve_device('cpu') == torch.device('cpu')
    assert resolve_device('auto').type == ('cuda' if torch.cuda.is_available()
                                           else 'cpu')
    for bad in ('gpu', 'cuda:x', 'CPU', 3):
        with pytest.raises(ValueError, match="'device' must be 'auto'"):
            check_device(bad)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match='CUDA is not available'):
            load_config(dataset='cora', overrides=dict(device='cuda:1'))
    with pytest.raises(ValueError, match="'device'"):
        load_config(dataset='cora', overrides=dict(device='tpu'))


def test_draws_are_the_same_on_every_device():
    gen = torch.Generator().manual_seed(0)
    first = randperm(10, gen, 'cpu')
    gen = torch.Generator().manual_seed(0)
    assert torch.equal(first, torch.randperm(10, generator=gen))
    gen = torch.Generator().manual_seed(0)
    assert generator_on(gen, 'cpu') is gen
    assert generator_on(None, 'cpu') is None


@pytest.mark.parametrize('device', DEVICES)
def test_pipeline_runs_on_the_configured_device(device):
    data = make_csbm(num_nodes=400, num_classes=3, num_features=8,
                     avg_degree=8, homophily=0.9, seed=0)
    config = merge_config(
        DistillConfig(dataset='csbm', setting='inductive', device=device),
        dict(teacher=dict(hidden_channels=16, epochs=20),
             student=dict(hidden_channels=16, num_experts=3, k=2),
             train=dict(epochs=5, pretrain_epochs=2, batch_size=64),
             extras=dict(reliable_sampling=True, rs_start_epoch=1,
                         adversarial=True, adv_steps=1, adv_fraction=0.5,
                         label_propagation=True)))
    run = prepare_teacher(config, 0, data, progress=False)
    assert run.split.full.x.device.type == device
    assert next(run.teacher.parameters()).device.type == device
    student, scores, epochs, x_full = distill_student(run, progress=False)
    assert next(student.parameters()).device.type == device
    assert x_full.device.type == device
    assert epochs == 7 and 0.0 <= scores['inductive'] <= 1.0
    if device == 'cpu':  # the default 'auto' gives the same on a CPU machine
        cpu_run = prepare_teacher(merge_config(config, dict(device='auto')),
                                  0, data, progress=False)
        if not torch.cuda.is_available():
            assert cpu_run.scores == run.scores
