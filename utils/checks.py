"""Named checks for the exercises' test cells.

Every decisive check in a test cell goes through one of these helpers, and
every helper takes the same first arguments: ``name`` (a stable identifier of
the checked value), ``actual`` (what the student's code produced) and, where
there is one, ``expected``. Under nbgrader's **Validate** and in the lectures
they simply assert, with a message naming the value.

When the course's grading pipeline grades a submission (``make grade``), it
swaps this module, inside the student's sandbox only, for a recording wrapper
with the same signatures (``grading/verdict.py``): each call appends
``{"name", "actual"}`` as JSON to a file, the ``expected`` arguments are
removed from the test cells before they run, and the values are compared with
a trusted run of the instructor's solution outside the student's process.
So: keep inputs generated from fixed seeds inside the test cell, make every
value a number, a boolean or an array of numbers (never an object that needs
pickle), and give every check a unique name within its cell.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["check_close", "check_true"]


def check_close(name: str, actual: Any, expected: Any, rtol: float = 1e-7, atol: float = 0.0) -> None:
    """Assert that ``actual`` equals ``expected`` within tolerances, element by element.

    Parameters
    ----------
    name
        Identifier of the checked value, shown in the message and used by grading.
    actual
        The value the student's code produced (number or array-like).
    expected
        The reference value, of the same shape.
    rtol, atol
        Relative and absolute tolerance: ``|actual - expected| <= atol + rtol * |expected|``.

    Raises
    ------
    AssertionError
        If the shapes differ, a value is not a number, or any element is out of tolerance.

    Examples
    --------
    >>> check_close("sum", 0.1 + 0.2, 0.3)
    >>> check_close("w", [1.0, 2.0], [1.0, 2.5])
    Traceback (most recent call last):
    ...
    AssertionError: w: 1 of 2 values differ (largest difference 0.5 at index (1,)); expected [1.  2.5], got [1. 2.]
    >>> check_close("w", [1.0, 2.0], [[1.0, 2.0]])
    Traceback (most recent call last):
    ...
    AssertionError: w: expected shape (1, 2), got shape (2,)
    """
    try:
        got = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{name}: expected numbers, got {type(actual).__name__}: {actual!r:.200}") from None
    want = np.asarray(expected, dtype=float)
    if got.shape != want.shape:
        raise AssertionError(f"{name}: expected shape {want.shape}, got shape {got.shape}")
    if np.isnan(got).any() and not np.isnan(want).any():
        raise AssertionError(f"{name}: the result contains NaN")
    close = np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        bad = int((~close).sum())
        diff = np.abs(np.nan_to_num(got - want, nan=np.inf))
        where = np.unravel_index(int(np.argmax(np.where(close, -1, diff))), got.shape) if got.shape else ()
        largest = float(diff[where]) if got.shape else float(diff)
        raise AssertionError(
            f"{name}: {bad} of {got.size} values differ (largest difference {largest:.3g}"
            f"{f' at index {tuple(int(i) for i in where)}' if got.shape else ''}); "
            f"expected {np.array2string(want, threshold=8)}, got {np.array2string(got, threshold=8)}"
        )


def check_true(name: str, actual: Any, message: str = "") -> None:
    """Assert that a condition holds.

    Parameters
    ----------
    name
        Identifier of the check.
    actual
        The condition (anything with a truth value).
    message
        What the condition means, shown when it fails.

    Raises
    ------
    AssertionError
        If ``actual`` is false.

    Examples
    --------
    >>> check_true("fitted", True)
    >>> check_true("positive", -1 > 0, "the error must be positive")
    Traceback (most recent call last):
    ...
    AssertionError: positive: the error must be positive
    """
    if not bool(actual):
        raise AssertionError(f"{name}: {message or 'condition is false'}")
