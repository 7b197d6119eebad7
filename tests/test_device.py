import collections
import os
import sys

import pytest
import torch
from torch.overrides import TorchFunctionMode

import pyg_rbm
from pyg_rbm.config import DistillConfig, load_config, merge_config
from pyg_rbm.datasets import make_csbm
from pyg_rbm.device import check_device, resolve_device
from pyg_rbm.serving import TeacherServer, neighborhood_subgraph
from pyg_rbm.teachers import build_teacher
from pyg_rbm.train.draws import generator_on, randperm
from pyg_rbm.train.pipeline import distill_student, prepare_teacher

DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])

PACKAGE = os.path.dirname(pyg_rbm.__file__) + os.sep
# Without `device=`, these make their tensor on the CPU whatever the data's
# device (`Tensor.new_*` and the `*_like` functions take their input's).
FACTORIES = {
    torch.arange, torch.empty, torch.eye, torch.full, torch.linspace,
    torch.ones, torch.rand, torch.randint, torch.randn, torch.randperm,
    torch.tensor, torch.zeros
}
# Where the host takes a copy by design: k-means' points (scikit-learn)
# and the reliable sampler's histograms (SciPy's fit).
HOST_COPIES = {('nn/kmeans.py', 'kmeans'),
               ('train/extras/reliable_sampling.py', 'update')}


def _in_module_init(frame) -> bool:
    # Parameters are built on the CPU and moved, as PyTorch's own are.
    while frame is not None:
        if (frame.f_code.co_name == '__init__'
                and isinstance(frame.f_locals.get('self'), torch.nn.Module)):
            return True
        frame = frame.f_back
    return False


class DeviceLessFactories(TorchFunctionMode):
    """Records each call of this package's code to a tensor factory without
    a device, and each :meth:`Tensor.cpu` outside :obj:`HOST_COPIES`: on a
    GPU machine, a tensor on the CPU beside data on the GPU.
    """
    def __init__(self):
        super().__init__()
        self.calls = collections.Counter()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        factory = (func in FACTORIES and kwargs.get('device') is None
                   and not (func is torch.tensor
                            and isinstance(args[0], torch.Tensor)))
        if factory or func is torch.Tensor.cpu:
            frame = sys._getframe(1)  # the caller
            path = frame.f_code.co_filename
            site = (path[len(PACKAGE):], frame.f_code.co_name)
            if (path.startswith(PACKAGE) and not _in_module_init(frame)
                    and (factory or site not in HOST_COPIES)):
                name = f'torch.{func.__name__}' if factory else 'Tensor.cpu'
                self.calls[f'{site[0]}:{frame.f_lineno} in {site[1]}: '
                           f'{name}'] += 1
        return func(*args, **kwargs)


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
                         label_propagation=True, positional_encoding=True,
                         pe_dim=4)))
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


def test_device_less_factories_are_recorded_in_the_package_only():
    probe = compile('torch.arange(3)\n'
                    'torch.zeros(2, device="cpu").new_ones(3).cpu()\n',
                    os.path.join(PACKAGE, 'probe.py'), 'exec')
    with DeviceLessFactories() as recorder:
        exec(probe, {'torch': torch})
        torch.arange(3).cpu()  # (this test's own calls)
        torch.nn.Linear(2, 2)
    assert list(recorder.calls) == ['probe.py:1 in <module>: torch.arange',
                                    'probe.py:2 in <module>: Tensor.cpu']


def test_the_core_creates_every_tensor_on_the_data_device():
    # The stand-in, where no GPU is, for the GPU runs of the pipeline: a
    # teacher and each student with every extra, and the factories the
    # core called without the data's device.
    data = make_csbm(num_nodes=300, num_classes=3, num_features=8,
                     avg_degree=8, homophily=0.9, seed=0)
    extras = dict(reliable_sampling=True, rs_start_epoch=1, adversarial=True,
                  adv_steps=1, adv_fraction=0.5, label_propagation=True)
    recorder = DeviceLessFactories()
    for student, setting, more in (
            ('rbm', 'inductive', dict(positional_encoding=True, pe_dim=4)),
            ('moe', 'transductive', {}), ('mlp', 'production', {})):
        config = merge_config(
            DistillConfig(dataset='csbm', setting=setting, device='cpu'),
            dict(teacher=dict(hidden_channels=16, epochs=10),
                 student=dict(name=student, hidden_channels=16,
                              num_experts=3, k=2),
                 train=dict(epochs=3, pretrain_epochs=2, batch_size=64),
                 extras=dict(extras, **more)))
        with recorder:
            run = prepare_teacher(config, 0, data, progress=False)
            distill_student(run, progress=False)
    assert not recorder.calls, '\n'.join(recorder.calls)


def test_serving_creates_every_tensor_on_the_data_device():
    data = make_csbm(num_nodes=200, num_classes=3, num_features=8,
                     avg_degree=6, homophily=0.9, seed=0)
    teacher = build_teacher('sage', 8, 16, 3, num_layers=2)
    nodes = torch.tensor([4, 0, 4, 199])
    with DeviceLessFactories() as recorder:
        server = TeacherServer(teacher, data.x, data.edge_index)
        assert server.predict(nodes).shape == (4, 3)
        sub = neighborhood_subgraph(data, nodes, num_hops=2)
    assert sub.train_mask[:sub.num_seed_nodes].equal(data.train_mask[
        sub.node_id[:sub.num_seed_nodes]])
    assert not recorder.calls, '\n'.join(recorder.calls)
