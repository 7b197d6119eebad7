import time

import pytest
import torch

from pyg_rbm.train.early_stopping import EarlyStopping
from pyg_rbm.train.loop import fit


def test_early_stopping_selects_first_best_and_stops():
    model = torch.nn.Linear(1, 1)
    stopper = EarlyStopping(patience=2, start_epoch=1)
    scores = [0.9, 0.5, 0.7, 0.7, 0.6]
    stops = [stopper.step(e, s, model) for e, s in enumerate(scores)]
    # epoch 0 is before start_epoch; 0.7 at epoch 2 is the first best.
    assert stopper.best_epoch == 2 and stopper.best_score == 0.7
    assert stops == [False, False, False, False, True]
    with pytest.raises(ValueError, match='patience'):
        EarlyStopping(patience=0)


def test_early_stopping_keeps_the_last_of_tied_epochs():
    # The RbM authors' rule: a tie resets the patience and moves the best.
    model = torch.nn.Linear(1, 1)
    stopper = EarlyStopping(patience=2, ties='last')
    scores = [0.5, 0.7, 0.6, 0.7, 0.6, 0.6]
    stops = [stopper.step(e, s, model) for e, s in enumerate(scores)]
    assert stopper.best_epoch == 3 and stopper.best_score == 0.7
    assert stops == [False] * 5 + [True]
    assert repr(stopper) == ("EarlyStopping(patience=2, start_epoch=0, "
                             "ties='last', mode='max')")
    with pytest.raises(ValueError, match="'ties' must be one of"):
        EarlyStopping(ties='middle')


@pytest.mark.parametrize('ties, best_epoch', [('first', 1), ('last', 3)])
def test_early_stopping_on_a_loss_keeps_the_lowest(ties, best_epoch):
    model = torch.nn.Linear(1, 1)
    stopper = EarlyStopping(patience=2, ties=ties, mode='min')
    losses = [0.9, 0.4, 0.6, 0.4, 0.5, 0.7]
    stops = [stopper.step(e, s, model) for e, s in enumerate(losses)]
    assert stopper.best_epoch == best_epoch and stopper.best_score == 0.4
    assert stops.index(True) == best_epoch + 2
    with pytest.raises(ValueError, match="'mode' must be one of"):
        EarlyStopping(mode='lowest')


def _problem(seed=0):
    x = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long()
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Dropout(0.2),
                                torch.nn.ReLU(), torch.nn.Linear(16, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    gen = torch.Generator().manual_seed(seed)

    def train_epoch(epoch):
        model.train()
        total = 0.0
        for idx in torch.randperm(48, generator=gen).split(16):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += float(loss.detach())
        return total

    @torch.no_grad()
    def evaluate():
        model.eval()
        pred = model(x).argmax(-1)
        return dict(val=float((pred[48:56] == y[48:56]).float().mean()),
                    test=float((pred[56:] == y[56:]).float().mean()))

    return model, opt, gen, train_epoch, evaluate


def test_fit_restores_best_state_and_reports_its_metrics():
    model, opt, gen, train_epoch, evaluate = _problem()
    result = fit(model, opt, train_epoch, evaluate, epochs=30, patience=10,
                 generator=gen, progress=False)
    best = max(r.metrics['val'] for r in result.history)
    first = next(r for r in result.history if r.metrics['val'] == best)
    assert result.best_epoch == first.epoch
    assert result.best_metrics == first.metrics
    assert evaluate() == first.metrics  # the best state is back in place


def test_resume_reaches_the_same_result(tmp_path):
    path = str(tmp_path / 'ckpt.pt')
    model, opt, gen, train_epoch, evaluate = _problem()
    full = fit(model, opt, train_epoch, evaluate, epochs=12, patience=None,
               generator=gen, progress=False)
    full_state = {k: v.clone() for k, v in model.state_dict().items()}

    model, opt, gen, train_epoch, evaluate = _problem()

    def crash(record):
        if record.epoch == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(model, opt, train_epoch, evaluate, epochs=12, patience=None,
            generator=gen, checkpoint_path=path, callbacks=[crash],
            progress=False)
    # A fresh process: other initial weights, generator and RNG states.
    model, opt, gen, train_epoch, evaluate = _problem(seed=7)
    resumed = fit(model, opt, train_epoch, evaluate, epochs=12,
                  patience=None, generator=gen, checkpoint_path=path,
                  resume=True, progress=False)
    assert resumed.best_epoch == full.best_epoch
    assert resumed.best_metrics == full.best_metrics
    assert [r.loss for r in resumed.history] == pytest.approx(
        [r.loss for r in full.history])
    for key, value in model.state_dict().items():
        assert torch.equal(value, full_state[key]), key


def test_fit_result_and_seed_result_print_percentages():
    from pyg_rbm.train.loop import FitResult
    from pyg_rbm.train.pipeline import SeedResult
    result = FitResult(4, dict(val=0.794, test=0.8), history=[None] * 9)
    assert str(result) == 'best epoch 4 of 9: val 79.40%, test 80.00%'
    result = FitResult(1, dict(val=0.5, val_loss=0.91234), history=[None])
    assert str(result) == 'best epoch 1 of 1: val 50.00%, val_loss 0.9123'
    seed = SeedResult(2, 'inductive', dict(val=0.5), dict(inductive=0.25),
                      mlp=dict(val=0.125))
    assert str(seed) == ('seed 2 (inductive): teacher val 50.00%; student '
                         'inductive 25.00%; MLP without teacher val 12.50%')


def test_time_inference_repeats_a_slow_call_once():
    from pyg_rbm.train.evaluate import time_inference
    calls = []

    def call(seconds):
        def fn():
            calls.append(seconds)
            time.sleep(seconds)
        return fn

    time_inference(call(0.0), repeats=3)
    assert len(calls) == 4  # a warm-up and 3 timed calls
    calls.clear()
    time_inference(call(0.03), repeats=3, long_s=0.01)
    assert len(calls) == 2  # a warm-up and 1 timed call
