"""A table of RDKit's 2-D molecular descriptors (lectures 04 and 05).

RDKit ships some 200 computed descriptors (molar mass, logP, polar surface
area, ring counts, fragment counts, ...). :func:`rdkit_descriptors` computes a
chosen set of them for a list of SMILES and returns one row per molecule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from utils._inputs import as_mols

if TYPE_CHECKING:  # pragma: no cover
    from rdkit import Chem

__all__ = ["DEFAULT_EXCLUDED", "descriptor_names", "rdkit_descriptors"]

#: Descriptors left out by default: ``qed`` and ``SPS`` are slow composites of
#: others, ``Ipc`` spans ten orders of magnitude (``AvgIpc`` is its tame
#: version), and ``NumRadicalElectrons`` is zero for every closed-shell molecule.
DEFAULT_EXCLUDED: tuple[str, ...] = ("qed", "SPS", "Ipc", "NumRadicalElectrons")


def descriptor_names(exclude: Sequence[str] = DEFAULT_EXCLUDED) -> list[str]:
    """Names of RDKit's descriptors, in RDKit's order, without ``exclude``.

    Examples
    --------
    >>> names = descriptor_names()
    >>> "MolLogP" in names and "TPSA" in names and "qed" not in names
    True
    """
    from rdkit.Chem import Descriptors

    skip = set(exclude)
    return [name for name, _ in Descriptors._descList if name not in skip]


def rdkit_descriptors(smiles: Sequence[str | Chem.Mol], names: Sequence[str] | None = None) -> pd.DataFrame:
    """Compute RDKit descriptors for molecules given as SMILES.

    Parameters
    ----------
    smiles
        The molecules, as SMILES strings or RDKit molecules.
    names
        Descriptor names (see :func:`descriptor_names`); all but
        :data:`DEFAULT_EXCLUDED` by default.

    Returns
    -------
    pandas.DataFrame
        Shape (len(smiles), len(names)), float columns named after the
        descriptors. A value RDKit cannot compute (e.g. a partial charge of an
        unusual atom) is NaN.

    Raises
    ------
    ValueError
        For a SMILES RDKit cannot parse (the message quotes it and names its
        entry, ``smiles[1]``) or an unknown descriptor name.

    Examples
    --------
    >>> table = rdkit_descriptors(["CCO", "c1ccccc1"], names=["HeavyAtomCount", "NumAromaticRings"])
    >>> table.values.tolist()
    [[3.0, 0.0], [6.0, 1.0]]
    """
    from rdkit.Chem import Descriptors

    functions = dict(Descriptors._descList)
    chosen = descriptor_names() if names is None else list(names)
    unknown = [n for n in chosen if n not in functions]
    if unknown:
        raise ValueError(f"unknown RDKit descriptor(s) {unknown}; see descriptor_names()")
    mols = as_mols(smiles)
    table = np.full((len(mols), len(chosen)), np.nan)
    for i, mol in enumerate(mols):
        for j, name in enumerate(chosen):
            try:
                table[i, j] = float(functions[name](mol))
            except (ValueError, RuntimeError, ZeroDivisionError):  # pragma: no cover - rare
                pass
    table[~np.isfinite(table)] = np.nan
    return pd.DataFrame(table, columns=chosen)
