"""Descriptors that turn molecules into numbers (lecture 01, featurisation).

From chemical intuition to physics, in the order of the lecture:

* ad hoc and computed properties: :func:`one_hot_atom_types`,
  :func:`gasteiger_charges`, :func:`charge_extremes`;
* fragment fingerprints built with RDKit's generator API:
  :func:`morgan_fingerprint`, :func:`path_fingerprint`, :func:`fingerprints`,
  and the Tanimoto similarity :func:`tanimoto`, :func:`tanimoto_matrix`;
* revised autocorrelations (RACs) on the molecular graph with explicit
  hydrogens: :func:`autocorrelation`, :func:`rac_features`, :func:`rac_table`;
* the Coulomb matrix and its spectrum (Rupp et al. 2012):
  :func:`coulomb_matrix`, :func:`coulomb_eigenvalues`, the vectorised
  batch versions :func:`batch_coulomb_matrices`, :func:`batch_coulomb_eigenvalues`,
  and the row-norm-sorted matrix :func:`sorted_coulomb_vectors` (Hansen et al. 2013);
* atom-centred symmetry functions (Behler & Parrinello 2007, Behler 2011):
  :func:`cosine_cutoff`, :func:`acsf`, :func:`batch_acsf`, and per-molecule
  sums per element for atomistic linear models, :func:`summed_acsf`;
* and a measure of degeneracy, :func:`n_distinct`.

Molecules are passed either as SMILES strings or as RDKit molecules. Every
function validates its input and raises :class:`ValueError` with a message
naming the problem (an unparsable SMILES, mismatched lengths, non-finite or
coinciding coordinates, an unknown property). RDKit is imported inside the
functions, so importing this module stays cheap; element properties come from
:func:`utils.data.load_elements` and are read on first use.

Coordinates are given in ångström. The Coulomb matrix is built in atomic units
(distances in bohr) by default, as Rupp et al. defined it, with ``units=`` for
the other choice; symmetry functions use ångström for distances and cutoffs.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike

from utils.constants import ANGSTROM_TO_BOHR

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from rdkit import Chem

__all__ = [
    "DEFAULT_ATOM_TYPES",
    "RAC_PROPERTIES",
    "acsf",
    "as_mol",
    "autocorrelation",
    "batch_acsf",
    "batch_coulomb_eigenvalues",
    "batch_coulomb_matrices",
    "charge_extremes",
    "coulomb_eigenvalues",
    "coulomb_matrix",
    "cosine_cutoff",
    "element_sums",
    "fingerprints",
    "gasteiger_charges",
    "morgan_fingerprint",
    "n_distinct",
    "one_hot_atom_types",
    "path_fingerprint",
    "rac_features",
    "rac_table",
    "rotation_matrix",
    "sorted_coulomb_vectors",
    "summed_acsf",
    "tanimoto",
    "tanimoto_matrix",
]

#: Element symbols that get their own column in :func:`one_hot_atom_types`
#: (the elements of the solubility set except tin); anything else is "other".
DEFAULT_ATOM_TYPES: tuple[str, ...] = ("C", "N", "O", "F", "P", "S", "Cl", "Br", "I")

#: Atomic properties known to :func:`autocorrelation`, with their meaning.
RAC_PROPERTIES: dict[str, str] = {
    "chi": "Pauling electronegativity",
    "Z": "atomic number",
    "I": "identity (1 for every atom)",
    "T": "topology: number of bonded neighbours, hydrogens included",
    "S": "covalent radius (single bond, Pyykkö & Atsumi), Å",
}

#: Elements for which RDKit's Gasteiger implementation has parameters.
_GASTEIGER_ELEMENTS = frozenset("H C N O F Cl Br I S P Si B Be Mg Al".split())

#: Two atoms closer than this (Å) are taken to sit at the same position.
_SAME_POSITION = 1e-6


# --- molecules -------------------------------------------------------------


def as_mol(mol: str | Chem.Mol) -> Chem.Mol:
    """Return an RDKit molecule for a SMILES string (or the molecule itself).

    Parameters
    ----------
    mol
        A SMILES string or an RDKit molecule.

    Returns
    -------
    rdkit.Chem.Mol

    Raises
    ------
    ValueError
        If the SMILES cannot be parsed (the message quotes it) or ``mol`` is
        neither a string nor a molecule.

    Examples
    --------
    >>> as_mol("CCO").GetNumAtoms()
    3
    >>> as_mol("C1CC")
    Traceback (most recent call last):
    ...
    ValueError: could not parse SMILES 'C1CC'
    """
    from rdkit import Chem, rdBase

    if isinstance(mol, Chem.Mol):
        return mol
    if not isinstance(mol, str):
        raise ValueError(f"expected a SMILES string or an RDKit molecule, got {type(mol).__name__}")
    with rdBase.BlockLogs():  # RDKit's own message would go to stderr; ours is clearer
        parsed = Chem.MolFromSmiles(mol)
    if parsed is None or (parsed.GetNumAtoms() == 0 and mol.strip()):
        raise ValueError(f"could not parse SMILES {mol!r}")
    if parsed.GetNumAtoms() == 0:
        raise ValueError(f"SMILES {mol!r} holds no atoms")
    return parsed


def _mols(smiles: Iterable[str | Chem.Mol]) -> list[Chem.Mol]:
    if isinstance(smiles, str):
        raise ValueError("expected a sequence of SMILES strings, not one string")
    out = []
    for k, s in enumerate(smiles):
        try:
            out.append(as_mol(s))
        except ValueError as err:
            raise ValueError(f"{err} (entry {k})") from None
    return out


# --- ad hoc and computed properties -----------------------------------------


def one_hot_atom_types(
    mol: str | Chem.Mol, symbols: Sequence[str] = DEFAULT_ATOM_TYPES, include_hydrogens: bool = False
) -> np.ndarray:
    """One-hot encoding of each atom's element.

    Parameters
    ----------
    mol
        SMILES or RDKit molecule.
    symbols
        The element symbols with a column each; a last column counts every
        other element.
    include_hydrogens
        Whether to add the hydrogens as atoms first (then put ``"H"`` in
        ``symbols`` to give them a column of their own).

    Returns
    -------
    numpy.ndarray
        Shape ``(n_atoms, len(symbols) + 1)`` of 0/1 integers, one row per atom
        and exactly one 1 per row. Its column sums are the element counts, a
        (very degenerate) molecular descriptor.

    Examples
    --------
    >>> one_hot_atom_types("OC=O", symbols=("C", "O")).tolist()
    [[0, 1, 0], [1, 0, 0], [0, 1, 0]]
    >>> one_hot_atom_types("C[Sn](C)(C)C", symbols=("C",)).sum(axis=0).tolist()
    [4, 1]
    """
    from rdkit import Chem

    molecule = as_mol(mol)
    if include_hydrogens:
        molecule = Chem.AddHs(molecule)
    column = {s: k for k, s in enumerate(symbols)}
    if len(column) != len(symbols):
        raise ValueError(f"symbols must be distinct, got {list(symbols)}")
    out = np.zeros((molecule.GetNumAtoms(), len(symbols) + 1), dtype=np.int64)
    for atom in molecule.GetAtoms():
        out[atom.GetIdx(), column.get(atom.GetSymbol(), len(symbols))] = 1
    return out


def gasteiger_charges(mol: str | Chem.Mol) -> np.ndarray:
    """Gasteiger–Marsili partial charges of every atom, hydrogens included.

    The hydrogens are added as explicit atoms (after the given atoms, in
    RDKit's order) so that each gets its own charge.

    Parameters
    ----------
    mol
        SMILES or RDKit molecule (not modified).

    Returns
    -------
    numpy.ndarray
        One charge (in units of the elementary charge) per atom of the
        molecule with explicit hydrogens; they sum to the formal charge.

    Raises
    ------
    ValueError
        If the Gasteiger scheme has no parameters for an element (e.g. tin):
        the message names the atoms.

    Examples
    --------
    >>> q = gasteiger_charges("O")
    >>> q.round(3).tolist(), round(float(q.sum()), 10)
    ([-0.412, 0.206, 0.206], 0.0)
    """
    from rdkit import Chem
    from rdkit.Chem import rdPartialCharges

    molecule = Chem.AddHs(as_mol(mol))
    rdPartialCharges.ComputeGasteigerCharges(molecule, throwOnParamFailure=False)
    charges = np.array([a.GetDoubleProp("_GasteigerCharge") for a in molecule.GetAtoms()])
    undefined = [a for a in molecule.GetAtoms() if not np.isfinite(charges[a.GetIdx()])]
    if undefined:
        # an atom without parameters spoils the whole molecule; name the likely culprits
        culprits = [a for a in undefined if a.GetSymbol() not in _GASTEIGER_ELEMENTS] or undefined
        bad = [f"{a.GetSymbol()}{a.GetIdx()}" for a in culprits]
        raise ValueError(
            f"no Gasteiger charge for atom(s) {', '.join(bad)} of {Chem.MolToSmiles(as_mol(mol))!r}: "
            "the scheme has no parameters for this element or environment"
        )
    return charges


def charge_extremes(mol: str | Chem.Mol, strict: bool = True) -> tuple[float, float]:
    """The most positive and the most negative Gasteiger charge of a molecule.

    Two computed properties the slides list as ad hoc descriptors.

    Parameters
    ----------
    mol
        SMILES or RDKit molecule.
    strict
        If False, return ``(nan, nan)`` instead of raising for a molecule
        whose charges are undefined (see :func:`gasteiger_charges`).

    Returns
    -------
    tuple of float
        ``(max_positive, min_negative)``: the largest and the smallest charge.

    Examples
    --------
    >>> [round(q, 3) for q in charge_extremes("CCO")]
    [0.21, -0.397]
    >>> charge_extremes("[OH][Sn](C)(C)C", strict=False)
    (nan, nan)
    """
    try:
        q = gasteiger_charges(mol)
    except ValueError:
        if strict:
            raise
        return (float("nan"), float("nan"))
    return float(q.max()), float(q.min())


# --- fingerprints ---------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def _generator(kind: str, radius: int, max_path: int, n_bits: int):  # type: ignore[no-untyped-def]
    from rdkit.Chem import rdFingerprintGenerator

    if kind == "morgan":
        return rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    return rdFingerprintGenerator.GetRDKitFPGenerator(
        minPath=1, maxPath=max_path, branchedPaths=False, fpSize=n_bits
    )


def morgan_fingerprint(mol: str | Chem.Mol, radius: int = 2, n_bits: int = 2048) -> np.ndarray:
    """Morgan (ECFP-like) circular fingerprint as a 0/1 vector.

    Each atom's environment up to ``radius`` bonds is hashed into one of
    ``n_bits`` bits (radius 2 corresponds to ECFP4).

    Parameters
    ----------
    mol
        SMILES or RDKit molecule.
    radius
        Largest environment radius, in bonds.
    n_bits
        Length of the bit vector.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_bits,)``, dtype uint8.

    Examples
    --------
    >>> fp = morgan_fingerprint("CCO", n_bits=1024)
    >>> fp.shape, int(fp.sum())
    ((1024,), 6)
    >>> bool((fp == morgan_fingerprint("OCC", n_bits=1024)).all())
    True
    """
    if radius < 0 or n_bits < 1:
        raise ValueError(f"need radius >= 0 and n_bits >= 1, got radius={radius}, n_bits={n_bits}")
    return _generator("morgan", int(radius), 0, int(n_bits)).GetFingerprintAsNumPy(as_mol(mol))


def path_fingerprint(mol: str | Chem.Mol, max_path: int = 7, n_bits: int = 1024) -> np.ndarray:
    """RDKit path fingerprint of linear fragments, like Open Babel's FP2.

    Every linear path of 1 to ``max_path`` bonds (atom types and bond orders)
    is hashed into a 1024-bit vector by default.

    Parameters
    ----------
    mol
        SMILES or RDKit molecule.
    max_path
        Longest path, in bonds.
    n_bits
        Length of the bit vector.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_bits,)``, dtype uint8.

    Examples
    --------
    >>> fp = path_fingerprint("c1ccccc1O")
    >>> fp.shape, bool((fp == path_fingerprint("Oc1ccccc1")).all())
    ((1024,), True)
    """
    if max_path < 1 or n_bits < 1:
        raise ValueError(f"need max_path >= 1 and n_bits >= 1, got max_path={max_path}, n_bits={n_bits}")
    return _generator("path", 0, int(max_path), int(n_bits)).GetFingerprintAsNumPy(as_mol(mol))


def fingerprints(
    smiles: Sequence[str | Chem.Mol],
    kind: Literal["morgan", "path"] = "morgan",
    n_bits: int | None = None,
    **kwargs: int,
) -> np.ndarray:
    """Fingerprints of many molecules, one row each.

    Parameters
    ----------
    smiles
        SMILES strings or RDKit molecules.
    kind
        ``"morgan"`` (:func:`morgan_fingerprint`) or ``"path"`` (:func:`path_fingerprint`).
    n_bits
        Vector length; 2048 for Morgan and 1024 for path fingerprints by default.
    **kwargs
        ``radius`` (Morgan) or ``max_path`` (path).

    Returns
    -------
    numpy.ndarray
        Shape ``(n_molecules, n_bits)``, dtype uint8.

    Examples
    --------
    >>> fingerprints(["CCO", "c1ccccc1"], kind="path").shape
    (2, 1024)
    """
    if kind not in ("morgan", "path"):
        raise ValueError(f"kind must be 'morgan' or 'path', got {kind!r}")
    function = morgan_fingerprint if kind == "morgan" else path_fingerprint
    bits = (2048 if kind == "morgan" else 1024) if n_bits is None else n_bits
    mols = _mols(smiles)
    out = np.zeros((len(mols), bits), dtype=np.uint8)
    for k, m in enumerate(mols):
        out[k] = function(m, n_bits=bits, **kwargs)
    return out


def tanimoto_matrix(a: ArrayLike, b: ArrayLike | None = None) -> np.ndarray:
    """Tanimoto similarities between the rows of two sets of bit vectors.

    ``T(a, b) = |a ∧ b| / |a ∨ b| = c / (n_a + n_b - c)`` with ``c`` the
    number of bits set in both; two empty vectors count as identical (1).

    Parameters
    ----------
    a
        0/1 array of shape ``(n, n_bits)``.
    b
        0/1 array of shape ``(m, n_bits)``; ``a`` itself by default.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, m)``, values in [0, 1].

    Examples
    --------
    >>> tanimoto_matrix([[1, 1, 0, 0], [1, 0, 1, 0]]).round(3).tolist()
    [[1.0, 0.333], [0.333, 1.0]]
    """
    x = _bits(a, "a")
    y = x if b is None else _bits(b, "b")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"bit vectors differ in length: {x.shape[1]} and {y.shape[1]}")
    common = x @ y.T
    union = x.sum(axis=1)[:, None] + y.sum(axis=1)[None, :] - common
    return np.divide(common, union, out=np.ones_like(common), where=union > 0)


def tanimoto(a: ArrayLike, b: ArrayLike) -> float:
    """Tanimoto similarity of two bit vectors (see :func:`tanimoto_matrix`).

    Examples
    --------
    >>> round(tanimoto(morgan_fingerprint("CCO"), morgan_fingerprint("CCN")), 3)
    0.333
    """
    return float(tanimoto_matrix(np.atleast_2d(a), np.atleast_2d(b))[0, 0])


def _bits(x: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of bit vectors, got shape {arr.shape}")
    if not np.isin(arr, (0, 1)).all():
        raise ValueError(f"{name} must hold only 0 and 1")
    return arr.astype(np.float64)


# --- revised autocorrelations ----------------------------------------------------


@functools.lru_cache(maxsize=1)
def _element_columns() -> dict[str, np.ndarray]:
    """Electronegativity and covalent radius indexed by atomic number (read once)."""
    from utils.data import load_elements

    table = load_elements()
    size = int(table.index.max()) + 1
    columns = {}
    for prop, column in (("chi", "pauling_electronegativity"), ("S", "covalent_radius")):
        values = np.full(size, np.nan)
        values[table.index.to_numpy()] = table[column].to_numpy(dtype=float)
        values.setflags(write=False)
        columns[prop] = values
    return columns


def _atom_properties(molecule: Chem.Mol, prop: str) -> np.ndarray:
    """The property ``prop`` of every atom of ``molecule`` (hydrogens already explicit)."""
    if prop not in RAC_PROPERTIES:
        raise ValueError(f"unknown property {prop!r}; choose from {sorted(RAC_PROPERTIES)}")
    z = np.array([a.GetAtomicNum() for a in molecule.GetAtoms()], dtype=np.int64)
    if prop == "Z":
        return z.astype(float)
    if prop == "I":
        return np.ones(len(z))
    if prop == "T":
        return np.array([a.GetDegree() for a in molecule.GetAtoms()], dtype=float)
    table = _element_columns()[prop]
    if np.any(z >= len(table)) or np.any(z < 1):
        raise ValueError(f"property {prop!r} is tabulated for Z = 1..{len(table) - 1} only")
    values = table[z]
    if not np.all(np.isfinite(values)):
        missing = sorted({molecule.GetAtomWithIdx(int(i)).GetSymbol() for i in np.flatnonzero(~np.isfinite(values))})
        raise ValueError(f"property {prop!r} ({RAC_PROPERTIES[prop]}) is undefined for {', '.join(missing)}")
    return values


def _graph(mol: str | Chem.Mol) -> tuple[Chem.Mol, np.ndarray, int]:
    """Molecule with explicit hydrogens, its topological distance matrix, and the given atom count."""
    from rdkit import Chem

    given = as_mol(mol)
    molecule = Chem.AddHs(given)
    return molecule, Chem.GetDistanceMatrix(molecule), given.GetNumAtoms()


def _start_indices(start: Collection[int] | None, n_given: int, n_total: int) -> np.ndarray:
    if start is None:
        return np.arange(n_total)
    idx = np.asarray(sorted(set(int(i) for i in start)), dtype=np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= n_given):
        raise ValueError(f"start indices must refer to the {n_given} atoms of the molecule as given, got {sorted(start)}")
    return idx


def _rac(p: np.ndarray, dist: np.ndarray, start: np.ndarray, depth: int, kind: str) -> float:
    shell = (dist[start] == depth).astype(float)  # δ(d_ij, depth) for i in start, j in all
    if kind == "product":
        return float(p[start] @ shell @ p)
    return float(p[start] @ shell.sum(axis=1) - (shell @ p).sum())


def autocorrelation(
    mol: str | Chem.Mol,
    prop: str,
    depth: int,
    kind: Literal["product", "difference"] = "product",
    start: Collection[int] | None = None,
) -> float:
    r"""Revised autocorrelation (RAC) of an atomic property on the molecular graph.

    .. math::

        {}^{\mathrm{start}}P_d = \sum_{i \in \mathrm{start}} \sum_{j \in \mathrm{all}}
        f(P_i, P_j)\, \delta(d_{ij}, d)

    with :math:`f = P_i P_j` (``"product"``) or :math:`P_i - P_j`
    (``"difference"``), :math:`d_{ij}` the number of bonds on the shortest
    path between atoms i and j of the graph **with explicit hydrogens**, and
    :math:`\delta` the Kronecker delta. With ``start`` = all atoms every
    difference RAC is zero: the terms (i, j) and (j, i) cancel.

    Parameters
    ----------
    mol
        SMILES or RDKit molecule. Hydrogens are added here (RDKit appends them
        after the given atoms).
    prop
        One of :data:`RAC_PROPERTIES`: ``"chi"``, ``"Z"``, ``"I"``, ``"T"``, ``"S"``.
    depth
        Topological distance ``d`` (0 is the atom itself).
    kind
        ``"product"`` or ``"difference"``.
    start
        Indices of atoms of the molecule as given; all atoms (hydrogens
        included) by default. An empty collection gives 0.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For an unknown property or kind, a negative depth, a start index
        outside the given atoms, or a property undefined for an element.

    Examples
    --------
    Water with explicit hydrogens is H–O–H: at depth 1 there are four ordered
    O–H pairs, at depth 2 the two ordered H–H pairs.

    >>> autocorrelation("O", "Z", 1), autocorrelation("O", "Z", 2)
    (32.0, 2.0)
    >>> round(autocorrelation("O", "chi", 1, kind="difference", start=[0]), 2)
    2.48
    >>> autocorrelation("O", "chi", 1, kind="difference")
    0.0
    """
    if kind not in ("product", "difference"):
        raise ValueError(f"kind must be 'product' or 'difference', got {kind!r}")
    if int(depth) != depth or depth < 0:
        raise ValueError(f"depth must be a non-negative integer, got {depth!r}")
    molecule, dist, n_given = _graph(mol)
    p = _atom_properties(molecule, prop)
    return _rac(p, dist, _start_indices(start, n_given, molecule.GetNumAtoms()), int(depth), kind)


def rac_features(
    mol: str | Chem.Mol,
    props: Sequence[str] = ("chi", "Z", "I", "T", "S"),
    max_depth: int = 3,
    start_elements: Sequence[str] = ("N", "O"),
) -> dict[str, float]:
    """The full RAC feature vector of one molecule, with readable names.

    Product RACs start from all atoms (``product-chi-2-all``) and from the
    atoms of each element in ``start_elements`` (``product-chi-2-N``);
    difference RACs only from those elements (``difference-chi-1-N``) and
    only for depth >= 1, since they vanish with all atoms as start or at depth 0.
    A molecule without that element gets 0 for its features.

    Parameters
    ----------
    mol
        SMILES or RDKit molecule.
    props
        Property names (see :data:`RAC_PROPERTIES`).
    max_depth
        Depths 0 to ``max_depth`` are included.
    start_elements
        Element symbols whose atoms form the restricted starts.

    Returns
    -------
    dict
        Feature name to value, always the same names in the same order for
        the same arguments.

    Examples
    --------
    >>> feats = rac_features("CCO", props=("Z",), max_depth=1, start_elements=("O",))
    >>> list(feats)
    ['product-Z-0-all', 'product-Z-1-all', 'product-Z-0-O', 'product-Z-1-O', 'difference-Z-1-O']
    >>> [feats[k] for k in feats]
    [142.0, 244.0, 64.0, 56.0, 9.0]
    """
    molecule, dist, _ = _graph(mol)
    symbols = np.array([a.GetSymbol() for a in molecule.GetAtoms()])
    values = {p: _atom_properties(molecule, p) for p in props}
    starts = {"all": np.arange(len(symbols))}
    starts.update({el: np.flatnonzero(symbols == el) for el in start_elements})
    out: dict[str, float] = {}
    for name, idx in starts.items():
        for p in props:
            for d in range(max_depth + 1):
                out[f"product-{p}-{d}-{name}"] = _rac(values[p], dist, idx, d, "product")
    for name, idx in starts.items():
        if name == "all":
            continue
        for p in props:
            for d in range(1, max_depth + 1):
                out[f"difference-{p}-{d}-{name}"] = _rac(values[p], dist, idx, d, "difference")
    return out


def rac_table(smiles: Sequence[str | Chem.Mol], **kwargs: object) -> pd.DataFrame:
    """RAC features (:func:`rac_features`) of many molecules, one row each.

    Examples
    --------
    >>> rac_table(["O", "N"], props=("I",), max_depth=1, start_elements=()).values.tolist()
    [[3.0, 4.0], [4.0, 6.0]]
    """
    import pandas as pd

    rows = [rac_features(m, **kwargs) for m in _mols(smiles)]  # type: ignore[arg-type]
    return pd.DataFrame(rows)


# --- Coulomb matrix ----------------------------------------------------------------


def _check_geometry(atomic_numbers: ArrayLike, positions: ArrayLike, label: str = "") -> tuple[np.ndarray, np.ndarray]:
    z = np.asarray(atomic_numbers)
    r = np.asarray(positions, dtype=float)
    where = f"{label}: " if label else ""
    if z.ndim != 1 or z.size == 0:
        raise ValueError(f"{where}atomic_numbers must be a non-empty 1-D sequence, got shape {z.shape}")
    if not np.issubdtype(z.dtype, np.number) or np.any(z != np.round(z)) or np.any(z < 1):
        raise ValueError(f"{where}atomic numbers must be positive integers, got {z.tolist()}")
    if r.ndim != 2 or r.shape[1] != 3:
        raise ValueError(f"{where}positions must have shape (n_atoms, 3), got {r.shape}")
    if len(z) != len(r):
        raise ValueError(f"{where}{len(z)} atomic numbers but {len(r)} positions")
    if not np.all(np.isfinite(r)):
        raise ValueError(f"{where}positions hold NaN or infinite coordinates")
    return z.astype(float), r


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
    z, r = _check_geometry(atomic_numbers, positions)
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
    z, r = _check_geometry(atomic_numbers, positions)
    return batch_coulomb_eigenvalues([z], [r], size=size, units=units, order=order)[0]


def _batch_input(
    atomic_numbers: Sequence[ArrayLike], positions: Sequence[ArrayLike]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    if len(atomic_numbers) != len(positions):
        raise ValueError(f"got {len(atomic_numbers)} sets of atomic numbers but {len(positions)} sets of positions")
    zs, rs = [], []
    for k, (z, r) in enumerate(zip(atomic_numbers, positions)):
        z_k, r_k = _check_geometry(z, r, label=f"molecule {k}")
        zs.append(z_k)
        rs.append(r_k)
    return zs, rs


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
    zs, rs = _batch_input(atomic_numbers, positions)
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
    zs, rs = _batch_input(atomic_numbers, positions)
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
    z, r = _check_geometry(atomic_numbers, positions)
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
    zs, rs = _batch_input(atomic_numbers, positions)
    if not r_cut > 0:
        raise ValueError(f"r_cut must be positive, got {r_cut}")
    for _, _, lam in angular:
        if lam not in (1, -1):
            raise ValueError(f"lambda must be +1 or -1, got {lam}")
    if species is None:
        known = {int(x): 0 for z in zs for x in z}
        n_species = 1
    else:
        known = {int(s): k for k, s in enumerate(species)}
        n_species = len(species)
        missing = sorted({int(x) for z in zs for x in z} - set(known))
        if missing:
            raise ValueError(f"atomic numbers {missing} are not in species={list(species)}")
    out: list[np.ndarray] = [np.empty(0)] * len(zs)
    for n, idx in _groups_by_size(zs).items():
        r = np.stack([rs[i] for i in idx])
        dist = _pair_distances(r)
        bad = _coincident(dist)
        if bad.any():
            where = f"molecule {int(idx[np.argmax(bad)])}: " if len(zs) > 1 else ""
            raise ValueError(f"{where}two atoms are at the same position")
        channel = np.array([[known[int(x)] for x in zs[i]] for i in idx])
        onehot = np.eye(n_species)[channel]  # (m, n, species)
        g = _acsf_stack(r, dist, onehot, r_cut, radial, angular)
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
        (0.05, 1.0, 1.0), (0.05, 1.0, -1.0), (0.05, 4.0, 1.0), (0.05, 4.0, -1.0),
    ),
) -> np.ndarray:
    """One vector per molecule: each element's symmetry functions summed, then its atom count.

    A linear model on these features is a sum of atomic contributions,
    :math:`E = \\sum_i (\\mathbf w_{Z_i} \\cdot \\mathbf G_i + b_{Z_i})`, one weight
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
    for z, g in zip(atomic_numbers, per_atom):
        z, g = np.asarray(z).ravel(), np.asarray(g, dtype=float)
        rows.append(np.concatenate([g[z == e].sum(axis=0) for e in species] + [[float(np.sum(z == e)) for e in species]]))
    return np.array(rows)


