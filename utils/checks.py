"""Named checks for the exercises' test cells, in three kinds.

Every decisive check in a test cell goes through one of these helpers. Each
takes a ``name`` first (a stable identifier, unique within its cell), then
the value(s) the student's code produced, then, where there is one, what they
are compared with. Under nbgrader's **Validate** they simply raise an
``AssertionError`` whose message names the value.

The three kinds differ in *where the comparison data comes from*:

**Value checks** (:func:`check_close`, :func:`check_equal`) compare the
student's ``actual`` with an ``expected`` value that the test computes from its
own inputs (a formula, scikit-learn, a hand calculation).

**Consistency checks** (:func:`check_same`) compare two values that both come
from the student: the same seed gives the same table, the dual form gives the
primal's weights. There is no reference value, only agreement.

**Property checks** (:func:`check_property`, :func:`check_raises`) apply a
named predicate from :mod:`utils.properties` to raw values the test recorded
(the inputs a recording model received, the source of a function, the
exception a call raised), with parameters (bounds, a grid, the test's data)
in ``expected``.

How grading uses them (``make grade``): inside the student's sandbox this
module is replaced by a recording twin with the same signatures. It records
the raw values as plain JSON and decides nothing; every ``expected`` argument
is removed from the test cells before they run, so reference values never
exist in the student's process. The grading process then calls the
``judge_*`` functions below, from the course's own copy of this module, on the
recorded values, with the ``expected`` values, tolerances and predicate names
taken from a run of the instructor's solution. So no verdict is a boolean the
student's process computed, and Validate and grading run the very same
comparison code on the same plain values.

Rules for test authors: keep the inputs of a check seeded inside its cell;
record numbers, strings, booleans or arrays of numbers (or dicts and lists of
them), never objects that need pickle; never let a consistency check be the
only check that catches a mistake (the student controls both of its sides),
back it with a value or property check; and prefer recording raw behaviour
(arrays a model was called with) over conclusions drawn from it.

Examples
--------
>>> check_close("sum", 0.1 + 0.2, 0.3)
>>> check_same("same_seed", [1.0, 2.0], [1.0, 2.0])
>>> check_property("rmse_range", 0.9, "between", (0.5, 1.1))
>>> check_raises("bad_shape", lambda: int("x"), ValueError)
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "KINDS",
    "CheckFailed",
    "check_close",
    "check_equal",
    "check_property",
    "check_raises",
    "check_same",
    "judge",
    "outcome_of",
    "plain",
]

#: The kind of every check helper; grading dispatches on it.
KINDS: dict[str, str] = {
    "check_close": "value",
    "check_equal": "value",
    "check_same": "consistency",
    "check_property": "property",
    "check_raises": "property",
}


def plain(value: Any, depth: int = 0) -> Any:
    """``value`` as plain JSON data: numbers, strings, booleans, ``None``, lists and dicts.

    Arrays become nested lists, NumPy scalars Python scalars, exception classes
    their names, non-finite floats the strings ``"nan"``, ``"inf"`` and ``"-inf"``.
    Anything else becomes a short ``repr``, which compares equal to no number.

    Examples
    --------
    >>> plain(np.array([[1, 2]]))
    [[1, 2]]
    >>> plain({"x": np.float64(0.5), "e": ValueError, "n": float("nan")})
    {'x': 0.5, 'e': 'ValueError', 'n': 'nan'}
    """
    if isinstance(value, np.generic):
        value = value.item()
    elif isinstance(value, np.ndarray):
        value = value.tolist()
    if value is None or isinstance(value, bool):
        return None if value is None else bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else repr(float(value))
    if isinstance(value, type) and issubclass(value, BaseException):
        return value.__name__
    if depth < 8:
        if isinstance(value, (list, tuple)):
            return [plain(v, depth + 1) for v in value]
        if isinstance(value, Mapping):
            return {str(k): plain(v, depth + 1) for k, v in value.items()}
        if isinstance(value, (range, set, frozenset)) or hasattr(value, "tolist"):
            try:
                return plain(list(value) if not hasattr(value, "tolist") else value.tolist(), depth + 1)
            except Exception:  # a hostile tolist(): fall through to repr
                pass
    return f"<{type(value).__name__}>"


def outcome_of(call: Callable[[], Any]) -> list[str] | None:
    """Call ``call()``: ``None`` if it returned, else the class names of the exception it raised.

    The names run from the exception's own class to ``BaseException`` (its
    method resolution order), so a test can ask for a base class.

    Examples
    --------
    >>> outcome_of(lambda: 1)
    >>> outcome_of(lambda: int("x"))
    ['ValueError', 'Exception', 'BaseException', 'object']
    """
    try:
        call()
    except Exception as err:  # KeyboardInterrupt and SystemExit pass
        return [cls.__name__ for cls in type(err).__mro__]
    return None


class CheckFailed(AssertionError):
    """A failed check: an ``AssertionError`` that shows the student only its message.

    In a notebook, IPython renders an exception through ``_render_traceback_``
    when it has one: the message (expected and got first) and the hint are all
    a student sees, with none of this module's frames.
    """

    def _render_traceback_(self) -> list[str]:
        red, reset = "\x1b[31m", "\x1b[0m"
        first, *rest = str(self).splitlines() or [""]
        return [f"{red}CheckFailed{reset}: {first}", *rest]


# --- judges: plain values in, AssertionError out; shared by Validate and grading ---


def _as_numbers(name: str, value: Any, what: str) -> np.ndarray:
    __tracebackhide__ = True  # IPython leaves this frame out of tracebacks

    def number(v: Any) -> Any:
        if isinstance(v, list):
            return [number(x) for x in v]
        if isinstance(v, str) and v in ("nan", "inf", "-inf"):
            return float(v)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError
        return v

    try:
        return np.asarray(number(value), dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name}: expected numbers, got {what} {value!r:.200}") from None


def _show(values: np.ndarray) -> str:
    """A number as Python prints it; an array as numpy does, shortened."""
    return repr(values.item()) if values.ndim == 0 else np.array2string(values, threshold=8)


def _where(index: tuple[int, ...], labels: Sequence[str] | None, size: int) -> str:
    """Where the largest difference is: its label when a label names each value of a vector, else its index."""
    if labels is not None and len(index) == 1 and len(labels) == size:
        return f" at {labels[index[0]]}"
    return f" at index {index}"


def judge_close(
    name: str, actual: Any, expected: Any, rtol: float = 1e-7, atol: float = 0.0, labels: Sequence[str] | None = None
) -> None:
    """Raise ``AssertionError`` unless ``|actual - expected| <= atol + rtol |expected|`` everywhere.

    ``labels`` (one per value of a vector) name the worst value in the message instead of its index.
    """
    __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
    got = _as_numbers(name, actual, "")
    want = _as_numbers(name, expected, "reference")
    if got.shape != want.shape:
        raise CheckFailed(f"{name}: expected shape {want.shape}, got shape {got.shape}")
    if np.isnan(got).any() and not np.isnan(want).any():
        raise CheckFailed(f"{name}: the result contains NaN")
    close = np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        bad = int((~close).sum())
        diff = np.abs(np.nan_to_num(got - want, nan=np.inf))
        where = np.unravel_index(int(np.argmax(np.where(close, -1, diff))), got.shape) if got.shape else ()
        largest = float(diff[where]) if got.shape else float(diff)
        raise CheckFailed(
            f"{name}: expected {_show(want)}, got {_show(got)} "
            f"({bad} of {got.size} values differ, largest difference {largest:.3g}"
            f"{_where(tuple(int(i) for i in where), labels, got.size) if got.shape else ''})"
        )


def judge_equal(name: str, actual: Any, expected: Any) -> None:
    """Raise ``AssertionError`` unless the plain values are equal (strings, integers, booleans, lists)."""
    __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
    if type(actual) is not type(expected) or actual != expected:
        raise CheckFailed(f"{name}: expected {expected!r:.200}, got {actual!r:.200}")


def judge_same(
    name: str, actual: Any, other: Any, rtol: float = 0.0, atol: float = 0.0, labels: Sequence[str] | None = None
) -> None:
    """Raise ``AssertionError`` unless two values of the student's agree within tolerances."""
    __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
    try:
        judge_close(name, actual, other, rtol, atol, labels)
    except AssertionError as err:
        raise CheckFailed(
            str(err).replace(": expected", ": the other value is", 1).replace("reference", "other value", 1)
        ) from None


