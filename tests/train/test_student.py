import sys

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Data

from pyg_rbm.nn import MLPStudent, RbM
from pyg_rbm.train import (
    AdversarialAugmentation,
    DistillationObjective,
    ReliableNeighbours,
    SimilarityDistillation,
    StudentTrainer,
)
from pyg_rbm.train.loss import kd_loss


def _data(num_nodes=240, num_classes=3, seed=0):
    """Three separable Gaussian blobs and a teacher that knows the labels."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(num_nodes) % num_classes
    means = 3.0 * torch.eye(num_classes, 8)
    x = means[y] + torch.randn(num_nodes, 8, generator=g)
    perm = torch.randperm(num_nodes, generator=g)
    masks = [torch.zeros(num_nodes, dtype=torch.bool) for _ in range(3)]
    masks[0][perm[:30]] = True
    masks[1][perm[30:90]] = True
    masks[2][perm[90:]] = True
    teacher = 4.0 * torch.nn.functional.one_hot(y, num_classes).float()
    return Data(x=x, y=y, train_mask=masks[0], val_mask=masks[1],
                test_mask=masks[2], teacher_logits=teacher,
                num_nodes=num_nodes)


def _rbm():
    torch.manual_seed(0)
    return RbM(8, 16, 3, num_layers=2, num_experts=3, k=2, dropout=0.1)


def test_rbm_student_learns_and_switches_phase():
    data = _data()
    model = _rbm()
    phases = []
    trainer = StudentTrainer(model, DistillationObjective(lam=0.2, tau=1.0),
                             epochs=15, pretrain_epochs=3, batch_size=64,
                             seed=0,
                             callbacks=[lambda r: phases.append(r.phase)],
                             progress=False)
    result = trainer.fit(data)
    assert phases[:3] == ['pretrain'] * 3 and phases[3] == 'route'
    assert not model.in_pretraining
    assert result.best_epoch >= 3  # pretraining epochs are not selected
    assert result.best_metrics['test'] > 0.85


def test_memory_updates_once_per_optimizer_step(monkeypatch):
    data = _data()
    model = _rbm()
    calls = []
    original = model.update_memory
    monkeypatch.setattr(model, 'update_memory',
                        lambda: calls.append(1) or original())
    trainer = StudentTrainer(model, epochs=2, pretrain_epochs=1,
                             batch_size=100, progress=False,
                             extras=[AdversarialAugmentation(epsilon=0.1,
                                                             steps=2)])
    steps = []
    opt_step = trainer.optimizer.step
    monkeypatch.setattr(trainer.optimizer, 'step',
                        lambda *a, **k: steps.append(1) or opt_step(*a, **k))
    trainer.fit(data)
    assert len(calls) == len(steps) == 3 * 3  # 3 epochs x 3 batches


def test_epoch_reads_the_loss_on_the_host_once(monkeypatch):
    # Each step's loss stays on the data's device (on a GPU, a host read
    # per step would wait for every step to finish); the epoch's mean is
    # read once, and equals the pair-weighted mean of the step losses.
    data = _data()
    trainer = StudentTrainer(_rbm(), DistillationObjective(lam=0.2),
                             epochs=1, pretrain_epochs=0, batch_size=64,
                             progress=False)
    reads, losses = [], []
    batch_loss = trainer._batch_loss

    def recorded(*args):
        loss = batch_loss(*args)
        losses.append((loss.item(), args[3].numel()))
        return loss

    monkeypatch.setattr(trainer, '_batch_loss', recorded)
    for name in ('__float__', 'item', 'tolist'):
        method = getattr(torch.Tensor, name)
        monkeypatch.setattr(
            torch.Tensor, name, lambda t, method=method: reads.append(
                sys._getframe(1).f_code.co_name) or method(t))
    mean = trainer._train_epoch(0, data)
    monkeypatch.undo()
    assert len(losses) == 4  # 240 nodes in batches of 64
    assert reads.count('_train_epoch') == 1
    expected = sum(loss * n for loss, n in losses) / sum(n for _, n in losses)
    assert mean == pytest.approx(expected, rel=1e-12)


def test_resume_equals_uninterrupted_run(tmp_path):
    data = _data()
    kwargs = dict(objective=DistillationObjective(lam=0.2), epochs=8,
                  pretrain_epochs=2, batch_size=64,
                  patience=None, seed=1, progress=False)
    model = _rbm()
    full = StudentTrainer(model, **kwargs).fit(data)
    final = {k: v.clone() for k, v in model.state_dict().items()}

    path = str(tmp_path / 'student.pt')

    def crash(record):
        if record.epoch == 4:  # after the routing switch
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        StudentTrainer(_rbm(), checkpoint_path=path, callbacks=[crash],
                       **kwargs).fit(data)
    torch.manual_seed(99)
    model = RbM(8, 16, 3, num_layers=2, num_experts=3, k=2, dropout=0.1)
    resumed = StudentTrainer(model, checkpoint_path=path, resume=True,
                             **kwargs).fit(data)
    assert resumed.best_metrics == full.best_metrics
    assert resumed.best_epoch == full.best_epoch
    for key, value in model.state_dict().items():
        assert torch.equal(value, final[key]), key
    # Another learning rate or other data cannot resume it silently.
    with pytest.raises(ValueError, match=r"'.*student.pt' belongs to "
                       r"another run \(optimizer differ\)"):
        StudentTrainer(_rbm(), checkpoint_path=path, resume=True,
                       **dict(kwargs, lr=0.5)).fit(data)
    other = _data(seed=3)
    with pytest.raises(ValueError, match=r"\(data differ\)"):
        StudentTrainer(_rbm(), checkpoint_path=path, resume=True,
                       **kwargs).fit(other)
    with open(path, 'wb') as f:
        f.write(b'broken')
    with pytest.raises(ValueError, match="'.*student.pt' cannot be read"):
        StudentTrainer(_rbm(), checkpoint_path=path, resume=True,
                       **kwargs).fit(data)


def _expected_lrs(history, start, lr, patience, factor):
    # The learning rate of each epoch after the rule, replayed by hand: it
    # drops after more than `patience` selectable epochs without a higher
    # validation accuracy, and the count starts again.
    best, bad, lrs = -1.0, 0, []
    for record in history:
        lrs.append(lr)
        if record.epoch < start:
            continue
        if record.metrics['val'] > best:
            best, bad = record.metrics['val'], 0
        else:
            bad += 1
        if bad > patience:
            lr, bad = lr * factor, 0
    return lrs


def test_lr_decay_after_epochs_without_better_validation():
    data = _data()
    lrs = []
    trainer = StudentTrainer(_rbm(), epochs=30, pretrain_epochs=4,
                             batch_size=64, patience=None, lr=0.04,
                             lr_decay_patience=2, lr_decay_factor=0.25,
                             progress=False)
    # The rate each epoch ran at, read before the decay of its end.
    trainer.callbacks.insert(0, lambda r: lrs.append(
        trainer.optimizer.param_groups[0]['lr']))
    result = trainer.fit(data)
    expected = _expected_lrs(result.history, 4, 0.04, 2, 0.25)
    assert lrs == pytest.approx(expected)
    assert min(lrs) < 0.04  # the rule fired in this run
    assert lrs[:5] == [0.04] * 5  # pretraining epochs do not count


def resume_after_crash(data, kwargs, path, crash_epoch, checkpoint_every):
    """A run of :obj:`kwargs`, and the same run stopped after epoch
    :obj:`crash_epoch` and resumed from its checkpoints: the full run's
    result and final state, the resumed trainer and its result."""
    model = _rbm()
    full = StudentTrainer(model, **kwargs).fit(data)
    final = {k: v.clone() for k, v in model.state_dict().items()}

    def crash(record):
        if record.epoch == crash_epoch:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        StudentTrainer(_rbm(), checkpoint_path=path,
                       checkpoint_every=checkpoint_every, callbacks=[crash],
                       **kwargs).fit(data)
    resumed = StudentTrainer(_rbm(), checkpoint_path=path, resume=True,
                             **kwargs)
    return full, final, resumed, resumed.fit(data)


def test_resume_with_lr_decay_equals_uninterrupted_run(tmp_path):
    data = _data()
    kwargs = dict(epochs=14, pretrain_epochs=2, batch_size=64,
                  patience=None, lr=0.04, lr_decay_patience=1, seed=1,
                  progress=False)
    path = str(tmp_path / 'student.pt')
    full, final, resumed, result = resume_after_crash(data, kwargs, path,
                                                      crash_epoch=9,
                                                      checkpoint_every=3)
    assert result.best_epoch == full.best_epoch
    assert resumed.optimizer.param_groups[0]['lr'] < 0.04
    for key, value in resumed.model.state_dict().items():
        assert torch.equal(value, final[key]), key
    with pytest.raises(ValueError, match=r"\(lr_decay differ\)"):
        StudentTrainer(_rbm(), checkpoint_path=path, resume=True,
                       **dict(kwargs, lr_decay_patience=3)).fit(data)


def test_mlp_without_teacher_uses_labelled_nodes_only():
    data = _data()
    data.teacher_logits = torch.zeros_like(data.teacher_logits)
    torch.manual_seed(0)
    model = MLPStudent(8, 16, 3, num_layers=2)
    result = StudentTrainer(model, DistillationObjective(lam=1.0), epochs=30,
                            progress=False).fit(data)
    assert result.best_metrics['test'] > 0.85


def test_trainer_errors():
    data = _data()
    with pytest.raises(ValueError, match='kd_variant'):
        DistillationObjective(kd_variant='x')
    with pytest.raises(ValueError, match='lam'):
        DistillationObjective(lam=1.5)
    del data.teacher_logits
    with pytest.raises(ValueError, match='KnowledgeDistillation'):
        StudentTrainer(_rbm(), progress=False).fit(data)
    data = _data()
    data.x[0, 0] = float('nan')
    with pytest.raises(ValueError, match="'data.x' holds NaN or infinite"):
        StudentTrainer(_rbm(), progress=False).fit(data)
    data = _data()
    data.y[data.train_mask.nonzero()[0]] = 7
    with pytest.raises(ValueError, match='labels'):
        StudentTrainer(_rbm(), progress=False).fit(data)
    data = _data()
    data.x = data.x[:, :5]
    with pytest.raises(ValueError, match='features'):
        StudentTrainer(_rbm(), progress=False).fit(data)
    with pytest.raises(TypeError, match="'eps'"):
        AdversarialAugmentation(eps=0.1)
    with pytest.raises(ValueError, match="'extras' may hold"):
        StudentTrainer(_rbm(), extras=[dict(epsilon=0.1)])
    with pytest.raises(ValueError, match="two 'SimilarityDistillation'"):
        StudentTrainer(_rbm(), extras=[SimilarityDistillation()] * 2)
    with pytest.raises(ValueError, match="'objective' must be"):
        StudentTrainer(_rbm(), objective=dict(lam=0.5))
    for bad in (dict(epsilon=-0.1), dict(steps=float('nan')),
                dict(step_size='0.1'), dict(weight=True),
                dict(fraction=0.0), dict(fraction=1.5)):
        key = next(iter(bad))
        with pytest.raises(ValueError, match=f"'{key}'"):
            AdversarialAugmentation(**bad)
    StudentTrainer(_rbm(), extras=[AdversarialAugmentation(step_size=None)],
                   progress=False)
    for bad in (dict(lr_decay_patience=-1), dict(lr_decay_factor=1.0)):
        with pytest.raises(ValueError, match="'lr_decay_patience' must be"):
            StudentTrainer(_rbm(), **bad)


class _FixedSampler:
    def __init__(self, edge_index):
        self.edge_index = edge_index

    def sample(self, generator=None):
        return self.edge_index


def test_neighbour_pairs_ride_with_their_source_node():
    data = _data(num_nodes=10)
    edges = torch.tensor([[0, 0, 3, 9], [1, 5, 4, 2]])
    trainer = StudentTrainer(MLPStudent(8, 4, 3),
                             DistillationObjective(lam=0.2),
                             [ReliableNeighbours(_FixedSampler(edges))],
                             batch_size=4, progress=False)
    batches = list(trainer._batches(data))
    seen = torch.cat([nodes for nodes, _, _, _ in batches])
    assert sorted(seen.tolist()) == list(range(10))  # each node once
    pairs = set()
    for nodes, src, dst, counts in batches:
        assert counts is None  # (one process)
        assert nodes.numel() <= 4
        # Self pairs first, then the kept edges leaving the batch's nodes:
        assert torch.equal(dst[:nodes.numel()], nodes)
        pairs |= set(zip(nodes[src].tolist(), dst.tolist()))
    expected = {(v, v) for v in range(10)} | set(zip(*edges.tolist()))
    assert pairs == expected


def _hand_case(*extras):
    """Six nodes, two neighbour pairs and an MLP without dropout, in one
    full batch."""
    data = _data(num_nodes=6)
    data.teacher_logits = torch.randn(6, 3, generator=torch.Generator()
                                      .manual_seed(0))
    torch.manual_seed(0)
    model = MLPStudent(8, 4, 3).eval()  # no dropout
    sampler = _FixedSampler(torch.tensor([[0, 2], [3, 5]]))
    trainer = StudentTrainer(model, DistillationObjective(lam=0.3, tau=2.0),
                             [ReliableNeighbours(sampler), *extras],
                             batch_size=None, progress=False)
    return data, model, trainer


def test_batch_loss_with_neighbour_pairs_by_hand():
    from pyg_rbm.train.loss import distillation_objective
    data, model, trainer = _hand_case()
    nodes, src, dst, _ = next(trainer._batches(data))
    loss = trainer._batch_loss(data.x, data, nodes, src, dst)

    out = model(data.x)
    u = torch.tensor([0, 1, 2, 3, 4, 5, 0, 2])
    v = torch.tensor([0, 1, 2, 3, 4, 5, 3, 5])
    labeled = (u == v) & data.train_mask[u]
    expected = distillation_objective(out[u], data.teacher_logits[v],
                                      data.y[v], labeled, 0.3, 2.0)
    assert torch.allclose(loss, expected, atol=1e-6)


def test_adversarial_fraction_by_hand():
    from pyg_rbm.train.loss import distillation_objective
    # With a zero radius the perturbed inputs are the inputs themselves.
    data, model, trainer = _hand_case(AdversarialAugmentation(
        epsilon=0.0, steps=0, weight=0.5, fraction=0.5))
    rows_seen = []
    model.register_forward_pre_hook(
        lambda module, inputs: rows_seen.append(inputs[0].size(0)))
    nodes, src, dst, _ = next(trainer._batches(data))
    state = trainer.generator.get_state()
    loss = trainer._batch_loss(data.x, data, nodes, src, dst)
    assert rows_seen == [6, 3]  # the batch, then half of it

    generator = torch.Generator()
    generator.set_state(state)
    rows = torch.randperm(6, generator=generator)[:3]
    out = model(data.x)
    u, v = nodes[src], dst
    labeled = (u == v) & data.train_mask[u]

    def objective(kept):
        return distillation_objective(out[u[kept]], data.teacher_logits[
            v[kept]], data.y[v[kept]], labeled[kept], 0.3, 2.0)

    subset = torch.isin(src, rows)  # pairs leaving the perturbed rows
    assert 0 < int(subset.sum()) < src.numel()
    expected = objective(torch.ones_like(subset)) + 0.5 * objective(subset)
    assert torch.allclose(loss, expected, atol=1e-6)
    assert not torch.allclose(
        loss, 1.5 * objective(torch.ones_like(subset)), atol=1e-4)


def test_epoch_step_sums_separate_label_and_kd_passes_by_hand():
    # optimizer_step='epoch' (the authors' loop): one step of the summed
    # losses of label batches over the training nodes and KD batches over
    # all nodes in node order, with a KD batch of one pair skipped.
    torch.manual_seed(0)
    x = torch.randn(5, 3)
    y = torch.tensor([0, 1, 1, 0, 1])
    train = torch.tensor([True, False, True, True, False])
    teacher = torch.randn(5, 2)
    data = Data(x=x, y=y, train_mask=train, val_mask=~train,
                teacher_logits=teacher)
    model = MLPStudent(3, 4, 2, num_layers=1)
    expected = MLPStudent(3, 4, 2, num_layers=1)
    expected.load_state_dict(model.state_dict())
    lam, tau = 0.3, 2.0

    loss = lam * F.cross_entropy(expected(x[[0, 2]]), y[[0, 2]])
    loss = loss + lam * F.cross_entropy(expected(x[[3]]), y[[3]])
    for rows in ([0, 1], [2, 3]):  # [4] alone is skipped
        loss = loss + (1 - lam) * kd_loss(expected(x[rows]), teacher[rows],
                                          tau, 'reference')
    loss.backward()

    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    trainer = StudentTrainer(model,
                             DistillationObjective(lam=lam, tau=tau,
                                                   kd_variant='reference'),
                             batch_size=2, optimizer=optimizer,
                             optimizer_step='epoch', progress=False)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    total = trainer._train_epoch(0, data)
    assert total == pytest.approx(float(loss.detach()), rel=1e-5)
    for name, param in expected.named_parameters():
        step = before[name] - model.state_dict()[name]
        assert torch.allclose(step, param.grad, atol=1e-6)


def test_epoch_step_moves_rbm_memory_in_every_forward(monkeypatch):
    data = _data()
    torch.manual_seed(0)
    model = RbM(8, 16, 3, num_layers=2, num_experts=3, k=2,
                memory_update='forward')
    trainer = StudentTrainer(model, epochs=1, pretrain_epochs=0,
                             batch_size=100, optimizer_step='epoch',
                             progress=False)
    steps = []
    opt_step = trainer.optimizer.step
    monkeypatch.setattr(trainer.optimizer, 'step',
                        lambda *a, **k: steps.append(1) or opt_step(*a, **k))
    memories = []
    original = model.layers[0]._apply_memory_update
    monkeypatch.setattr(
        model.layers[0], '_apply_memory_update',
        lambda *a: memories.append(1) or original(*a))
    trainer.fit(data)
    # One step; forwards: 1 label batch (30 nodes) + 3 KD batches (240).
    assert len(steps) == 1 and len(memories) == 4


class _ScriptedTrainer(StudentTrainer):
    # Validation scores set by hand: the best one falls in pretraining.
    scores = [0.2, 0.9, 0.3, 0.5, 0.5, 0.4, 0.4, 0.4]

    def _evaluate(self, data, held_out_x, held_out_y):
        score = self.scores[len(self.seen)]
        self.seen.append(self.model.in_pretraining)
        return dict(train=score, val=score, test=score)


@pytest.mark.parametrize('select_pretraining,ties,best_epoch,epochs_run', [
    (False, 'first', 3, 7),
    (False, 'last', 4, 8),
    (True, 'first', 1, 5),
])
def test_select_pretraining_and_ties(select_pretraining, ties, best_epoch,
                                     epochs_run):
    model = _rbm()
    trainer = _ScriptedTrainer(model, epochs=5, pretrain_epochs=3,
                               patience=3, batch_size=100,
                               select_pretraining=select_pretraining,
                               ties=ties, progress=False)
    trainer.seen = []
    result = trainer.fit(_data())
    assert result.best_epoch == best_epoch
    # Restoring a pretraining epoch returns the model to pretraining.
    assert model.in_pretraining == (best_epoch < 3)
    # Patience counts from the first selectable epoch; a tie resets it
    # when the last tied epoch is kept.
    assert len(trainer.seen) == epochs_run


def test_epoch_step_errors():
    with pytest.raises(ValueError, match="'optimizer_step' must be one of"):
        StudentTrainer(_rbm(), optimizer_step='node')
    with pytest.raises(ValueError, match="'ties' must be one of"):
        StudentTrainer(_rbm(), ties='best')
    with pytest.raises(ValueError,
                       match="'AdversarialAugmentation.fraction' < 1"):
        StudentTrainer(_rbm(), optimizer_step='epoch',
                       extras=[AdversarialAugmentation(fraction=0.5)])
