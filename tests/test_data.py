"""The shipped datasets: shapes, units, checksums, reproducible builds, optional downloads."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from utils import data, optional_data
from utils.paths import DATA_DIR, REPO_ROOT

LOADERS = [
    data.load_qm9,
    data.load_solubility,
    data.load_elements,
    data.load_mp_transport,
    data.load_mof_racs,
]


def _readme_rows() -> dict[str, dict[str, str]]:
    """Rows of the table in data/README.md, keyed by file name."""
    rows = {}
    lines = [row for row in (DATA_DIR / "README.md").read_text().splitlines() if row.startswith("| `")]
    for line in lines:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not cells[0].strip("`").endswith((".csv", ".csv.gz")):
            continue  # the optional-datasets and model-weights tables
        rows[cells[0].strip("`")] = {"rows": cells[-3], "size": cells[-2], "sha256": cells[-1].strip("`")}
    return rows


def test_checksums_match_files_and_readme() -> None:
    readme = _readme_rows()
    assert set(readme) == set(data.CHECKSUMS), "data/README.md and utils.data list different files"
    for name, expected in data.CHECKSUMS.items():
        actual = hashlib.sha256((DATA_DIR / name).read_bytes()).hexdigest()
        assert actual == expected, f"data/{name} changed"
        assert readme[name]["sha256"] == expected, f"data/README.md has a stale sha256 for {name}"
        n_rows = _text(DATA_DIR / name).count("\n") - 1
        assert readme[name]["rows"].replace(",", "") == str(n_rows)


def _text(path: Path) -> str:
    """A shipped table's text, decompressed if it is gzipped."""
    raw = path.read_bytes()
    return (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8")


def test_data_folder_is_small() -> None:
    total = sum(p.stat().st_size for p in DATA_DIR.rglob("*") if p.is_file())
    assert total < 15e6, f"data/ holds {total / 1e6:.1f} MB (limit 15 MB)"


@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: f.__name__)
def test_loader_is_fast_and_returns_fresh_frames(loader) -> None:
    start = time.perf_counter()
    first = loader()
    assert time.perf_counter() - start < 2.0
    first.iloc[0, 0] = None  # changing one result must not change the next
    assert not loader().equals(first)


def test_qm9_columns_units_and_geometry() -> None:
    qm9 = data.load_qm9()
    assert len(qm9) == 3921 and qm9["mol_id"].is_unique and qm9["mol_id"].is_monotonic_increasing
    for col in ("smiles", "atomic_numbers", "positions", "u0", "atomization_energy", "gap"):
        assert col in qm9
    assert qm9["n_heavy"].between(1, 7).all()
    for z, pos, n in zip(qm9["atomic_numbers"], qm9["positions"], qm9["n_atoms"], strict=True):
        assert z.dtype == np.int64 and pos.dtype == np.float64
        assert z.shape == (n,) and pos.shape == (n, 3)
    # Bond lengths are physical (Å): every atom has a neighbour within 0.9-1.8 Å.
    for pos in qm9["positions"].iloc[::50]:
        d = np.linalg.norm(pos[:, None] - pos[None], axis=-1) + np.eye(len(pos)) * 99
        assert ((d.min(axis=1) > 0.9) & (d.min(axis=1) < 1.8)).all()
    # Gaps of small organic molecules at B3LYP: a few eV, not hartree.
    assert qm9["gap"].between(2, 20).all()
    # The source rounds to 1e-4 hartree (0.0027 eV).
    np.testing.assert_allclose(qm9["gap"], qm9["lumo"] - qm9["homo"], atol=3e-3)


def test_qm9_atomization_energy_by_hand() -> None:
    """Methane: U0 - U0(C) - 4 U0(H), in kcal/mol, computed independently here."""
    methane = data.load_qm9().set_index("smiles").loc["C"]
    by_hand = (-40.47893 - (-37.846772) - 4 * (-0.500273)) * 627.5094740631
    assert methane["atomization_energy"] == pytest.approx(by_hand, rel=1e-12)
    assert -400 < by_hand < -390  # experiment: about 392 kcal/mol at 0 K with ZPE


def test_solubility_splits() -> None:
    train, test, both = (data.load_solubility(s, drop_flagged=False) for s in ("train", "test", "all"))
    assert (len(train), len(test), len(both)) == (1025, 257, 1282)
    assert both["log_s"].between(-12, 2).all()
    with pytest.raises(ValueError, match="split must be"):
        data.load_solubility("validation")


