r"""Running experiments: where results go and what they were run with."""
from .engine import MatrixPlan, run_group_seed, run_matrix
from .environment import environment
from .matrix import Matrix, MatrixStudent, RunGroup, load_matrix, matrices
from .store import RunStore, RunStoreError, write_json_atomic

__all__ = [
    'environment',
    'RunStore',
    'RunStoreError',
    'write_json_atomic',
    'Matrix',
    'MatrixStudent',
    'RunGroup',
    'load_matrix',
    'matrices',
    'MatrixPlan',
    'run_matrix',
    'run_group_seed',
]
