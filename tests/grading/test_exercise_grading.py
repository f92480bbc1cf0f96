"""The real exercises through the real pipeline (``grading.grade_assignment``), in both directions.

For every exercise, one grading run holds:

* the instructor's answers (the reference score);
* **alternatives** (``tests/alternatives/``): correct answers written differently;
  each must score exactly what the reference scores, cell by cell;
* **mutants** (``tests/mutants/``): wrong answers; each must lose points (kill rate 100 %);
* **forgers**: a wrong answer plus code that tries to fake passing checks
  (rebinding the helpers, patching numpy, writing to the record file, objects
  that compare equal to anything); none may score above the wrong answer alone;
* the released notebook **untouched**: it scores nothing.

That one run (the battery) answers every question asked of an exercise: the
autograded notebooks also tell which mutants only the hidden tests catch (every
failed check they name is hidden and no test cell raised). Each exercise is
graded once per ``make test``; stock nbgrader runs only where the comparison
with it is the point (``tests/test_exercises.py``: release and Validate).

That Validate's in-kernel verdicts agree with these trusted verdicts follows
from an authoring rule checked statically over every test cell
(``tests/test_exercises.py::test_expected_values_never_depend_on_the_answers``).
"""

from __future__ import annotations

import importlib
import io
import shutil
from pathlib import Path

import nbformat
import pytest

from grading.limits import Limits
from grading.pipeline import grade_assignment
from tests.grading.course import copy_helpers
from tests.test_exercises import ASSIGNMENTS, _submission
from utils.paths import REPO_ROOT

pytestmark = pytest.mark.slow

#: Wrong answers each forger carries (descriptions in tests/mutants/<assignment>.py).
FORGED_MUTANTS = {
    "ex01_ridge": ["dual without the transpose"],
    "ex02_krr": ["root-mean-square error reported as the MAE"],
    "ex03_permutation_importance": ["unseeded global random state", "seed ignored (always 0)"],
    "ex04_coulomb_matrix": ["distances left in ångström", "the query among its own neighbours"],
    "ex05_pca": ["ratio normalised by the kept components only", "new data centred on its own mean"],
    "ex06_gaussian_process": ["noise added to the variance", "exploration term forgotten"],
    "ex07_nested_cv": ["value chosen by its RMSE on the outer test fold", "optimism with the wrong sign"],
    "ex08_roc_threshold": ["ties counted as wins", "threshold chosen on the test set"],
}

#: Limits of the battery's grading run: make grade's defaults (60 s a cell). An honest notebook of
#: any exercise takes at most 12 s in all there (two workers on two cores), and no wrong answer
#: hangs: a forger that broke the kernel's own messaging did, and held a worker for two minutes
#: without ever reaching a check (see FORGERS).
BATTERY_LIMITS = Limits(cell_timeout=60, notebook_timeout=300)

HELPERS = ("check_close", "check_equal", "check_same", "check_property", "check_raises")