def test_solubility_flags_exactly_the_shared_structures() -> None:
    """Every SMILES shared by two records is resolved by the flags, and nothing else is flagged."""
    from rdkit import Chem

    sol = data.load_solubility(drop_flagged=False)
    canonical = sol["smiles"].map(Chem.CanonSmiles)
    shared = canonical.duplicated(keep=False)
    assert shared.sum() == 16 and canonical[shared].nunique() == 8
    assert set(sol.loc[sol["flag"] != "", "name"]) <= set(sol.loc[shared, "name"])
    for _, group in sol[shared].groupby(canonical[shared]):
        flags = sorted(group["flag"])
        # a wrong structure goes, its partner (whose structure it carries) stays;
        # both members of a stereo pair go
        assert flags in (["", "wrong_structure"], ["stereo_lost", "stereo_lost"]), group
    wrong = set(sol.loc[sol["flag"] == "wrong_structure", "name"])
    assert wrong == {"kasugamycin", "2,4-dimethyl-3-pentanol", "hydrocortisone_acetate", "hyodeoxycholic_acid"}
    assert not sol["smiles"].str.contains(r"[@/\\]").any(), "the set has no stereochemistry"


def test_solubility_leaves_out_the_flagged_records_by_default() -> None:
    clean = data.load_solubility()
    train, test = (data.load_solubility(s) for s in ("train", "test"))
    assert (len(train), len(test), len(clean)) == (1017, 253, 1270)
    assert (clean["flag"] == "").all() and clean.index.tolist() == list(range(1270))
    assert clean["smiles"].is_unique
    assert {"Karbutilate", "Cortisone_Acetate"} <= set(clean["name"])
    assert not {"kasugamycin", "endrin", "dieldrin", "atropine"} & set(clean["name"])


def test_elements() -> None:
    el = data.load_elements()
    assert el.index.tolist() == list(range(1, 87))
    assert el.loc[8, "symbol"] == "O" and el.loc[8, "pauling_electronegativity"] == 3.44
    assert el.loc[1, "first_ionisation_energy"] == pytest.approx(13.598, abs=1e-3)
    assert el.loc[[1, 6, 7, 8, 9], "covalent_radius"].between(0.3, 0.8).all()


def test_mp_transport_columns_and_values() -> None:
    mp = data.load_mp_transport()
    assert mp.columns.tolist() == ["mp_id", "formula", "m_eff_p_me", "m_eff_n_me", "seebeck_p_uv_k", "seebeck_n_uv_k"]
    assert len(mp) == 47737 and mp.index.tolist() == list(range(47737))
    assert all(isinstance(v, str) for v in mp["mp_id"].iloc[::997]) and mp["mp_id"].is_unique
    assert (mp.dtypes.iloc[2:] == np.float64).all()
    assert not mp.isna().any().any() and (mp["formula"] != "").all()
    number = mp["mp_id"].str.removeprefix("mp-").astype(int)
    assert mp["mp_id"].str.fullmatch(r"mp-\d+").all() and number.is_monotonic_increasing
    # Effective masses in electron masses: positive, bimodal (metals below 1e-2, the rest above).
    for col in ("m_eff_p_me", "m_eff_n_me"):
        assert (mp[col] > 0).all()
        log_m = np.log10(mp[col])
        assert ((log_m > -2) & (log_m < -1)).mean() < 0.05 < (log_m < -2).mean()
    assert ((mp["m_eff_p_me"] < 1e-2) == (mp["m_eff_n_me"] < 1e-2)).sum() == 47735
    # Seebeck coefficients in µV/K: positive for holes, negative for electrons in most semiconductors.
    semi = mp[mp["m_eff_p_me"] > 0.1]
    assert (semi["seebeck_p_uv_k"] > 0).mean() > 0.9 and (semi["seebeck_n_uv_k"] < 0).mean() > 0.9
    assert mp[["seebeck_p_uv_k", "seebeck_n_uv_k"]].abs().max().max() < 2000
    # Four significant digits at most.
    text = _text(DATA_DIR / "mp_transport.csv.gz").splitlines()[1:]
    mantissas = {re.sub(r"[-.]|e.*", "", v).lstrip("0") for line in text[::101] for v in line.split(",")[2:]}
    assert max(len(m) for m in mantissas) <= 4


