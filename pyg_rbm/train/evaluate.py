"""Predictions, metrics and inference timing."""
import time
from typing import Callable, Dict, Optional

import torch
from torch import Tensor


@torch.no_grad()
def predict(model: torch.nn.Module, x: Tensor,
            batch_size: Optional[int] = None) -> Tensor:
    """Eval-mode logits of a graph-free model over all rows of :obj:`x`.

    Rows are processed in chunks of :obj:`batch_size` (all at once for
    :obj:`None`); the model's training flag is restored afterwards.
    """
    from pyg_rbm.nn.host_sync import allow_host_sync
    was_training = model.training
    model.eval()
    try:
        # An entry point: the students may count rows per expert and
        # non-zeros on the host (see pyg_rbm.nn.host_sync).
        with allow_host_sync():
            if batch_size is None or x.size(0) <= batch_size:
                return model(x)
            return torch.cat([model(chunk)
                              for chunk in x.split(batch_size)])
    finally:
        model.train(was_training)


def accuracy_metrics(
    logits: Tensor,
    y: Tensor,
    masks: Dict[str, Tensor],
    evaluator: Optional[Callable[[Tensor, Tensor], float]] = None,
) -> Dict[str, float]:
    """Accuracy (or :obj:`evaluator`'s metric) on each named node mask."""
    return prediction_metrics(logits.argmax(dim=-1), y, masks, evaluator)


def prediction_metrics(
    pred: Tensor,
    y: Tensor,
    masks: Dict[str, Tensor],
    evaluator: Optional[Callable[[Tensor, Tensor], float]] = None,
) -> Dict[str, float]:
    """Accuracy (or :obj:`evaluator`'s metric) of the predicted classes
    :obj:`pred` on each named node mask.
    """
    metrics = {}
    for name, mask in masks.items():
        if evaluator is not None:
            metrics[name] = float(evaluator(y[mask], pred[mask]))
        elif mask.any():
            metrics[name] = float((pred[mask] == y[mask]).float().mean())
        else:
            metrics[name] = 0.0
    return metrics


def ogb_metric(name: str) -> Callable[[Tensor, Tensor], float]:
    """The OGB evaluator of :obj:`name` as an :obj:`(y_true, y_pred)` call."""
    from ogb.nodeproppred import Evaluator
    evaluator = Evaluator(name)

    def metric(y_true: Tensor, y_pred: Tensor) -> float:
        result = evaluator.eval({
            'y_true': y_true.view(-1, 1),
            'y_pred': y_pred.view(-1, 1)
        })
        return float(result[evaluator.eval_metric])

    return metric


def time_inference(fn: Callable[[], Tensor], repeats: int = 5,
                   long_s: float = 1.0) -> float:
    """Median wall time in seconds of :obj:`fn` after one warm-up call;
    a call slower than :obj:`long_s` seconds (a large graph, whose timing
    varies little) is repeated once only.
    """
    with torch.inference_mode():
        t0 = time.perf_counter()
        fn()
        if time.perf_counter() - t0 > long_s:
            repeats = 1
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]
