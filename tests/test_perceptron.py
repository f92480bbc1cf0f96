"""Tests of utils.perceptron: Rosenblatt's rule, checked against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.linear_model import Perceptron

from utils.perceptron import perceptron_history


def test_same_weights_as_scikit_learn_perceptron() -> None:
    """scikit-learn's Perceptron without shuffling, eta0=1 and no penalty is the same rule."""
    X, y = make_blobs(60, centers=[[-1, -1], [1.5, 1]], cluster_std=0.8, random_state=0)
    y = 2 * y - 1
    weights, _ = perceptron_history(X, y, epochs=5)
    sk = Perceptron(shuffle=False, eta0=1.0, max_iter=5, tol=None, alpha=0.0).fit(X, y)
    assert np.allclose(weights[-1, :2], sk.coef_[0]) and weights[-1, 2] == pytest.approx(sk.intercept_[0])


def test_separable_data_are_separated_and_learning_stops() -> None:
    X, y = make_blobs(80, centers=[[-2, -2], [2, 2]], cluster_std=0.5, random_state=1)
    y = 2 * y - 1
    weights, mistakes = perceptron_history(X, y, epochs=10)
    w, b = weights[-1, :2], weights[-1, 2]
    assert np.all(y * (X @ w + b) > 0)
    assert mistakes[-1] == 0 and len(weights) == mistakes.sum() + 1


def test_xor_is_never_learned() -> None:
    X = np.array([[0, 0], [1, 1], [0, 1], [1, 0]], dtype=float)
    _, mistakes = perceptron_history(X, [-1, -1, 1, 1], epochs=50)
    assert np.all(mistakes > 0)


def test_bad_labels_and_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="-1 or \\+1"):
        perceptron_history([[0.0, 1.0]], [0])
    with pytest.raises(ValueError, match="one label per row"):
        perceptron_history([[0.0, 1.0]], [1, -1])
