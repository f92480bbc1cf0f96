"""Rosenblatt's perceptron learning rule, recording every step (lecture 06).

The perceptron predicts ``sign(w·x + b)`` for labels ±1. Whenever it gets a
training point wrong (``y (w·x + b) <= 0``) it moves the boundary towards
that point: ``w ← w + η y x``, ``b ← b + η y``. :func:`perceptron_history`
returns the weights after every update, so a notebook can draw the decision
boundary ``w₁x₁ + w₂x₂ + b = 0`` as it learns.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["perceptron_history"]


def perceptron_history(X: ArrayLike, y: ArrayLike, epochs: int = 10, lr: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Run the perceptron rule over the data in order and record its weights.

    Parameters
    ----------
    X
        Features, shape ``(n_samples, n_features)``.
    y
        Labels, each -1 or +1.
    epochs
        Passes over the data (in the given order; shuffle beforehand with a seeded generator).
    lr
        Learning rate ``η``.

    Returns
    -------
    weights
        Shape ``(n_updates + 1, n_features + 1)``: ``(w_1, ..., w_d, b)`` at the
        start (all zero) and after each update.
    mistakes
        Number of misclassified points in each epoch, shape ``(epochs,)``;
        a zero means the data were separated and learning stopped changing.

    Raises
    ------
    ValueError
        If the labels are not ±1 or the shapes do not match.

    Examples
    --------
    >>> X = np.array([[1.0, 1.0], [-1.0, -1.0]])
    >>> weights, mistakes = perceptron_history(X, [1, -1], epochs=2)
    >>> weights.tolist(), mistakes.tolist()
    ([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], [1, 0])
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).ravel()
    if X.ndim != 2 or len(X) != len(y):
        raise ValueError(f"X must be (n_samples, n_features) with one label per row; got {X.shape} and {y.shape}")
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError("labels must be -1 or +1")
    w, b = np.zeros(X.shape[1]), 0.0
    history = [np.append(w, b)]
    mistakes = np.zeros(epochs, dtype=int)
    for epoch in range(epochs):
        for xi, yi in zip(X, y, strict=True):
            if yi * (xi @ w + b) <= 0:  # wrong (or on the boundary): move towards the point
                w, b = w + lr * yi * xi, b + lr * yi
                history.append(np.append(w, b))
                mistakes[epoch] += 1
    return np.array(history), mistakes
