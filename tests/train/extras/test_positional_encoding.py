import pytest
import torch
import torch.nn.functional as F
from torch_geometric.utils import to_undirected

from pyg_rbm.train.extras import (
    deepwalk_embeddings,
    extend_to_unseen,
    random_walks,
)


def two_cliques(size: int = 8) -> torch.Tensor:
    idx = torch.arange(size)
    row, col = idx.repeat_interleave(size), idx.repeat(size)
    mask = row != col
    clique = torch.stack([row[mask], col[mask]])
    bridge = torch.tensor([[size - 1], [size]])
    return to_undirected(torch.cat([clique, clique + size, bridge], dim=1))


def test_random_walks_follow_edges():
    # A ring of 6 nodes with one chord, plus the isolated node 6.
    edge_index = to_undirected(
        torch.tensor([[0, 1, 2, 3, 4, 5, 0], [1, 2, 3, 4, 5, 0, 3]]))
    num_nodes = 7
    gen = torch.Generator().manual_seed(0)
    walks = random_walks(edge_index, num_nodes, walk_length=10,
                         walks_per_node=3, generator=gen)
    assert walks.shape == (21, 10)
    assert walks.dtype == torch.long
    assert torch.equal(walks[:, 0], torch.arange(7).repeat(3))

    src, dst = walks[:, :-1].reshape(-1), walks[:, 1:].reshape(-1)
    edge_keys = edge_index[0] * num_nodes + edge_index[1]
    moved = src != 6
    assert torch.isin(src[moved] * num_nodes + dst[moved], edge_keys).all()
    assert (walks[walks[:, 0] == 6] == 6).all()  # isolated: stays in place


def test_random_walks_uniform_steps():
    # Star: centre 0 with leaves 1..4; first steps from 0 are uniform.
    edge_index = to_undirected(torch.tensor([[0, 0, 0, 0], [1, 2, 3, 4]]))
    gen = torch.Generator().manual_seed(1)
    walks = random_walks(edge_index, 5, walk_length=2, walks_per_node=4000,
                         generator=gen)
    first = walks[walks[:, 0] == 0, 1]
    counts = torch.bincount(first, minlength=5)
    assert counts[0] == 0
    assert ((counts[1:].float() / 4000 - 0.25).abs() < 0.03).all()
    assert (walks[walks[:, 0] != 0, 1] == 0).all()


def test_random_walks_deterministic():
    edge_index = two_cliques(5)
    walks1 = random_walks(edge_index, 10, 8, 2,
                          generator=torch.Generator().manual_seed(3))
    walks2 = random_walks(edge_index, 10, 8, 2,
                          generator=torch.Generator().manual_seed(3))
    walks3 = random_walks(edge_index, 10, 8, 2,
                          generator=torch.Generator().manual_seed(4))
    assert torch.equal(walks1, walks2)
    assert not torch.equal(walks1, walks3)


def test_random_walks_without_edges():
    walks = random_walks(torch.empty(2, 0, dtype=torch.long), 3, 4)
    assert torch.equal(walks, torch.arange(3).view(-1, 1).expand(3, 4))


def test_random_walks_errors():
    edge_index = torch.tensor([[0], [1]])
    with pytest.raises(ValueError, match="'walk_length'.*'random_walks'"):
        random_walks(edge_index, 2, walk_length=0)
    with pytest.raises(ValueError, match="'edge_index'.*outside"):
        random_walks(edge_index, 1, walk_length=3)
    with pytest.raises(ValueError, match="'edge_index' must have shape"):
        random_walks(edge_index.view(-1), 2, walk_length=3)


def test_deepwalk_separates_cliques():
    edge_index = two_cliques(8)
    z = deepwalk_embeddings(edge_index, 16, embedding_dim=16, walk_length=20,
                            walks_per_node=10, epochs=5, batch_size=16, seed=0)
    assert z.shape == (16, 16)
    assert torch.isfinite(z).all()
    cos = F.normalize(z, dim=-1) @ F.normalize(z, dim=-1).t()
    block = torch.arange(16) // 8
    same = block.view(-1, 1) == block.view(1, -1)
    off_diag = ~torch.eye(16, dtype=torch.bool)
    intra = cos[same & off_diag].mean()
    inter = cos[~same].mean()
    assert intra > inter + 0.5


def test_deepwalk_deterministic():
    edge_index = two_cliques(4)
    kwargs = dict(embedding_dim=8, walk_length=10, walks_per_node=2)
    z1 = deepwalk_embeddings(edge_index, 8, seed=7, **kwargs)
    z2 = deepwalk_embeddings(edge_index, 8, seed=7, **kwargs)
    z3 = deepwalk_embeddings(edge_index, 8, seed=8, **kwargs)
    num_threads = torch.get_num_threads()
    z4 = deepwalk_embeddings(edge_index, 8, seed=7, num_threads=None, **kwargs)
    assert torch.get_num_threads() == num_threads  # restored
    assert torch.allclose(z1, z4)
    assert torch.equal(z1, z2)
    assert not torch.equal(z1, z3)


def test_deepwalk_errors():
    edge_index = two_cliques(4)
    with pytest.raises(ValueError, match="'window_size'.*'deepwalk_emb"):
        deepwalk_embeddings(edge_index, 8, window_size=0)
    with pytest.raises(ValueError, match="'lr'.*'deepwalk_embeddings'"):
        deepwalk_embeddings(edge_index, 8, lr=0.0)
    with pytest.raises(ValueError, match="'num_threads'.*'deepwalk_emb"):
        deepwalk_embeddings(edge_index, 8, num_threads=0)


@pytest.mark.slow
def test_deepwalk_cora(data_root):
    from sklearn.linear_model import LogisticRegression
    from torch_geometric.datasets import Planetoid

    data = Planetoid(data_root, 'Cora')[0]
    z = deepwalk_embeddings(data.edge_index, data.num_nodes, seed=0)
    assert z.shape == (2708, 64)
    clf = LogisticRegression(max_iter=1000)
    clf.fit(z[data.train_mask].numpy(), data.y[data.train_mask].numpy())
    acc = clf.score(z[data.test_mask].numpy(), data.y[data.test_mask].numpy())
    assert acc > 0.6  # the graph alone; an MLP on features reaches ~0.59


def test_extend_to_unseen():
    # Edges 0-1, 1-2, 1-4, 2-3; nodes 0, 2, 3 observed; 5 isolated.
    edge_index = to_undirected(torch.tensor([[0, 1, 1, 3], [1, 2, 4, 2]]))
    node_ids = torch.tensor([0, 2, 3])
    pe = torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])
    out = extend_to_unseen(pe, node_ids, edge_index, num_nodes=6)
    expected = torch.tensor([
        [1.0, 0.0],  # observed
        [0.5, 0.5],  # mean of observed neighbours 0 and 2 (not 4)
        [0.0, 1.0],  # observed
        [2.0, 2.0],  # observed
        [0.0, 0.0],  # only unseen neighbour 1
        [0.0, 0.0],  # no neighbours
    ])
    assert torch.allclose(out, expected)


def test_extend_to_unseen_errors():
    edge_index = torch.tensor([[0], [1]])
    with pytest.raises(ValueError, match="'node_ids'.*differ in length"):
        extend_to_unseen(torch.zeros(2, 3), torch.tensor([0]), edge_index, 2)
    with pytest.raises(ValueError, match="'node_ids' holds duplicates"):
        extend_to_unseen(torch.zeros(2, 3), torch.tensor([1, 1]), edge_index,
                         2)