def test_mp_transport_polymorphs_share_a_formula() -> None:
    mp = data.load_mp_transport()
    counts = mp["formula"].value_counts()
    assert mp["formula"].nunique() == 34631 and (counts > 1).sum() == 5148
    assert counts.idxmax() == "SiO2" and counts.max() == 246
    silicon = mp[mp["formula"] == "Si"].set_index("mp_id")
    # diamond silicon is a semiconductor; other Si entries include metallic polymorphs
    assert silicon.loc["mp-149", "m_eff_n_me"] == pytest.approx(0.2939)
    assert (silicon["m_eff_n_me"] < 1e-2).any()


def test_mp_transport_seebeck_label_as_data_readme_states() -> None:
    """The doping response of the Seebeck coefficient separates metals; the mass cut does not (data/README.md)."""
    mp = data.load_mp_transport()
    gap = (mp["seebeck_p_uv_k"] - mp["seebeck_n_uv_k"]).abs()
    assert (gap < 10).sum() == 17270 and (gap > 500).sum() == 29400
    metal = gap < 50
    assert metal.sum() == 17701 and (gap < 25).sum() == 17528 and (gap < 100).sum() == 17863
    hole = mp["m_eff_p_me"]
    assert (hole >= 1e-2).sum() == 32582 and (metal & (hole >= 1e-2)).sum() == 2547
    between = (hole >= 1e-2) & (hole < 1e-1)
    assert between.sum() == 1888 and (metal & between).sum() == 1821 and (metal & (hole > 1)).sum() == 184
    assert (~metal & (hole < 1e-2)).sum() == 1
    np.testing.assert_allclose(hole[metal].quantile([0.25, 0.5, 0.75]), [1.4e-4, 5.3e-4, 3.4e-3], rtol=0.03)
    np.testing.assert_allclose(hole[~metal].quantile([0.25, 0.5, 0.75]), [4.0, 11.9, 44], rtol=0.01)
    electron = mp.loc[~metal, "m_eff_n_me"]
    np.testing.assert_allclose(electron.quantile([0.25, 0.5, 0.75]), [0.6, 2.3, 20], rtol=0.02)
    assert (hole[~metal] > 1e3).sum() == 1429
    # Open-shell transition-metal oxides and fluorides come out metallic in GGA(+U).
    by_formula = metal.groupby(mp["formula"]).agg(["sum", "size"])
    for formula in ("MnO", "CuO", "CuF2", "KCuF3", "La2CuO4", "Sr2CuO3", "CuGeO3"):
        assert by_formula.loc[formula, "sum"] == by_formula.loc[formula, "size"], formula
    assert tuple(by_formula.loc["LiNiO2"]) == (7, 8)
    row = mp.set_index("mp_id").loc["mp-17265"]
    assert row["formula"] == "Sr2CuGe2O7" and abs(row["seebeck_p_uv_k"] - row["seebeck_n_uv_k"]) < 1


def test_mof_racs_columns_and_units() -> None:
    mof = data.load_mof_racs()
    assert mof.shape == (2000, 164) and mof.index.name == "id"
    assert mof.index.tolist() == list(range(2000))
    assert (mof.dtypes == np.float64).all() and not mof.isna().any().any()
    geometry = list(data.MOF_GEOMETRY_COLUMNS)
    assert mof.columns[:8].tolist() == geometry and len(geometry) == 8
    # Zeo++ units: volumetric (per cm³) = gravimetric (per g) × density (g/cm³).
    rho = mof["density [g/cm^3]"]
    np.testing.assert_allclose(mof["total_SA_volumetric"], mof["total_SA_gravimetric"] * rho, rtol=1e-6)
    np.testing.assert_allclose(mof["total_POV_volumetric"], mof["total_POV_gravimetric"] * rho, rtol=1e-4, atol=1e-6)
    assert mof["total_POV_volumetric"].between(0, 1).all() and rho.between(0.1, 5).all()
    assert ((mof["Df"] <= mof["Dif"]) & (mof["Dif"] <= mof["Di"])).all() and mof["Di"].between(2, 50).all()