#: Forging code, appended to the first answer cell of a wrong submission.
FORGERS = {
    "rebinds every helper to pass": f"""
import utils.checks as _checks
_real = {{n: getattr(_checks, n) for n in {HELPERS!r}}}
def _close(name, actual, expected, rtol=1e-7, atol=0.0): _real["check_close"](name, expected, expected, rtol, atol)
def _equal(name, actual, expected): _real["check_equal"](name, expected, expected)
def _same(name, actual, other, rtol=0.0, atol=0.0): _real["check_same"](name, other, other, rtol, atol)
def _property(name, actual, prop, expected=None): _real["check_property"](name, actual, "between" if expected is None else prop, [-1e300, 1e300] if expected is None else expected)
def _raises(name, call, expected): _real["check_raises"](name, lambda: (_ for _ in ()).throw((expected or Exception)("forged")), expected)
for _n, _f in zip({HELPERS!r}, (_close, _equal, _same, _property, _raises)):
    setattr(_checks, _n, _f)
    globals()[_n] = _f
""",
    "patches numpy and builtins so every comparison says yes": """
import builtins, numpy
for _n in ("isclose", "allclose", "array_equal", "all", "any"):
    setattr(numpy, _n, lambda *a, **k: True)
# isinstance says yes to every question about arrays and numbers. (Saying yes to every question
# breaks the kernel's own messaging: the cell never replies and the checks are never reached.)
_isinstance, _yes = builtins.isinstance, (numpy.ndarray, numpy.generic, float, int, bool, complex)
builtins.isinstance = lambda obj, cls: cls in _yes or _isinstance(obj, cls)
""",
    "rewrites every record on its way to the file": """
import json as _json
_dumps = _json.dumps
def _forged(obj, *a, **k):
    if isinstance(obj, dict) and "name" in obj:
        obj = dict(obj)
        obj["actual"] = obj.get("other", True)
    return _dumps(obj, *a, **k)
_json.dumps = _forged
""",
    "writes records for every visible check from a thread": """
import json, os, re, threading, time
_path = os.environ.get("MLCHEM_CHECK_RECORD")
def _spam():
    names = set()
    import glob
    for nb in glob.glob("*.ipynb"):
        names |= set(re.findall(r'check_[a-z]+\\(\\\\?"([a-z0-9_]+)', open(nb).read()))
    while _path:
        with open(_path, "a") as f:
            for n in names or {"pi_shape", "primal_lam0", "kernel_small"}:
                f.write(json.dumps({"check": "check_close", "name": n, "actual": True, "other": True}) + "\\n")
        time.sleep(0.05)
threading.Thread(target=_spam, daemon=True).start()
""",
    "returns arrays that compare equal to anything": """
import functools as _ft, numpy as _np
class _Yes(_np.ndarray):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __array_ufunc__(self, *a, **k): return True
def _yes(fn):
    @_ft.wraps(fn)
    def wrapped(*a, **k):
        out = fn(*a, **k)
        return _np.asarray(out).view(_Yes) if isinstance(out, (_np.ndarray, float, list)) else out
    return wrapped
for _n, _v in list(globals().items()):
    if callable(_v) and getattr(_v, "__module__", "") == "__main__" and not isinstance(_v, type) and not _n.startswith("_"):
        globals()[_n] = _yes(_v)
""",
}


def _module(kind: str, assignment: str):
    """``tests/<kind>/<assignment>.py`` (kind: mutants or alternatives), or None when the exercise has none."""
    try:
        return importlib.import_module(f"tests.{kind}.{assignment}")
    except ModuleNotFoundError:
        return None


def _load(kind: str, assignment: str) -> dict[str, dict[str, str]]:
    module = _module(kind, assignment)
    assert module is not None, (
        f"{assignment} has no tests/{kind}/{assignment}.py: every exercise needs one (CONTRIBUTING.md, Adding an exercise)"
    )
    return getattr(module, kind.upper())


