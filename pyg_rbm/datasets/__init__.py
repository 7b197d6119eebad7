from .actor import load_actor
from .benchmarks import load_benchmark
from .csbm import make_csbm
from .load import available_datasets, canonical_name, load_dataset
from .npz import load_npz
from .ogb import get_evaluator, load_ogb
from .planetoid import load_planetoid
from .preprocess import preprocess_graph
from .root import (
    DatasetNotFoundError,
    copy_shared_data,
    resolve_root,
)
from .settings import SettingSplit, production_score, split_setting
from .splits import per_class_split, random_split_lcc
from .summary import dataset_summary, format_summary_table

__all__ = [
    'DatasetNotFoundError',
    'resolve_root',
    'copy_shared_data',
    'per_class_split',
    'random_split_lcc',
    'load_planetoid',
    'load_npz',
    'load_benchmark',
    'load_actor',
    'load_ogb',
    'get_evaluator',
    'make_csbm',
    'available_datasets',
    'canonical_name',
    'load_dataset',
    'preprocess_graph',
    'SettingSplit',
    'split_setting',
    'production_score',
    'dataset_summary',
    'format_summary_table',
]
