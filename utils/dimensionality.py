"""The curse of dimensionality, as experiments (lecture 05).

In many dimensions the distances from one point to all others become nearly
equal: the nearest neighbour is hardly nearer than the farthest one. Methods
that rest on "similar inputs have similar outputs" (k-nearest neighbours,
kernel ridge regression with a Gaussian kernel) lose their footing. The
functions here measure that effect on random points and let a notebook add
irrelevant dimensions to a real feature matrix.

The one estimator here, :class:`BestPairSelector`, is exhaustive best-subset
selection for subsets of two features, written as a scikit-learn selector so
that the selection can sit inside a ``Pipeline`` and be redone in every fold of
a cross-validation. The lectures fit their models with scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from utils._inputs import as_matrix

__all__ = [
    "BestPairSelector",
    "add_noise_features",
    "distance_concentration",
    "nearest_farthest_ratio",
    "uniform_squared_distance_moments",
]


def nearest_farthest_ratio(points: ArrayLike, queries: ArrayLike) -> np.ndarray:
    """Ratio of the nearest to the farthest Euclidean distance from each query to the points.

    A ratio near 0 means the nearest neighbour is much closer than the farthest
    point (neighbourhoods are meaningful); a ratio near 1 means all points are
    about equally far away.

    Parameters
    ----------
    points
        Reference points, shape (n_points, d).
    queries
        Query points, shape (n_queries, d); they should not be among ``points``
        (a zero nearest distance gives a ratio of 0).

    Returns
    -------
    numpy.ndarray
        Shape (n_queries,): ``min_j |q_i - p_j| / max_j |q_i - p_j|``.

    Raises
    ------
    ValueError
        If the arrays are not 2-D, have different numbers of columns, contain
        non-finite values, or a query coincides with every point.

    Examples
    --------
    >>> nearest_farthest_ratio([[1.0, 0.0], [4.0, 0.0]], [[0.0, 0.0]])
    array([0.25])
    """
    p = as_matrix(points, "points")
    q = as_matrix(queries, "queries")
    if p.shape[1] != q.shape[1]:
        raise ValueError(f"points have {p.shape[1]} features but queries have {q.shape[1]}")
    if len(p) == 0 or len(q) == 0:
        raise ValueError("points and queries must not be empty")
    # |q - p|^2 = |q|^2 + |p|^2 - 2 q.p, clipped at 0 against round-off
    sq = (q**2).sum(1)[:, None] + (p**2).sum(1)[None, :] - 2.0 * q @ p.T
    dist = np.sqrt(np.clip(sq, 0.0, None))
    farthest = dist.max(axis=1)
    if np.any(farthest == 0):
        raise ValueError("a query coincides with every point: the ratio is undefined")
    return dist.min(axis=1) / farthest


def distance_concentration(
    dimensions: Sequence[int],
    n_points: int = 1000,
    n_queries: int = 100,
    seed: int = 0,
    distribution: Literal["uniform", "normal"] = "uniform",
) -> pd.DataFrame:
    """Nearest/farthest distance ratio of random points as the dimension grows.

    For every dimension ``d``, draw ``n_points`` reference points and
    ``n_queries`` separate query points i.i.d. in ``[0, 1]^d`` (or from a
    standard normal), and summarise :func:`nearest_farthest_ratio` over the
    queries.

    Parameters
    ----------
    dimensions
        The dimensions to try, each a positive integer.
    n_points, n_queries
        Numbers of reference and query points per dimension.
    seed
        Seed of the random generator (one generator for the whole experiment).
    distribution
        ``"uniform"`` (unit hypercube) or ``"normal"`` (standard normal).

    Returns
    -------
    pandas.DataFrame
        One row per dimension with columns ``d``, ``mean_ratio``,
        ``std_ratio`` (spread over the queries) and ``relative_contrast``
        (the mean of ``(d_max - d_min) / d_min``).

    Raises
    ------
    ValueError
        For a non-positive dimension or count, or an unknown distribution.

    Examples
    --------
    >>> table = distance_concentration([1, 1000], n_points=200, n_queries=20, seed=0)
    >>> table["d"].tolist()
    [1, 1000]
    >>> bool(table["mean_ratio"].iloc[0] < 0.05 < 0.7 < table["mean_ratio"].iloc[1])
    True
    """
    if distribution not in ("uniform", "normal"):
        raise ValueError(f"distribution must be 'uniform' or 'normal', got {distribution!r}")
    if n_points < 1 or n_queries < 1:
        raise ValueError(f"n_points and n_queries must be positive, got {n_points} and {n_queries}")
    dims = [int(d) for d in dimensions]
    if not dims or min(dims) < 1:
        raise ValueError(f"dimensions must be positive integers, got {list(dimensions)}")
    rng = np.random.default_rng(seed)
    rows = []
    for d in dims:
        draw = rng.random if distribution == "uniform" else rng.standard_normal
        points = draw((n_points, d))
        queries = draw((n_queries, d))
        ratio = nearest_farthest_ratio(points, queries)
        rows.append(
            {
                "d": d,
                "mean_ratio": float(ratio.mean()),
                "std_ratio": float(ratio.std(ddof=1)) if n_queries > 1 else 0.0,
                "relative_contrast": float(np.mean(1.0 / ratio - 1.0)),
            }
        )
    return pd.DataFrame(rows)


def uniform_squared_distance_moments(d: int) -> tuple[float, float]:
    """Mean and standard deviation of |x - y|² for x, y uniform in the unit hypercube.

    Each coordinate contributes independently ``E[(x-y)^2] = 1/6`` and
    ``Var[(x-y)^2] = 1/15 - 1/36 = 7/180``, so the mean grows like ``d/6``
    while the standard deviation grows only like ``sqrt(7 d / 180)``: relative
    to the mean, the spread of distances shrinks as ``1/sqrt(d)``.

    Parameters
    ----------
    d
        Dimension, a positive integer.

    Returns
    -------
    tuple of float
        ``(d / 6, sqrt(7 d / 180))``.

    Examples
    --------
    >>> mean, std = uniform_squared_distance_moments(180)
    >>> round(mean, 6), round(std, 6)
    (30.0, 2.645751)
    """
    if int(d) != d or d < 1:
        raise ValueError(f"d must be a positive integer, got {d!r}")
    return d / 6.0, float(np.sqrt(7.0 * d / 180.0))


def add_noise_features(x: ArrayLike, n_noise: int, seed: int = 0) -> np.ndarray:
    """Append ``n_noise`` columns of standard-normal noise to a feature matrix.

    The noise columns carry no information about any target; with standardised
    real features they have the same scale, so they enter distances with the
    same weight as the real ones.

    Parameters
    ----------
    x
        Feature matrix, shape (n_samples, n_features).
    n_noise
        Number of irrelevant columns to add (0 returns a copy of ``x``).
    seed
        Seed of the noise generator.

    Returns
    -------
    numpy.ndarray
        Shape (n_samples, n_features + n_noise); the first columns are ``x``.

    Examples
    --------
    >>> out = add_noise_features([[1.0, 2.0], [3.0, 4.0]], 3, seed=0)
    >>> out.shape, out[:, :2].tolist()
    ((2, 5), [[1.0, 2.0], [3.0, 4.0]])
    """
    arr = as_matrix(x, "x")
    if int(n_noise) != n_noise or n_noise < 0:
        raise ValueError(f"n_noise must be a non-negative integer, got {n_noise!r}")
    noise = np.random.default_rng(seed).standard_normal((arr.shape[0], int(n_noise)))
    return np.hstack([arr, noise])


class BestPairSelector(SelectorMixin, BaseEstimator):
    """Keep the two features whose least-squares fit of ``y`` has the smallest residual.

    Exhaustive best-subset selection for subsets of size two: every pair of
    columns ``(i, j)`` is scored by the residual sum of squares of the linear
    fit ``y ~ w0 + wi x_i + wj x_j``. With centred columns ``Z`` and centred
    labels ``yc``, that residual is ``yc @ yc - b.T @ inv(G) @ b`` with ``G``
    the 2x2 block of ``Z.T @ Z`` and ``b`` the matching entries of
    ``Z.T @ yc``, so all pairs are scored at once from one Gram matrix. The fit
    with an intercept does not depend on the scale of the columns, so no
    standardisation is needed. Pairs of (nearly) collinear columns, and
    constant columns, are never chosen.

    As a scikit-learn selector it can sit inside a ``Pipeline``: in a
    cross-validation the pair is then chosen again on every training fold.

    Attributes
    ----------
    pair_ : tuple of int
        Column indices ``(i, j)``, ``i < j``, of the chosen pair.
    residual_ : float
        Residual sum of squares of the least-squares fit on the chosen pair.
    n_features_in_ : int
        Number of columns seen in ``fit``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 5))
    >>> y = 2 * X[:, 1] - X[:, 3] + 0.1 * rng.normal(size=100)
    >>> selector = BestPairSelector().fit(X, y)
    >>> selector.pair_, selector.get_support().tolist()
    ((1, 3), [False, True, False, True, False])
    >>> selector.transform(X).shape
    (100, 2)
    """

    def fit(self, X: ArrayLike, y: ArrayLike) -> BestPairSelector:
        """Score every pair of columns of ``X`` and keep the best one.

        Parameters
        ----------
        X
            Feature matrix, shape (n_samples, n_features), at least two
            columns and three rows.
        y
            Labels, shape (n_samples,).

        Returns
        -------
        BestPairSelector
            The fitted selector.

        Raises
        ------
        ValueError
            If ``X`` has fewer than two columns or three rows, or no pair of
            columns is linearly independent.
        """
        X, y = validate_data(self, X, y, y_numeric=True)
        n, d = X.shape
        if d < 2 or n < 3:
            raise ValueError(f"BestPairSelector needs at least 2 columns and 3 rows, got shape {X.shape}")
        Z = X - X.mean(axis=0)
        yc = y - y.mean()
        G, b = Z.T @ Z, Z.T @ yc
        gi, gj = np.diag(G)[:, None], np.diag(G)[None, :]
        det = gi * gj - G**2
        with np.errstate(divide="ignore", invalid="ignore"):
            explained = (gj * b[:, None] ** 2 - 2 * G * b[:, None] * b[None, :] + gi * b[None, :] ** 2) / det
        explained[
            ~np.isfinite(explained) | (det <= 1e-10 * gi * gj)
        ] = -np.inf  # a column with itself, a copy, a constant
        if not np.isfinite(explained).any():
            raise ValueError("no pair of linearly independent, non-constant columns in X")
        i, j = np.unravel_index(np.argmax(explained), explained.shape)
        self.pair_ = (int(min(i, j)), int(max(i, j)))
        self.residual_ = float(yc @ yc - explained[i, j])
        return self

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self, "pair_")
        mask = np.zeros(self.n_features_in_, dtype=bool)
        mask[list(self.pair_)] = True
        return mask
