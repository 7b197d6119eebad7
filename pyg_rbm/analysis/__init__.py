r"""Inspection of trained students: how their experts are used."""
from .routing import routing_choices, routing_statistics
from .specialisation import analyse_routing, plot_routing

__all__ = [
    'routing_choices',
    'routing_statistics',
    'analyse_routing',
    'plot_routing',
]
