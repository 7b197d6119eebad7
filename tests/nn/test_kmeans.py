import pytest
import torch

from pyg_rbm.nn.kmeans import kmeans


def clustered_points():
    gen = torch.Generator().manual_seed(0)
    centers = torch.tensor([[5.0, 0.0], [0.0, 5.0], [-5.0, -5.0]])
    noise = 0.1 * torch.randn(3, 40, 2, generator=gen)
    return centers, (centers.unsqueeze(1) + noise).reshape(-1, 2)


def sort_rows(x):
    return x[torch.argsort(x[:, 0] * 100 + x[:, 1])]


@pytest.mark.parametrize('max_points_full', [100_000, 10])
def test_kmeans_recovers_clusters(max_points_full):
    centers, x = clustered_points()
    out = kmeans(x, 3, seed=0, max_points_full=max_points_full)
    assert out.size() == (3, 2)
    assert out.dtype == x.dtype
    # Each centroid is the mean of its 40 points, within the noise:
    assert torch.allclose(sort_rows(out), sort_rows(centers), atol=0.05)


def test_kmeans_is_deterministic_per_seed():
    _, x = clustered_points()
    x = torch.cat([x, torch.randn(30, 2)], dim=0).double()
    a = kmeans(x, 5, seed=3)
    assert a.dtype == torch.float64
    assert torch.equal(a, kmeans(x, 5, seed=3))


def test_kmeans_validation():
    x = torch.randn(4, 3)
    with pytest.raises(ValueError, match="'num_clusters' \\(5\\) must not"):
        kmeans(x, 5)
    with pytest.raises(ValueError, match="'num_clusters' must be at least"):
        kmeans(x, 0)
    with pytest.raises(ValueError, match="'x' must be a 2-dimensional"):
        kmeans(x.view(-1), 2)
    with pytest.raises(ValueError, match="'x' must contain only finite"):
        kmeans(torch.tensor([[0.0], [float('nan')]]), 1)


def test_kmeans_fits_a_seeded_sample_of_large_inputs():
    centers, x = clustered_points()
    out = kmeans(x, 3, seed=0, max_points=30)
    # 30 of the 120 points still place each centroid within the noise:
    assert torch.allclose(sort_rows(out), sort_rows(centers), atol=0.1)
    assert torch.equal(out, kmeans(x, 3, seed=0, max_points=30))
    # ... but not at the mean of all 40 points of each cluster.
    assert not torch.allclose(out, kmeans(x, 3, seed=0, max_points=None),
                              atol=1e-4)
    # Up to max_points rows, every row is clustered.
    assert torch.equal(kmeans(x, 3, seed=0, max_points=120),
                       kmeans(x, 3, seed=0, max_points=None))
    with pytest.raises(ValueError, match="'max_points' \\(2\\) must not"):
        kmeans(x, 3, max_points=2)
