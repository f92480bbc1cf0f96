"""Tests of utils.oracle: the tblite (GFN2-xTB) energy oracle of lecture 06.

Reference energies were computed once with tblite 0.8.0 (the pinned version)
and are stored here; the tolerance of 1e-6 hartree (6e-4 kcal/mol) allows for
SCF convergence and BLAS differences between machines, far below any
chemically meaningful change.
"""

from __future__ import annotations

import builtins
import sys

import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import AllChem, rdMolTransforms

from utils import oracle
from utils.constants import HARTREE_TO_KCAL_PER_MOL
from utils.oracle import OracleUnavailableError, XTBOracle, rotate_dihedrals, xtb_energy

WATER = [[0.0, 0.0, 0.1173], [0.0, 0.7572, -0.4692], [0.0, -0.7572, -0.4692]]
METHANE = [
    [0, 0, 0],
    [0.6291, 0.6291, 0.6291],
    [-0.6291, -0.6291, 0.6291],
    [-0.6291, 0.6291, -0.6291],
    [0.6291, -0.6291, -0.6291],
]
H2 = [[0, 0, 0], [0, 0, 0.74]]
WATER_DIMER = [
    [-1.551007, -0.114520, 0.0],
    [-1.934259, 0.762503, 0.0],
    [-0.599677, 0.040712, 0.0],
    [1.350625, 0.111469, 0.0],
    [1.680398, -0.373741, -0.758561],
    [1.680398, -0.373741, 0.758561],
]
TOL = 1e-6  # hartree

REFERENCE = [  # (atomic numbers, positions in Å, GFN2-xTB and GFN1-xTB energies in hartree, tblite 0.8.0)
    ([8, 1, 1], WATER, -5.070370764541004, -5.76864057969716),
    ([6, 1, 1, 1, 1], METHANE, -4.175075760428066, -4.274239119395759),
    ([1, 1], H2, -0.9819836946664023, -1.0361164713399518),
]


@pytest.mark.parametrize("z, positions, gfn2, gfn1", REFERENCE)
def test_energies_match_stored_reference(z: list[int], positions: list, gfn2: float, gfn1: float) -> None:
    assert xtb_energy(z, positions) == pytest.approx(gfn2, abs=TOL)
    assert xtb_energy(z, positions, method="GFN1-xTB") == pytest.approx(gfn1, abs=TOL)


def test_water_dimer_binding_energy_is_chemically_right() -> None:
    """GFN2-xTB binds the water dimer by about 5 kcal/mol (CCSD(T): 5.0), stored value -4.9467."""
    z = [8, 1, 1, 8, 1, 1]
    binding = xtb_energy(z, WATER_DIMER) - xtb_energy(z[:3], WATER_DIMER[:3]) - xtb_energy(z[3:], WATER_DIMER[3:])
    assert binding * HARTREE_TO_KCAL_PER_MOL == pytest.approx(-4.9467, abs=1e-3)


def test_energy_is_invariant_to_rotation_and_translation() -> None:
    angle = 0.7
    rot = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    moved = np.asarray(METHANE) @ rot.T + np.array([1.0, -2.0, 3.0])
    assert xtb_energy([6, 1, 1, 1, 1], moved) == pytest.approx(REFERENCE[1][2], abs=TOL)


def test_oracle_counts_calls_and_converts_units() -> None:
    ref = REFERENCE[0][2]
    o = XTBOracle([8, 1, 1], reference=ref)
    assert o.n_calls == 0
    assert o(WATER) == pytest.approx(0.0, abs=TOL * HARTREE_TO_KCAL_PER_MOL)
    energies = o.many([WATER, WATER])
    assert energies.shape == (2,) and o.n_calls == 3
    hartree = XTBOracle([8, 1, 1], unit="hartree")
    assert hartree(WATER) == pytest.approx(ref, abs=TOL)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"atomic_numbers": [8, 1], "positions": WATER}, "2 atomic numbers"),
        ({"atomic_numbers": [8, 1, 1], "positions": WATER, "method": "GFN3"}, "unknown xTB method"),
        ({"atomic_numbers": [1, 1], "positions": [[0, 0, 0], [0, 0, 0.01]]}, "units"),
        ({"atomic_numbers": [], "positions": np.zeros((0, 3))}, "no atoms"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        xtb_energy(**kwargs)


def test_bad_oracle_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="unit"):
        XTBOracle([1, 1], unit="eV")
    with pytest.raises(ValueError, match="method"):
        XTBOracle([1, 1], method="PM7")


def test_missing_tblite_gives_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_tblite(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("tblite"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    for name in [m for m in sys.modules if m.startswith("tblite")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(builtins, "__import__", no_tblite)
    with pytest.raises(OracleUnavailableError, match="pip install tblite==0.8.0"):
        oracle.xtb_energy([1, 1], H2)
    with pytest.raises(ImportError):  # it is an ImportError too, for code that catches those
        oracle.XTBOracle([1, 1])(H2)


def _ethanediol() -> Chem.Mol:
    mol = Chem.AddHs(Chem.MolFromSmiles("OCCO"))
    AllChem.EmbedMolecule(mol, randomSeed=0)
    return mol


def test_rotate_dihedrals_sets_the_angles_rigidly() -> None:
    mol = _ethanediol()
    dihedrals = [(0, 1, 2, 3), (1, 2, 3, 9)]
    positions = rotate_dihedrals(mol, dihedrals, [60.0, -120.0])
    moved = Chem.Mol(mol)
    conf = moved.GetConformer()
    for k, r in enumerate(positions):
        conf.SetAtomPosition(k, r.tolist())
    assert rdMolTransforms.GetDihedralDeg(conf, 0, 1, 2, 3) == pytest.approx(60.0, abs=1e-6)
    assert rdMolTransforms.GetDihedralDeg(conf, 1, 2, 3, 9) == pytest.approx(-120.0, abs=1e-6)
    bonds = [(b.GetBeginAtomIdx(), b.GetEndAtomIdx()) for b in mol.GetBonds()]
    before = mol.GetConformer().GetPositions()
    for i, j in bonds:  # a rigid scan keeps every bond length
        assert np.linalg.norm(positions[i] - positions[j]) == pytest.approx(np.linalg.norm(before[i] - before[j]))
    assert np.allclose(mol.GetConformer().GetPositions(), before)  # the input is unchanged


def test_rotate_dihedrals_refuses_bad_input() -> None:
    mol = _ethanediol()
    with pytest.raises(ValueError, match="2 dihedrals but 1 angles"):
        rotate_dihedrals(mol, [(0, 1, 2, 3), (1, 2, 3, 9)], [60.0])
    with pytest.raises(ValueError, match="no 3-D conformer"):
        rotate_dihedrals(Chem.AddHs(Chem.MolFromSmiles("OCCO")), [(0, 1, 2, 3)], [60.0])