def judge_property(
    name: str, prop: str, actual: Any, expected: Any, predicates: Mapping[str, Callable[[Any, Any], str | None]]
) -> None:
    """Raise ``AssertionError`` unless the predicate ``predicates[prop]`` holds for ``actual``."""
    __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
    if prop not in predicates:
        raise CheckFailed(f"{name}: unknown property {prop!r}")
    try:
        problem = predicates[prop](actual, expected)
    except Exception as err:  # malformed recorded data is a failure, not a crash
        problem = f"the recorded values do not fit the property ({type(err).__name__}: {err})"
    if problem:
        raise CheckFailed(f"{name}: {problem}")


def judge_raises(name: str, actual: Any, expected: Any) -> None:
    """Raise ``AssertionError`` unless ``actual`` (from :func:`outcome_of`) includes the class ``expected``."""
    __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
    if actual is None:
        raise CheckFailed(f"{name}: the call returned normally; it must raise {expected}")
    if not isinstance(actual, list) or expected not in actual:
        first = actual[0] if isinstance(actual, list) and actual else actual
        raise CheckFailed(f"{name}: the call raised {first}; it must raise {expected}")


def judge(
    check: str,
    name: str,
    actual: Any,
    *,
    expected: Any = None,
    other: Any = None,
    prop: str | None = None,
    rtol: float = 0.0,
    atol: float = 0.0,
    predicates: Mapping[str, Callable[[Any, Any], str | None]] | None = None,
    labels: Sequence[str] | None = None,
) -> None:
    """Judge one recorded check of kind ``KINDS[check]`` on plain values (grading's entry point).

    Examples
    --------
    >>> judge("check_close", "w", [1.0, 2.0], expected=[1.0, 2.0])
    >>> judge("check_same", "seed", [1.0], other=[2.0])
    Traceback (most recent call last):
    ...
    utils.checks.CheckFailed: seed: the other value is [2.], got [1.]
    (1 of 1 values differ, largest difference 1 at index (0,))
    """
    __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
    if check == "check_close":
        judge_close(name, actual, expected, rtol, atol, labels)
    elif check == "check_equal":
        judge_equal(name, actual, expected)
    elif check == "check_same":
        judge_same(name, actual, other, rtol, atol, labels)
    elif check == "check_property":
        if predicates is None:
            from utils.properties import PREDICATES as predicates
        judge_property(name, str(prop), actual, expected, predicates)
    elif check == "check_raises":
        judge_raises(name, actual, expected)
    else:
        raise CheckFailed(f"{name}: unknown kind of check {check!r}")


