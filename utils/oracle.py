"""A live quantum-chemistry oracle for active learning (lecture 06).

:class:`XTBOracle` computes GFN2-xTB single-point energies with ``tblite``
(Bannwarth, Ehlert, Grimme, *J. Chem. Theory Comput.* 15, 1652, 2019,
DOI 10.1021/acs.jctc.8b01176) and counts how often it was asked, because in
active learning the number of oracle calls is the cost we want to cut.
:func:`rotate_dihedrals` builds the geometries of a rigid torsion scan from an
RDKit conformer.

``tblite`` is imported only when an energy is requested, so importing this
module never fails; without ``tblite`` the first call raises
:class:`OracleUnavailableError` saying how to install it. Each call takes a
few milliseconds for a molecule of ~20 atoms with ``OMP_NUM_THREADS=1``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from utils.constants import ANGSTROM_TO_BOHR, HARTREE_TO_KCAL_PER_MOL

__all__ = [
    "ANGSTROM_TO_BOHR",
    "HARTREE_TO_KCAL_PER_MOL",
    "OracleUnavailableError",
    "XTBOracle",
    "rotate_dihedrals",
    "xtb_energy",
]


_METHODS = ("GFN2-xTB", "GFN1-xTB", "IPEA1-xTB")


class OracleUnavailableError(ImportError):
    """``tblite`` (the xTB program behind the oracle) is not installed."""


def _calculator_class() -> type:
    try:
        from tblite.interface import Calculator
    except ImportError as err:  # pragma: no cover - exercised with a patched import
        raise OracleUnavailableError(
            "the quantum-chemistry oracle needs tblite, which is not installed in this "
            f"Python ({err}). Install the course's pinned version with "
            "`pip install -r requirements/base.txt` (or `pip install tblite==0.8.0`); "
            "it ships as a wheel for Linux and macOS, no compiler needed."
        ) from err
    return Calculator


def xtb_energy(
    atomic_numbers: ArrayLike,
    positions: ArrayLike,
    method: str = "GFN2-xTB",
    charge: float = 0.0,
    unpaired_electrons: int = 0,
) -> float:
    """Single-point xTB energy of one geometry, in hartree.

    Parameters
    ----------
    atomic_numbers
        Nuclear charges, shape ``(n_atoms,)``.
    positions
        Cartesian coordinates in Å, shape ``(n_atoms, 3)`` (converted to bohr for tblite).
    method
        ``"GFN2-xTB"`` (default), ``"GFN1-xTB"`` or ``"IPEA1-xTB"``.
    charge
        Total charge of the molecule.
    unpaired_electrons
        Number of unpaired electrons.

    Returns
    -------
    float
        The total energy in hartree.

    Raises
    ------
    ValueError
        For an unknown method, mismatched shapes, or two atoms closer than 0.1 Å.
    OracleUnavailableError
        If ``tblite`` is not installed.
    RuntimeError
        If the SCF does not converge (tblite's message is kept).

    Examples
    --------
    >>> water = [[0.0, 0.0, 0.1173], [0.0, 0.7572, -0.4692], [0.0, -0.7572, -0.4692]]
    >>> round(xtb_energy([8, 1, 1], water), 4)
    -5.0705
    """
    if method not in _METHODS:
        raise ValueError(f"unknown xTB method {method!r}; choose from {_METHODS}")
    z = np.asarray(atomic_numbers, dtype=np.int64).ravel()
    r = np.asarray(positions, dtype=float)
    if r.shape != (len(z), 3):
        raise ValueError(f"{len(z)} atomic numbers but positions of shape {r.shape}; expected ({len(z)}, 3)")
    if len(z) == 0:
        raise ValueError("the molecule has no atoms")
    if len(z) > 1:
        d = np.linalg.norm(r[:, None] - r[None], axis=-1)[np.triu_indices(len(z), k=1)]
        if d.min() < 0.1:
            raise ValueError(f"two atoms are {d.min():.3f} Å apart; check the units (Å expected)")
    calculator = _calculator_class()(method, z, r * ANGSTROM_TO_BOHR, charge=charge, uhf=unpaired_electrons)
    calculator.set("verbosity", 0)
    try:
        result = calculator.singlepoint()
    except RuntimeError as err:
        raise RuntimeError(f"tblite ({method}) failed for this geometry: {err}") from err
    return float(result.get("energy"))


class XTBOracle:
    """Energy oracle for the geometries of one molecule, counting its calls.

    Parameters
    ----------
    atomic_numbers
        Nuclear charges of the molecule, shape ``(n_atoms,)``.
    method
        xTB method passed to :func:`xtb_energy`.
    reference
        Energy in hartree subtracted from every result (e.g. the scan's minimum),
        so that calls return relative energies.
    unit
        ``"kcal/mol"`` (default) or ``"hartree"``, the unit of the returned energies.

    Attributes
    ----------
    n_calls
        How many single points were computed so far.

    Examples
    --------
    >>> oracle = XTBOracle([1, 1])
    >>> e = oracle([[0.0, 0.0, 0.0], [0.0, 0.0, 0.74]])
    >>> oracle.n_calls, e < 0
    (1, True)
    """

    def __init__(
        self,
        atomic_numbers: ArrayLike,
        method: str = "GFN2-xTB",
        reference: float = 0.0,
        unit: str = "kcal/mol",
    ) -> None:
        if unit not in ("kcal/mol", "hartree"):
            raise ValueError(f"unit must be 'kcal/mol' or 'hartree', got {unit!r}")
        if method not in _METHODS:
            raise ValueError(f"unknown xTB method {method!r}; choose from {_METHODS}")
        self.atomic_numbers = np.asarray(atomic_numbers, dtype=np.int64).ravel()
        self.method = method
        self.reference = float(reference)
        self.unit = unit
        self.n_calls = 0

    def __call__(self, positions: ArrayLike) -> float:
        """Energy of one geometry (Å), relative to ``reference``, in ``unit``."""
        energy = xtb_energy(self.atomic_numbers, positions, method=self.method)
        self.n_calls += 1
        scale = HARTREE_TO_KCAL_PER_MOL if self.unit == "kcal/mol" else 1.0
        return (energy - self.reference) * scale

    def many(self, geometries: Sequence[ArrayLike]) -> np.ndarray:
        """Energies of several geometries (one oracle call each)."""
        return np.array([self(g) for g in geometries])


def rotate_dihedrals(mol: object, dihedrals: Sequence[Sequence[int]], angles: ArrayLike) -> np.ndarray:
    """Positions (Å) of ``mol``'s first conformer with some dihedral angles set.

    A rigid scan: every other internal coordinate stays as in the conformer.
    The part of the molecule on the side of the last atom of each dihedral is
    rotated (RDKit's ``SetDihedralDeg``); the input molecule is not changed.

    Parameters
    ----------
    mol
        An RDKit molecule with explicit hydrogens and one 3-D conformer.
    dihedrals
        Quadruples of atom indices ``(i, j, k, l)``, rotating about bond ``j-k``
        (which must not be in a ring).
    angles
        One target angle in degrees per dihedral.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_atoms, 3)``.

    Examples
    --------
    >>> from rdkit import Chem
    >>> from rdkit.Chem import AllChem, rdMolTransforms
    >>> butane = Chem.AddHs(Chem.MolFromSmiles("CCCC"))
    >>> AllChem.EmbedMolecule(butane, randomSeed=0)
    0
    >>> r = rotate_dihedrals(butane, [(0, 1, 2, 3)], [60.0])
    >>> r.shape
    (14, 3)
    """
    from rdkit import Chem
    from rdkit.Chem import rdMolTransforms

    angles = np.atleast_1d(np.asarray(angles, dtype=float))
    if len(angles) != len(dihedrals):
        raise ValueError(f"{len(dihedrals)} dihedrals but {len(angles)} angles")
    if mol.GetNumConformers() == 0:  # type: ignore[attr-defined]
        raise ValueError("the molecule has no 3-D conformer; embed it first (AllChem.EmbedMolecule)")
    work = Chem.Mol(mol)  # type: ignore[call-overload]
    conf = work.GetConformer()
    for (a, b, c, d), angle in zip(dihedrals, angles, strict=True):
        rdMolTransforms.SetDihedralDeg(conf, int(a), int(b), int(c), int(d), float(angle))
    return np.array(conf.GetPositions())