def test_mof_rac_table_covers_every_rac_column() -> None:
    mof = data.load_mof_racs()
    racs = data.mof_rac_table(mof.columns)
    assert racs.index.tolist() == [c for c in mof.columns if c not in data.MOF_GEOMETRY_COLUMNS]
    assert len(racs) == 156 and set(racs.index) | set(data.MOF_GEOMETRY_COLUMNS) == set(mof.columns)
    assert all(pd.api.types.is_string_dtype(racs[c]) for c in ("scope", "part", "property"))
    assert racs["difference"].dtype == bool and racs["depth"].dtype == np.int64
    counts = racs.groupby(["scope", "difference"]).size().to_dict()
    assert counts == {
        ("f-lig", False): 20,
        ("func", False): 24,
        ("func", True): 24,
        ("lc", False): 24,
        ("lc", True): 24,
        ("mc", False): 20,
        ("mc", True): 20,
    }
    assert set(racs["property"]) == set(data.MOF_RAC_PROPERTIES) and set(racs["depth"]) == {0, 1, 2, 3}
    assert racs.groupby("part").size().to_dict() == {"functional_group": 48, "linker": 68, "metal": 40}
    # The name says it: difference RACs carry "D_", each scope its infix.
    for name, row in racs.iterrows():
        assert ("-D_" in name) == row["difference"] and f"-{row['property']}-{row['depth']}" in name
    # Difference RACs vanish at depth 0 and for the identity property, and only those are all zero.
    zero = (mof[racs.index] == 0).all()
    expected = racs["difference"] & ((racs["depth"] == 0) | (racs["property"] == "I"))
    assert zero.equals(expected.rename(None)) and expected.sum() == 26
    with pytest.raises(ValueError, match="'id' is neither"):
        data.mof_rac_table(["Di", "id"])


def test_mof_racs_file_holds_the_published_bytes() -> None:
    raw = (DATA_DIR / "mof_racs.csv.gz").read_bytes()
    assert raw[:2] == b"\x1f\x8b" and raw[3] == 0 and raw[4:8] == b"\0\0\0\0", "no name, timestamp 0"
    assert hashlib.sha256(gzip.decompress(raw)).hexdigest() == data.MOF_RACS_CSV_SHA256
    readme = (DATA_DIR / "README.md").read_text()
    assert data.MOF_RACS_CSV_SHA256 in readme and "LICENSE-mof_racs" in readme
    licence = (DATA_DIR / "LICENSE-mof_racs").read_text()
    assert licence.startswith("MIT License") and "Copyright (c) 2019 Kevin Jablonka" in licence
    assert "The above copyright notice and this permission notice shall be included" in licence


