"""A hyperparameter declared once: default, help, range and choices.

:func:`param` declares a dataclass field with its description;
:func:`check_fields` checks an instance against the declarations, so that a
bad value fails with its key's name when the configuration is built, before
any data is loaded.
"""
import dataclasses
import math
from typing import Any, Dict, Iterator, Optional, Sequence, Tuple

__all__ = ['param', 'check_fields', 'describe_range', 'schema_rows']


def param(default: Any, help: str, *, ge: Optional[float] = None,
          gt: Optional[float] = None, le: Optional[float] = None,
          lt: Optional[float] = None,
          choices: Optional[Sequence[Any]] = None) -> Any:
    """A dataclass field with its help, bounds (``ge`` >=, ``gt`` >,
    ``le`` <=, ``lt`` <) and allowed values.
    """
    return dataclasses.field(
        default=default,
        metadata=dict(help=help, ge=ge, gt=gt, le=le, lt=lt,
                      choices=tuple(choices) if choices else None))


def describe_range(field: dataclasses.Field) -> str:
    """The allowed values of a declared field, in words."""
    meta = field.metadata
    if meta.get('choices'):
        return 'one of ' + ', '.join(repr(c) for c in meta['choices'])
    low = (f'[{meta["ge"]:g}' if meta.get('ge') is not None else
           f'({meta["gt"]:g}' if meta.get('gt') is not None else None)
    high = (f'{meta["le"]:g}]' if meta.get('le') is not None else
            f'{meta["lt"]:g})' if meta.get('lt') is not None else None)
    if low and high:
        return f'in {low}, {high}'
    if low:
        return f'{">=" if low[0] == "[" else ">"} {low[1:]}'
    if high:
        return f'{"<=" if high[-1] == "]" else "<"} {high[:-1]}'
    return ''


def _in_range(value: float, meta: Dict[str, Any]) -> bool:
    return not ((meta.get('ge') is not None and not value >= meta['ge']) or
                (meta.get('gt') is not None and not value > meta['gt']) or
                (meta.get('le') is not None and not value <= meta['le']) or
                (meta.get('lt') is not None and not value < meta['lt']))


def check_fields(obj: Any, prefix: str = '') -> None:
    """Raises a :class:`ValueError` naming :obj:`prefix` + the field for the
    first value of :obj:`obj` outside its declared choices or range.
    """
    for field in dataclasses.fields(obj):
        meta = field.metadata
        value = getattr(obj, field.name)
        if not meta or value is None:
            continue
        key = f'{prefix}{field.name}'
        if meta.get('choices') and value not in meta['choices']:
            raise ValueError(f"'{key}' must be {describe_range(field)} "
                             f"(got {value!r})")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if not math.isfinite(value):
            raise ValueError(f"'{key}' must be finite (got {value!r})")
        if not _in_range(value, meta):
            raise ValueError(f"'{key}' must be {describe_range(field)} "
                             f"(got {value!r})")


def schema_rows(cls: Any, prefix: str = '') -> Iterator[Tuple[str, Any, str,
                                                              str]]:
    """(key, default, allowed values, help) of every declared field of the
    dataclass :obj:`cls`.
    """
    for field in dataclasses.fields(cls):
        if 'help' in field.metadata:
            yield (f'{prefix}{field.name}', field.default,
                   describe_range(field), field.metadata['help'])
