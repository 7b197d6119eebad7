r"""Inspection of trained students: how their experts are used."""
from .routing import routing_choices, routing_statistics

__all__ = [
    'routing_choices',
    'routing_statistics',
]
