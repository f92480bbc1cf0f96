"""Descriptors of molecules as 3-D points: atomic numbers Z and positions R in, numbers out (lecture 01).

From the nuclei to the model, in the order of the lecture:

* the Coulomb matrix and its spectrum (Rupp et al. 2012):
  :func:`coulomb_matrix`, :func:`coulomb_eigenvalues`, for many molecules
  :func:`batch_coulomb_matrices`, :func:`batch_coulomb_eigenvalues`, and the
  row-norm-sorted matrix :func:`sorted_coulomb_vectors` (Hansen et al. 2013);
* atom-centred symmetry functions (Behler & Parrinello 2007, Behler 2011):
  :func:`cosine_cutoff`, :func:`acsf`, for many molecules :func:`batch_acsf`,
  and per-molecule sums per element for atomistic linear models,
  :func:`summed_acsf`, :func:`element_sums`;
* a rotation to test invariance, :func:`rotation_matrix`.

Coordinates are given in ångström. The Coulomb matrix is built in atomic units
(distances in bohr) by default, as Rupp et al. defined it, with ``units=`` for
the other choice; symmetry functions use ångström for distances and cutoffs.
Every function checks its geometry (lengths, finiteness, coinciding atoms)
and raises :class:`ValueError` naming the problem and, in a batch, the molecule.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from utils._inputs import as_geometries, as_geometry
from utils.constants import ANGSTROM_TO_BOHR

__all__ = [
    "acsf",
    "batch_acsf",
    "batch_coulomb_eigenvalues",
    "batch_coulomb_matrices",
    "cosine_cutoff",
    "coulomb_eigenvalues",
    "coulomb_matrix",
    "element_sums",
    "rotation_matrix",
    "sorted_coulomb_vectors",
    "summed_acsf",
]

#: Two atoms closer than this (Å) are taken to sit at the same position.
_SAME_POSITION = 1e-6

#: batch_acsf works on at most about this many atom triples (molecules x atoms³) at once.
_ACSF_CHUNK = 2**20


# --- Coulomb matrix ----------------------------------------------------------------


def _pair_distances(r: np.ndarray) -> np.ndarray:
    """Distance matrices of a stack of geometries, shape (..., n, n)."""
    diff = r[..., :, None, :] - r[..., None, :, :]
    return np.sqrt(np.einsum("...k,...k->...", diff, diff))


def _coincident(dist: np.ndarray) -> np.ndarray:
    """Which geometries of a stack of distance matrices have two atoms at one place."""
    n = dist.shape[-1]
    off = ~np.eye(n, dtype=bool)
    return np.any((dist < _SAME_POSITION) & off, axis=(-2, -1))


Units = Literal["bohr", "angstrom"]
Order = Literal["abs", "value"]
_UNITS = ("bohr", "angstrom")
_ORDERS = ("abs", "value")


def _distance_scale(units: str) -> float:
    """Factor that turns distances in Å into distances in ``units``."""
    if units not in _UNITS:
        raise ValueError(f"units must be one of {_UNITS}, got {units!r}")
    return ANGSTROM_TO_BOHR if units == "bohr" else 1.0


def coulomb_matrix(atomic_numbers: ArrayLike, positions: ArrayLike, units: Units = "bohr") -> np.ndarray:
    r"""Coulomb matrix of one molecule (Rupp et al. 2012).

    .. math::

        M_{ii} = \tfrac12 Z_i^{2.4}, \qquad
        M_{ij} = \frac{Z_i Z_j}{|\mathbf R_i - \mathbf R_j|} \quad (i \ne j)

    The diagonal is a fit of the free atom's energy in hartree, so the
    off-diagonal belongs in atomic units too: by default distances are
    converted to bohr, as in the paper. ``units="angstrom"`` keeps them in Å,
    which scales every off-diagonal entry by 1/0.529 = 1.89 and leaves the
    diagonal alone (lecture 01 measures what that does).

    Parameters
    ----------
    atomic_numbers
        Nuclear charges, shape ``(n_atoms,)``.
    positions
        Cartesian coordinates in Å, shape ``(n_atoms, 3)``.
    units
        ``"bohr"`` (atomic units, the default) or ``"angstrom"``: the unit of
        the distances in the off-diagonal entries.

    Returns
    -------
    numpy.ndarray
        Symmetric, shape ``(n_atoms, n_atoms)``.

    Raises
    ------
    ValueError
        If lengths differ, coordinates are not finite, two atoms coincide, or
        ``units`` is unknown.

    Examples
    --------
    H₂ at 0.74 Å = 1.398 bohr: the diagonal is 0.5 · 1^2.4, the off-diagonal
    1/1.398 in atomic units and 1/0.74 with distances in Å.

    >>> coulomb_matrix([1, 1], [[0, 0, 0], [0, 0, 0.74]]).round(4).tolist()
    [[0.5, 0.7151], [0.7151, 0.5]]
    >>> coulomb_matrix([1, 1], [[0, 0, 0], [0, 0, 0.74]], units="angstrom").round(4).tolist()
    [[0.5, 1.3514], [1.3514, 0.5]]
    """
    z, r = as_geometry(atomic_numbers, positions)
    return batch_coulomb_matrices([z], [r], units=units)[0]


def coulomb_eigenvalues(
    atomic_numbers: ArrayLike,
    positions: ArrayLike,
    size: int | None = None,
    units: Units = "bohr",
    order: Order = "abs",
) -> np.ndarray:
    """Eigenvalues of the Coulomb matrix, sorted, zero-padded to ``size``.

    Parameters
    ----------
    atomic_numbers, positions, units
        As for :func:`coulomb_matrix`.
    size
        Length of the returned vector (>= the number of atoms); the number of
        atoms by default.
    order
        ``"abs"`` (default, Rupp et al.): by decreasing absolute value;
        ``"value"``: by decreasing value, negative eigenvalues last.

    Returns
    -------
    numpy.ndarray
        Shape ``(size,)``: the ``n_atoms`` sorted eigenvalues, then zeros.

    Examples
    --------
    For H₂ the eigenvalues are 0.5 ± 1/d: with d in bohr both are positive,
    with d in Å one is negative.

    >>> coulomb_eigenvalues([1, 1], [[0, 0, 0], [0, 0, 0.74]], size=3).round(4).tolist()
    [1.2151, -0.2151, 0.0]
    >>> coulomb_eigenvalues([1, 1], [[0, 0, 0], [0, 0, 0.74]], units="angstrom").round(4).tolist()
    [1.8514, -0.8514]
    """
    z, r = as_geometry(atomic_numbers, positions)
    return batch_coulomb_eigenvalues([z], [r], size=size, units=units, order=order)[0]


def _padded_size(zs: Sequence[np.ndarray], size: int | None) -> int:
    largest = max((len(z) for z in zs), default=0)
    size = largest if size is None else int(size)
    if largest > size:
        raise ValueError(f"a molecule has {largest} atoms, more than size={size}")
    return size


def _groups_by_size(zs: Sequence[np.ndarray]) -> dict[int, np.ndarray]:
    sizes = np.array([len(z) for z in zs])
    return {int(n): np.flatnonzero(sizes == n) for n in np.unique(sizes)}


def _stacked_coulomb(zs: Sequence[np.ndarray], rs: Sequence[np.ndarray], idx: np.ndarray, scale: float) -> np.ndarray:
    """Coulomb matrices of molecules ``idx``, which all have the same atom count."""
    z = np.stack([zs[i] for i in idx])
    r = np.stack([rs[i] for i in idx])
    dist = _pair_distances(r)
    bad = _coincident(dist)
    if bad.any():
        raise ValueError(f"molecule {int(idx[np.argmax(bad)])}: two atoms are at the same position")
    n = z.shape[1]
    eye = np.eye(n, dtype=bool)
    dist *= scale
    np.copyto(dist, 1.0, where=eye)
    cm = z[:, :, None] * z[:, None, :] / dist
    cm[:, eye] = 0.5 * z**2.4
    return cm


def batch_coulomb_matrices(
    atomic_numbers: Sequence[ArrayLike],
    positions: Sequence[ArrayLike],
    size: int | None = None,
    units: Units = "bohr",
) -> np.ndarray:
    """Coulomb matrices of many molecules, zero-padded to a common size.

    Molecules with the same number of atoms are computed together as one
    numpy array operation.

    Parameters
    ----------
    atomic_numbers
        One array of nuclear charges per molecule.
    positions
        One ``(n_atoms, 3)`` array of coordinates in Å per molecule.
    size
        Side of the padded matrices; the largest atom count by default.
    units
        As for :func:`coulomb_matrix`.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_molecules, size, size)``; entries beyond a molecule's atoms are 0.

    Examples
    --------
    >>> cms = batch_coulomb_matrices([[1, 1], [8, 1, 1]],
    ...     [[[0, 0, 0], [0, 0, 0.74]], [[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]]])
    >>> cms.shape, float(cms[0, 2, 2]), round(float(cms[1, 0, 1]), 3)
    ((2, 3, 3), 0.0, 4.41)
    """
    scale = _distance_scale(units)
    zs, rs = as_geometries(atomic_numbers, positions)
    size = _padded_size(zs, size)
    out = np.zeros((len(zs), size, size))
    for n, idx in _groups_by_size(zs).items():
        out[idx, :n, :n] = _stacked_coulomb(zs, rs, idx, scale)
    return out


def batch_coulomb_eigenvalues(
    atomic_numbers: Sequence[ArrayLike],
    positions: Sequence[ArrayLike],
    size: int | None = None,
    units: Units = "bohr",
    order: Order = "abs",
) -> np.ndarray:
    """Coulomb-matrix eigenvalues of many molecules (see :func:`coulomb_eigenvalues`).

    Parameters
    ----------
    atomic_numbers, positions
        As for :func:`batch_coulomb_matrices`.
    size
        Length of each row; the largest atom count by default.
    units, order
        As for :func:`coulomb_eigenvalues`.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_molecules, size)``: each molecule's sorted eigenvalues, then zeros.

    Examples
    --------
    >>> batch_coulomb_eigenvalues([[1, 1], [1]], [[[0, 0, 0], [0, 0, 0.74]], [[0, 0, 0]]]).round(4).tolist()
    [[1.2151, -0.2151], [0.5, 0.0]]
    """
    scale = _distance_scale(units)
    if order not in _ORDERS:
        raise ValueError(f"order must be one of {_ORDERS}, got {order!r}")
    zs, rs = as_geometries(atomic_numbers, positions)
    size = _padded_size(zs, size)
    out = np.zeros((len(zs), size))
    for n, idx in _groups_by_size(zs).items():
        eig = np.linalg.eigvalsh(_stacked_coulomb(zs, rs, idx, scale))  # ascending
        if order == "abs":
            eig = np.take_along_axis(eig, np.argsort(-np.abs(eig), axis=1, kind="stable"), axis=1)
        else:
            eig = eig[:, ::-1]
        out[idx, :n] = eig
    return out


def sorted_coulomb_vectors(matrices: ArrayLike) -> np.ndarray:
    """Row-norm-sorted Coulomb matrices, flattened to their upper triangles.

    Atoms are reordered by decreasing norm of their Coulomb-matrix row, which
    makes the representation independent of the input atom order (Hansen et
    al., *J. Chem. Theory Comput.* 9, 3404, 2013). Ties keep the input order.

    Parameters
    ----------
    matrices
        Symmetric matrices, shape ``(n_molecules, size, size)``, e.g. from
        :func:`batch_coulomb_matrices`.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_molecules, size (size + 1) / 2)``.

    Raises
    ------
    ValueError
        If ``matrices`` is not a stack of square matrices.

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


