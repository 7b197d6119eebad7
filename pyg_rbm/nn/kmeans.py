from typing import Optional

import torch
from torch import Tensor

from pyg_rbm.nn.finite import all_finite

__all__ = ['kmeans', 'kmeans_sample']

# Rows above which k-means fits a random sample (see `kmeans`).
MAX_POINTS = 200_000


def kmeans_sample(num_rows: int, seed: int = 0,
                  max_points: Optional[int] = MAX_POINTS
                  ) -> Optional[Tensor]:
    r"""The rows that :func:`kmeans` fits for an input of :obj:`num_rows`
    rows: a uniform random sample of :obj:`max_points` of them drawn with
    :obj:`seed` (on the CPU), or :obj:`None` when all rows are fitted.
    """
    if max_points is None or num_rows <= max_points:
        return None
    gen = torch.Generator().manual_seed(seed)
    return torch.randperm(num_rows, generator=gen, device='cpu')[:max_points]


def kmeans(
    x: Tensor,
    num_clusters: int,
    seed: int = 0,
    max_points_full: int = 100_000,
    max_points: Optional[int] = MAX_POINTS,
) -> Tensor:
    r"""Clusters the rows of :obj:`x` with :math:`k`-means and returns the
    centroids, using :class:`sklearn.cluster.KMeans` (or
    :class:`sklearn.cluster.MiniBatchKMeans` for more than
    :obj:`max_points_full` rows).

    Above :obj:`max_points` rows, the centroids are fitted on a uniform
    random sample of that many rows (drawn with :obj:`seed`), so that the
    cost stops growing with the graph: a sample of :math:`2 \cdot 10^5`
    rows places a few centroids within the noise of the full data.

    Args:
        x (torch.Tensor): The points of shape :obj:`[N, F]`.
        num_clusters (int): The number of clusters.
        seed (int, optional): The random state of the clustering.
            (default: :obj:`0`)
        max_points_full (int, optional): Above this many rows, mini-batch
            :math:`k`-means is used. (default: :obj:`100_000`)
        max_points (int, optional): Above this many rows, a random sample
            of this many rows is clustered; :obj:`None` clusters all rows.
            (default: :obj:`200_000`)

    Returns:
        torch.Tensor: The centroids of shape :obj:`[num_clusters, F]`, with
        the dtype and device of :obj:`x`.
    """
    if x.dim() != 2:
        raise ValueError(f"'x' must be a 2-dimensional tensor in 'kmeans' "
                         f"(got {x.dim()} dimensions)")
    if num_clusters < 1:
        raise ValueError(f"'num_clusters' must be at least 1 in 'kmeans' "
                         f"(got {num_clusters})")
    if num_clusters > x.size(0):
        raise ValueError(f"'num_clusters' ({num_clusters}) must not exceed "
                         f"the number of rows of 'x' ({x.size(0)}) in "
                         f"'kmeans'")
    if max_points is not None and max_points < num_clusters:
        raise ValueError(f"'max_points' ({max_points}) must not be smaller "
                         f"than 'num_clusters' ({num_clusters}) in 'kmeans'")
    if not all_finite(x):
        raise ValueError("'x' must contain only finite values in 'kmeans'")

    # Imported here, as PyG's models import their optional packages, so
    # that importing the models needs no scikit-learn.
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from threadpoolctl import threadpool_limits

    x_fit = x.detach()
    sample = kmeans_sample(x.size(0), seed, max_points)
    if sample is not None:
        x_fit = x_fit[sample.to(x.device)]
    points = x_fit.cpu().float().numpy()
    if points.shape[0] > max_points_full:
        model = MiniBatchKMeans(n_clusters=num_clusters, n_init=3,
                                random_state=seed, batch_size=4096)
    else:
        model = KMeans(n_clusters=num_clusters, n_init=4, random_state=seed)
    # OpenMP workers cost far more than they save on small inputs, and
    # oversubscribed cores slow them down by two orders of magnitude.
    limit = 1 if points.size < 4_000_000 else None
    with threadpool_limits(limits=limit):
        model.fit(points)
    return torch.from_numpy(model.cluster_centers_).to(x.device, x.dtype)
