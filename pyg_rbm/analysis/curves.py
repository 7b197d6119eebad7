"""Learning curves of a run, from its per-epoch histories."""
from typing import Any, Dict, List

__all__ = ['plot_learning_curves']

# What each model's panel shows, in this order.
MODELS = ('teacher', 'student', 'mlp')
LABELS = dict(teacher='teacher', student='student',
              mlp='MLP without teacher')


def plot_learning_curves(histories: Dict[int, Dict[str, List[Dict[str,
                                                                  Any]]]],
                         path: str, title: str = '') -> str:
    r"""Draws validation and test accuracy per epoch of every model and
    seed (:obj:`histories[seed][model]`, rows of
    :func:`~pyg_rbm.experiment.history.read_history`), the student's loss,
    and, for a mixture student, each expert's share of the nodes per
    layer (first seed) with the end of pretraining marked; writes the
    figure to :obj:`path` and returns it (needs matplotlib).
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    models = [m for m in MODELS if any(h.get(m) for h in histories.values())]
    first = histories[min(histories)].get('student', [])
    loads = [row['expert_load'] for row in first if 'expert_load' in row]
    panels = len(models) + 1 + (len(loads[0]) if loads else 0)
    columns = min(panels, 3)
    rows = -(-panels // columns)
    fig, axes = plt.subplots(rows, columns,
                             figsize=(4.2 * columns, 3.4 * rows),
                             squeeze=False)
    axes = axes.reshape(-1)
    for ax in axes[panels:]:
        ax.axis('off')
    for ax, model in zip(axes, models):
        for i, (seed, history) in enumerate(sorted(histories.items())):
            rows = history.get(model, [])
            epochs = [row['epoch'] for row in rows]
            for key, style in (('val', '-'), ('test', ':')):
                values = [100 * row[key] for row in rows if key in row]
                if len(values) == len(epochs) and values:
                    ax.plot(epochs, values, style, color=f'C{i % 10}',
                            lw=1, label=f'seed {seed} {key}'
                            if len(histories) <= 3 else None)
        _mark_routing(ax, histories, model)
        ax.set(title=LABELS[model], xlabel='epoch', ylabel='accuracy (%)')
        if len(histories) <= 3:
            ax.legend(fontsize=7)
    ax = axes[len(models)]
    for i, (seed, history) in enumerate(sorted(histories.items())):
        rows = history.get('student', [])
        ax.plot([r['epoch'] for r in rows], [r['loss'] for r in rows],
                color=f'C{i % 10}', lw=1)
    _mark_routing(ax, histories, 'student')
    ax.set(title='student loss', xlabel='epoch', yscale='log')
    epochs = [row['epoch'] for row in first if 'expert_load' in row]
    for layer in range(len(loads[0]) if loads else 0):
        ax = axes[len(models) + 1 + layer]
        shares = [load[layer] for load in loads]
        for expert in range(len(shares[0])):
            ax.plot(epochs, [s[expert] for s in shares], lw=1,
                    label=f'expert {expert}')
        ax.set(title=f'expert load, layer {layer} (seed {min(histories)})',
               xlabel='epoch', ylabel='share of nodes (first choice)',
               ylim=(0, 1))
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _mark_routing(ax: Any, histories: Dict[int, Dict[str, List[Dict]]],
                  model: str) -> None:
    # A dashed line where the first seed's routing starts.
    rows = histories[min(histories)].get(model, [])
    routed = [row['epoch'] for row in rows if row.get('phase') == 'route']
    if routed and routed[0] > rows[0]['epoch']:
        ax.axvline(routed[0], color='grey', ls='--', lw=0.8)
