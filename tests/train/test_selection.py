import pytest
import torch

from pyg_rbm.train import StudentTrainer, WeightAverage

from .test_student import _data, _rbm, resume_after_crash


def test_weight_average_of_parameters_and_buffers():
    model = torch.nn.Sequential(torch.nn.Linear(2, 1),
                                torch.nn.BatchNorm1d(1))
    average = WeightAverage(model, decay=0.75)
    assert average.module is model  # before the first update
    weights = [1.0, 5.0, -3.0]
    for value in weights:
        with torch.no_grad():
            model[0].weight.fill_(value)
            model[1].running_mean.fill_(2 * value)
        average.update()
    # 1 -> 0.75 * 1 + 0.25 * 5 = 2 -> 0.75 * 2 + 0.25 * (-3) = 0.75
    assert average.module is not model
    assert torch.allclose(average.module[0].weight, torch.full((1, 2), 0.75))
    assert torch.allclose(average.module[1].running_mean,
                          torch.tensor([1.5]))
    assert model[0].weight[0, 0].item() == -3.0  # the model is untouched

    restored = WeightAverage(model, decay=0.75)
    restored.load_state_dict(average.state_dict())
    assert torch.equal(restored.module[0].weight, average.module[0].weight)
    average.reset()
    assert average.module is model and average.state_dict() == {}
    average.update()  # starts again from the current weights
    assert torch.equal(average.module[0].weight, model[0].weight)
    for bad in (0.0, 1.0, -0.5):
        with pytest.raises(ValueError, match="'decay' must be in"):
            WeightAverage(model, decay=bad)


def test_trainer_selects_and_restores_the_average():
    data = _data()
    model = _rbm()
    decay, pretrain = 0.8, 3
    raw = {}

    def keep(record):  # the weights as trained after each epoch
        raw[record.epoch] = {k: v.clone()
                             for k, v in model.state_dict().items()}

    trainer = StudentTrainer(model, epochs=8, pretrain_epochs=pretrain,
                             batch_size=64, patience=None, lr=0.05,
                             weight_average=decay, callbacks=[keep],
                             ties='last', progress=False)
    result = trainer.fit(data)
    assert result.best_epoch > pretrain
    # By hand: the average from the first routed epoch to the selected one.
    expected = None
    for epoch in range(pretrain, result.best_epoch + 1):
        state = raw[epoch]
        expected = dict(state) if expected is None else {
            k: (decay * expected[k] + (1 - decay) * v
                if v.is_floating_point() else v)
            for k, v in state.items()
        }
    for key, value in model.state_dict().items():
        assert torch.allclose(value, expected[key], atol=1e-6), key
    # ... which differs from the weights as trained at that epoch.
    assert not torch.allclose(model.layers[0].experts.weight,
                              raw[result.best_epoch]
                              ['layers.0.experts.weight'])


def test_resume_with_weight_average_equals_uninterrupted_run(tmp_path):
    data = _data()
    kwargs = dict(epochs=6, pretrain_epochs=2, batch_size=64,
                  patience=None, lr=0.04, weight_average=0.9, seed=1,
                  progress=False)
    path = str(tmp_path / 'student.pt')
    full, final, resumed, result = resume_after_crash(data, kwargs, path,
                                                      crash_epoch=5,
                                                      checkpoint_every=2)
    assert result.best_epoch == full.best_epoch
    assert [r.metrics for r in result.history] == [
        r.metrics for r in full.history
    ]
    for key, value in resumed.model.state_dict().items():
        assert torch.equal(value, final[key]), key
    with pytest.raises(ValueError, match=r"\(weight_average differ\)"):
        StudentTrainer(_rbm(), checkpoint_path=path, resume=True,
                       **dict(kwargs, weight_average=0.5)).fit(data)


def test_weight_average_validation():
    for bad in (-0.1, 1.0):
        with pytest.raises(ValueError, match="'weight_average' must be in"):
            StudentTrainer(_rbm(), weight_average=bad)


def test_selection_on_validation_loss():
    data = _data()
    model = _rbm()
    trainer = StudentTrainer(model, epochs=8, pretrain_epochs=2,
                             batch_size=64, patience=None, lr=0.05,
                             selection='loss', progress=False)
    result = trainer.fit(data)
    routed = [r for r in result.history if r.epoch >= 2]
    losses = [r.metrics['val_loss'] for r in routed]
    # The first routed epoch of the lowest validation cross-entropy ...
    assert result.best_epoch == routed[losses.index(min(losses))].epoch
    # ... whose state is restored.
    model.eval()
    with torch.no_grad():
        out = model(data.x)
    expected = torch.nn.functional.cross_entropy(out[data.val_mask],
                                                 data.y[data.val_mask])
    assert float(expected) == pytest.approx(min(losses), rel=1e-5)
    with pytest.raises(ValueError, match="'selection' must be one of"):
        StudentTrainer(_rbm(), selection='val')


def test_loss_selection_enters_the_resume_fingerprint(tmp_path):
    data = _data()
    path = str(tmp_path / 'student.pt')
    kwargs = dict(epochs=3, pretrain_epochs=1, batch_size=64,
                  patience=None, progress=False, checkpoint_path=path)
    StudentTrainer(_rbm(), selection='loss', **kwargs).fit(data)
    with pytest.raises(ValueError, match=r"\(selection differ\)"):
        StudentTrainer(_rbm(), resume=True, **kwargs).fit(data)
