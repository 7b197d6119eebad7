import math

import pytest
import torch
from torch_geometric.graphgym.config import cfg, set_cfg
from torch_geometric.graphgym.loss import compute_loss

from pyg_rbm.graphgym import distill_loss


@pytest.fixture
def logits():
    pred = torch.tensor([[0.0, 0.0], [math.log(3.0), 0.0]])
    return pred, torch.tensor([0, 1])


def test_distill_loss_is_the_hard_label_cross_entropy(logits):
    set_cfg(cfg)
    cfg.model.loss_fun = 'distill'
    loss, score = distill_loss(*logits)
    # -(log 1/2 + log 1/4) / 2
    assert float(loss) == pytest.approx(1.5 * math.log(2.0))
    assert torch.allclose(score, torch.tensor([[0.5, 0.5], [0.75, 0.25]]))
    # GraphGym's dispatch finds it.
    loss2, score2 = compute_loss(*logits)
    assert float(loss2) == float(loss) and torch.equal(score2, score)
    cfg.model.size_average = 'sum'
    assert float(distill_loss(*logits)[0]) == pytest.approx(3 * math.log(2))


def test_distill_loss_leaves_other_losses_to_graphgym(logits):
    set_cfg(cfg)
    assert cfg.model.loss_fun == 'cross_entropy'
    assert distill_loss(*logits) is None
    loss, score = compute_loss(*logits)  # GraphGym's own NLL
    assert float(loss) == pytest.approx(1.5 * math.log(2.0))
    assert torch.allclose(score.exp(), torch.tensor([[0.5, 0.5],
                                                     [0.75, 0.25]]))