def _acsf_stack(
    r: np.ndarray,
    dist: np.ndarray,
    onehot: np.ndarray,
    r_cut: float,
    radial: Sequence[tuple[float, float]],
    angular: Sequence[tuple[float, float, float]],
) -> np.ndarray:
    """G2 and G4 of a stack of m molecules with n atoms each: shape (m, n, n_features)."""
    m, n, n_species = onehot.shape
    eye = np.eye(n, dtype=bool)
    fc = np.where(eye, 0.0, cosine_cutoff(dist, r_cut))  # (m, i, j), no self-pairs
    g2 = [(np.exp(-eta * (dist - r_s) ** 2) * fc) @ onehot for eta, r_s in radial]  # each (m, i, species)
    g2_arr = np.stack(g2, axis=3) if g2 else np.zeros((m, n, n_species, 0))

    pairs = [(a, b) for a in range(n_species) for b in range(a, n_species)]
    if not angular:
        return np.concatenate([g2_arr.reshape(m, n, -1), np.zeros((m, n, 0))], axis=2)
    diff = r[:, None, :, :] - r[:, :, None, :]  # R_j - R_i, (m, i, j, 3)
    safe = np.where(eye, 1.0, dist)
    unit = diff / safe[..., None]
    cos = np.einsum("mijx,mikx->mijk", unit, unit)
    d2 = dist**2
    # f(ij) f(ik) f(jk), zero unless i, j, k all differ; keep k > j so each pair counts once
    cut = fc[:, :, :, None] * fc[:, :, None, :] * fc[:, None, :, :] * np.triu(np.ones((n, n)), k=1)
    d2_sum = d2[:, :, :, None] + d2[:, :, None, :] + d2[:, None, :, :]
    a_idx = np.array([a for a, _ in pairs])
    b_idx = np.array([b for _, b in pairs])
    g4 = []
    for eta, zeta, lam in angular:
        terms = 2.0 ** (1 - zeta) * (1 + lam * cos) ** zeta * np.exp(-eta * d2_sum) * cut  # (m, i, j, k)
        by_k = terms @ onehot[:, None, :, :]  # (m, i, j, b): sum over k of element b
        by_species = np.einsum("mijb,mja->miab", by_k, onehot)
        sym = by_species + np.swapaxes(by_species, 2, 3)
        diag = np.arange(n_species)
        sym[:, :, diag, diag] /= 2.0
        g4.append(sym[:, :, a_idx, b_idx])  # (m, i, pairs)
    g4_arr = np.stack(g4, axis=3)
    return np.concatenate([g2_arr.reshape(m, n, -1), g4_arr.reshape(m, n, -1)], axis=2)


# --- geometry and degeneracy helpers ---------------------------------------------------


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
