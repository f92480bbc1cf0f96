"""Descriptors that turn molecules into numbers (lecture 01): one import for both kinds.

Two worlds, one module each:

* :mod:`utils.featurise.graphs`: molecules as graphs, SMILES (or RDKit
  molecules) in: one-hot atom types, Gasteiger charges, fingerprints and
  Tanimoto similarity, revised autocorrelations (RACs);
* :mod:`utils.featurise.points`: molecules as 3-D points, atomic numbers and
  positions (Z, R) in: Coulomb matrices and their spectra, atom-centred
  symmetry functions, rotations.

Every public name of both is re-exported here, so ``from utils.featurise
import coulomb_matrix, morgan_fingerprint`` works, together with the SMILES
parser :func:`as_mol` the whole package uses and :func:`n_distinct`, which
measures the degeneracy of any feature matrix, from either world. A function
of one molecule is ``x``; its version for many molecules is ``batch_x`` (plural
where ``x`` is a noun), e.g. :func:`coulomb_matrix` and
:func:`batch_coulomb_matrices`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from utils._inputs import as_mol
from utils.featurise.graphs import (
    DEFAULT_ATOM_TYPES,
    RAC_PROPERTIES,
    autocorrelation,
    batch_fingerprints,
    batch_rac_features,
    charge_extremes,
    gasteiger_charges,
    morgan_fingerprint,
    one_hot_atom_types,
    path_fingerprint,
    rac_features,
    tanimoto,
    tanimoto_matrix,
)
from utils.featurise.points import (
    acsf,
    batch_acsf,
    batch_coulomb_eigenvalues,
    batch_coulomb_matrices,
    cosine_cutoff,
    coulomb_eigenvalues,
    coulomb_matrix,
    element_sums,
    rotation_matrix,
    sorted_coulomb_vectors,
    summed_acsf,
)

__all__ = [
    "DEFAULT_ATOM_TYPES",
    "RAC_PROPERTIES",
    "acsf",
    "as_mol",
    "autocorrelation",
    "batch_acsf",
    "batch_coulomb_eigenvalues",
    "batch_coulomb_matrices",
    "batch_fingerprints",
    "batch_rac_features",
    "charge_extremes",
    "cosine_cutoff",
    "coulomb_eigenvalues",
    "coulomb_matrix",
    "element_sums",
    "gasteiger_charges",
    "morgan_fingerprint",
    "n_distinct",
    "one_hot_atom_types",
    "path_fingerprint",
    "rac_features",
    "rotation_matrix",
    "sorted_coulomb_vectors",
    "summed_acsf",
    "tanimoto",
    "tanimoto_matrix",
]


def n_distinct(features: ArrayLike, decimals: int = 6) -> int:
    """Number of distinct rows of a feature matrix after rounding.

    Molecules whose descriptors coincide cannot be told apart by any model
    that uses them: the fewer distinct rows, the more degenerate the descriptor.

    Parameters
    ----------
    features
        Shape ``(n_samples, n_features)``.
    decimals
        Values are rounded to this many decimals first (to ignore round-off).

    Examples
    --------
    >>> n_distinct([[1.0, 2.0], [1.0, 2.0000000001], [2.0, 1.0]])
    2
    """
    arr = np.asarray(features, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"features must be 2-D (n_samples, n_features), got shape {arr.shape}")
    rounded = np.round(arr, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    return int(len(np.unique(rounded, axis=0)))
