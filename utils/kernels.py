"""Helpers for the kernel lecture (lecture 03).

* :func:`quadratic_features`: the explicit feature map of the quadratic kernel
  :math:`(\\mathbf{x}^\\top\\mathbf{x}' + 1)^2`, so that
  ``quadratic_features(A) @ quadratic_features(B).T == (A @ B.T + 1) ** 2``.
* :func:`coulomb_matrices`, :func:`coulomb_spectra`, :func:`sorted_coulomb_vectors`:
  vectorised Coulomb-matrix representations of many molecules at once (Rupp et
  al., *Phys. Rev. Lett.* 108, 058301, 2012), in atomic units as in the paper.

Kernel ridge regression itself is not here: students implement it in the
exercise ``ex02_krr``; the lecture uses scikit-learn's ``KernelRidge``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "ANGSTROM_TO_BOHR",
    "coulomb_matrices",
    "coulomb_spectra",
    "quadratic_features",
    "sorted_coulomb_vectors",
]

#: 1 Å in bohr (CODATA 2018 Bohr radius 0.529177210903 Å).
ANGSTROM_TO_BOHR: float = 1.0 / 0.529177210903


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
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"x must be two-dimensional (n_samples, d), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("x holds NaN or infinite values")
    i, j = np.triu_indices(arr.shape[1], k=1)
    root2 = np.sqrt(2.0)
    return np.hstack([np.ones((arr.shape[0], 1)), root2 * arr, arr**2, root2 * arr[:, i] * arr[:, j]])


def coulomb_matrices(
    atomic_numbers: Sequence[ArrayLike],
    positions: Sequence[ArrayLike],
    size: int | None = None,
) -> np.ndarray:
    """Coulomb matrices of many molecules, zero-padded to a common size.

    ``C_ii = 0.5 Z_i^2.4`` and ``C_ij = Z_i Z_j / |R_i - R_j|`` with distances in
    bohr (positions are given in Å and converted), as in Rupp et al. (2012).

    Parameters
    ----------
    atomic_numbers
        One integer array of nuclear charges per molecule.
    positions
        One array of Cartesian coordinates in Å per molecule, shape ``(n_atoms, 3)``.
    size
        Size of the padded matrices; the largest molecule's atom count by default.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_molecules, size, size)``; rows and columns beyond a
        molecule's atoms are zero.

    Raises
    ------
    ValueError
        If the two sequences differ in length, a molecule's charges and
        coordinates do not match, two atoms coincide, or a molecule has more
        than ``size`` atoms.

    Examples
    --------
    >>> c = coulomb_matrices([[8, 1, 1]], [[[0, 0, 0], [0.9572, 0, 0], [-0.24, 0.9266, 0]]], size=4)
    >>> c.shape, round(float(c[0, 0, 0]), 2), round(float(c[0, 0, 1]), 3), float(c[0, 3, 3])
    ((1, 4, 4), 73.52, 4.423, 0.0)
    """
    if len(atomic_numbers) != len(positions):
        raise ValueError(
            f"got {len(atomic_numbers)} sets of atomic numbers but {len(positions)} sets of positions"
        )
    charges = [np.asarray(z, dtype=float).ravel() for z in atomic_numbers]
    coords = [np.asarray(r, dtype=float) for r in positions]
    largest = max((len(z) for z in charges), default=0)
    size = largest if size is None else int(size)
    if largest > size:
        raise ValueError(f"a molecule has {largest} atoms, more than size={size}")
    z_pad = np.zeros((len(charges), size))
    r_pad = np.zeros((len(charges), size, 3))
    for k, (z, r) in enumerate(zip(charges, coords)):
        if r.shape != (len(z), 3):
            raise ValueError(f"molecule {k}: {len(z)} atomic numbers but positions of shape {r.shape}")
        z_pad[k, : len(z)], r_pad[k, : len(z)] = z, r * ANGSTROM_TO_BOHR
    dist = np.linalg.norm(r_pad[:, :, None, :] - r_pad[:, None, :, :], axis=-1)
    real = (z_pad[:, :, None] > 0) & (z_pad[:, None, :] > 0)
    off = real & ~np.eye(size, dtype=bool)
    if np.any(dist[off] < 1e-8):
        raise ValueError("two atoms of a molecule are at the same position")
    cm = np.divide(z_pad[:, :, None] * z_pad[:, None, :], dist, out=np.zeros_like(dist), where=off)
    diag = np.arange(size)
    cm[:, diag, diag] = 0.5 * z_pad**2.4
    return cm


def coulomb_spectra(matrices: ArrayLike) -> np.ndarray:
    """Eigenvalues of each Coulomb matrix, sorted by decreasing absolute value.

    Padding rows contribute zero eigenvalues, which land at the end.

    Parameters
    ----------
    matrices
        Symmetric matrices, shape ``(n_molecules, size, size)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_molecules, size)``.

    Examples
    --------
    >>> coulomb_spectra(np.array([[[1.0, 0.0], [0.0, -3.0]]])).tolist()
    [[-3.0, 1.0]]
    """
    arr = np.asarray(matrices, dtype=float)
    if arr.ndim != 3 or arr.shape[1] != arr.shape[2]:
        raise ValueError(f"matrices must have shape (n, size, size), got {arr.shape}")
    eig = np.linalg.eigvalsh(arr)
    order = np.argsort(-np.abs(eig), axis=1, kind="stable")
    return np.take_along_axis(eig, order, axis=1)


def sorted_coulomb_vectors(matrices: ArrayLike) -> np.ndarray:
    """Row-norm-sorted Coulomb matrices, flattened to their upper triangles.

    Atoms are reordered by decreasing norm of their Coulomb-matrix row, which
    makes the representation independent of the input atom order (Hansen et
    al., *J. Chem. Theory Comput.* 9, 3404, 2013).

    Parameters
    ----------
    matrices
        Symmetric matrices, shape ``(n_molecules, size, size)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_molecules, size (size + 1) / 2)``.

    Examples
    --------
    >>> m = np.array([[[1.0, 2.0], [2.0, 9.0]]])
    >>> sorted_coulomb_vectors(m).tolist()
    [[9.0, 2.0, 1.0]]
    """
    arr = np.asarray(matrices, dtype=float)
    if arr.ndim != 3 or arr.shape[1] != arr.shape[2]:
        raise ValueError(f"matrices must have shape (n, size, size), got {arr.shape}")
    order = np.argsort(-np.linalg.norm(arr, axis=2), axis=1, kind="stable")
    permuted = np.take_along_axis(np.take_along_axis(arr, order[:, :, None], axis=1), order[:, None, :], axis=2)
    i, j = np.triu_indices(arr.shape[1])
    return permuted[:, i, j]
