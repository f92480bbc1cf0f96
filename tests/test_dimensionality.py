"""Tests of utils.dimensionality: the distance-concentration experiment."""

from __future__ import annotations

import numpy as np
import pytest

from utils.dimensionality import (
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
    table = distance_concentration([1, 10, 100, 1000], n_points=300, n_queries=30, seed=0,
                                   distribution=distribution)
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
