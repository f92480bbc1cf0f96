"""Helpers for reading feature importances (lecture 04).

Nothing here computes a permutation importance: that algorithm is graded
(exercise 3), and the lecture calls :func:`sklearn.inspection.permutation_importance`.
These functions only arrange and aggregate importances that were computed
elsewhere, and find groups of correlated features; the bar chart that draws
them is :func:`utils.plotting.importance_barh`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["correlation_clusters", "importance_frame", "rac_name_parts"]


def importance_frame(names: Sequence[str], importances: ArrayLike) -> pd.DataFrame:
    """Mean and spread of repeated importances, one row per feature, largest first.

    Parameters
    ----------
    names
        Feature names, one per row of ``importances``.
    importances
        Array of shape ``(n_features, n_repeats)`` (e.g. ``result.importances``
        from scikit-learn).

    Returns
    -------
    pandas.DataFrame
        Indexed by feature name, columns ``mean`` and ``std`` (population
        standard deviation over the repeats), sorted by ``mean`` descending.

    Raises
    ------
    ValueError
        If the number of names and rows differ.

    Examples
    --------
    >>> importance_frame(["a", "b"], [[0.1, 0.3], [1.0, 1.0]])
       mean  std
    b   1.0  0.0
    a   0.2  0.1
    """
    import pandas as pd

    values = np.atleast_2d(np.asarray(importances, dtype=float))
    if values.shape[0] != len(names):
        raise ValueError(f"{len(names)} names for {values.shape[0]} rows of importances")
    frame = pd.DataFrame({"mean": values.mean(axis=1), "std": values.std(axis=1)}, index=list(names))
    return frame.sort_values("mean", ascending=False)


def rac_name_parts(names: Sequence[str]) -> pd.DataFrame:
    """Split RAC feature names (``utils.featurise.rac_features``) into their parts.

    Parameters
    ----------
    names
        Names of the form ``"{kind}-{property}-{depth}-{start}"``, e.g.
        ``"product-chi-2-all"`` or ``"difference-Z-1-O"``.

    Returns
    -------
    pandas.DataFrame
        Indexed by name, columns ``kind``, ``property``, ``depth`` (int) and
        ``start``; plus ``scope``: ``"global"`` for RACs over all atoms,
        ``"local"`` for those started from one element.

    Raises
    ------
    ValueError
        If a name does not have four parts.

    Examples
    --------
    >>> rac_name_parts(["product-chi-2-all", "difference-Z-1-O"])
                             kind property  depth start   scope
    product-chi-2-all     product      chi      2   all  global
    difference-Z-1-O   difference        Z      1     O   local
    """
    import pandas as pd

    rows = []
    for name in names:
        parts = name.split("-")
        if len(parts) != 4 or not parts[2].isdigit():
            raise ValueError(f"{name!r} is not a RAC name like 'product-chi-2-all'")
        kind, prop, depth, start = parts
        rows.append(
            {
                "kind": kind,
                "property": prop,
                "depth": int(depth),
                "start": start,
                "scope": "global" if start == "all" else "local",
            }
        )
    return pd.DataFrame(rows, index=list(names))


def correlation_clusters(X: ArrayLike, threshold: float = 0.1) -> np.ndarray:
    """Cluster features whose rank correlation is (almost) perfect.

    The distance between features *i* and *j* is ``1 - |ρ_ij|`` with ρ the
    Spearman rank correlation over the rows of ``X``; features are joined by
    average-linkage hierarchical clustering and cut at ``threshold``.

    Parameters
    ----------
    X
        Feature matrix of shape ``(n_samples, n_features)``.
    threshold
        Largest distance ``1 - |ρ|`` inside a cluster (0.1: |ρ| ≥ 0.9 on average).

    Returns
    -------
    numpy.ndarray
        Cluster label (from 1) of every feature.

    Raises
    ------
    ValueError
        If ``X`` is not two-dimensional with at least two rows and two columns.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=50), rng.normal(size=50)
    >>> correlation_clusters(np.column_stack([a, b, 2 * a + 0.01 * rng.normal(size=50)])).tolist()
    [1, 2, 1]
    """
    from scipy.cluster import hierarchy
    from scipy.spatial.distance import squareform
    from scipy.stats import spearmanr

    values = np.asarray(X, dtype=float)
    if values.ndim != 2 or values.shape[0] < 2 or values.shape[1] < 2:
        raise ValueError(f"X must be (n_samples >= 2, n_features >= 2), got shape {values.shape}")
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore")  # a constant column has no correlation: NaN, handled below
        rho = np.atleast_2d(spearmanr(values).statistic)
    rho = np.nan_to_num((rho + rho.T) / 2, nan=0.0)  # a constant column correlates with nothing
    np.fill_diagonal(rho, 1.0)
    distance = squareform(1.0 - np.abs(rho), checks=False)
    return hierarchy.fcluster(hierarchy.linkage(distance, method="average"), t=threshold, criterion="distance")
