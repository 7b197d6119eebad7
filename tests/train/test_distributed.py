"""Data-parallel training on two gloo processes against one process."""
import os

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch_geometric.data import Data

from pyg_rbm import distributed
from pyg_rbm.distributed import shutdown
from pyg_rbm.nn import MLPStudent, MoE, RbM
from pyg_rbm.train import (
    AdversarialAugmentation,
    DistillationObjective,
    ReliableNeighbours,
    StudentTrainer,
)
from pyg_rbm.train.extras import ReliableSampler

NUM_NODES, NUM_CLASSES = 240, 3


def _data() -> Data:
    g = torch.Generator().manual_seed(0)
    y = torch.arange(NUM_NODES) % NUM_CLASSES
    x = 2.0 * torch.eye(NUM_CLASSES, 8)[y] + torch.randn(NUM_NODES, 8,
                                                         generator=g)
    perm = torch.randperm(NUM_NODES, generator=g)
    masks = [torch.zeros(NUM_NODES, dtype=torch.bool) for _ in range(3)]
    masks[0][perm[:37]] = True
    masks[1][perm[37:100]] = True
    masks[2][perm[100:]] = True
    teacher = (3.0 * torch.nn.functional.one_hot(y, NUM_CLASSES) +
               torch.randn(NUM_NODES, NUM_CLASSES, generator=g))
    edge_index = torch.randint(NUM_NODES, (2, 600), generator=g)
    return Data(x=x, y=y, train_mask=masks[0], val_mask=masks[1],
                test_mask=masks[2], teacher_logits=teacher,
                edge_index=edge_index, num_nodes=NUM_NODES)


