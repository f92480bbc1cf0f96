"""Tests of utils.kernels (quadratic feature map, Coulomb-matrix representations)."""

from __future__ import annotations

import numpy as np
import pytest

from utils.kernels import (
    ANGSTROM_TO_BOHR,
    coulomb_matrices,
    coulomb_spectra,
    quadratic_features,
    sorted_coulomb_vectors,
)

WATER_Z = [8, 1, 1]
WATER_R = np.array([[0.0, 0.0, 0.1173], [0.0, 0.7572, -0.4692], [0.0, -0.7572, -0.4692]])


@pytest.mark.parametrize("d", [1, 2, 5])
def test_quadratic_features_reproduce_the_quadratic_kernel(d: int) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(7, d)), rng.normal(size=(4, d))
    phi_a, phi_b = quadratic_features(a), quadratic_features(b)
    assert phi_a.shape == (7, 1 + 2 * d + d * (d - 1) // 2)
    np.testing.assert_allclose(phi_a @ phi_b.T, (a @ b.T + 1.0) ** 2, rtol=1e-12, atol=1e-12)


def test_quadratic_features_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="two-dimensional"):
        quadratic_features([1.0, 2.0])
    with pytest.raises(ValueError, match="NaN"):
        quadratic_features([[np.nan, 1.0]])


def test_coulomb_matrix_of_water_by_hand() -> None:
    cm = coulomb_matrices([WATER_Z], [WATER_R], size=5)[0]
    d_oh = np.linalg.norm(WATER_R[0] - WATER_R[1]) * ANGSTROM_TO_BOHR
    d_hh = np.linalg.norm(WATER_R[1] - WATER_R[2]) * ANGSTROM_TO_BOHR
    assert cm[0, 0] == pytest.approx(0.5 * 8**2.4)
    assert cm[1, 1] == pytest.approx(0.5)
    assert cm[0, 1] == pytest.approx(8 / d_oh) and cm[0, 2] == pytest.approx(8 / d_oh)
    assert cm[1, 2] == pytest.approx(1 / d_hh)
    np.testing.assert_array_equal(cm, cm.T)
    assert np.all(cm[3:] == 0) and np.all(cm[:, 3:] == 0)


def test_coulomb_representations_are_invariant_to_rotation_translation_and_atom_order() -> None:
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    perm = [2, 0, 1]
    moved = WATER_R[perm] @ q.T + np.array([1.0, -2.0, 3.0])
    cms = coulomb_matrices([WATER_Z, np.array(WATER_Z)[perm]], [WATER_R, moved], size=4)
    np.testing.assert_allclose(*coulomb_spectra(cms), atol=1e-10)
    np.testing.assert_allclose(*sorted_coulomb_vectors(cms), atol=1e-10)


def test_spectrum_matches_numpy_and_is_sorted_by_magnitude() -> None:
    cm = coulomb_matrices([WATER_Z], [WATER_R])
    spectrum = coulomb_spectra(cm)[0]
    assert np.all(np.diff(np.abs(spectrum)) <= 0)
    np.testing.assert_allclose(np.sort(spectrum), np.linalg.eigvalsh(cm[0]))


def test_sorted_vector_length_and_first_entry() -> None:
    vec = sorted_coulomb_vectors(coulomb_matrices([WATER_Z, [6, 8]], [WATER_R, [[0, 0, 0], [1.128, 0, 0]]], size=3))
    assert vec.shape == (2, 6)
    assert vec[0, 0] == pytest.approx(0.5 * 8**2.4)  # oxygen has the largest row


@pytest.mark.parametrize(
    ("z", "r", "size", "message"),
    [
        ([[1, 1]], [[[0, 0, 0], [0.74, 0, 0]], [[0, 0, 0]]], None, "2 sets of positions"),
        ([[1, 1]], [[[0, 0, 0]]], None, "positions of shape"),
        ([[1, 1]], [[[0, 0, 0], [0, 0, 0]]], None, "same position"),
        ([[1, 1]], [[[0, 0, 0], [0.74, 0, 0]]], 1, "more than size=1"),
    ],
)
def test_coulomb_matrices_reject_bad_input(z, r, size, message) -> None:
    with pytest.raises(ValueError, match=message):
        coulomb_matrices(z, r, size=size)


def test_spectra_reject_non_square() -> None:
    with pytest.raises(ValueError, match="shape"):
        coulomb_spectra(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="shape"):
        sorted_coulomb_vectors(np.zeros((3, 4)))
