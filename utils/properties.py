"""Named predicates for property checks (``utils.checks.check_property``).

A predicate takes the raw values a test recorded (``actual``) and its
parameters (``expected``), both as plain data (numbers, strings, nested lists,
dicts), and returns ``None`` when the property holds or a sentence saying what
is wrong. When grading, the predicates run in the grading process from the
course's own copy of this module, never in the student's kernel; under
Validate they run in the notebook. They must therefore be pure functions of
their arguments.

Add a predicate with the :func:`predicate` decorator; its name is what test
cells pass as ``prop``.

Examples
--------
>>> PREDICATES["between"](0.9, [0.5, 1.1]) is None
True
>>> PREDICATES["one_of"](0.3, [0.01, 1.0, 100.0])
'0.3 is not one of [0.01, 1.0, 100.0]'
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

import numpy as np

Predicate = Callable[[Any, Any], "str | None"]

#: Every predicate by name.
PREDICATES: dict[str, Predicate] = {}


def predicate(fn: Predicate) -> Predicate:
    """Register ``fn`` in :data:`PREDICATES` under its own name."""
    PREDICATES[fn.__name__] = fn
    return fn


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _array(value: Any) -> np.ndarray:
    out = np.asarray(value, dtype=float)
    if out.dtype == object:
        raise TypeError("expected an array of numbers")
    return out


# --- general predicates ---


@predicate
def between(actual: Any, expected: Any) -> str | None:
    """``lo < actual < hi`` with ``expected = (lo, hi)``.

    Examples
    --------
    >>> between(1.3, [0.5, 1.1])
    '1.3 is not between 0.5 and 1.1'
    """
    lo, hi = (_number(v) for v in expected)
    value = _number(actual)
    return None if lo < value < hi else f"{value:.4g} is not between {lo:g} and {hi:g}"


@predicate
def one_of(actual: Any, expected: Any) -> str | None:
    """``actual`` equals one of the numbers in ``expected`` (relative tolerance 1e-9).

    Examples
    --------
    >>> one_of(1.0, [0.01, 1.0]) is None
    True
    """
    value = _number(actual)
    grid = _array(expected)
    hit = np.isclose(value, grid, rtol=1e-9, atol=0.0).any()
    return None if hit else f"{value:g} is not one of {[float(g) for g in grid.ravel()]}"


@predicate
def all_positive(actual: Any, expected: Any) -> str | None:
    """Every element of ``actual`` is greater than zero.

    Examples
    --------
    >>> all_positive([[0.5, 0.1], [0.0, 2.0]], None)
    '1 of 4 values are not positive (smallest 0)'
    """
    values = _array(actual)
    bad = ~(values > 0)
    return (
        None
        if not bad.any()
        else f"{int(bad.sum())} of {values.size} values are not positive (smallest {np.nanmin(values):.3g})"
    )


@predicate
def no_loops(actual: Any, expected: Any) -> str | None:
    r"""The Python source ``actual`` has no loop (``for``, ``while``) and no comprehension.

    Examples
    --------
    >>> no_loops("def f(a):\n    return a @ a.T\n", None) is None
    True
    >>> no_loops("def f(a):\n    return [x for x in a]\n", None)
    'the function loops (line 2: a comprehension); it must work on whole arrays'
    """
    if not isinstance(actual, str):
        return "no source code was recorded"
    import textwrap

    tree = ast.parse(textwrap.dedent(actual))
    kinds = {
        ast.For: "a for loop",
        ast.AsyncFor: "a for loop",
        ast.While: "a while loop",
        ast.ListComp: "a comprehension",
        ast.SetComp: "a comprehension",
        ast.DictComp: "a comprehension",
        ast.GeneratorExp: "a comprehension",
    }
    for node in ast.walk(tree):
        for kind, text in kinds.items():
            if isinstance(node, kind):
                return f"the function loops (line {node.lineno}: {text}); it must work on whole arrays"
    return None


# --- permutation importance (exercise 3): judged from the inputs a recording model received ---

LOSSES: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "mean_absolute_error": lambda y, p: float(np.mean(np.abs(y - p))),
    "mean_squared_error": lambda y, p: float(np.mean((y - p) ** 2)),
}


def _permuted(calls: Any, X: np.ndarray) -> list[tuple[str, int, np.ndarray | None]]:
    """For every recorded input (stacked inputs split): ("intact" | "one" | "bad", column, permuted column)."""
    out = []
    blocks = []
    for raw in calls:
        Z = _array(raw)
        n = X.shape[0]
        if Z.ndim == 2 and Z.shape[1] == X.shape[1] and n and Z.shape[0] > n and Z.shape[0] % n == 0:
            blocks += [Z[k : k + n] for k in range(0, Z.shape[0], n)]  # several inputs stacked in one call
        else:
            blocks.append(Z)
    for Z in blocks:
        if Z.shape != X.shape:
            out.append(("bad", -1, None))
            continue
        changed = [j for j in range(X.shape[1]) if not np.array_equal(Z[:, j], X[:, j])]
        if not changed:
            out.append(("intact", -1, None))
        elif len(changed) == 1 and np.array_equal(np.sort(Z[:, changed[0]]), np.sort(X[:, changed[0]])):
            out.append(("one", changed[0], Z[:, changed[0]]))
        else:
            out.append(("bad", -1, None))
    return out


def _row_order(column: np.ndarray, original: np.ndarray) -> tuple[int, ...]:
    where = {float(v): i for i, v in enumerate(original)}
    return tuple(where[float(v)] for v in column)


def _by_feature(actual: Any, expected: Any) -> tuple[dict[int, list[np.ndarray]], np.ndarray, str | None]:
    X = _array(expected["X"])
    per: dict[int, list[np.ndarray]] = {j: [] for j in range(X.shape[1])}
    for status, j, column in _permuted(actual["calls"], X):
        if status == "bad":
            return per, X, "a call to the model changed more than one column, or changed a column into other values"
        if status == "one":
            per[j].append(column)
    return per, X, None


@predicate
def one_column_permuted_per_call(actual: Any, expected: Any) -> str | None:
    """Every call of the model saw ``X`` intact or with the rows of exactly one column permuted.

    ``actual``: ``{"calls": [inputs of each call]}``; ``expected``: ``{"X": the intact inputs}``.

    Examples
    --------
    >>> X = [[1.0, 5.0], [2.0, 6.0], [3.0, 7.0]]
    >>> one_column_permuted_per_call({"calls": [X, [[2.0, 5.0], [3.0, 6.0], [1.0, 7.0]]]}, {"X": X}) is None
    True
    >>> one_column_permuted_per_call({"calls": [[[2.0, 6.0], [1.0, 5.0], [3.0, 7.0]]]}, {"X": X})
    'a call to the model changed more than one column, or changed a column into other values'
    """
    return _by_feature(actual, expected)[2]


@predicate
def entries_are_loss_differences(actual: Any, expected: Any) -> str | None:
    """Row ``j`` of the table holds, in some order, ``loss(y, f(X with column j permuted)) - loss(y, f(X))``.

    ``actual``: ``{"calls": [...], "table": (d, n_repeats)}``; ``expected``:
    ``{"X", "y", "w", "loss", "n_repeats"}`` for the linear model ``f(Z) = Z w``.
    The losses are recomputed here from the recorded inputs, one call per entry.
    """
    per, X, problem = _by_feature(actual, expected)
    if problem:
        return problem
    y, w = _array(expected["y"]), _array(expected["w"])
    loss = LOSSES[expected["loss"]]
    n_repeats = int(expected["n_repeats"])
    table = _array(actual["table"])
    if table.shape != (X.shape[1], n_repeats):
        return f"the table has shape {table.shape}, expected {(X.shape[1], n_repeats)}"
    base = loss(y, X @ w)
    for j, columns in per.items():
        if len(columns) != n_repeats:
            return (
                f"feature {j} was permuted in {len(columns)} calls of the model, expected {n_repeats} (one per repeat)"
            )
        increases = []
        for column in columns:
            Z = X.copy()
            Z[:, j] = column
            increases.append(loss(y, Z @ w) - base)
        if not np.allclose(np.sort(increases), np.sort(table[j]), rtol=1e-9, atol=1e-12):
            return (
                f"row {j} of the table is not the loss increase of the calls that permuted feature {j} "
                "(entry [j, r] must be loss(permuted column j) - loss(intact X), with the given loss)"
            )
    return None


@predicate
def fresh_permutation_per_repeat(actual: Any, expected: Any) -> str | None:
    """Within each feature, no permutation is used twice."""
    per, _X, problem = _by_feature(actual, expected)
    if problem:
        return problem
    for j, columns in per.items():
        if len({tuple(c) for c in columns}) != len(columns):
            return f"feature {j} was shuffled with the same permutation in two repeats; every repeat needs a new one"
    return None


@predicate
def fresh_permutation_per_feature(actual: Any, expected: Any) -> str | None:
    """No permutation of the rows is used for two different features."""
    per, X, problem = _by_feature(actual, expected)
    if problem:
        return problem
    seen: dict[tuple[int, ...], int] = {}
    for j, columns in per.items():
        for column in columns:
            order = _row_order(column, X[:, j])
            if seen.setdefault(order, j) != j:
                return (
                    f"features {seen[order]} and {j} were shuffled with the same permutation; "
                    "every feature needs its own"
                )
    if sum(len(c) for c in per.values()) == 0:
        return "no column was permuted"
    return None


def _same_inputs(actual: Any) -> bool:
    """Whether two runs (``actual["first"]``, ``actual["second"]``) showed the model identical inputs."""
    first, second = actual["first"], actual["second"]
    return len(first) == len(second) and all(
        np.array_equal(_array(a), _array(b)) for a, b in zip(first, second, strict=True)
    )


@predicate
def same_permutations(actual: Any, expected: Any) -> str | None:
    """Two runs (``actual["first"]``, ``actual["second"]``: inputs of each call) showed the model the same inputs."""
    return (
        None
        if _same_inputs(actual)
        else "the same seed must give the same permutations (the model saw other inputs the second time)"
    )


@predicate
def different_permutations(actual: Any, expected: Any) -> str | None:
    """Two runs with different seeds did not show the model exactly the same inputs."""
    return "another seed must give other permutations" if _same_inputs(actual) else None


@predicate
def importance_split(actual: Any, expected: Any) -> str | None:
    """With a near-copy present, the original feature loses importance and the copy gains some.

    ``actual``: ``{"single": table without the copy, "dup": table with it}``;
    ``expected``: ``{"feature", "copy", "max_ratio", "min_share"}``: the mean
    importance of ``feature`` must fall below ``max_ratio`` times its value
    without the copy, and the copy's must exceed ``min_share`` times it.
    """
    single, dup = _array(actual["single"]), _array(actual["dup"])
    alone = float(np.mean(single[int(expected["feature"])]))
    kept = float(np.mean(dup[int(expected["feature"])]))
    copy = float(np.mean(dup[int(expected["copy"])]))
    if not kept < float(expected["max_ratio"]) * alone:
        return (
            f"with its copy present the feature keeps {kept:.3g} of its {alone:.3g}; it should look much less important"
        )
    if not copy > float(expected["min_share"]) * alone:
        return f"the copy gets {copy:.3g}; it should share the importance"
    return None