# --- atom-centred symmetry functions ------------------------------------------------


def cosine_cutoff(r: ArrayLike, r_cut: float) -> np.ndarray:
    r"""Behler's cosine cutoff :math:`f_c(r) = \tfrac12[\cos(\pi r / r_c) + 1]` for :math:`r < r_c`, else 0.

    Examples
    --------
    >>> cosine_cutoff([0.0, 3.0, 6.0, 7.0], r_cut=6.0).tolist()
    [1.0, 0.5, 0.0, 0.0]
    """
    if not r_cut > 0:
        raise ValueError(f"r_cut must be positive, got {r_cut}")
    d = np.asarray(r, dtype=float)
    return np.where(d < r_cut, 0.5 * (np.cos(np.pi * d / r_cut) + 1.0), 0.0)


def acsf(
    atomic_numbers: ArrayLike,
    positions: ArrayLike,
    r_cut: float = 6.0,
    radial: Sequence[tuple[float, float]] = ((0.5, 0.0), (0.5, 1.5), (0.5, 3.0)),
    angular: Sequence[tuple[float, float, float]] = ((0.05, 1.0, 1.0), (0.05, 1.0, -1.0)),
    species: Sequence[int] | None = None,
) -> np.ndarray:
    r"""Atom-centred symmetry functions (Behler–Parrinello), one row per atom.

    Radial and angular functions of atom i, with :math:`R_{ij}` the distance,
    :math:`\theta_{ijk}` the angle at i and :math:`f_c` the cosine cutoff:

    .. math::

        G^2_i = \sum_{j \ne i} e^{-\eta (R_{ij} - R_s)^2} f_c(R_{ij}),

        G^4_i = 2^{1-\zeta} \sum_{j \ne i} \sum_{k > j,\, k \ne i}
        (1 + \lambda \cos\theta_{ijk})^\zeta
        e^{-\eta (R_{ij}^2 + R_{ik}^2 + R_{jk}^2)} f_c(R_{ij}) f_c(R_{ik}) f_c(R_{jk}).

    Each unordered neighbour pair {j, k} is counted once. With ``species``
    the sums are split by the element of the neighbours (G² per element, G⁴
    per unordered pair of elements), which is what makes them useful for
    several elements.

    Parameters
    ----------
    atomic_numbers
        Nuclear charges, shape ``(n_atoms,)``.
    positions
        Coordinates in Å, shape ``(n_atoms, 3)``.
    r_cut
        Cutoff radius in Å.
    radial
        ``(eta, r_s)`` pairs (Å⁻², Å), one G² each.
    angular
        ``(eta, zeta, lambda)`` triples (Å⁻², -, ±1), one G⁴ each.
    species
        Atomic numbers that get their own channels; one channel for all
        neighbours by default.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_atoms, n_features)``: for each neighbour element the G²
        in the order of ``radial``, then for each element pair (in the order
        (s0,s0), (s0,s1), ..., (s1,s1), ...) the G⁴ in the order of ``angular``.

    Raises
    ------
    ValueError
        For bad geometry (see :func:`coulomb_matrix`), an element missing
        from ``species``, or ``lambda`` not ±1.

    Examples
    --------
    H₂ at 0.74 Å, one radial function with η = 0 is just the cutoff value:

    >>> g = acsf([1, 1], [[0, 0, 0], [0, 0, 0.74]], r_cut=6.0, radial=[(0.0, 0.0)], angular=[])
    >>> g.round(4).tolist()
    [[0.9629], [0.9629]]
    """
    z, r = as_geometry(atomic_numbers, positions)
    return batch_acsf([z], [r], r_cut=r_cut, radial=radial, angular=angular, species=species)[0]


