"""Imports GraphGym without its Lightning warning."""
import warnings

with warnings.catch_warnings():
    # Only GraphGym's Lightning train path needs Lightning; ours does not.
    warnings.filterwarnings('ignore', message='To use GraphGym, install')
    import torch_geometric.graphgym  # noqa: F401
    import torch_geometric.graphgym.model_builder  # noqa: F401
