"""Verdicts decided outside the student's process.

The exercises check every value through named helpers in ``utils.checks``
(``check_close(name, actual, expected, rtol=..., atol=...)`` and siblings). When
grading:

1. The instructor's notebook runs once in a clean kernel with the *recording*
   helpers (:data:`WRAPPER`, mode ``reference``): for every check it records the
   name, the reference solution's value, the expected value the test computed,
   and the tolerances, attributed to the test cell that made it.
2. Each student's notebook runs in its sandbox with the recording helpers in
   mode ``student``, and with every ``expected`` argument removed from the test
   cells (:func:`strip_expected`), so the reference values never exist in the
   student's process; only the student's own values are recorded.
3. :func:`judge`, in the grading process, compares name by name with the
   reference run's expected values and tolerances. Patching numpy, builtins,
   IPython or the helpers inside the student's kernel can only change the
   student's own values.
"""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path
from typing import Any

EXPECTED_NAMES = ("expected", "desired", "reference")
MAX_RECORD_BYTES = 4 * 2**20

#: Installed as ``utils/checks.py`` in the sandbox; the course's own module is
#: kept next to it as ``utils/_checks_course.py`` and still does the checking
#: wherever a test cell passes an expected value (so Validate-style errors
#: still appear in the student's feedback).
WRAPPER = r'''
"""Recording wrapper of the course's check helpers (grading mode only)."""
import functools as _functools
import inspect as _inspect
import json as _json
import math as _math
import os as _os

from utils import _checks_course as _course
from utils._checks_course import *  # noqa: F401,F403

_MODE = _os.environ.get("MLCHEM_CHECK_MODE", "student")
_PATH = _os.environ.get("MLCHEM_CHECK_RECORD")
_EXPECTED = ("expected", "desired", "reference")


def _plain(value, depth=0):
    try:
        import numpy as _np
        if isinstance(value, _np.generic):
            value = value.item()
        elif isinstance(value, _np.ndarray):
            value = value.tolist()
    except ImportError:
        pass
    if isinstance(value, float) and not _math.isfinite(value):
        return repr(value)
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, (list, tuple)) and depth < 6:
        return [_plain(v, depth + 1) for v in value]
    if hasattr(value, "tolist"):
        return _plain(value.tolist(), depth + 1)
    return repr(value)[:200]


def _wrap(fn):
    sig = _inspect.signature(fn)
    params = list(sig.parameters)

    @_functools.wraps(fn)
    def wrapper(*args, **kwargs):
        bound = sig.bind_partial(*args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        record = {"check": fn.__name__, "name": str(values.get(params[0])),
                  "actual": _plain(values.get(params[1])) if len(params) > 1 else None}
        expected_key = next((k for k in _EXPECTED if k in values), None)
        if _MODE == "reference":
            if expected_key:
                record["expected"] = _plain(values[expected_key])
            for key in ("rtol", "atol"):
                if key in values:
                    record[key] = values[key]
        if _PATH:
            with open(_PATH, "a") as handle:
                handle.write(_json.dumps(record) + "\n")
        if expected_key and values[expected_key] is None and _MODE == "student":
            return None  # the trusted comparison happens outside this process
        return fn(*args, **kwargs)
    return wrapper


for _name in dir(_course):
    if _name.startswith("check_") and callable(getattr(_course, _name)):
        globals()[_name] = _wrap(getattr(_course, _name))
'''


def install_wrapper(workdir: Path) -> bool:
    """Put the recording wrapper in the sandbox's copy of ``utils``; False if there is no checks module."""
    checks = workdir / "utils" / "checks.py"
    if not checks.is_file():
        return False
    checks.rename(workdir / "utils" / "_checks_course.py")
    checks.write_text(WRAPPER)
    return True


def _is_check(call: ast.Call) -> bool:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    return name.startswith("check_")


class _Strip(ast.NodeTransformer):
    def __init__(self) -> None:
        self.expected_names: set[str] = set()

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if not _is_check(node):
            return node
        for i, arg in enumerate(node.args):
            if i == 2:
                self.expected_names |= {n.id for n in ast.walk(arg) if isinstance(n, ast.Name)}
                node.args[i] = ast.Constant(None)
        for kw in node.keywords:
            if kw.arg in EXPECTED_NAMES:
                self.expected_names |= {n.id for n in ast.walk(kw.value) if isinstance(n, ast.Name)}
                kw.value = ast.Constant(None)
        return node


def strip_expected(source: str) -> str:
    """Remove every expected value from the check calls of a test cell.

    The expected argument of each ``check_*`` call becomes ``None``, and
    assignments whose targets were used only as expected values are dropped,
    so the reference never exists in the student's kernel.

    Examples
    --------
    >>> print(strip_expected("ref = slow_reference(X)\\ncheck_close('w', f(X), ref, rtol=1e-6)"))
    check_close('w', f(X), None, rtol=1e-06)
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    stripper = _Strip()
    tree = stripper.visit(tree)
    used_elsewhere = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    only_expected = stripper.expected_names - used_elsewhere
    body = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and all(
            isinstance(t, ast.Name) and t.id in only_expected for t in stmt.targets
        ):
            continue
        body.append(stmt)
    tree.body = body
    return ast.unparse(ast.fix_missing_locations(tree))


def read_new_records(path: Path, offset: int) -> tuple[list[dict[str, Any]], int]:
    """Records appended to ``path`` since ``offset`` (bounded, invalid lines skipped)."""
    if not path.is_file():
        return [], offset
    with path.open("rb") as handle:
        handle.seek(offset)
        chunk = handle.read(MAX_RECORD_BYTES)
        new_offset = handle.tell()
    records = []
    for line in chunk.splitlines():
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        if isinstance(record, dict) and isinstance(record.get("name"), str):
            records.append(record)
    return records, new_offset


def _close(actual: Any, expected: Any, rtol: float, atol: float) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected or actual == expected
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        if math.isnan(expected):
            return isinstance(actual, float) and math.isnan(actual)
        return abs(actual - expected) <= atol + rtol * abs(expected)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(actual) == len(expected) and all(_close(a, e, rtol, atol) for a, e in zip(actual, expected))
    return actual == expected


def judge(reference: list[dict[str, Any]], student: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Names of the reference's checks the student's run never made, and those whose values differ.

    Both lists empty means the test cell passes.
    """
    theirs: dict[str, Any] = {}
    for record in student:
        theirs.setdefault(record["name"], record.get("actual"))
    missing, failed = [], []
    for ref in reference:
        name = ref["name"]
        if name not in theirs:
            missing.append(name)
            continue
        target = ref["expected"] if "expected" in ref else ref.get("actual")
        rtol = float(ref.get("rtol") or 0.0)
        atol = float(ref.get("atol") or 0.0)
        if not _close(theirs[name], target, rtol, atol):
            failed.append(name)
    return missing, failed
