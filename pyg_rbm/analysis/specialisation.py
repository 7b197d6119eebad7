"""Do a student's experts specialise? Routing statistics and a picture."""
from typing import Any, Dict, List, Optional, Sequence

import torch
from torch import Tensor

from pyg_rbm.analysis.routing import routing_choices, routing_statistics

__all__ = ['analyse_routing', 'plot_routing']


def analyse_routing(model: torch.nn.Module, x: Tensor,
                    y: Optional[Tensor] = None, max_points: int = 2000,
                    seed: int = 0) -> Dict[str, Any]:
    r"""Per mixture layer of :obj:`model` (an :class:`~pyg_rbm.nn.RbM` or
    :class:`~pyg_rbm.nn.MoE`) on nodes :obj:`x`: the statistics of
    :func:`~pyg_rbm.analysis.routing_statistics` (expert load, routing
    entropy, and with labels :obj:`y` purity and normalised mutual
    information between first expert and class), and a two-dimensional PCA
    projection of the layer's input for at most :obj:`max_points` nodes
    (drawn with :obj:`seed`), with their first expert and label.

    Args:
        model (torch.nn.Module): The student.
        x (torch.Tensor): Its input features :obj:`[N, F]`.
        y (torch.Tensor, optional): Node labels :obj:`[N]`.
        max_points (int, optional): Nodes in the projections.
            (default: :obj:`2000`)
        seed (int, optional): Seed of the node sample and the PCA.
            (default: :obj:`0`)
    """
    from sklearn.decomposition import PCA
    if max_points < 1:
        raise ValueError(f"'max_points' must be positive in "
                         f"'analyse_routing' (got {max_points})")
    layers = routing_statistics(model, x, y)
    inputs: List[Tensor] = []
    choices = routing_choices(model, x, inputs)
    gen = torch.Generator().manual_seed(seed)
    sample = torch.randperm(x.size(0), generator=gen,
                            device='cpu')[:max_points]
    sample = sample.sort().values
    for stats, h, (index, _) in zip(layers, inputs, choices):
        points = h[sample.to(h.device)].detach().cpu().double().numpy()
        n_comp = min(2, points.shape[0], points.shape[1])
        xy = PCA(n_components=n_comp, random_state=seed).fit_transform(
            points)
        stats['projection'] = dict(
            xy=xy.round(5).tolist(),
            expert=index[sample.to(index.device), 0].cpu().tolist(),
            label=(y[sample.to(y.device)].cpu().tolist()
                   if y is not None else None),
            nodes=sample.tolist())
    return dict(num_nodes=int(x.size(0)), layers=layers)


def plot_routing(analyses: Dict[str, Dict[str, Any]], path: str) -> str:
    r"""Draws :obj:`analyses` (label -> :func:`analyse_routing` result, *e.g.*
    RbM and MoE on the same data) to :obj:`path`: one row per student, per
    layer the share of nodes whose first choice is each expert and the PCA
    projection of the layer's input coloured by first expert. Needs
    matplotlib (the :obj:`plot` extra).
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rows: Sequence[str] = list(analyses)
    cols = max(len(a['layers']) for a in analyses.values())
    fig, axes = plt.subplots(len(rows), 2 * cols,
                             figsize=(4.2 * cols * 2, 3.4 * len(rows)),
                             squeeze=False)
    for r, label in enumerate(rows):
        for c in range(cols):
            bar, scatter = axes[r][2 * c], axes[r][2 * c + 1]
            layers = analyses[label]['layers']
            if c >= len(layers):
                bar.axis('off')
                scatter.axis('off')
                continue
            stats = layers[c]
            load = stats['top1_load']
            bar.bar(range(len(load)), load, color='tab:blue')
            bar.set_ylim(0, 1)
            bar.set_xticks(range(len(load)))
            title = (f'{label}, layer {c}: entropy '
                     f'{stats["load_entropy"]:.2f}')
            if 'nmi' in stats:
                title += f', NMI {stats["nmi"]:.2f}'
            bar.set_title(title, fontsize=9)
            bar.set_xlabel('expert (first choice)')
            bar.set_ylabel('share of nodes')
            proj = stats['projection']
            xy = proj['xy']
            scatter.scatter([p[0] for p in xy],
                            [p[1] if len(p) > 1 else 0.0 for p in xy],
                            c=proj['expert'], cmap='tab10', s=4,
                            vmin=0, vmax=9)
            scatter.set_title(f'layer {c} input (PCA), colour: expert',
                              fontsize=9)
            scatter.set_xticks([])
            scatter.set_yticks([])
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
