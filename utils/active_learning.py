"""Active learning with Gaussian-process regression (lecture 06).

A Gaussian process (GP) gives, with each prediction, a standard deviation
that says how unsure it is. Active learning uses it to decide where to spend
the next expensive calculation: ask the oracle at the candidate where the GP
is least sure, refit, repeat. :func:`active_learning_run` does that (or picks
candidates at random, the baseline) and records the error after every oracle
call. :func:`periodic_features` maps torsion angles to a circle, so that a
kernel on them knows that 0° and 360° are the same geometry.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
from sklearn.exceptions import ConvergenceWarning

__all__ = ["active_learning_run", "default_gp", "periodic_features"]


def periodic_features(angles_deg: ArrayLike) -> np.ndarray:
    """``(cos θ, sin θ)`` of every angle, so distances respect the 360° period.

    Parameters
    ----------
    angles_deg
        Shape ``(n,)`` or ``(n, k)``: ``k`` angles per point, in degrees.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, 2k)``: ``cos θ_1, sin θ_1, cos θ_2, ...``.

    Examples
    --------
    >>> f = periodic_features([[0.0], [360.0], [90.0]])
    >>> np.allclose(f[0], f[1]), f[2].round(6).tolist()
    (True, [0.0, 1.0])
    """
    a = np.radians(np.asarray(angles_deg, dtype=float))
    if a.ndim == 1:
        a = a[:, None]
    return np.stack([np.cos(a), np.sin(a)], axis=-1).reshape(len(a), -1)


def default_gp() -> object:
    """A GP for smooth, noise-free energies: constant × RBF kernel, normalised labels.

    The length scale and amplitude are fitted by maximising the marginal
    likelihood on the data seen so far; a tiny ``alpha`` keeps the solve stable.
    So the predictive standard deviation depends on the labels, not only on
    where the data are: through the fitted hyperparameters, and, because the
    labels are scaled to unit variance before fitting, through their spread
    (doubling every label doubles it).

    Examples
    --------
    >>> gp = default_gp()
    >>> type(gp).__name__
    'GaussianProcessRegressor'
    >>> x = np.linspace(0.0, 3.0, 6)[:, None]
    >>> std = [default_gp().fit(x, k * np.sin(x[:, 0])).predict([[1.7]], return_std=True)[1][0] for k in (1, 2)]
    >>> bool(np.isclose(std[1], 2 * std[0]))
    True
    """
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel

    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * RBF(length_scale=1.0, length_scale_bounds=(1e-2, 1e2))
    return GaussianProcessRegressor(kernel=kernel, alpha=1e-6, normalize_y=True)


def active_learning_run(
    features: ArrayLike,
    oracle: Callable[[int], float],
    reference: ArrayLike,
    n_initial: int,
    n_calls: int,
    strategy: str = "uncertainty",
    seed: int = 0,
    make_gp: Callable[[], object] = default_gp,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Learn a function on a pool of candidates, one oracle call at a time.

    Starts from ``n_initial`` random candidates, then repeatedly fits a GP to
    everything computed so far and asks the oracle at the next candidate: the
    one with the largest predictive standard deviation (``"uncertainty"``) or a
    random one not yet computed (``"random"``).

    Parameters
    ----------
    features
        Candidates, shape ``(n_candidates, n_features)``.
    oracle
        ``oracle(i)`` returns the label of candidate ``i`` (the expensive call).
    reference
        True labels of all candidates, used only to measure the error (never to choose).
    n_initial
        Random oracle calls before the GP starts choosing (at least 2).
    n_calls
        Total oracle calls.
    strategy
        ``"uncertainty"`` or ``"random"``.
    seed
        Seed of the generator for the initial (and random) picks.
    make_gp
        Returns a fresh, unfitted scikit-learn-style regressor whose
        ``predict(X, return_std=True)`` gives mean and standard deviation.

    Returns
    -------
    calls
        ``n_initial, ..., n_calls``.
    mae
        Mean absolute error of the GP mean over all candidates after each number of calls.
    picked
        Indices of the candidates in the order the oracle was called.

    Examples
    --------
    >>> x = np.linspace(0, 6, 60)[:, None]
    >>> calls, mae, picked = active_learning_run(x, lambda i: float(np.sin(x[i, 0])), np.sin(x[:, 0]), 2, 8)
    >>> calls.tolist(), len(set(picked.tolist())), bool(mae[-1] < mae[0])
    ([2, 3, 4, 5, 6, 7, 8], 8, True)
    """
    X = np.asarray(features, dtype=float)
    truth = np.asarray(reference, dtype=float)
    if strategy not in ("uncertainty", "random"):
        raise ValueError(f"strategy must be 'uncertainty' or 'random', got {strategy!r}")
    if len(truth) != len(X):
        raise ValueError(f"{len(X)} candidates but {len(truth)} reference labels")
    if not 2 <= n_initial <= n_calls <= len(X):
        raise ValueError(f"need 2 <= n_initial ({n_initial}) <= n_calls ({n_calls}) <= candidates ({len(X)})")
    rng = np.random.default_rng(seed)
    picked = list(rng.choice(len(X), size=n_initial, replace=False))
    labels = [oracle(int(i)) for i in picked]
    maes = []
    while True:
        gp = make_gp()
        # With a handful of labels the marginal-likelihood optimiser often stops early or at a
        # bound of the length scale; the fit is still the best it found. Whether scikit-learn says
        # so depends on the last bits of floating point (CPU, BLAS), so it is silenced here only.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gp.fit(X[picked], np.array(labels))  # type: ignore[attr-defined]
        mean, std = gp.predict(X, return_std=True)  # type: ignore[attr-defined]
        maes.append(float(np.mean(np.abs(mean - truth))))
        if len(picked) == n_calls:
            break
        free = np.setdiff1d(np.arange(len(X)), picked)
        nxt = free[np.argmax(std[free])] if strategy == "uncertainty" else rng.choice(free)
        picked.append(int(nxt))
        labels.append(oracle(int(nxt)))
    return np.arange(n_initial, n_calls + 1), np.array(maes), np.array(picked)
