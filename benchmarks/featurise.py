#!/usr/bin/env python
"""Benchmark: utils.featurise on the course's datasets, against dscribe where definitions agree.

Featurises the whole QM9 subset (3,921 molecules with at most seven heavy
atoms) and the curated solubility set (1,270 molecules), reports molecules per second
for each descriptor (best of ``--repeat`` runs), and, in the same run,
computes the Coulomb-matrix eigenvalues and the symmetry functions with
dscribe (an independent C++ implementation on PyPI) and checks that the
numbers agree. Not a test: run it by hand in the benchmark environment,

    python3.11 -m venv .venv-bench
    .venv-bench/bin/pip install -r requirements/bench.txt
    .venv-bench/bin/python benchmarks/featurise.py

Notes on the comparison. dscribe builds Coulomb matrices with distances in Å;
the course's default is atomic units (bohr, as Rupp et al.), so both Coulomb
rows are timed and compared with ``units="angstrom"``. Both order eigenvalues
by decreasing absolute value; rows are still compared after sorting, so that
near-ties cannot swap places. dscribe's ACSF output
has an extra G1 (plain cutoff sum) per element and orders element pairs
differently; the matching columns are picked out before comparing. Building
dscribe's ``ase.Atoms`` objects is not counted in its time. The graph
descriptors (fingerprints, RACs, charges) have no independent PyPI
implementation with the same definitions here; their throughput is reported alone.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from utils import featurise as ft  # noqa: E402
from utils.data import load_qm9, load_solubility  # noqa: E402

SPECIES = [1, 6, 7, 8, 9]
R_CUT = 5.0
RADIAL = [(4.0, r_s) for r_s in np.linspace(0.8, 4.0, 9)]
ANGULAR = [(0.05, 1.0, 1.0), (0.05, 1.0, -1.0), (0.05, 4.0, 1.0), (0.05, 4.0, -1.0)]


def best_time(function: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Shortest wall time of ``repeat`` calls, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def ratio(reference: float, ours: float) -> str:
    """The speed-up over the reference: above 1 when ours is faster."""
    return f"ratio dscribe/ours {reference / ours:.2f}x"


def dscribe_acsf_columns(n_species: int, n_radial: int, n_angular: int) -> np.ndarray:
    """Indices of dscribe's ACSF columns in the order utils.featurise.acsf uses."""
    # dscribe: per element [G1, G2...]; then per element pair (j-major: (0,0), (0,1), (1,1), (0,2), ...) the G4s
    radial = [s * (1 + n_radial) + 1 + k for s in range(n_species) for k in range(n_radial)]
    dscribe_pairs = [(a, b) for b in range(n_species) for a in range(b + 1)]
    offset = n_species * (1 + n_radial)
    ours_pairs = [(a, b) for a in range(n_species) for b in range(a, n_species)]
    angular = [offset + dscribe_pairs.index(p) * n_angular + k for p in ours_pairs for k in range(n_angular)]
    return np.array(radial + angular)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per descriptor; the fastest counts (default 3)")
    args = parser.parse_args()

    qm9, sol = load_qm9(), load_solubility()
    zs, rs, smiles = list(qm9["atomic_numbers"]), list(qm9["positions"]), list(sol["smiles"])
    size = max(len(z) for z in zs)
    rows: list[tuple[str, str, int, float, str, str]] = []

    def add(name: str, data: str, n: int, seconds: float, reference: str = "", agreement: str = "") -> None:
        rows.append((name, data, n, seconds, reference, agreement))

    # --- graph descriptors on the solubility set (ours only) ---
    for name, function in [
        ("one-hot element counts", lambda: [ft.one_hot_atom_types(s).sum(axis=0) for s in smiles]),
        ("Gasteiger charge extremes", lambda: [ft.charge_extremes(s, strict=False) for s in smiles]),
        ("Morgan fingerprint (r=2, 2048 bits)", lambda: ft.batch_fingerprints(smiles, kind="morgan")),
        ("path fingerprint (7 bonds, 1024 bits)", lambda: ft.batch_fingerprints(smiles, kind="path")),
        ("RACs (90 features)", lambda: ft.batch_rac_features(smiles)),
    ]:
        seconds, _ = best_time(function, args.repeat)
        add(name, "solubility", len(smiles), seconds)

    # --- geometric descriptors on QM9, ours ---
    t_cm, ours_cm = best_time(lambda: ft.batch_coulomb_matrices(zs, rs, size=size, units="angstrom"), args.repeat)
    t_eig, ours_eig = best_time(lambda: ft.batch_coulomb_eigenvalues(zs, rs, size=size, units="angstrom"), args.repeat)
    t_acsf, ours_acsf = best_time(
        lambda: ft.batch_acsf(zs, rs, r_cut=R_CUT, radial=RADIAL, angular=ANGULAR, species=SPECIES), args.repeat
    )

    # --- the same with dscribe ---
    try:
        from importlib.metadata import version

        from ase import Atoms
        from dscribe.descriptors import ACSF, CoulombMatrix

        dscribe_version = version("dscribe")
    except ImportError:
        dscribe_version = None
    if dscribe_version is None:
        add("Coulomb matrices", "QM9", len(zs), t_cm)
        add("Coulomb eigenvalues", "QM9", len(zs), t_eig)
        add("ACSF (G2 x9, G4 x4, 5 elements)", "QM9", len(zs), t_acsf)
        print("dscribe is not installed: no comparison (see the docstring for the benchmark environment)")
    else:
        atoms = [Atoms(numbers=z, positions=r) for z, r in zip(zs, rs, strict=True)]
        cm_sorted = CoulombMatrix(n_atoms_max=size, permutation="sorted_l2")
        cm_eigen = CoulombMatrix(n_atoms_max=size, permutation="eigenspectrum")
        t_ref_cm, _ = best_time(lambda: cm_sorted.create(atoms, n_jobs=1), args.repeat)
        t_ref_eig, ref_eig = best_time(lambda: cm_eigen.create(atoms, n_jobs=1), args.repeat)
        eig_diff = np.max(np.abs(np.sort(ours_eig, axis=1) - np.sort(np.asarray(ref_eig), axis=1)))
        add(
            "Coulomb matrices",
            "QM9",
            len(zs),
            t_cm,
            f"dscribe {dscribe_version}: {t_ref_cm:.3f} s (sorted_l2), {ratio(t_ref_cm, t_cm)}",
            "",
        )
        add(
            "Coulomb eigenvalues",
            "QM9",
            len(zs),
            t_eig,
            f"dscribe: {t_ref_eig:.3f} s, {ratio(t_ref_eig, t_eig)}",
            f"max abs. difference {eig_diff:.1e}",
        )
        acsf = ACSF(
            species=SPECIES,
            r_cut=R_CUT,
            g2_params=[list(p) for p in RADIAL],
            g4_params=[list(p) for p in ANGULAR],
        )
        t_ref_acsf, ref_acsf = best_time(lambda: acsf.create(atoms, n_jobs=1), args.repeat)
        columns = dscribe_acsf_columns(len(SPECIES), len(RADIAL), len(ANGULAR))
        acsf_diff = max(
            float(np.max(np.abs(o - np.asarray(d)[:, columns]))) for o, d in zip(ours_acsf, ref_acsf, strict=True)
        )
        scale = max(float(np.max(np.abs(o))) for o in ours_acsf)
        add(
            "ACSF (G2 x9, G4 x4, 5 elements)",
            "QM9",
            len(zs),
            t_acsf,
            f"dscribe: {t_ref_acsf:.3f} s, {ratio(t_ref_acsf, t_acsf)}",
            f"max abs. difference {acsf_diff:.1e} (values up to {scale:.1f})",
        )
        if eig_diff > 1e-8 * np.max(np.abs(ours_eig)) or acsf_diff > 1e-8 * scale:
            print("WARNING: the numbers disagree with dscribe", file=sys.stderr)

    print(f"Python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, best of {args.repeat}\n")
    print("| descriptor | dataset | molecules | time / s | molecules / s | independent implementation | agreement |")
    print("|---|---|---:|---:|---:|---|---|")
    for name, data, n, seconds, reference, agreement in rows:
        print(f"| {name} | {data} | {n} | {seconds:.3f} | {n / seconds:,.0f} | {reference} | {agreement} |")


if __name__ == "__main__":
    main()
