import pytest

from pyg_rbm.config import load_config
from pyg_rbm.datasets import available_datasets, get_evaluator
from pyg_rbm.datasets.registry import DATASETS, SPLIT_KINDS, dataset_info


def test_every_entry_is_complete_and_names_are_unique():
    assert list(DATASETS) == available_datasets()
    seen = set()
    for info in DATASETS.values():
        assert info.split in SPLIT_KINDS
        for key in (info.name, *info.aliases):
            assert key not in seen
            seen.add(key)
    assert dataset_info('Amazon_Photo').name == 'amazon-photo'
    assert dataset_info(' CPF-Cora ').name == 'cora-npz'
    assert (dataset_info('film').label, dataset_info('film').split) == (
        'Actor', 'fixed')


def test_aliases_take_the_shipped_defaults_of_their_dataset():
    # 'photo' once lost the Amazon Photo values to a string edit.
    photo = load_config(dataset='photo')
    assert photo.dataset == 'amazon-photo'
    assert photo == load_config(dataset='amazon-photo')
    assert (photo.student.hidden_channels, photo.student.num_experts) == (
        1024, 5)
    # The CPF graphs take the values of the same graph.
    assert load_config(dataset='cpf-citeseer').train == load_config(
        dataset='citeseer').train
    arxiv = load_config(dataset='arxiv')
    assert arxiv.dataset == 'ogbn-arxiv' and arxiv.student.num_layers == 3
    assert get_evaluator('arxiv').name == 'ogbn-arxiv'
    assert dataset_info('arxiv').evaluator == 'ogbn-arxiv'
    assert dataset_info('cora').evaluator is None


def test_unknown_names_fail_before_any_work():
    with pytest.raises(ValueError, match="one of cora, citeseer"):
        load_config(dataset='coraa')
    with pytest.raises(ValueError, match="got 'nope'"):
        get_evaluator('nope')
