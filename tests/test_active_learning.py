"""Tests of utils.active_learning: periodic features, GP uncertainty and the learning loop."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.kernel_ridge import KernelRidge

from utils.active_learning import active_learning_run, default_gp, periodic_features


def test_periodic_features_make_full_turns_identical() -> None:
    f = periodic_features([[10.0, -170.0], [370.0, 190.0]])
    assert f.shape == (2, 4) and np.allclose(f[0], f[1])
    assert np.allclose(np.linalg.norm(f.reshape(2, 2, 2), axis=-1), 1.0)


def test_gp_mean_is_kernel_ridge_and_std_follows_the_formula() -> None:
    """GPR's mean is KRR with λ = alpha; its variance is k(x,x) - k*ᵀ(K + αI)⁻¹k*."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 5, size=(12, 1))
    y = np.sin(x[:, 0])
    grid = np.linspace(-1, 7, 50)[:, None]
    gp = default_gp()
    gp.normalize_y = False
    gp.fit(x, y)
    mean, std = gp.predict(grid, return_std=True)
    kernel = gp.kernel_
    krr = KernelRidge(kernel="precomputed", alpha=gp.alpha).fit(kernel(x), y)
    assert np.allclose(mean, krr.predict(kernel(grid, x)), atol=1e-8)
    k_star = kernel(grid, x)
    var = np.diag(kernel(grid)) - np.einsum(
        "ij,ji->i", k_star, np.linalg.solve(kernel(x) + gp.alpha * np.eye(12), k_star.T)
    )
    assert np.allclose(std, np.sqrt(np.clip(var, 0, None)), atol=1e-6)
    assert std[0] > 10 * std[np.argmin(np.abs(grid[:, 0] - x[0, 0]))]  # far from data the GP is unsure


def test_uncertainty_sampling_beats_random_on_a_smooth_function() -> None:
    x = np.linspace(0, 10, 200)[:, None]
    truth = np.sin(x[:, 0]) + 0.3 * np.cos(3 * x[:, 0])
    calls = []

    def oracle(i: int) -> float:
        calls.append(i)
        return float(truth[i])

    _, mae_active, picked = active_learning_run(x, oracle, truth, 3, 25, "uncertainty", seed=0)
    assert len(calls) == 25 and sorted(calls) == sorted(picked.tolist()) and len(set(calls)) == 25
    _, mae_random, _ = active_learning_run(x, lambda i: float(truth[i]), truth, 3, 25, "random", seed=0)
    assert mae_active[-1] < mae_random[-1]
    assert mae_active[-1] < 0.05 * mae_active[0]


def test_runs_are_reproducible() -> None:
    x = np.linspace(0, 1, 30)[:, None]
    a = active_learning_run(x, lambda i: float(x[i, 0] ** 2), x[:, 0] ** 2, 2, 6, "random", seed=3)
    b = active_learning_run(x, lambda i: float(x[i, 0] ** 2), x[:, 0] ** 2, 2, 6, "random", seed=3)
    assert np.array_equal(a[2], b[2]) and np.allclose(a[1], b[1])


@pytest.mark.parametrize(
    "kwargs, message",
    [({"strategy": "greedy"}, "strategy"), ({"n_initial": 1}, "n_initial"), ({"n_calls": 99}, "n_calls")],
)
def test_bad_settings_are_refused(kwargs: dict, message: str) -> None:
    x = np.linspace(0, 1, 10)[:, None]
    settings = {"n_initial": 2, "n_calls": 5, **kwargs}
    with pytest.raises(ValueError, match=message):
        active_learning_run(x, lambda i: 0.0, np.zeros(10), **settings)
