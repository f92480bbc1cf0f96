"""Tests of utils.kernels (the quadratic feature map; Coulomb matrices are tested with utils.featurise)."""

from __future__ import annotations

import numpy as np
import pytest

from utils.kernels import quadratic_features


@pytest.mark.parametrize("d", [1, 2, 5])
def test_quadratic_features_reproduce_the_quadratic_kernel(d: int) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(7, d)), rng.normal(size=(4, d))
    phi_a, phi_b = quadratic_features(a), quadratic_features(b)
    assert phi_a.shape == (7, 1 + 2 * d + d * (d - 1) // 2)
    np.testing.assert_allclose(phi_a @ phi_b.T, (a @ b.T + 1.0) ** 2, rtol=1e-12, atol=1e-12)


def test_quadratic_features_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="2-D"):
        quadratic_features([1.0, 2.0])
    with pytest.raises(ValueError, match="NaN"):
        quadratic_features([[np.nan, 1.0]])
