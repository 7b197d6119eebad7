r"""Running experiments: where results go and what they were run with."""
from .environment import environment
from .store import RunStore, RunStoreError, write_json_atomic

__all__ = [
    'environment',
    'RunStore',
    'RunStoreError',
    'write_json_atomic',
]
