import pytest

from pyg_rbm.datasets import available_datasets, canonical_name, load_dataset


def test_available_datasets():
    assert available_datasets() == [
        'cora', 'citeseer', 'pubmed', 'cora-npz', 'citeseer-npz',
        'amazon-photo', 'amazon-computers', 'coauthor-cs',
        'coauthor-physics', 'actor', 'ogbn-arxiv', 'ogbn-products', 'csbm'
    ]


@pytest.mark.parametrize('name,key', [
    ('Cora', 'cora'),
    ('CiteSeer', 'citeseer'),
    ('PubMed', 'pubmed'),
    ('Cora_NPZ', 'cora-npz'),
    ('Amazon-Photo', 'amazon-photo'),
    ('A-Computer', 'amazon-computers'),
    ('amazon-com', 'amazon-computers'),
    ('CS', 'coauthor-cs'),
    ('coauthor-phy', 'coauthor-physics'),
    ('Film', 'actor'),
    ('ogbn_arxiv', 'ogbn-arxiv'),
    ('products', 'ogbn-products'),
    (' CSBM ', 'csbm'),
])
def test_canonical_name(name, key):
    assert canonical_name(name) == key


def test_unknown_name():
    with pytest.raises(ValueError, match="The dataset must be one of") as info:
        load_dataset('corra')
    msg = str(info.value)
    assert "got 'corra'" in msg
    for name in available_datasets():
        assert name in msg


def test_root_from_environment(need, monkeypatch, tmp_path):
    root = need('Cora/raw/ind.cora.x')
    monkeypatch.setenv('PYG_RBM_DATA', root)
    monkeypatch.chdir(tmp_path)
    assert load_dataset('cora').num_nodes == 2708
