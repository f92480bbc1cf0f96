"""Input checks shared by the ``utils`` modules (private: the one place bad input is refused).

Every checker raises :class:`ValueError` worded the same way: the argument's
name, what was expected, what was found, as in ``"positions must have shape
(n_atoms, 3), got shape (6,)"``. RDKit is imported inside :func:`as_mol`, so
importing this module stays cheap.

Examples
--------
>>> as_matrix([[1, 2], [3, 4]], "X").shape
(2, 2)
>>> as_1d([[1.0]], "y_true")
Traceback (most recent call last):
...
ValueError: y_true must be one-dimensional, got shape (1, 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:  # pragma: no cover
    from rdkit import Chem

__all__ = ["as_1d", "as_bits", "as_geometries", "as_geometry", "as_matrix", "as_mol", "as_mols"]


def as_mol(mol: str | Chem.Mol, name: str = "mol") -> Chem.Mol:
    """Return an RDKit molecule for a SMILES string (or the molecule itself).

    Parameters
    ----------
    mol
        A SMILES string or an RDKit molecule.
    name
        The argument's name, for the error message.

    Returns
    -------
    rdkit.Chem.Mol

    Raises
    ------
    ValueError
        If the SMILES cannot be parsed or holds no atoms (the message quotes
        it), or ``mol`` is neither a string nor a molecule.

    Examples
    --------
    >>> as_mol("CCO").GetNumAtoms()
    3
    >>> as_mol("C1CC")
    Traceback (most recent call last):
    ...
    ValueError: mol must be a SMILES that RDKit can parse, got 'C1CC'
    """
    from rdkit import Chem, rdBase

    if isinstance(mol, Chem.Mol):
        return mol
    if not isinstance(mol, str):
        raise ValueError(f"{name} must be a SMILES string or an RDKit molecule, got {type(mol).__name__}")
    with rdBase.BlockLogs():  # RDKit's own message would go to stderr; ours is clearer
        parsed = Chem.MolFromSmiles(mol)
    if parsed is None or (parsed.GetNumAtoms() == 0 and mol.strip()):
        raise ValueError(f"{name} must be a SMILES that RDKit can parse, got {mol!r}")
    if parsed.GetNumAtoms() == 0:
        raise ValueError(f"{name} must hold at least one atom, got {mol!r}")
    return parsed


def as_mols(smiles: Iterable[str | Chem.Mol], name: str = "smiles") -> list[Chem.Mol]:
    """RDKit molecules for a sequence of SMILES; errors name the entry (``smiles[1]``).

    Examples
    --------
    >>> len(as_mols(["C", "CC"]))
    2
    >>> as_mols(["C", "CC(C"])
    Traceback (most recent call last):
    ...
    ValueError: smiles[1] must be a SMILES that RDKit can parse, got 'CC(C'
    >>> as_mols("CCO")
    Traceback (most recent call last):
    ...
    ValueError: smiles must be a sequence of SMILES strings or RDKit molecules, got one string 'CCO'
    """
    if isinstance(smiles, str):
        raise ValueError(f"{name} must be a sequence of SMILES strings or RDKit molecules, got one string {smiles!r}")
    return [as_mol(s, name=f"{name}[{k}]") for k, s in enumerate(smiles)]


def as_matrix(x: ArrayLike, name: str, what: str = "samples x features") -> np.ndarray:
    """A finite 2-D float array.

    Examples
    --------
    >>> as_matrix([1.0, 2.0], "X")
    Traceback (most recent call last):
    ...
    ValueError: X must be a 2-D array (samples x features), got shape (2,)
    """
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array ({what}), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got NaN or infinite values")
    return arr


def as_1d(values: ArrayLike, name: str) -> np.ndarray:
    """A finite, non-empty 1-D float array.

    Examples
    --------
    >>> as_1d([], "y")
    Traceback (most recent call last):
    ...
    ValueError: y must be non-empty, got an empty array
    """
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must be non-empty, got an empty array")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got NaN or infinite values")
    return arr


def as_bits(x: ArrayLike, name: str) -> np.ndarray:
    """A 2-D array of 0/1 bit vectors (one per row), as float.

    Examples
    --------
    >>> as_bits([[0, 2]], "a")
    Traceback (most recent call last):
    ...
    ValueError: a must hold only 0 and 1, got values [0, 2]
    """
    arr = np.asarray(x)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of bit vectors, got shape {arr.shape}")
    if not np.isin(arr, (0, 1)).all():
        raise ValueError(f"{name} must hold only 0 and 1, got values {np.unique(arr)[:5].tolist()}")
    return arr.astype(np.float64)


def as_geometry(atomic_numbers: ArrayLike, positions: ArrayLike, label: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Atomic numbers (as float) and ångström positions of one molecule, checked.

    ``label`` (e.g. ``"molecule 3"``) prefixes the message, to say which
    molecule of a batch is wrong.

    Examples
    --------
    >>> as_geometry([1, 1], [[0, 0, 0]], label="molecule 1")
    Traceback (most recent call last):
    ...
    ValueError: molecule 1: positions must have one row per atomic number (2), got 1 rows
    """
    z = np.asarray(atomic_numbers)
    r = np.asarray(positions, dtype=float)
    where = f"{label}: " if label else ""
    if z.ndim != 1 or z.size == 0:
        raise ValueError(f"{where}atomic_numbers must be a non-empty 1-D sequence, got shape {z.shape}")
    if not np.issubdtype(z.dtype, np.number) or np.any(z != np.round(z)) or np.any(z < 1):
        raise ValueError(f"{where}atomic_numbers must be positive integers, got {z.tolist()}")
    if r.ndim != 2 or r.shape[1] != 3:
        raise ValueError(f"{where}positions must have shape (n_atoms, 3), got shape {r.shape}")
    if len(z) != len(r):
        raise ValueError(f"{where}positions must have one row per atomic number ({len(z)}), got {len(r)} rows")
    if not np.all(np.isfinite(r)):
        raise ValueError(f"{where}positions must be finite, got NaN or infinite coordinates")
    return z.astype(float), r


def as_geometries(
    atomic_numbers: Sequence[ArrayLike], positions: Sequence[ArrayLike]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Check the geometries of many molecules (:func:`as_geometry`); errors name the molecule.

    Examples
    --------
    >>> as_geometries([[1, 1], [1]], [[[0, 0, 0], [0, 0, 0.74]]])
    Traceback (most recent call last):
    ...
    ValueError: positions must have one entry per molecule (2), got 1
    """
    if len(atomic_numbers) != len(positions):
        raise ValueError(f"positions must have one entry per molecule ({len(atomic_numbers)}), got {len(positions)}")
    checked = [
        as_geometry(z, r, label=f"molecule {k}") for k, (z, r) in enumerate(zip(atomic_numbers, positions, strict=True))
    ]
    return [z for z, _ in checked], [r for _, r in checked]
