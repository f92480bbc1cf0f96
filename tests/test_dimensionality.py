"""Tests of utils.dimensionality: the distance-concentration experiment."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline

from utils.dimensionality import (
    BestPairSelector,
    add_noise_features,
    distance_concentration,
    nearest_farthest_ratio,
    uniform_squared_distance_moments,
)


def test_ratio_matches_brute_force() -> None:
    rng = np.random.default_rng(1)
    points, queries = rng.random((50, 7)), rng.random((9, 7))
    dist = np.linalg.norm(queries[:, None, :] - points[None, :, :], axis=-1)
    np.testing.assert_allclose(nearest_farthest_ratio(points, queries), dist.min(1) / dist.max(1))


def test_ratio_is_scale_and_translation_invariant() -> None:
    rng = np.random.default_rng(2)
    points, queries = rng.random((30, 4)), rng.random((5, 4))
    base = nearest_farthest_ratio(points, queries)
    np.testing.assert_allclose(nearest_farthest_ratio(3 * points + 7, 3 * queries + 7), base, rtol=1e-10)


def test_ratio_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="features"):
        nearest_farthest_ratio(np.zeros((3, 2)), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="2-D"):
        nearest_farthest_ratio(np.zeros(3), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="NaN"):
        nearest_farthest_ratio([[np.nan, 0.0]], [[0.0, 0.0]])
    with pytest.raises(ValueError, match="coincides"):
        nearest_farthest_ratio([[1.0, 1.0]], [[1.0, 1.0]])


@pytest.mark.parametrize("distribution", ["uniform", "normal"])
def test_concentration_grows_with_dimension(distribution: str) -> None:
    table = distance_concentration([1, 10, 100, 1000], n_points=300, n_queries=30, seed=0, distribution=distribution)
    assert table["d"].tolist() == [1, 10, 100, 1000]
    assert np.all(np.diff(table["mean_ratio"]) > 0)
    assert np.all(np.diff(table["relative_contrast"]) < 0)
    assert table["mean_ratio"].between(0, 1).all()


def test_concentration_is_reproducible_and_seeded() -> None:
    a = distance_concentration([2, 20], n_points=100, n_queries=10, seed=3)
    b = distance_concentration([2, 20], n_points=100, n_queries=10, seed=3)
    c = distance_concentration([2, 20], n_points=100, n_queries=10, seed=4)
    assert a.equals(b) and not a.equals(c)


def test_concentration_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="distribution"):
        distance_concentration([2], distribution="cauchy")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        distance_concentration([0, 2])
    with pytest.raises(ValueError, match="positive"):
        distance_concentration([2], n_points=0)


def test_squared_distance_moments_match_sampling() -> None:
    rng = np.random.default_rng(0)
    d = 50
    sq = ((rng.random((20000, d)) - rng.random((20000, d))) ** 2).sum(1)
    mean, std = uniform_squared_distance_moments(d)
    assert sq.mean() == pytest.approx(mean, rel=0.01)
    assert sq.std() == pytest.approx(std, rel=0.03)
    with pytest.raises(ValueError):
        uniform_squared_distance_moments(0)


def test_add_noise_features() -> None:
    x = np.arange(6.0).reshape(3, 2)
    out = add_noise_features(x, 4, seed=1)
    assert out.shape == (3, 6)
    np.testing.assert_array_equal(out[:, :2], x)
    np.testing.assert_array_equal(out, add_noise_features(x, 4, seed=1))
    np.testing.assert_array_equal(add_noise_features(x, 0), x)
    with pytest.raises(ValueError, match="non-negative"):
        add_noise_features(x, -1)


def _brute_force_pair(X: np.ndarray, y: np.ndarray) -> tuple[tuple[int, int], float]:
    """The pair with the smallest residual sum of squares, by one least-squares fit per pair."""
    best = ((-1, -1), np.inf)
    for i, j in itertools.combinations(range(X.shape[1]), 2):
        fit = LinearRegression().fit(X[:, [i, j]], y)
        rss = float(np.sum((y - fit.predict(X[:, [i, j]])) ** 2))
        if rss < best[1]:
            best = ((i, j), rss)
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_best_pair_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 8)) * rng.uniform(0.1, 100, size=8)  # very different scales
    y = X @ rng.normal(size=8) + rng.normal(size=60)
    selector = BestPairSelector().fit(X, y)
    pair, rss = _brute_force_pair(X, y)
    assert selector.pair_ == pair
    assert selector.residual_ == pytest.approx(rss, rel=1e-8)


def test_best_pair_skips_copies_and_constant_columns() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(2, 50))
    X = np.column_stack([a, 3 * a + 1, np.ones(50), b])  # column 1 is a copy of 0, column 2 is constant
    selector = BestPairSelector().fit(X, a + b)
    assert selector.pair_ in {(0, 3), (1, 3)}
    with pytest.raises(ValueError, match="no pair"):
        BestPairSelector().fit(np.column_stack([a, 2 * a, np.ones(50)]), b)


def test_best_pair_is_a_selector_for_pipelines_and_cross_validation() -> None:
    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.normal(size=(80, 6)), columns=list("abcdef"))
    y = X["b"] - 2 * X["e"] + 0.1 * rng.normal(size=80)
    selector = BestPairSelector().fit(X, y)
    assert selector.get_feature_names_out().tolist() == ["b", "e"]
    assert selector.transform(X).shape == (80, 2)
    scores = cross_val_score(
        make_pipeline(BestPairSelector(), LinearRegression()),
        X,
        y,
        cv=KFold(4, shuffle=True, random_state=0),
        scoring="neg_mean_absolute_error",
    )
    assert -scores.mean() < 0.2


def test_best_pair_rejects_bad_input_and_needs_fitting() -> None:
    with pytest.raises(NotFittedError):
        BestPairSelector().get_support()
    with pytest.raises(ValueError, match="at least 2 columns"):
        BestPairSelector().fit(np.zeros((5, 1)), np.zeros(5))
    with pytest.raises(ValueError):
        BestPairSelector().fit(np.zeros((5, 3)), np.zeros(4))