def _build_script():
    spec = importlib.util.spec_from_file_location("build_data", REPO_ROOT / "scripts" / "build_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mof_racs_build_needs_no_package_and_refuses_other_bytes(tmp_path: Path) -> None:
    """The MOF file is rebuilt from the published CSV (or the shipped copy), never from altered bytes."""
    build = _build_script()
    assert build.MOF_RACS_CSV_SHA256 == data.MOF_RACS_CSV_SHA256
    shipped = (DATA_DIR / "mof_racs.csv.gz").read_bytes()
    assert build.build_mof_racs(tmp_path).read_bytes() == shipped
    original = tmp_path / "features.csv"
    original.write_bytes(gzip.decompress(shipped))
    (tmp_path / "again").mkdir()
    assert build.build_mof_racs(tmp_path / "again", source=original).read_bytes() == shipped
    original.write_bytes(gzip.decompress(shipped).replace(b"\n1,", b"\n1 ,", 1))
    with pytest.raises(ValueError, match="SHA-256 of the MOF table"):
        build.build_mof_racs(tmp_path, source=original)


def test_every_smiles_parses() -> None:
    from rdkit import Chem

    for frame in (data.load_qm9(), data.load_solubility()):
        bad = [s for s in frame["smiles"] if Chem.MolFromSmiles(s) is None]
        assert not bad, bad[:5]


@pytest.mark.parametrize("name", sorted(data.CHECKSUMS))
def test_modified_or_missing_file_is_refused(tmp_path: Path, name: str) -> None:
    shutil.copy(DATA_DIR / name, tmp_path / name)
    with (tmp_path / name).open("a") as handle:
        handle.write("tampered\n")
    loader = {
        "qm9_heavy7.csv": data.load_qm9,
        "solubility.csv": data.load_solubility,
        "elements.csv": data.load_elements,
        "mp_transport.csv.gz": data.load_mp_transport,
        "mof_racs.csv.gz": data.load_mof_racs,
    }[name]
    with pytest.raises(data.DataIntegrityError, match=f"{re.escape(name)} was modified"):
        loader(data_dir=tmp_path)
    (tmp_path / name).unlink()
    with pytest.raises(data.DataIntegrityError, match="is missing"):
        loader(data_dir=tmp_path)


def test_import_loads_nothing() -> None:
    code = "import utils.data, sys; print('pandas.io.parsers' in sys.modules and 'qm9' in dir())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _data_packages_installed() -> bool:
    pins = dict(
        line.split("==")
        for line in (REPO_ROOT / "requirements" / "data.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    try:
        return all(metadata.version(n) == v for n, v in pins.items())
    except metadata.PackageNotFoundError:
        return False


@pytest.mark.skipif(
    not _data_packages_installed(),
    reason="the data build packages (requirements/data.txt) are not installed; `make data` installs them",
)
def test_build_reproduces_committed_files(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "build_data.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        text=True,
    )
    for name in data.CHECKSUMS:
        assert (tmp_path / name).read_bytes() == (DATA_DIR / name).read_bytes(), f"{name} differs"


# --- optional online datasets, tested against a local server ---------------------------


@pytest.fixture
def local_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """An HTTP server on 127.0.0.1 serving a folder; yields (base URL, folder)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(root), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    yield f"http://127.0.0.1:{server.server_port}", root
    server.shutdown()
    server.server_close()


def _matminer_file(path: Path) -> str:
    table = {
        "columns": ["formula", "yield strength"],
        "index": [0, 1],
        "data": [["Fe0.7Cr0.2Ni0.1", 1.2], ["Fe0.9C0.1", 0.9]],
    }
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(table, handle)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_optional_download_verifies_and_caches(local_server, tmp_path: Path) -> None:
    base, root = local_server
    sha = _matminer_file(root / "steels.json.gz")
    registry = {"steels": optional_data.OptionalDataset("steels.json.gz", f"{base}/steels.json.gz", sha, "", "")}
    cache = tmp_path / "cache"
    df = optional_data.fetch_optional("steels", cache_dir=cache, progressbar=False, _registry=registry)
    assert df.shape == (2, 2) and df["yield strength"].tolist() == [1.2, 0.9]
    (root / "steels.json.gz").unlink()  # second call is served from the cache
    again = optional_data.fetch_optional("steels", cache_dir=cache, progressbar=False, _registry=registry)
    pd.testing.assert_frame_equal(df, again)


def test_optional_download_with_wrong_hash_caches_nothing(local_server, tmp_path: Path) -> None:
    base, root = local_server
    _matminer_file(root / "steels.json.gz")
    registry = {"steels": optional_data.OptionalDataset("steels.json.gz", f"{base}/steels.json.gz", "0" * 64, "", "")}
    cache = tmp_path / "cache"
    with pytest.raises(data.DataIntegrityError, match=r"steels\.json\.gz .* does not match"):
        optional_data.fetch_optional("steels", cache_dir=cache, progressbar=False, _registry=registry)
    assert not any(p.is_file() for p in cache.rglob("*")), "a corrupted download was cached"


def test_optional_download_offline_names_file_and_url(tmp_path: Path) -> None:
    with socket_closed_port() as port:
        url = f"http://127.0.0.1:{port}/steels.json.gz"
        registry = {"steels": optional_data.OptionalDataset("steels.json.gz", url, "0" * 64, "", "")}
        with pytest.raises(ConnectionError, match=re.escape(f"steels.json.gz from {url}")):
            optional_data.fetch_optional("steels", cache_dir=tmp_path, progressbar=False, _registry=registry)
    with pytest.raises(KeyError, match="unknown optional dataset"):
        optional_data.fetch_optional("qm7")


class socket_closed_port:
    """A loopback port with nothing listening (connection refused, as when offline)."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        return None


def test_optional_registry_pins_published_hashes() -> None:
    for entry in optional_data.OPTIONAL_DATASETS.values():
        assert re.fullmatch(r"[0-9a-f]{64}", entry.sha256)
        assert entry.url.startswith("https://")