def batch_acsf(
    atomic_numbers: Sequence[ArrayLike],
    positions: Sequence[ArrayLike],
    r_cut: float = 6.0,
    radial: Sequence[tuple[float, float]] = ((0.5, 0.0), (0.5, 1.5), (0.5, 3.0)),
    angular: Sequence[tuple[float, float, float]] = ((0.05, 1.0, 1.0), (0.05, 1.0, -1.0)),
    species: Sequence[int] | None = None,
) -> list[np.ndarray]:
    """Symmetry functions (:func:`acsf`) of many molecules at once.

    Molecules with the same number of atoms are computed together as stacked
    numpy arrays, which is much faster than a loop over :func:`acsf`.

    Parameters
    ----------
    atomic_numbers, positions
        One array per molecule, as for :func:`batch_coulomb_matrices`.
    r_cut, radial, angular, species
        As for :func:`acsf`.

    Returns
    -------
    list of numpy.ndarray
        One ``(n_atoms, n_features)`` array per molecule.

    Examples
    --------
    >>> gs = batch_acsf([[1, 1], [8, 1, 1]], [[[0, 0, 0], [0, 0, 0.74]],
    ...     [[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]]], radial=[(0.0, 0.0)], angular=[])
    >>> [g.shape for g in gs]
    [(2, 1), (3, 1)]
    """
    zs, rs = as_geometries(atomic_numbers, positions)
    if not r_cut > 0:
        raise ValueError(f"r_cut must be positive, got {r_cut}")
    for _, _, lam in angular:
        if lam not in (1, -1):
            raise ValueError(f"lambda must be +1 or -1, got {lam}")
    present = np.unique(np.concatenate(zs)).astype(int) if zs else np.zeros(0, dtype=int)
    if species is None:
        n_species = 1
        channel_of = np.zeros(present.max(initial=0) + 1, dtype=int)  # every element in channel 0
    else:
        missing = sorted(set(present.tolist()) - {int(s) for s in species})
        if missing:
            raise ValueError(f"atomic numbers {missing} are not in species={list(species)}")
        n_species = len(species)
        channel_of = np.zeros(max(int(s) for s in species) + 1, dtype=int)
        channel_of[[int(s) for s in species]] = np.arange(n_species)  # atomic number -> channel
    out: list[np.ndarray] = [np.empty(0)] * len(zs)
    for n, group in _groups_by_size(zs).items():
        per_chunk = max(1, _ACSF_CHUNK // n**3)  # memory grows as molecules x n³: large groups in chunks
        for idx in (group[start : start + per_chunk] for start in range(0, len(group), per_chunk)):
            dist = _pair_distances(np.stack([rs[i] for i in idx]))
            bad = _coincident(dist)
            if bad.any():
                where = f"molecule {int(idx[np.argmax(bad)])}: " if len(zs) > 1 else ""
                raise ValueError(f"{where}two atoms are at the same position")
            channel = channel_of[np.stack([zs[i] for i in idx]).astype(int)]  # (m, n)
            g = _acsf_stack(dist, channel, n_species, r_cut, radial, angular)
            for k, i in enumerate(idx):
                out[i] = g[k]
    return out


def summed_acsf(
    atomic_numbers: Sequence[ArrayLike],
    positions: Sequence[ArrayLike],
    species: Sequence[int],
    r_cut: float = 5.0,
    radial: Sequence[tuple[float, float]] = tuple((4.0, float(r_s)) for r_s in np.linspace(0.8, 4.0, 9)),
    angular: Sequence[tuple[float, float, float]] = (
        (0.05, 1.0, 1.0),
        (0.05, 1.0, -1.0),
        (0.05, 4.0, 1.0),
        (0.05, 4.0, -1.0),
    ),
) -> np.ndarray:
    r"""One vector per molecule: each element's symmetry functions summed, then its atom count.

    A linear model on these features is a sum of atomic contributions,
    :math:`E = \sum_i (\mathbf w_{Z_i} \cdot \mathbf G_i + b_{Z_i})`, one weight
    vector and one offset per element: the simplest atomistic model (lecture 01).
    The defaults are lecture 01's: nine radial and four angular functions
    within 5 Å.

    Parameters
    ----------
    atomic_numbers, positions
        One array per molecule, as for :func:`batch_acsf`.
    species
        The elements, as atomic numbers; every atom must be one of them.
    r_cut, radial, angular
        As for :func:`acsf`.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_molecules, n_species * n_functions + n_species)``: for each
        element in ``species`` order, the sum of its atoms' symmetry functions;
        then the number of atoms of each element.

    Examples
    --------
    >>> x = summed_acsf([[8, 1, 1]], [[[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]]], species=[1, 8],
    ...                 radial=[(0.0, 0.0)], angular=[])
    >>> x.shape, x[0, -2:].tolist()
    ((1, 6), [2.0, 1.0])
    """
    per_atom = batch_acsf(atomic_numbers, positions, r_cut=r_cut, radial=radial, angular=angular, species=species)
    return element_sums(atomic_numbers, per_atom, species)


def element_sums(
    atomic_numbers: Sequence[ArrayLike], per_atom: Sequence[ArrayLike], species: Sequence[int]
) -> np.ndarray:
    """Per-atom features summed over the atoms of each element, then the element counts.

    The step that turns any per-atom descriptor (symmetry functions here, SOAP
    in ``benchmarks/soap_qm9.py``) into the features of an atomistic linear
    model: one block per element in ``species`` order, then one count per element.

    Parameters
    ----------
    atomic_numbers
        One array of nuclear charges per molecule.
    per_atom
        One ``(n_atoms, n_features)`` array per molecule, rows in atom order.
    species
        The elements, as atomic numbers; atoms of other elements are ignored.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_molecules, n_species * n_features + n_species)``.

    Examples
    --------
    >>> element_sums([[8, 1, 1]], [[[1.0], [2.0], [3.0]]], species=[1, 8]).tolist()
    [[5.0, 1.0, 2.0, 1.0]]
    """
    rows = []
    for z, g in zip(atomic_numbers, per_atom, strict=True):
        z, g = np.asarray(z).ravel(), np.asarray(g, dtype=float)
        rows.append(
            np.concatenate([g[z == e].sum(axis=0) for e in species] + [[float(np.sum(z == e)) for e in species]])
        )
    return np.array(rows)


def _acsf_stack(
    dist: np.ndarray,
    channel: np.ndarray,
    n_species: int,
    r_cut: float,
    radial: Sequence[tuple[float, float]],
    angular: Sequence[tuple[float, float, float]],
) -> np.ndarray:
    """G² and G⁴ of a stack of m molecules with n atoms each: shape (m, n, n_features).

    ``dist`` holds the (m, n, n) distance matrices, ``channel`` the (m, n)
    species channel of every atom.
    """
    m, n = channel.shape
    fc = cosine_cutoff(dist, r_cut)
    fc[:, np.arange(n), np.arange(n)] = 0.0  # an atom is not its own neighbour

    # G²: for each (eta, r_s), a matrix of pair terms (i, j) per molecule; summing
    # its rows against the one-hot elements of j splits the sum by element.
    onehot = np.eye(n_species)[channel]  # (m, j, species)
    eta, r_s = np.reshape(np.asarray(radial, dtype=float), (-1, 2)).T[..., None, None, None]  # (radial, 1, 1, 1)
    pair_terms = np.exp(-eta * (dist - r_s) ** 2) * fc  # (radial, m, i, j)
    g2 = (pair_terms @ onehot).transpose(1, 2, 3, 0)  # (m, i, species, radial)

    # G⁴: every term belongs to a triangle of atoms {a, b, c}, a < b < c, and
    # the triangle gives one term to each corner (centre a with neighbours b, c,
    # and so on). The exponential and the three cutoffs are the same for the
    # three corners, only the angle differs: compute them once per triangle.
    a, b, c = np.array(list(combinations(range(n), 3)), dtype=np.intp).reshape(-1, 3).T
    ab, ac, bc = dist[:, a, b], dist[:, a, c], dist[:, b, c]  # (m, triangles) side lengths
    cos = np.stack(  # law of cosines, the angle at each corner: (corner, m, triangles)
        [
            (ab**2 + ac**2 - bc**2) / (2 * ab * ac),
            (ab**2 + bc**2 - ac**2) / (2 * ab * bc),
            (ac**2 + bc**2 - ab**2) / (2 * ac * bc),
        ]
    )
    np.clip(cos, -1.0, 1.0, out=cos)  # rounding must not push a straight angle past ±1
    sides2 = ab**2 + ac**2 + bc**2
    cut = fc[:, a, b] * fc[:, a, c] * fc[:, b, c]

    # Where each term goes: the row (molecule, centre, element pair of its two neighbours).
    pairs = [(s, t) for s in range(n_species) for t in range(s, n_species)]
    pair_of = np.empty((n_species, n_species), dtype=np.intp)  # (element, element) -> pair index
    for k, (s, t) in enumerate(pairs):
        pair_of[s, t] = pair_of[t, s] = k
    neighbour_pair = pair_of[channel[:, :, None], channel[:, None, :]]  # (m, j, k): pair index of atoms j, k
    first = np.arange(m)[:, None] * n  # (m, 1): the number of atom 0 of each molecule among all m n atoms
    row = (first + np.stack([a, b, c])[:, None, :]) * len(pairs)  # (corner, m, triangles)
    row += np.stack([neighbour_pair[:, b, c], neighbour_pair[:, a, c], neighbour_pair[:, a, b]])
    row = row.ravel()

    g4 = np.empty((m * n * len(pairs), len(angular)))
    radial_part: dict[float, np.ndarray] = {}  # exp(-eta sum of squared sides) * cutoffs, per eta
    for k, (eta4, zeta, lam) in enumerate(angular):
        if eta4 not in radial_part:
            radial_part[eta4] = np.exp(-eta4 * sides2) * cut  # (m, triangles)
        terms = (1 + lam * cos) ** zeta * (2.0 ** (1 - zeta) * radial_part[eta4])  # (corner, m, triangles)
        g4[:, k] = np.bincount(row, weights=terms.ravel(), minlength=g4.shape[0])  # sum the terms of each row
    return np.concatenate(
        [g2.reshape(m, n, n_species * len(radial)), g4.reshape(m, n, len(pairs) * len(angular))], axis=2
    )


# --- geometry helpers -----------------------------------------------------------------


def rotation_matrix(axis: ArrayLike, angle: float) -> np.ndarray:
    """Rotation by ``angle`` (radians) about ``axis`` (Rodrigues' formula).

    Examples
    --------
    >>> rotation_matrix([0, 0, 1], np.pi / 2).round(6).tolist()
    [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    u = np.asarray(axis, dtype=float)
    norm = np.linalg.norm(u)
    if u.shape != (3,) or not np.isfinite(norm) or norm == 0:
        raise ValueError(f"axis must be a non-zero 3-vector, got {axis!r}")
    u = u / norm
    k = np.array([[0, -u[2], u[1]], [u[2], 0, -u[0]], [-u[1], u[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)
