"""Recording twin of the course's check helpers, run inside the student's sandbox.

:func:`grading.verdict.install_recorder` copies this file over the sandbox's
``utils/checks.py`` and keeps the course's module beside it as
``utils/_checks_course.py``. Every public ``check_*`` helper of the course's
module gets a twin with the same signature that records what the check is
about as one JSON line and decides nothing:

* value checks (``check_close``, ``check_equal``): the student's ``actual``;
* consistency checks (``check_same``): ``actual`` and ``other``;
* property checks (``check_property``): the raw ``actual``; ``check_raises``
  makes the call itself and records the exception's class names.

In ``reference`` mode (the instructor's solution, run once per grading) the
twin also records the ``expected`` values, tolerances and predicate names,
and then runs the course's own check, so a solution that fails its tests is
noticed. In ``student`` mode ``expected`` arguments arrive as ``None`` (they
were removed from the test cell's source) and nothing is judged here: the
grading process judges the records (:func:`grading.verdict.judge`).

This module runs in an untrusted process: nothing it records is believed
except as the student's own values.

The contract with the course: this is the one module of ``grading`` that
imports the course's ``utils`` package, and it does so inside the student's
sandbox, where ``utils`` is the copy :func:`grading.sandbox.prepare` made of
the course being graded. It relies on that module's ``KINDS`` table (helper
name to kind), on the helpers' parameter names (``name``, ``actual``,
``other``, ``call``, ``expected``, ``prop``, ``rtol``, ``atol``, ``labels``) and on its
``plain`` and ``outcome_of`` functions. The grading process itself never
imports this module or ``utils``; imported elsewhere (the course's tests,
doctest collection) it wraps the importable ``utils.checks`` instead.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
from typing import Any

try:  # in the sandbox: the course's module, kept beside this file
    from utils._checks_course import *  # noqa: F403  (everything else the course's module offers)

    from utils import _checks_course as _course
except ImportError:  # imported in the course itself (tests, docs): wrap the course's module in place
    from utils import checks as _course
    from utils.checks import *  # noqa: F403

_MODE = os.environ.get("MLCHEM_CHECK_MODE", "student")
_PATH = os.environ.get("MLCHEM_CHECK_RECORD")


def _write(record: dict[str, Any]) -> None:
    if _PATH:
        with open(_PATH, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


def _twin(fn: Any, kind: str) -> Any:
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def twin(*args: Any, **kwargs: Any) -> None:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        record: dict[str, Any] = {"check": fn.__name__, "name": str(values.get("name"))}
        if fn.__name__ == "check_raises":
            record["actual"] = _course.outcome_of(values["call"])
        else:
            record["actual"] = _course.plain(values.get("actual"))
        if kind == "consistency":
            record["other"] = _course.plain(values.get("other"))
        if _MODE == "reference":
            for key in ("expected", "prop", "rtol", "atol", "labels"):
                if key in values:
                    record[key] = _course.plain(values[key])
        _write(record)
        if _MODE == "reference":
            fn(*args, **kwargs)

    return twin


for _name, _kind in getattr(_course, "KINDS", {}).items():
    if callable(getattr(_course, _name, None)):
        globals()[_name] = _twin(getattr(_course, _name), _kind)
