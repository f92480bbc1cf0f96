"""Tests of utils.featurise: hand-computed cases, invariances, agreement with RDKit, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from utils.constants import ANGSTROM_TO_BOHR
from utils.data import load_elements
from utils.featurise import (
    RAC_PROPERTIES,
    acsf,
    as_mol,
    autocorrelation,
    batch_acsf,
    batch_coulomb_eigenvalues,
    batch_coulomb_matrices,
    batch_fingerprints,
    batch_rac_features,
    charge_extremes,
    cosine_cutoff,
    coulomb_eigenvalues,
    coulomb_matrix,
    gasteiger_charges,
    morgan_fingerprint,
    n_distinct,
    one_hot_atom_types,
    path_fingerprint,
    points,
    rac_features,
    rotation_matrix,
    sorted_coulomb_vectors,
    summed_acsf,
    tanimoto,
    tanimoto_matrix,
)

H2_Z = np.array([1, 1])
H2_R = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.74]])
WATER_Z = np.array([8, 1, 1])
WATER_R = np.array([[0.0, 0.0, 0.1173], [0.0, 0.7572, -0.4692], [0.0, -0.7572, -0.4692]])
# Methanol (C, O, 4 H): several elements, angles and a torsion.
METHANOL_Z = np.array([6, 8, 1, 1, 1, 1])
METHANOL_R = np.array(
    [
        [-0.0467, 0.6630, 0.0000],
        [-0.0467, -0.7590, 0.0000],
        [-1.0833, 0.9759, 0.0000],
        [0.4372, 1.0826, 0.8850],
        [0.4372, 1.0826, -0.8850],
        [0.8623, -1.0892, 0.0000],
    ]
)


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A uniformly random proper rotation (QR of a Gaussian matrix, signs fixed)."""
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def moved(z: np.ndarray, r: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Randomly rotated, translated and permuted copy of a geometry, and the permutation."""
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(z))
    shift = rng.uniform(-10, 10, size=3)
    return z[perm], r[perm] @ random_rotation(rng).T + shift, perm


# --- molecules and ad hoc descriptors -------------------------------------------


def test_unparsable_smiles_is_quoted() -> None:
    with pytest.raises(ValueError, match=r"mol must be a SMILES that RDKit can parse, got 'C1CC'"):
        as_mol("C1CC")
    with pytest.raises(ValueError, match=r"smiles\[1\] must be a SMILES that RDKit can parse, got 'CC\(C'"):
        batch_fingerprints(["CCO", "CC(C"])
    with pytest.raises(ValueError, match="got one string 'CCO'"):
        batch_fingerprints("CCO")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mol must be a SMILES string or an RDKit molecule, got int"):
        as_mol(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="RDKit can parse, got 'xyz'"):
        autocorrelation("xyz", "Z", 1)


def test_one_hot_has_one_one_per_atom_and_counts_elements() -> None:
    enc = one_hot_atom_types("ClCC(=O)N", symbols=("C", "N", "O"))
    assert enc.shape == (5, 4)
    assert (enc.sum(axis=1) == 1).all()
    assert enc.sum(axis=0).tolist() == [2, 1, 1, 1]  # the Cl lands in "other"
    with_h = one_hot_atom_types("C", symbols=("C", "H"), include_hydrogens=True)
    assert with_h.sum(axis=0).tolist() == [1, 4, 0]
    with pytest.raises(ValueError, match="distinct"):
        one_hot_atom_types("C", symbols=("C", "C"))


def test_gasteiger_charges_sum_to_the_formal_charge_and_extremes_match() -> None:
    for smiles, formal in [("CCO", 0), ("CC(=O)[O-]", -1), ("C[NH3+]", 1)]:
        q = gasteiger_charges(smiles)
        assert q.sum() == pytest.approx(formal, abs=1e-6)
        assert len(q) == Chem.AddHs(Chem.MolFromSmiles(smiles)).GetNumAtoms()
        assert charge_extremes(smiles) == (q.max(), q.min())
    water = gasteiger_charges("O")
    assert water[1] == pytest.approx(water[2]) and water[0] == pytest.approx(-2 * water[1])


def test_gasteiger_charges_name_atoms_without_parameters() -> None:
    with pytest.raises(ValueError, match=r"no Gasteiger charge for atom\(s\) Sn1"):
        gasteiger_charges("C[Sn](C)(C)C")
    assert np.isnan(charge_extremes("C[Sn](C)(C)C", strict=False)).all()


# --- fingerprints -----------------------------------------------------------------


@pytest.mark.parametrize(
    "variants",
    [
        ["CCO", "OCC", "C(O)C", "[CH3][CH2][OH]"],
        ["c1ccccc1O", "Oc1ccccc1", "C1=CC=CC=C1O", "OC1=CC=CC=C1"],
        ["CC(=O)Oc1ccccc1C(=O)O", "OC(=O)c1ccccc1OC(C)=O"],
    ],
)
def test_same_molecule_different_smiles_same_fingerprint(variants: list[str]) -> None:
    for kind in ("morgan", "path"):
        fps = batch_fingerprints(variants, kind=kind)
        assert (fps == fps[0]).all()
        assert np.allclose(tanimoto_matrix(fps), 1.0)


def test_fingerprints_match_rdkit_bit_vectors() -> None:
    mol = Chem.MolFromSmiles("CN1C=NC2=C1C(=O)N(C(=O)N2C)C")
    morgan = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048).GetFingerprint(mol)
    path = rdFingerprintGenerator.GetRDKitFPGenerator(maxPath=7, fpSize=1024, branchedPaths=False).GetFingerprint(mol)
    assert np.flatnonzero(morgan_fingerprint(mol)).tolist() == list(morgan.GetOnBits())
    assert np.flatnonzero(path_fingerprint(mol)).tolist() == list(path.GetOnBits())
    assert path_fingerprint(mol).shape == (1024,)


def test_tanimoto_matches_rdkit_and_hand_count() -> None:
    smiles = ["CCO", "CCN", "c1ccccc1", "c1ccccc1O", "CC(=O)O"]
    fps = batch_fingerprints(smiles)
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    bitvects = [gen.GetFingerprint(Chem.MolFromSmiles(s)) for s in smiles]
    expected = np.array([DataStructs.BulkTanimotoSimilarity(b, bitvects) for b in bitvects])
    np.testing.assert_allclose(tanimoto_matrix(fps), expected, rtol=1e-12)
    a, b = np.array([1, 1, 1, 0, 0]), np.array([0, 1, 1, 1, 0])
    assert tanimoto(a, b) == pytest.approx(2 / 4)
    assert tanimoto(np.zeros(4), np.zeros(4)) == 1.0


def test_tanimoto_rejects_non_bits_and_length_mismatch() -> None:
    with pytest.raises(ValueError, match="only 0 and 1"):
        tanimoto_matrix([[0, 2]])
    with pytest.raises(ValueError, match="differ in length"):
        tanimoto_matrix([[0, 1]], [[0, 1, 1]])
    with pytest.raises(ValueError, match="kind must be"):
        batch_fingerprints(["C"], kind="maccs")  # type: ignore[arg-type]


# --- revised autocorrelations -----------------------------------------------------


def rac_by_definition(smiles: str, prop: str, depth: int, kind: str, start: list[int] | None) -> float:
    """The double sum of the slide, written as literally as possible."""
    mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
    dist = Chem.GetDistanceMatrix(mol)
    elements = load_elements()
    p = []
    for atom in mol.GetAtoms():
        z = atom.GetAtomicNum()
        p.append(
            {
                "chi": elements.loc[z, "pauling_electronegativity"],
                "Z": z,
                "I": 1.0,
                "T": len(atom.GetNeighbors()),
                "S": elements.loc[z, "covalent_radius"],
            }[prop]
        )
    total = 0.0
    for i in range(mol.GetNumAtoms()) if start is None else start:
        for j in range(mol.GetNumAtoms()):
            if dist[i, j] == depth:
                total += p[i] * p[j] if kind == "product" else p[i] - p[j]
    return total


@pytest.mark.parametrize("smiles", ["O", "CCO", "NCC(=O)O", "c1ccncc1", "FC(F)Cl"])
@pytest.mark.parametrize("prop", sorted(RAC_PROPERTIES))
def test_autocorrelation_follows_the_double_sum(smiles: str, prop: str) -> None:
    n_given = Chem.MolFromSmiles(smiles).GetNumAtoms()
    for depth in range(4):
        for kind in ("product", "difference"):
            for start in (None, [0], list(range(n_given))):
                assert autocorrelation(smiles, prop, depth, kind=kind, start=start) == pytest.approx(
                    rac_by_definition(smiles, prop, depth, kind, start), abs=1e-12
                )


def test_water_racs_by_hand() -> None:
    # H-O-H: chi(O) = 3.44, chi(H) = 2.20, covalent radii 0.63 and 0.32 Å.
    assert autocorrelation("O", "chi", 0) == pytest.approx(3.44**2 + 2 * 2.20**2)
    assert autocorrelation("O", "chi", 1) == pytest.approx(4 * 3.44 * 2.20)
    assert autocorrelation("O", "chi", 2) == pytest.approx(2 * 2.20**2)
    assert autocorrelation("O", "T", 1) == pytest.approx(4 * 2 * 1)
    assert autocorrelation("O", "S", 1, start=[0]) == pytest.approx(2 * 0.63 * 0.32)
    assert autocorrelation("O", "I", 1) == 4.0  # ordered bonded pairs = 2 x bonds
    assert autocorrelation("O", "chi", 1, kind="difference", start=[0]) == pytest.approx(2 * (3.44 - 2.20))
    assert autocorrelation("O", "Z", 3) == 0.0
    assert autocorrelation("O", "Z", 1, start=[]) == 0.0


@pytest.mark.parametrize("smiles", ["CCO", "c1ccccc1N", "CC(=O)Nc1ccc(O)cc1"])
def test_difference_racs_vanish_with_all_atoms_as_start(smiles: str) -> None:
    for prop in RAC_PROPERTIES:
        for depth in range(5):
            assert autocorrelation(smiles, prop, depth, kind="difference") == pytest.approx(0.0, abs=1e-12)


def test_racs_do_not_depend_on_how_the_smiles_is_written() -> None:
    assert rac_features("OCC(N)C") == pytest.approx(rac_features("CC(N)CO"))
    assert rac_features("[H]OC([H])([H])C") == pytest.approx(rac_features("CCO"))


def test_rac_features_names_and_table() -> None:
    feats = rac_features("CCN", props=("chi", "T"), max_depth=2, start_elements=("N",))
    assert "product-chi-2-all" in feats and "difference-T-1-N" in feats
    assert "difference-chi-1-all" not in feats and "difference-chi-0-N" not in feats
    assert len(feats) == 2 * 3 * 2 + 2 * 2
    assert feats["product-chi-2-all"] == autocorrelation("CCN", "chi", 2)
    assert feats["difference-T-1-N"] == autocorrelation("CCN", "T", 1, kind="difference", start=[2])
    table = batch_rac_features(["CCN", "CCC"], props=("chi", "T"), max_depth=2, start_elements=("N",))
    assert table.shape == (2, len(feats)) and list(table.columns) == list(feats)
    assert table.loc[1, "product-chi-1-N"] == 0.0  # propane has no nitrogen


def test_autocorrelation_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown property 'polarisability'"):
        autocorrelation("CCO", "polarisability", 1)
    with pytest.raises(ValueError, match="kind must be"):
        autocorrelation("CCO", "Z", 1, kind="sum")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-negative integer"):
        autocorrelation("CCO", "Z", -1)
    with pytest.raises(ValueError, match="3 atoms of the molecule as given"):
        autocorrelation("CCO", "Z", 1, start=[3])
    with pytest.raises(ValueError, match="undefined for Ar"):
        autocorrelation("[Ar]", "chi", 0)
    with pytest.raises(ValueError, match="unknown property"):
        rac_features("CCO", props=("chi", "foo"))


# --- Coulomb matrix ---------------------------------------------------------------


def test_coulomb_matrix_of_h2_and_water_by_hand() -> None:
    bohr = 0.74 * ANGSTROM_TO_BOHR
    np.testing.assert_allclose(coulomb_matrix(H2_Z, H2_R), [[0.5, 1 / bohr], [1 / bohr, 0.5]])
    np.testing.assert_allclose(coulomb_matrix(H2_Z, H2_R, units="angstrom"), [[0.5, 1 / 0.74], [1 / 0.74, 0.5]])
    np.testing.assert_allclose(coulomb_eigenvalues(H2_Z, H2_R, size=4), [0.5 + 1 / bohr, 0.5 - 1 / bohr, 0, 0])
    np.testing.assert_allclose(
        coulomb_eigenvalues(H2_Z, H2_R, size=4, units="angstrom"), [0.5 + 1 / 0.74, 0.5 - 1 / 0.74, 0, 0]
    )

    for units, scale in (("bohr", ANGSTROM_TO_BOHR), ("angstrom", 1.0)):
        cm = coulomb_matrix(WATER_Z, WATER_R, units=units)
        d_oh = np.linalg.norm(WATER_R[0] - WATER_R[1]) * scale
        d_hh = np.linalg.norm(WATER_R[1] - WATER_R[2]) * scale
        assert cm[0, 0] == pytest.approx(0.5 * 8**2.4) and cm[1, 1] == pytest.approx(0.5)
        assert cm[0, 1] == pytest.approx(8 / d_oh) and cm[0, 2] == pytest.approx(8 / d_oh)
        assert cm[1, 2] == pytest.approx(1 / d_hh)
        np.testing.assert_array_equal(cm, cm.T)


def test_coulomb_units_scale_only_the_off_diagonal() -> None:
    bohr, angstrom = coulomb_matrix(METHANOL_Z, METHANOL_R), coulomb_matrix(METHANOL_Z, METHANOL_R, units="angstrom")
    off = ~np.eye(len(METHANOL_Z), dtype=bool)
    np.testing.assert_allclose(np.diag(bohr), np.diag(angstrom))
    np.testing.assert_allclose(angstrom[off], bohr[off] * ANGSTROM_TO_BOHR)


@pytest.mark.parametrize("units", ["bohr", "angstrom"])
def test_coulomb_eigenvalues_are_sorted_then_padded(units: str) -> None:
    n = len(METHANOL_Z)
    by_abs = coulomb_eigenvalues(METHANOL_Z, METHANOL_R, size=9, units=units)
    by_value = coulomb_eigenvalues(METHANOL_Z, METHANOL_R, size=9, units=units, order="value")
    assert (np.diff(np.abs(by_abs[:n])) <= 0).all() and (by_abs[n:] == 0).all()
    assert (np.diff(by_value[:n]) <= 0).all() and (by_value[n:] == 0).all()
    exact = np.linalg.eigvalsh(coulomb_matrix(METHANOL_Z, METHANOL_R, units=units))
    np.testing.assert_allclose(np.sort(by_abs[:n]), exact)
    np.testing.assert_allclose(np.sort(by_value[:n]), exact)
    assert by_abs.sum() == pytest.approx(0.5 * np.sum(METHANOL_Z**2.4))  # trace
    with pytest.raises(ValueError, match="more than size=3"):
        coulomb_eigenvalues(METHANOL_Z, METHANOL_R, size=3)


def test_methanol_spectrum_is_positive_in_bohr_and_not_in_angstrom() -> None:
    assert coulomb_eigenvalues(METHANOL_Z, METHANOL_R).min() > 0
    assert coulomb_eigenvalues(METHANOL_Z, METHANOL_R, units="angstrom").min() < 0


def test_coulomb_rejects_unknown_units_and_order() -> None:
    with pytest.raises(ValueError, match="units must be one of"):
        coulomb_matrix(H2_Z, H2_R, units="nm")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="order must be one of"):
        coulomb_eigenvalues(H2_Z, H2_R, order="magnitude")  # type: ignore[arg-type]


def test_batch_versions_equal_the_single_ones() -> None:
    zs = [H2_Z, WATER_Z, METHANOL_Z, WATER_Z[::-1]]
    rs = [H2_R, WATER_R, METHANOL_R, WATER_R[::-1] + 1.0]
    for units, order in (("bohr", "abs"), ("angstrom", "value")):
        cms = batch_coulomb_matrices(zs, rs, units=units)
        eigs = batch_coulomb_eigenvalues(zs, rs, size=7, units=units, order=order)
        assert cms.shape == (4, 6, 6) and eigs.shape == (4, 7)
        for k, (z, r) in enumerate(zip(zs, rs, strict=True)):
            n = len(z)
            np.testing.assert_allclose(cms[k, :n, :n], coulomb_matrix(z, r, units=units))
            assert (cms[k, n:] == 0).all() and (cms[k, :, n:] == 0).all()
            np.testing.assert_allclose(eigs[k], coulomb_eigenvalues(z, r, size=7, units=units, order=order), atol=1e-12)
        np.testing.assert_allclose(eigs[1], eigs[3], atol=1e-10)  # reversed and shifted water


def test_coulomb_matrix_is_covariant_and_its_spectrum_invariant() -> None:
    z2, r2, perm = moved(METHANOL_Z, METHANOL_R, seed=3)
    np.testing.assert_allclose(coulomb_matrix(z2, r2), coulomb_matrix(METHANOL_Z, METHANOL_R)[np.ix_(perm, perm)])
    np.testing.assert_allclose(coulomb_eigenvalues(z2, r2), coulomb_eigenvalues(METHANOL_Z, METHANOL_R), atol=1e-9)


def test_sorted_coulomb_vectors_are_invariant_and_start_with_the_heaviest_atom() -> None:
    z2, r2, _ = moved(METHANOL_Z, METHANOL_R, seed=5)
    cms = batch_coulomb_matrices([METHANOL_Z, z2, WATER_Z], [METHANOL_R, r2, WATER_R])
    vec = sorted_coulomb_vectors(cms)
    assert vec.shape == (3, 21)
    np.testing.assert_allclose(vec[0], vec[1], atol=1e-10)
    assert vec[2, 0] == pytest.approx(0.5 * 8**2.4)  # oxygen has the largest row
    with pytest.raises(ValueError, match="shape"):
        sorted_coulomb_vectors(np.zeros((2, 3, 4)))


@settings(max_examples=40, deadline=None, database=None)
@given(seed=st.integers(0, 2**32 - 1), n_atoms=st.integers(2, 9))
def test_descriptors_are_invariant_under_random_motions_and_permutations(seed: int, n_atoms: int) -> None:
    rng = np.random.default_rng(seed)
    z = rng.choice([1, 6, 7, 8, 9], size=n_atoms)
    r = rng.uniform(-2.5, 2.5, size=(n_atoms, 3))
    if np.min(np.linalg.norm(r[:, None] - r[None], axis=-1) + np.eye(n_atoms) * 9) < 0.3:
        r = r * 3  # keep atoms apart so every quantity stays well conditioned
    z2, r2, perm = moved(z, r, seed=seed + 1)
    np.testing.assert_allclose(coulomb_eigenvalues(z2, r2), coulomb_eigenvalues(z, r), rtol=1e-8, atol=1e-8)
    species = [1, 6, 7, 8, 9]
    g, g2 = acsf(z, r, species=species), acsf(z2, r2, species=species)
    np.testing.assert_allclose(g2, g[perm], rtol=1e-8, atol=1e-10)  # per atom: equivariant
    np.testing.assert_allclose(g2.sum(axis=0), g.sum(axis=0), rtol=1e-8, atol=1e-10)  # per molecule: invariant


@pytest.mark.parametrize(
    ("z", "r", "message"),
    [
        ([1, 1, 1], H2_R, r"one row per atomic number \(3\), got 2 rows"),
        ([1, 1], [[0, 0, 0], [0, 0, np.nan]], "NaN or infinite"),
        ([1, 1], [[0, 0, 0], [np.inf, 0, 0]], "NaN or infinite"),
        ([1, 1], [[0, 0, 0], [0, 0, 0]], "same position"),
        ([1, 1], [0, 0, 0, 0, 0, 1], r"shape \(n_atoms, 3\)"),
        ([], np.zeros((0, 3)), "non-empty"),
        ([1.5, 1], H2_R, "positive integers"),
    ],
)
def test_geometric_descriptors_reject_bad_geometry(z: list[float], r: object, message: str) -> None:
    for function in (coulomb_matrix, coulomb_eigenvalues, acsf):
        with pytest.raises(ValueError, match=message):
            function(z, r)


def test_batch_errors_name_the_molecule() -> None:
    with pytest.raises(
        ValueError, match=r"molecule 1: positions must have one row per atomic number \(2\), got 1 rows"
    ):
        batch_coulomb_eigenvalues([H2_Z, H2_Z], [H2_R, H2_R[:1]])
    with pytest.raises(ValueError, match="molecule 2: two atoms are at the same position"):
        batch_coulomb_matrices([WATER_Z, H2_Z, H2_Z], [WATER_R, H2_R, np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"positions must have one entry per molecule \(2\), got 1"):
        batch_coulomb_matrices([H2_Z, H2_Z], [H2_R])


# --- symmetry functions -----------------------------------------------------------


def test_cosine_cutoff_is_smooth_at_the_cutoff() -> None:
    r = np.array([0.0, 1.0, 2.0, 2.999999, 3.0, 4.0])
    f = cosine_cutoff(r, 3.0)
    assert f[0] == 1.0 and f[-1] == 0.0 and f[-2] == 0.0 and f[-3] == pytest.approx(0.0, abs=1e-10)
    assert (np.diff(f) <= 0).all()
    with pytest.raises(ValueError, match="positive"):
        cosine_cutoff(r, 0.0)


def test_acsf_of_h2_and_water_by_hand() -> None:
    eta, r_s, r_cut = 0.5, 0.5, 5.0
    g = acsf(H2_Z, H2_R, r_cut=r_cut, radial=[(eta, r_s)], angular=[(0.1, 2.0, 1.0)])
    expected_g2 = np.exp(-eta * (0.74 - r_s) ** 2) * 0.5 * (np.cos(np.pi * 0.74 / r_cut) + 1)
    np.testing.assert_allclose(g, [[expected_g2, 0.0], [expected_g2, 0.0]])  # no angle in a diatomic

    eta4, zeta, lam = 0.1, 2.0, -1.0
    g = acsf(WATER_Z, WATER_R, r_cut=r_cut, radial=[], angular=[(eta4, zeta, lam)])
    d = np.linalg.norm(WATER_R[:, None] - WATER_R[None], axis=-1)
    fc = 0.5 * (np.cos(np.pi * d / r_cut) + 1)
    cos_hoh = np.dot(WATER_R[1] - WATER_R[0], WATER_R[2] - WATER_R[0]) / d[0, 1] / d[0, 2]
    g4_o = (
        2 ** (1 - zeta)
        * (1 + lam * cos_hoh) ** zeta
        * np.exp(-eta4 * (d[0, 1] ** 2 + d[0, 2] ** 2 + d[1, 2] ** 2))
        * fc[0, 1]
        * fc[0, 2]
        * fc[1, 2]
    )
    assert g[0, 0] == pytest.approx(g4_o)
    assert np.degrees(np.arccos(cos_hoh)) == pytest.approx(104.5, abs=0.1)


def test_acsf_species_channels_add_up_to_the_element_blind_sums() -> None:
    radial = [(0.5, 0.0), (1.0, 1.2)]
    angular = [(0.05, 1.0, 1.0), (0.05, 4.0, -1.0)]
    blind = acsf(METHANOL_Z, METHANOL_R, radial=radial, angular=angular)
    split = acsf(METHANOL_Z, METHANOL_R, radial=radial, angular=angular, species=[1, 6, 8])
    assert blind.shape == (6, 4) and split.shape == (6, 3 * 2 + 6 * 2)
    g2 = split[:, :6].reshape(6, 3, 2).sum(axis=1)
    g4 = split[:, 6:].reshape(6, 6, 2).sum(axis=1)
    np.testing.assert_allclose(np.hstack([g2, g4]), blind, rtol=1e-12)
    # the carbon (atom 0) sees one O and four H within the cutoff, and no other C
    assert split[0, 2:4].tolist() == [0.0, 0.0]


def test_acsf_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match=r"atomic numbers \[8\] are not in species"):
        acsf(WATER_Z, WATER_R, species=[1])
    with pytest.raises(ValueError, match="lambda must be"):
        acsf(WATER_Z, WATER_R, angular=[(0.1, 1.0, 0.5)])


# --- helpers ----------------------------------------------------------------------


@pytest.mark.parametrize(("axis", "angle"), list(itertools.product([[1, 0, 0], [1, 1, 1], [0.2, -3, 1]], [0.3, 2.0])))
def test_rotation_matrix_is_a_proper_rotation(axis: list[float], angle: float) -> None:
    rot = rotation_matrix(axis, angle)
    np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(rot) == pytest.approx(1.0)
    np.testing.assert_allclose(rot @ np.asarray(axis, float), axis, atol=1e-12)
    with pytest.raises(ValueError, match="non-zero 3-vector"):
        rotation_matrix([0, 0, 0], 1.0)


def test_n_distinct_counts_degenerate_rows_once() -> None:
    assert n_distinct(np.array([[0.0, 1.0], [-0.0, 1.0], [0.0, 1.0 + 1e-9], [1.0, 0.0]])) == 2
    assert n_distinct(np.eye(5)) == 5
    with pytest.raises(ValueError, match="2-D"):
        n_distinct([1.0, 2.0])


def test_batch_acsf_equals_one_molecule_at_a_time() -> None:
    zs = [H2_Z, WATER_Z, METHANOL_Z, METHANOL_Z[::-1]]
    rs = [H2_R, WATER_R, METHANOL_R, METHANOL_R[::-1]]
    kwargs = {"r_cut": 4.0, "radial": [(1.0, 1.0)], "angular": [(0.1, 2.0, -1.0)], "species": [1, 6, 8]}
    batch = batch_acsf(zs, rs, **kwargs)
    for z, r, g in zip(zs, rs, batch, strict=True):
        np.testing.assert_allclose(g, acsf(z, r, **kwargs), rtol=1e-12)
    np.testing.assert_allclose(batch[3], batch[2][::-1], rtol=1e-12)
    with pytest.raises(ValueError, match="molecule 1: two atoms are at the same position"):
        batch_acsf([H2_Z, H2_Z], [H2_R, np.zeros((2, 3))])


def acsf_by_definition(
    z: np.ndarray, r: np.ndarray, r_cut: float, radial: list, angular: list, species: list[int]
) -> np.ndarray:
    """G² and G⁴ of one molecule as the docstring of acsf writes them: loops over i, j and k > j."""
    n, n_s = len(z), len(species)
    pairs = [(a, b) for a in range(n_s) for b in range(a, n_s)]
    element = [species.index(x) for x in z]

    def fc(d: float) -> float:
        return 0.5 * (np.cos(np.pi * d / r_cut) + 1) if d < r_cut else 0.0

    g2, g4 = np.zeros((n, n_s, len(radial))), np.zeros((n, len(pairs), len(angular)))
    for i in range(n):
        for j in range(n):
            if j == i:
                continue
            r_ij = np.linalg.norm(r[j] - r[i])
            for p, (eta, r_s) in enumerate(radial):
                g2[i, element[j], p] += np.exp(-eta * (r_ij - r_s) ** 2) * fc(r_ij)
            for k in range(j + 1, n):
                if k == i:
                    continue
                r_ik, r_jk = np.linalg.norm(r[k] - r[i]), np.linalg.norm(r[k] - r[j])
                cos = np.dot(r[j] - r[i], r[k] - r[i]) / (r_ij * r_ik)
                pair = pairs.index(tuple(sorted((element[j], element[k]))))
                for q, (eta, zeta, lam) in enumerate(angular):
                    g4[i, pair, q] += (
                        2 ** (1 - zeta)
                        * (1 + lam * cos) ** zeta
                        * np.exp(-eta * (r_ij**2 + r_ik**2 + r_jk**2))
                        * fc(r_ij)
                        * fc(r_ik)
                        * fc(r_jk)
                    )
    return np.hstack([g2.reshape(n, -1), g4.reshape(n, -1)])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batch_acsf_equals_the_definition_on_random_molecules(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(seed)
    species = [1, 6, 7, 8, 9]
    zs, rs = [], []
    for n_atoms in rng.integers(1, 9, size=24):  # several molecules of each size, so sizes are batched
        r = rng.uniform(-2.0, 2.0, size=(n_atoms, 3))
        while n_atoms > 1 and np.min(np.linalg.norm(r[:, None] - r[None], axis=-1) + 9 * np.eye(n_atoms)) < 0.6:
            r = rng.uniform(-2.0, 2.0, size=(n_atoms, 3))
        zs.append(rng.choice(species, size=n_atoms))
        rs.append(r)
    radial = [(0.5, 0.0), (2.0, 1.5)]
    angular = [(0.05, 1.0, 1.0), (0.3, 2.5, -1.0), (0.05, 4.0, -1.0)]  # zeta need not be an integer
    monkeypatch.setattr(points, "_ACSF_CHUNK", 200)  # split the larger sizes into several chunks
    batch = batch_acsf(zs, rs, r_cut=3.0, radial=radial, angular=angular, species=species)
    for z, r, g in zip(zs, rs, batch, strict=True):
        np.testing.assert_allclose(g, acsf_by_definition(z, r, 3.0, radial, angular, species), rtol=1e-10, atol=1e-14)


def test_acsf_of_a_straight_molecule_is_finite() -> None:
    # CO2 on a line: the angle at C is 180 degrees, at each O 0 degrees, where rounding
    # could push cos past ±1 and a non-integer power of 1 + lambda cos would be NaN.
    z, r = np.array([8, 6, 8]), np.array([[0.0, 0.0, -1.16], [0.0, 0.0, 0.0], [0.0, 0.0, 1.16]])
    eta, zeta = 0.1, 2.5
    g = acsf(z, r, r_cut=5.0, radial=[], angular=[(eta, zeta, -1.0)])
    cut = cosine_cutoff(np.array([1.16, 1.16, 2.32]), 5.0).prod()
    expected_c = 2 ** (1 - zeta) * 2**zeta * np.exp(-eta * (1.16**2 + 1.16**2 + 2.32**2)) * cut
    np.testing.assert_allclose(g[:, 0], [0.0, expected_c, 0.0], atol=1e-12)


def test_summed_acsf_sums_each_elements_atoms_and_counts_them() -> None:
    species = [1, 6, 8]
    radial, angular = [(0.5, 1.0), (0.5, 2.0)], [(0.05, 1.0, 1.0)]
    x = summed_acsf([METHANOL_Z, WATER_Z], [METHANOL_R, WATER_R], species=species, radial=radial, angular=angular)
    g = acsf(METHANOL_Z, METHANOL_R, radial=radial, angular=angular, species=species, r_cut=5.0)
    n_g = g.shape[1]
    assert x.shape == (2, len(species) * n_g + len(species))
    for k, e in enumerate(species):
        np.testing.assert_allclose(x[0, k * n_g : (k + 1) * n_g], g[np.asarray(METHANOL_Z) == e].sum(axis=0))
    assert x[0, -3:].tolist() == [4.0, 1.0, 1.0] and x[1, -3:].tolist() == [2.0, 0.0, 1.0]
    z2, r2, _ = moved(METHANOL_Z, METHANOL_R, seed=7)
    np.testing.assert_allclose(
        summed_acsf([z2], [r2], species=species, radial=radial, angular=angular)[0], x[0], rtol=1e-9, atol=1e-12
    )
    with pytest.raises(ValueError, match=r"not in species"):
        summed_acsf([METHANOL_Z], [METHANOL_R], species=[1, 6])