# --- the helpers test cells call ---


@contextlib.contextmanager
def _hinted(hint: str) -> Iterator[None]:
    """Add ``Hint: ...`` on its own line to a check's failure message."""
    __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
    try:
        yield
    except CheckFailed as err:
        if not hint:
            raise
        raise CheckFailed(f"{err}\nHint: {hint}") from None


def check_close(
    name: str,
    actual: Any,
    expected: Any,
    rtol: float = 1e-7,
    atol: float = 0.0,
    hint: str = "",
    labels: Sequence[str] | None = None,
) -> None:
    """Value check: ``actual`` equals ``expected`` within tolerances, element by element.

    Parameters
    ----------
    name
        Identifier of the checked value, shown in the message and used by grading.
    actual
        The value the student's code produced (number or array-like).
    expected
        The reference value, of the same shape, computed by the test.
    rtol, atol
        Relative and absolute tolerance: ``|actual - expected| <= atol + rtol * |expected|``.
    hint
        Shown under the message when the check fails: the common mistake to
        look for (every helper takes one).
    labels
        A name for each value of a vector (descriptors, say): the message
        names the worst value by its label instead of its index. Fixed by
        the test, like ``expected``.

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
    utils.checks.CheckFailed: w: expected [1.  2.5], got [1. 2.]
    (1 of 2 values differ, largest difference 0.5 at index (1,))
    >>> check_close("b", 1.0, 0.0, hint="is the intercept penalised?")
    Traceback (most recent call last):
    ...
    utils.checks.CheckFailed: b: expected 0.0, got 1.0 (1 of 1 values differ, largest difference 1)
    Hint: is the intercept penalised?
    >>> check_close("w", [1.0, 2.0], [[1.0, 2.0]])
    Traceback (most recent call last):
    ...
    utils.checks.CheckFailed: w: expected shape (1, 2), got shape (2,)
    >>> check_close("mean", [5.3, 0.9], [5.3, 0.2], atol=0.03, labels=["MolLogP", "TPSA"])
    Traceback (most recent call last):
    ...
    utils.checks.CheckFailed: mean: expected [5.3 0.2], got [5.3 0.9]
    (1 of 2 values differ, largest difference 0.7 at TPSA)
    >>> check_close("w", "two", 2.0)
    Traceback (most recent call last):
    ...
    utils.checks.CheckFailed: w: expected numbers, got  'two'
    """
    __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
    with _hinted(hint):
        judge_close(name, plain(actual), plain(expected), rtol, atol, labels)