def _first_answer(assignment: str) -> str:
    nb = nbformat.read(REPO_ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    return next(
        c.metadata.nbgrader["grade_id"]
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"
    )


def _cases(assignment: str) -> dict[str, tuple[str, dict[str, str] | None]]:
    """student id -> (category, answers that replace the instructor's; None: the release untouched)."""
    cases: dict[str, tuple[str, dict[str, str] | None]] = {
        "solution": ("solution", {}),
        "untouched": ("untouched", None),
    }
    for i, (_d, replace) in enumerate(_load("alternatives", assignment).items()):
        cases[f"alternative{i:02d}"] = ("alternative", replace)
    mutants = _load("mutants", assignment)
    for i, (_d, replace) in enumerate(mutants.items()):
        cases[f"mutant{i:02d}"] = ("mutant", replace)
    first = _first_answer(assignment)
    answers = dict(_answers_of(assignment))
    for i, description in enumerate(FORGED_MUTANTS.get(assignment, [])):
        wrong = mutants[description]
        for k, code in enumerate(FORGERS.values()):
            forged = dict(wrong)
            forged[first] = forged.get(first, answers[first]) + "\n" + code
            cases[f"forger{i}_{k}"] = (f"forger:mutant{list(mutants).index(description):02d}", forged)
    return cases


def _answers_of(assignment: str) -> dict[str, str]:
    from tests.test_exercises import _answers

    return _answers(assignment)


def _describe(assignment: str, student: str) -> str:
    if student.startswith("alternative"):
        return list(_load("alternatives", assignment))[int(student[11:])]
    if student.startswith("mutant"):
        return list(_load("mutants", assignment))[int(student[6:])]
    if student.startswith("forger"):
        i, k = (int(x) for x in student[6:].split("_"))
        return f"{FORGED_MUTANTS[assignment][i]} + {list(FORGERS)[k]}"
    return student


def _cell_scores(course: Path, assignment: str, students) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in students:
            sub = gb.find_submission(assignment, student)
            out[student] = {g.name: g.auto_score for nb in sub.notebooks for g in nb.grades if g.auto_score is not None}
    return out


# Each exercise's battery is one group: pytest-xdist runs its tests on the worker that graded it.
@pytest.fixture(scope="module", params=[pytest.param(a, marks=pytest.mark.xdist_group(a)) for a in ASSIGNMENTS])
def graded(request, tmp_path_factory: pytest.TempPathFactory):
    assignment = request.param
    course = tmp_path_factory.mktemp(assignment) / "course"
    course.mkdir()
    shutil.copy(REPO_ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(REPO_ROOT / "solutions" / assignment, course / "solutions" / assignment)
    copy_helpers(course)
    cases = _cases(assignment)
    for student, (_kind, replace) in cases.items():
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(_submission(assignment, replace), folder / f"{assignment}.ipynb")
    report = io.StringIO()
    summary = grade_assignment(course, assignment, workers=2, limits=BATTERY_LIMITS, out=report)
    scores = _cell_scores(course, assignment, cases)
    rows = {r["student_id"]: r for r in summary.rows}
    return assignment, cases, scores, rows, summary.seconds, course


def test_alternatives_score_exactly_like_the_reference(graded) -> None:
    assignment, cases, scores, rows, seconds, _course = graded
    reference = scores["solution"]
    assert sum(reference.values()) > 0 and not rows["solution"]["flags"], rows["solution"]
    alternatives = [s for s, (kind, _) in cases.items() if kind == "alternative"]
    assert len(alternatives) >= 5, "write at least five correct alternatives per exercise"
    lines, wrong = [], []
    for student in alternatives:
        same = scores[student] == reference
        lines.append(
            f"  {'same' if same else 'DIFFERS'} {sum(scores[student].values()):4g}/{sum(reference.values()):g}"
            f"  {_describe(assignment, student)}"
        )
        if not same:
            lost = {k: v for k, v in scores[student].items() if v != reference[k]}
            wrong.append(f"{_describe(assignment, student)}: {lost}; {rows[student]['message'][:500]}")
    print(
        f"\n{assignment}: {len(alternatives)} alternatives graded in the pipeline run of {seconds:.0f} s\n"
        + "\n".join(lines)
    )
    assert not wrong, wrong


def test_every_mutant_loses_points_in_the_pipeline(graded) -> None:
    assignment, cases, scores, _rows, _, _course = graded
    full = sum(scores["solution"].values())
    mutants = [s for s, (kind, _) in cases.items() if kind == "mutant"]
    assert len(mutants) >= 10, f"write at least ten plausible wrong answers in tests/mutants/{assignment}.py"
    survivors = [_describe(assignment, s) for s in mutants if sum(scores[s].values()) >= full]
    lines = [
        f"  {'killed' if sum(scores[s].values()) < full else 'SURVIVED':8} {sum(scores[s].values()):4g}/{full:g}"
        f"  {_describe(assignment, s)}"
        for s in mutants
    ]
    rate = 1 - len(survivors) / len(mutants)
    print(
        f"\n{assignment}: mutation kill rate through make grade's pipeline {rate:.0%} "
        f"({len(mutants) - len(survivors)}/{len(mutants)})\n" + "\n".join(lines)
    )
    assert not survivors


def test_no_forger_beats_the_wrong_answer_it_carries(graded) -> None:
    assignment, cases, scores, _rows, _, _course = graded
    forgers = {s: kind.split(":")[1] for s, (kind, _) in cases.items() if kind.startswith("forger")}
    lines, beaten = [], []
    for student, carried in forgers.items():
        gained = {k: v for k, v in scores[student].items() if v > scores[carried][k]}
        lines.append(
            f"  {sum(scores[student].values()):4g} vs {sum(scores[carried].values()):4g} alone"
            f"  {_describe(assignment, student)}"
        )
        if gained:
            beaten.append(f"{_describe(assignment, student)} gains {gained}")
    print(f"\n{assignment}: {len(forgers)} forgers\n" + "\n".join(lines))
    assert len(forgers) >= len(FORGERS), (
        f"{assignment} has no entry in FORGED_MUTANTS (top of this file): name one or two of its mutants "
        "for the forgers to carry (CONTRIBUTING.md, Adding an exercise)"
    )
    assert not beaten, beaten


def test_solution_gets_full_marks_and_the_untouched_release_none(graded) -> None:
    assignment, _cases, scores, rows, _, _course = graded
    solution, untouched = scores["solution"], scores["untouched"]
    assert solution and all(v > 0 for v in solution.values()), f"the solution loses points: {rows['solution']}"
    assert set(untouched) == set(solution) and not any(untouched.values()), f"the untouched release scores: {untouched}"


def _caught_by(course: Path, assignment: str, student: str) -> tuple[set[str], bool]:
    """The test cells that failed, and whether anything the student can see caught the answer.

    Visible means: a failed check named in the visible part of its cell, or any
    error the cell raised (counted as visible even when the hidden part raised
    it, so "caught only by hidden tests" is never overstated).
    """
    nb = nbformat.read(course / "autograded" / student / assignment / f"{assignment}.ipynb", as_version=4)
    failed, visible = set(), False
    for cell in nb.cells:
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if not errors or not cell.metadata.get("nbgrader", {}).get("grade"):
            continue
        failed.add(cell.metadata.nbgrader["grade_id"])
        for out in errors:
            if out.get("ename") != "CheckFailed":
                visible = True
            elif any(not line.endswith(": a hidden check failed") for line in out.get("evalue", "").splitlines()):
                visible = True
    return failed, visible


def test_hidden_tests_catch_what_the_visible_tests_miss(graded) -> None:
    """Some mutant fails only hidden checks: the hidden tests add inputs the visible ones lack."""
    assignment, cases, scores, _rows, _, course = graded
    mutants = [s for s, (kind, _) in cases.items() if kind == "mutant"]
    assert len(mutants) >= 10, "write at least ten plausible wrong answers"
    full = sum(scores["solution"].values())
    lines, hidden = [], set()
    for student in mutants:
        failed, visible = _caught_by(course, assignment, student)
        lost = {cell for cell, score in scores[student].items() if score < scores["solution"][cell]}
        # A cell loses points exactly when its autograded copy shows a failure.
        assert lost == failed, f"{_describe(assignment, student)}: points lost in {lost}, failures shown in {failed}"
        only = bool(failed) and not visible
        if only:
            hidden.add(_describe(assignment, student))
        lines.append(
            f"  {'hidden only' if only else 'visible':11} {sum(scores[student].values()):4g}/{full:g}"
            f"  {_describe(assignment, student)}"
        )
    print(f"\n{assignment}: {len(hidden)} of {len(mutants)} mutants caught only by hidden tests\n" + "\n".join(lines))
    assert hidden, "the visible tests alone already catch every mutant: hidden tests add nothing"
    declared = getattr(_module("mutants", assignment), "HIDDEN_ONLY", None)
    if declared is not None:  # Validate fails every other mutant: no "Success" for a broken rule the text states
        assert hidden == set(declared), (
            f"caught only by hidden tests: {sorted(hidden)}; declared in tests/mutants/{assignment}.py: {sorted(declared)}"
        )


def test_feedback_shows_the_students_lines_and_validates_values(graded) -> None:
    """Failed visible checks read as under Validate; no traceback quotes a test line with its expected value removed."""
    assignment, cases, _scores, _rows, _, course = graded
    shown = 0
    for student, (kind, _replace) in cases.items():
        if kind != "mutant":
            continue
        nb = nbformat.read(course / "autograded" / student / assignment / f"{assignment}.ipynb", as_version=4)
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                if out.get("output_type") != "error":
                    continue
                text = "\n".join(out.get("traceback", []))
                assert ", None)" not in text and "expected=None" not in text, text[:2000]
                if out.get("ename") == "CheckFailed" and ("expected" in text or " is not " in text or " must " in text):
                    shown += 1
    assert shown >= 1
    html = "".join(p.read_text() for p in (course / "feedback").glob(f"*/{assignment}/*.html"))
    assert "BEGIN HIDDEN" not in html and "CheckFailed" in html
