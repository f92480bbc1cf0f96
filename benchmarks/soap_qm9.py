#!/usr/bin/env python
"""SOAP next to the course's representations of QM9: learning curves on lecture 03's split.

The slides list "many more descriptors" than the Coulomb matrix (SOAP, bag of
bonds, MBTR). SOAP (Bartók, Kondor & Csányi, *Phys. Rev. B* 87, 184115 (2013),
DOI 10.1103/PhysRevB.87.184115) is the one most used today; dscribe computes
it. dscribe is not in the student environment: with its dependencies (ase,
numba, llvmlite, sparse) it adds 67.5 MB of wheels and 239 MB installed, more
than the whole lesson is worth, so this comparison runs in the benchmark
environment and its table is quoted, with this script as the source, in
lecture 03's notes for instructors (README, "Lectures"):

    python3.11 -m venv .venv-bench
    .venv-bench/bin/pip install -r requirements/bench.txt
    .venv-bench/bin/python benchmarks/soap_qm9.py

Everything else is lecture 03's setup: QM9 molecules with at most seven heavy
atoms, atomization energies in kcal/mol, an 80/20 split with seed 0, training
subsets of 100 to 3,136 molecules, hyperparameters chosen by 5-fold
cross-validation on at most 600 training molecules, test MAE on all 785 test
molecules. Models:

* SOAP averaged over the atoms of a molecule (``average="inner"``: one vector
  per molecule), kernel ridge regression with the normalised polynomial kernel
  ``(x·x' / |x||x'|)^ζ``, ζ = 2 (the usual SOAP kernel);
* Coulomb-matrix eigenvalues and sorted Coulomb matrices (atomic units), KRR
  with Gaussian and Laplacian kernels;
* per-atom SOAP summed per element of the central atom, linear ridge (a sum
  of atomic contributions, like lecture 01's model);
* summed atom-centred symmetry functions (lecture 01's), linear ridge.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scipy.spatial.distance import cdist  # noqa: E402
from sklearn.kernel_ridge import KernelRidge  # noqa: E402
from sklearn.linear_model import RidgeCV  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.preprocessing import normalize  # noqa: E402

from utils import featurise as ft  # noqa: E402
from utils.data import load_qm9  # noqa: E402

SEED = 0
SPECIES = [1, 6, 7, 8, 9]
SIZES = [100, 200, 400, 800, 1600, 3136]
LAMS = np.logspace(-10, -2, 5)


def soap_features(zs: list[np.ndarray], rs: list[np.ndarray]) -> np.ndarray:
    """Molecule-averaged SOAP vectors from dscribe, unit length."""
    from ase import Atoms
    from dscribe.descriptors import SOAP

    soap = SOAP(species=SPECIES, r_cut=5.0, n_max=6, l_max=4, average="inner", periodic=False)
    return normalize(soap.create([Atoms(numbers=z, positions=r) for z, r in zip(zs, rs, strict=True)], n_jobs=1))


def summed_soap(zs: list[np.ndarray], rs: list[np.ndarray]) -> np.ndarray:
    """Per-atom SOAP vectors summed per element of the central atom, then the element counts.

    The SOAP analogue of ``utils.featurise.summed_acsf``: a linear model on it
    is a sum of atomic contributions that depend on each atom's environment.
    """
    from ase import Atoms
    from dscribe.descriptors import SOAP

    soap = SOAP(species=SPECIES, r_cut=5.0, n_max=4, l_max=3, periodic=False)
    per_atom = soap.create([Atoms(numbers=z, positions=r) for z, r in zip(zs, rs, strict=True)], n_jobs=1)
    return ft.element_sums(zs, per_atom, SPECIES)


def ridge_curve(x: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> list[float]:
    """Test MAE of linear ridge (alpha by efficient leave-one-out) at each training size."""
    maes = []
    for n in SIZES:
        idx = train[:n]
        model = RidgeCV(alphas=np.logspace(-6, 2, 9), gcv_mode="svd").fit(x[idx], y[idx])
        maes.append(float(np.mean(np.abs(model.predict(x[test]) - y[test]))))
    return maes


def krr_curve(
    x: np.ndarray,
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    kernel: str,
    gammas: np.ndarray,
    **kernel_args: float,
) -> list[float]:
    """Test MAE of KRR (labels centred) at each training size, hyperparameters by 5-fold CV on <= 600 molecules."""
    maes = []
    for n in SIZES:
        idx = train[:n]
        cv = idx[:600]
        grid = {"alpha": LAMS} if not len(gammas) else {"alpha": LAMS, "gamma": gammas}
        search = GridSearchCV(
            KernelRidge(kernel=kernel, **kernel_args), grid, cv=5, scoring="neg_mean_absolute_error"
        ).fit(x[cv], y[cv] - y[cv].mean())
        model = KernelRidge(kernel=kernel, **kernel_args, **search.best_params_).fit(x[idx], y[idx] - y[idx].mean())
        maes.append(float(np.mean(np.abs(model.predict(x[test]) + y[idx].mean() - y[test]))))
    return maes


def main() -> None:
    qm9 = load_qm9()
    zs, rs = list(qm9["atomic_numbers"]), list(qm9["positions"])
    y = qm9["atomization_energy"].to_numpy()
    train, test = train_test_split(np.arange(len(y)), test_size=0.2, random_state=SEED)

    start = time.perf_counter()
    soap = soap_features(zs, rs)
    soap_seconds = time.perf_counter() - start
    eig = ft.batch_coulomb_eigenvalues(zs, rs)
    sorted_cm = ft.sorted_coulomb_vectors(ft.batch_coulomb_matrices(zs, rs))
    acsf = ft.summed_acsf(zs, rs, species=SPECIES)

    def scaled(x: np.ndarray, factors: np.ndarray, metric: str) -> np.ndarray:
        """Kernel widths relative to the median distance (squared Euclidean or city block) of 600 molecules."""
        d = cdist(x[train[:600]], x[train[:600]], metric)
        return factors / np.median(d[np.triu_indices(600, k=1)])

    rows = {
        "SOAP (n_max 6, l_max 4, averaged), KRR polynomial ζ=2": krr_curve(
            soap, y, train, test, "poly", np.array([]), gamma=1.0, coef0=0.0, degree=2
        ),
        "Coulomb eigenvalues, KRR Gaussian": krr_curve(
            eig, y, train, test, "rbf", scaled(eig, np.logspace(-4, 0, 5), "sqeuclidean")
        ),
        "sorted Coulomb matrix, KRR Laplacian": krr_curve(
            sorted_cm, y, train, test, "laplacian", scaled(sorted_cm, np.logspace(-3, 0, 4), "cityblock")
        ),
    }
    rows["SOAP (n_max 4, l_max 3) summed per element, linear ridge"] = ridge_curve(summed_soap(zs, rs), y, train, test)
    rows["summed symmetry functions, linear ridge"] = ridge_curve(acsf, y, train, test)

    print(
        f"QM9, {len(y)} molecules, test {len(test)}; SOAP of all molecules in {soap_seconds:.1f} s "
        f"({soap.shape[1]} features)\n"
    )
    print("| representation, model | " + " | ".join(f"n = {n}" for n in SIZES) + " |")
    print("|---|" + "---:|" * len(SIZES))
    for name, maes in rows.items():
        print(f"| {name} | " + " | ".join(f"{m:.1f}" for m in maes) + " |")
    print("\ntest MAE in kcal/mol")


if __name__ == "__main__":
    main()