def _student(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    if name == 'mlp':
        return MLPStudent(8, 16, NUM_CLASSES, num_layers=2, dropout=0.0)
    if name == 'moe':
        return MoE(8, 16, NUM_CLASSES, num_layers=2, num_experts=4, k=2,
                   dropout=0.0, noise_std=0.0)
    # 'rbm-no-similarity': routed steps leave the memory keys without a
    # gradient too.
    return RbM(8, 16, NUM_CLASSES, num_layers=2, num_experts=4, k=2,
               dropout=0.0,
               similarity_weight=0.0 if name == 'rbm-no-similarity' else 0.01)


def _train(name: str, reliable: bool = False) -> dict:
    data = _data()
    model = _student(name)
    extras = []
    if reliable:
        g = torch.Generator().manual_seed(1)
        noisy = data.teacher_logits + torch.randn(data.teacher_logits.shape,
                                                  generator=g)
        extras.append(
            ReliableNeighbours(
                ReliableSampler(edge_index=data.edge_index,
                                teacher_logits=data.teacher_logits,
                                noisy_teacher_logits=noisy, seed=0),
                start_epoch=1))
    # Batches of 61 nodes: shares of 31 and 30 nodes, and of 29 and 28 in
    # the last batch, with different numbers of labelled nodes.
    trainer = StudentTrainer(model, DistillationObjective(lam=0.3, tau=2.0),
                             extras, epochs=4, pretrain_epochs=2,
                             patience=None, batch_size=61, seed=3,
                             progress=False)
    # Whether DistributedDataParallel looks for unused parameters, per
    # epoch (a cost of every step, needed only in RbM's pretraining).
    unused = []
    trainer.callbacks.append(lambda record: unused.append(getattr(
        trainer._train_module, 'find_unused_parameters', None)))
    result = trainer.fit(data)
    return dict(state={k: v.clone()
                       for k, v in model.state_dict().items()},
                best_epoch=result.best_epoch,
                losses=[r.loss for r in result.history],
                val=[r.metrics['val'] for r in result.history],
                load=[r.extra.get('expert_load') for r in result.history],
                unused=unused)


def _worker(rank: int, world_size: int, init_file: str, out: str,
            name: str, reliable: bool) -> None:
    torch.set_num_threads(1)
    dist.init_process_group('gloo', init_method=f'file://{init_file}',
                            rank=rank, world_size=world_size)
    try:
        torch.save(_train(name, reliable), os.path.join(out, f'{rank}.pt'))
        try:
            StudentTrainer(_student(name), extras=[AdversarialAugmentation()])
        except ValueError as error:
            torch.save(str(error), os.path.join(out, f'error{rank}.pt'))
    finally:
        shutdown()  # (after the trainer's DistributedDataParallel is gone)


def _two_processes(tmp_path, name: str, reliable: bool = False):
    mp.spawn(_worker, args=(2, str(tmp_path / 'init'), str(tmp_path), name,
                            reliable), nprocs=2)
    return [torch.load(tmp_path / f'{rank}.pt') for rank in range(2)]


@pytest.mark.parametrize('name,reliable', [('rbm', False), ('moe', False),
                                           ('mlp', False), ('rbm', True),
                                           ('rbm-no-similarity', False)])
def test_two_processes_train_as_one(tmp_path, name, reliable):
    torch.set_num_threads(1)
    single = _train(name, reliable)
    ranks = _two_processes(tmp_path, name, reliable)
    pretraining = 2 if name.startswith('rbm') else 0
    routed_unused = name == 'rbm-no-similarity'
    assert single['unused'] == [None] * (pretraining + 4)
    for rank in ranks:
        assert rank['unused'] == ([True] * pretraining +
                                  [routed_unused] * 4)
        assert rank['best_epoch'] == single['best_epoch']
        assert rank['val'] == single['val']
        assert rank['losses'] == pytest.approx(single['losses'], rel=1e-5)
        # Expert shares of all nodes, summed over the processes' shares.
        assert rank['load'] == single['load']
        for key, value in single['state'].items():
            torch.testing.assert_close(rank['state'][key], value, rtol=0,
                                       atol=1e-5, msg=key)
    # The processes hold one model: bit for bit, memory keys included.
    for key, value in ranks[0]['state'].items():
        assert torch.equal(ranks[1]['state'][key], value), key
    if name.startswith('rbm'):
        memory = [k for k in single['state'] if k.endswith('memory')]
        assert len(memory) == 2
        # The memory moved away from its k-means start during training.
        assert not torch.equal(single['state'][memory[0]],
                               _student(name).state_dict()[memory[0]])
    error = torch.load(tmp_path / 'error0.pt')
    assert "'AdversarialAugmentation' cannot train on several processes" \
        in error


def _count_epochs(num_layers: int, calls: list) -> list:
    # Collectives of each training epoch of RbM with `num_layers` layers.
    torch.manual_seed(0)
    model = RbM(8, 16, NUM_CLASSES, num_layers=num_layers, num_experts=4,
                k=2, dropout=0.0)
    trainer = StudentTrainer(model, DistillationObjective(lam=0.3, tau=2.0),
                             epochs=2, pretrain_epochs=1, patience=None,
                             batch_size=61, seed=3, progress=False)
    train_epoch, counts = trainer._train_epoch, []

    def counted(epoch, data):
        calls.append(0)
        out = train_epoch(epoch, data)
        counts.append(calls.pop())
        return out

    trainer._train_epoch = counted
    trainer.fit(_data())
    return counts


def _count_worker(rank: int, init_file: str, out: str, wait: str) -> None:
    os.environ['PYG_RBM_COLLECTIVE_WAIT'] = wait
    torch.set_num_threads(1)
    dist.init_process_group('gloo', init_method=f'file://{init_file}',
                            rank=rank, world_size=2)
    calls: list = []
    all_reduce = dist.all_reduce

    def counting(*args, **kwargs):
        if calls:
            calls[-1] += 1
        return all_reduce(*args, **kwargs)

    try:
        dist.all_reduce = counting
        # (Each trainer, and its DistributedDataParallel, is gone before
        # the process group.)
        counts = {n: _count_epochs(n, calls) for n in (2, 4)}
    finally:
        dist.all_reduce = all_reduce
        shutdown()
    torch.save(counts, os.path.join(out, f'counts{rank}.pt'))


@pytest.mark.parametrize('wait', ['poll', 'block'])
def test_collectives_per_step_do_not_grow_with_depth(tmp_path, wait):
    # Each collective makes every process wait for the slowest; RbM sums
    # the auxiliary losses and the memory statistics of all its layers in
    # one collective, and the objective needs none (each process knows the
    # whole batch's counts). Per step (4 of 61, 61, 61 and 57 nodes an
    # epoch): RbM's sums when routed (their backward needs none: every
    # process computes the same loss of the sums) and, when polled,
    # DistributedDataParallel's gradients (its own all-reduce bypasses
    # `all_reduce`); one more an epoch for the loss.
    mp.spawn(_count_worker, args=(str(tmp_path / 'init'), str(tmp_path),
                                  wait), nprocs=2)
    polled = wait == 'poll'
    pretraining, routed = 4 * polled + 1, 4 * (1 + polled) + 1
    for rank in range(2):
        counts = torch.load(tmp_path / f'counts{rank}.pt')
        assert counts == {2: [pretraining, routed, routed],
                          4: [pretraining, routed, routed]}


def _wait_worker(rank: int, init_file: str, out: str) -> None:
    dist.init_process_group('gloo', init_method=f'file://{init_file}',
                            rank=rank, world_size=2)
    try:
        polls = distributed.polls_collectives()
        total = distributed.all_reduce(torch.tensor([rank + 1.0, 10.0]))
        parts = distributed.gather_shards(
            distributed.shard(torch.arange(7.0)), 7)
        os.environ['PYG_RBM_COLLECTIVE_WAIT'] = 'block'
        blocks = not distributed.polls_collectives()
    finally:
        shutdown()
    torch.save(dict(polls=polls, total=total, parts=parts, blocks=blocks),
               os.path.join(out, f'wait{rank}.pt'))


def test_collectives_are_polled_on_gloo(tmp_path):
    mp.spawn(_wait_worker, args=(str(tmp_path / 'init'), str(tmp_path)),
             nprocs=2)
    for rank in range(2):
        result = torch.load(tmp_path / f'wait{rank}.pt')
        assert result['polls'] and result['blocks']
        assert result['total'].tolist() == [3.0, 20.0]
        assert result['parts'].tolist() == list(range(7))


@pytest.mark.parametrize('num_rows,size', [(7, 2), (8, 2), (2, 3), (10, 4)])
def test_shard_range_splits_as_tensor_split(monkeypatch, num_rows, size):
    parts = torch.arange(num_rows).tensor_split(size)
    monkeypatch.setattr(distributed, 'world_size', lambda: size)
    for index in range(size):
        monkeypatch.setattr(distributed, 'rank', lambda: index)
        start, end = distributed.shard_range(num_rows)
        assert torch.arange(num_rows)[start:end].tolist() == \
            parts[index].tolist()


def test_collective_wait_must_be_known(monkeypatch):
    monkeypatch.setenv('PYG_RBM_COLLECTIVE_WAIT', 'spin')
    with pytest.raises(ValueError, match="'PYG_RBM_COLLECTIVE_WAIT' must "
                       "be one of"):
        distributed.polls_collectives()
    # The command line's entry refuses it before joining any group:
    monkeypatch.setenv('WORLD_SIZE', '2')
    with pytest.raises(ValueError, match="'PYG_RBM_COLLECTIVE_WAIT'"):
        distributed.init_from_env(torch.device('cpu'))
    assert not dist.is_initialized()
    monkeypatch.setenv('PYG_RBM_COLLECTIVE_WAIT', 'block')
    assert distributed.collective_wait() == 'block'


def test_buffers_are_broadcast_only_for_running_statistics():
    from torch_geometric.nn.norm import InstanceNorm

    from pyg_rbm.train.data_parallel import keeps_running_statistics

    # RbM's only buffer changes at the routing switch (broadcast there):
    assert not keeps_running_statistics(_student('rbm'))
    assert not keeps_running_statistics(
        MLPStudent(8, 16, NUM_CLASSES, num_layers=2, norm='layer'))
    batch = MLPStudent(8, 16, NUM_CLASSES, num_layers=2, norm='batch')
    assert keeps_running_statistics(batch)
    # SyncBatchNorm's statistics are the whole batch's on every process:
    assert not keeps_running_statistics(
        torch.nn.SyncBatchNorm.convert_sync_batchnorm(batch))
    assert keeps_running_statistics(
        torch.nn.Sequential(InstanceNorm(16, track_running_stats=True)))


def _launched(tag: str) -> tuple:
    return (os.environ['RANK'], os.environ['WORLD_SIZE'],
            os.environ['LOCAL_WORLD_SIZE'], tag, torch.get_num_threads())


def test_launch_starts_the_processes_and_returns_rank_0s_value(
        monkeypatch):
    # The processes share the launching one's threads.
    monkeypatch.setattr(torch, 'get_num_threads', lambda: 4)
    assert distributed.launch(2, _launched, 'x') == ('0', '2', '2', 'x', 2)
    with pytest.raises(ValueError, match="'num_processes' must be positive"):
        distributed.launch(0, _launched, 'x')


def _in_turn(log: str) -> None:
    import time
    distributed.init_from_env(torch.device('cpu'))
    rank = distributed.rank()
    with distributed.main_process_first():
        with open(log, 'a') as f:
            f.write(f'{rank} in\n')
        if rank == 0:
            time.sleep(0.5)  # (long enough for rank 1 to come in)
        with open(log, 'a') as f:
            f.write(f'{rank} out\n')
    shutdown()


def test_main_process_runs_the_block_first(tmp_path):
    log = str(tmp_path / 'log')
    distributed.launch(2, _in_turn, log)
    with open(log) as f:
        assert f.read().split('\n') == ['0 in', '0 out', '1 in', '1 out', '']
    # Outside a multi-process run, the block just runs.
    with distributed.main_process_first():
        ran = True
    assert ran and not distributed.launched()
