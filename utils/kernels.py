r"""Helpers for the kernel lecture (lecture 03).

* :func:`quadratic_features`: the explicit feature map of the quadratic kernel
  :math:`(\mathbf{x}^\top\mathbf{x}' + 1)^2`, so that
  ``quadratic_features(A) @ quadratic_features(B).T == (A @ B.T + 1) ** 2``.

The Coulomb-matrix representations the lecture feeds its kernels live with the
other descriptors in :mod:`utils.featurise`. Kernel ridge regression itself is
not here: students implement it in the exercise ``ex02_krr``; the lecture uses
scikit-learn's ``KernelRidge``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from utils._inputs import as_matrix

__all__ = ["quadratic_features"]


def quadratic_features(x: ArrayLike) -> np.ndarray:
    """Explicit features whose dot product is the quadratic kernel ``(x·x' + 1)²``.

    For ``d`` input features the map is
    ``[1, √2 x_1, ..., √2 x_d, x_1², ..., x_d², √2 x_i x_j (i < j)]``,
    ``1 + 2d + d(d-1)/2`` columns in all.

    Parameters
    ----------
    x
        Feature matrix, shape ``(n_samples, d)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_samples, 1 + 2d + d(d-1)/2)``.

    Raises
    ------
    ValueError
        If ``x`` is not two-dimensional or holds NaN or infinite values.

    Examples
    --------
    >>> phi = quadratic_features([[1.0, 2.0]])
    >>> np.round(phi, 4).tolist()
    [[1.0, 1.4142, 2.8284, 1.0, 4.0, 2.8284]]
    >>> a, b = np.array([[1.0, 2.0]]), np.array([[3.0, -1.0]])
    >>> (quadratic_features(a) @ quadratic_features(b).T).item(), ((a @ b.T + 1) ** 2).item()
    (4.0, 4.0)
    """
    arr = as_matrix(x, "x", "n_samples, d")
    i, j = np.triu_indices(arr.shape[1], k=1)
    root2 = np.sqrt(2.0)
    return np.hstack([np.ones((arr.shape[0], 1)), root2 * arr, arr**2, root2 * arr[:, i] * arr[:, j]])