def check_equal(name: str, actual: Any, expected: Any, hint: str = "") -> None:
    """Value check for exact values: a string, an integer, a boolean, or a list of them.

    Examples
    --------
    >>> check_equal("top", "MolLogP", "MolLogP")
    >>> check_equal("top", "TPSA", "MolLogP")
    Traceback (most recent call last):
    ...
    utils.checks.CheckFailed: top: expected 'MolLogP', got 'TPSA'
    """
    __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
    with _hinted(hint):
        judge_equal(name, plain(actual), plain(expected))


def check_same(
    name: str,
    actual: Any,
    other: Any,
    rtol: float = 0.0,
    atol: float = 0.0,
    hint: str = "",
    labels: Sequence[str] | None = None,
) -> None:
    """Consistency check: two values the student's code produced agree within tolerances.

    Use it for relations without a reference value (a second call with the same
    seed, the dual against the primal form). Grading records both values and
    compares them in the grading process with the instructor's tolerances.

    Examples
    --------
    >>> check_same("again", [0.5, 0.25], [0.5, 0.25])
    >>> check_same("again", [0.5, 0.25], [0.5, 0.3], atol=0.01)
    Traceback (most recent call last):
    ...
    utils.checks.CheckFailed: again: the other value is [0.5 0.3], got [0.5  0.25]
    (1 of 2 values differ, largest difference 0.05 at index (1,))
    """
    __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
    with _hinted(hint):
        judge_same(name, plain(actual), plain(other), rtol, atol, labels)


def check_property(name: str, actual: Any, prop: str, expected: Any = None, hint: str = "") -> None:
    """Property check: the named predicate ``prop`` of :mod:`utils.properties` holds for ``actual``.

    Parameters
    ----------
    name
        Identifier of the check.
    actual
        Raw values the test recorded (a number, an array, a string, or a dict of them).
    prop
        Name of a predicate in ``utils.properties.PREDICATES``.
    expected
        The predicate's parameters (bounds, a grid, the test's own data); removed
        from the student's process when grading, like every expected value.

    Examples
    --------
    >>> check_property("rmse", 0.92, "between", (0.5, 1.1))
    >>> check_property("rmse", 1.3, "between", (0.5, 1.1))
    Traceback (most recent call last):
    ...
    utils.checks.CheckFailed: rmse: 1.3 is not between 0.5 and 1.1
    """
    __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
    from utils.properties import PREDICATES

    with _hinted(hint):
        judge_property(name, prop, plain(actual), plain(expected), PREDICATES)


def check_raises(name: str, call: Callable[[], Any], expected: type[BaseException], hint: str = "") -> None:
    """Property check: ``call()`` raises ``expected`` (or a subclass of it).

    The helper makes the call itself and records which exception came out, so
    the verdict never depends on a flag set inside the student's process.

    Examples
    --------
    >>> check_raises("parse", lambda: int("x"), ValueError)
    >>> check_raises("parse", lambda: int("1"), ValueError)
    Traceback (most recent call last):
    ...
    utils.checks.CheckFailed: parse: the call returned normally; it must raise ValueError
    """
    __tracebackhide__ = True  # IPython leaves this frame out of tracebacks
    with _hinted(hint):
        judge_raises(name, outcome_of(call), plain(expected))
