"""Descriptors of molecules as graphs: SMILES (or RDKit molecules) in, numbers out (lecture 01).

From chemical intuition to the molecular graph, in the order of the lecture:

* ad hoc and computed properties: :func:`one_hot_atom_types`,
  :func:`gasteiger_charges`, :func:`charge_extremes`;
* fragment fingerprints built with RDKit's generator API:
  :func:`morgan_fingerprint`, :func:`path_fingerprint`, and for many molecules
  :func:`batch_fingerprints`; the Tanimoto similarity :func:`tanimoto`,
  :func:`tanimoto_matrix`;
* revised autocorrelations (RACs) on the molecular graph with explicit
  hydrogens: :func:`autocorrelation`, :func:`rac_features`, and for many
  molecules :func:`batch_rac_features`.

Molecules are passed either as SMILES strings or as RDKit molecules, parsed by
:func:`utils._inputs.as_mol` (re-exported as ``utils.featurise.as_mol``). Every
function validates its input and raises :class:`ValueError` with a message
naming the problem (an unparsable SMILES, an unknown property, an element
without parameters). RDKit is imported inside the functions, so importing this
module stays cheap; element properties come from
:func:`utils.data.load_elements` and are read on first use.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike

from utils._inputs import as_bits, as_mol, as_mols

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from rdkit import Chem

__all__ = [
    "DEFAULT_ATOM_TYPES",
    "RAC_PROPERTIES",
    "autocorrelation",
    "batch_fingerprints",
    "batch_rac_features",
    "charge_extremes",
    "gasteiger_charges",
    "morgan_fingerprint",
    "one_hot_atom_types",
    "path_fingerprint",
    "rac_features",
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
    return rdFingerprintGenerator.GetRDKitFPGenerator(minPath=1, maxPath=max_path, branchedPaths=False, fpSize=n_bits)


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


def batch_fingerprints(
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
    >>> batch_fingerprints(["CCO", "c1ccccc1"], kind="path").shape
    (2, 1024)
    """
    if kind not in ("morgan", "path"):
        raise ValueError(f"kind must be 'morgan' or 'path', got {kind!r}")
    function = morgan_fingerprint if kind == "morgan" else path_fingerprint
    bits = (2048 if kind == "morgan" else 1024) if n_bits is None else n_bits
    mols = as_mols(smiles)
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
    x = as_bits(a, "a")
    y = x if b is None else as_bits(b, "b")
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
    idx = np.asarray(sorted({int(i) for i in start}), dtype=np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= n_given):
        raise ValueError(
            f"start indices must refer to the {n_given} atoms of the molecule as given, got {sorted(start)}"
        )
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


def batch_rac_features(smiles: Sequence[str | Chem.Mol], **kwargs: object) -> pd.DataFrame:
    """RAC features (:func:`rac_features`) of many molecules, one row each.

    Examples
    --------
    >>> batch_rac_features(["O", "N"], props=("I",), max_depth=1, start_elements=()).values.tolist()
    [[3.0, 4.0], [4.0, 6.0]]
    """
    import pandas as pd

    rows = [rac_features(m, **kwargs) for m in as_mols(smiles)]  # type: ignore[arg-type]
    return pd.DataFrame(rows)
