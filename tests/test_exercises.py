"""Tests of the tests: releases are reproducible and clean, Validate passes the solution, and the test
cells follow the rule that makes Validate's verdicts those of ``make grade``.

Mutants, alternatives and forgers are graded through ``make grade``'s pipeline
in ``tests/grading/test_exercise_grading.py``.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from benchmarks.courses import filled_in, instructor_answers
from utils.paths import REPO_ROOT

ASSIGNMENTS = sorted(p.name for p in (REPO_ROOT / "solutions").iterdir() if p.is_dir())
SOLUTION_BLOCK = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n", re.M)


def _env() -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("JPY_", "JUPYTER_"))}
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    # Two gradings run side by side on two cores: BLAS threads would only fight (measured 2x slower).
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def _nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=course, env=_env(), capture_output=True, text=True, timeout=900
    )
    if check and result.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return result


def _course(dest: Path, assignment: str) -> Path:
    dest.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "nbgrader_config.py", dest / "nbgrader_config.py")
    shutil.copytree(REPO_ROOT / "solutions" / assignment, dest / "solutions" / assignment)
    return dest


def _answers(assignment: str) -> dict[str, str]:
    """The instructor's answer for every answer cell, without the solution markers."""
    return instructor_answers(assignment)


def _submission(assignment: str, replace: dict[str, str] | None) -> nbformat.NotebookNode:
    """The released notebook with answers filled in (``None``: left untouched)."""
    return filled_in(assignment, replace)


@pytest.mark.slow  # runs nbgrader or a notebook: not in make test-fast
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_reproducible_and_clean(assignment: str, tmp_path: Path) -> None:
    course = _course(tmp_path / "c", assignment)
    _nbgrader(course, "generate_assignment", assignment, "--force")
    fresh = nbformat.read(course / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    committed = nbformat.read(REPO_ROOT / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    assert [c.source for c in fresh.cells] == [c.source for c in committed.cells], "run `make release` and commit"
    assert [c.metadata for c in fresh.cells] == [c.metadata for c in committed.cells]
    text = (REPO_ROOT / "exercises" / assignment / f"{assignment}.ipynb").read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text
    source = nbformat.read(REPO_ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    released = "\n".join(c.source for c in committed.cells)
    for cell in source.cells:
        for block in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S):
            leaked = [line for line in block.splitlines() if len(line.strip()) > 25 and line in released]
            assert not leaked, f"solution code is in the release: {leaked[:3]}"


@pytest.mark.slow  # runs nbgrader or a notebook: not in make test-fast
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_validate_passes_on_solution_and_fails_on_release(assignment: str, tmp_path: Path) -> None:
    shutil.copy(REPO_ROOT / "solutions" / assignment / f"{assignment}.ipynb", tmp_path / "solution.ipynb")
    shutil.copy(REPO_ROOT / "exercises" / assignment / f"{assignment}.ipynb", tmp_path / "release.ipynb")
    ok = _nbgrader(tmp_path, "validate", "solution.ipynb", check=False)
    assert "Success! Your notebook passes all the tests." in ok.stdout, ok.stdout[-2000:]
    bad = _nbgrader(tmp_path, "validate", "release.ipynb", check=False)
    assert "Success!" not in bad.stdout and ("failed" in bad.stdout.lower() or "error" in bad.stdout.lower())


# --- the authoring rule that makes Validate's verdicts those of make grade ---
#
# Validate runs a test cell's checks in the student's kernel; make grade records
# the student's values in the sandbox and judges them in the grading process
# with the *reference run's* expected values, tolerances and predicates (the
# same judge_* functions of utils/checks.py, on the same plain values). The two
# verdicts are therefore the same exactly when those trusted arguments evaluate
# the same in the student's kernel as in the reference run: they must never
# depend on anything the student's answers define. And a check must never be
# caught (in the sandbox it never raises). This is checked over every test
# cell, hidden parts included, by following names from the answer cells forward.

#: Per helper, the positions and keywords of the arguments taken from the reference run.
TRUSTED_ARGS: dict[str, tuple[tuple[int, str], ...]] = {
    "check_close": ((2, "expected"), (3, "rtol"), (4, "atol"), (6, "labels")),
    "check_equal": ((2, "expected"),),
    "check_same": ((3, "rtol"), (4, "atol"), (6, "labels")),
    "check_property": ((2, "prop"), (3, "expected")),
    "check_raises": ((2, "expected"),),
}


def _loads(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _binds(stmt: ast.stmt) -> set[str]:
    """Names a statement binds or changes in place (``x[i] = ...`` and ``x.a = ...`` change ``x``)."""
    names = set()
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        names.add(stmt.name)
    elif isinstance(stmt, ast.Import | ast.ImportFrom):
        names |= {(a.asname or a.name).split(".")[0] for a in stmt.names}
    for node in ast.walk(stmt) if not isinstance(stmt, ast.FunctionDef | ast.ClassDef) else ():
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.Attribute | ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del):
            base = node
            while isinstance(base, ast.Attribute | ast.Subscript):
                base = base.value
            if isinstance(base, ast.Name):
                names.add(base.id)
    return names


def _check_call_problems(node: ast.Call, tainted: set[str], gid: str) -> list[str]:
    """What breaks the rule in one call of a helper (nothing for other calls)."""
    helper = node.func.id if isinstance(node.func, ast.Name) else ""
    if helper not in TRUSTED_ARGS:
        return []
    problems = []
    name = node.args[0] if node.args else None
    if not isinstance(name, ast.Constant | ast.JoinedStr) or _loads(name) & tainted:
        problems.append(f"{gid}: {helper} (line {node.lineno}) needs a name fixed by the test (a literal)")
    for pos, key in TRUSTED_ARGS[helper]:
        args = [a for i, a in enumerate(node.args) if i == pos] + [k.value for k in node.keywords if k.arg == key]
        for arg in args:
            if _loads(arg) & tainted:
                problems.append(
                    f"{gid}: {helper}'s {key} (line {node.lineno}) depends on {sorted(_loads(arg) & tainted)}, "
                    "which come from the answers"
                )
    return problems


def _follow(stmts: list[ast.stmt], tainted: set[str], gid: str | None, problems: list[str]) -> None:
    """Follow names from the answers through ``stmts`` (updating ``tainted``); collect a test cell's problems."""
    compound = ast.For | ast.AsyncFor | ast.While | ast.If | ast.With
    for stmt in stmts:
        if isinstance(stmt, compound):
            header = stmt.iter if isinstance(stmt, ast.For | ast.AsyncFor) else getattr(stmt, "test", None)
            if isinstance(stmt, ast.With):
                header = ast.Tuple([item.context_expr for item in stmt.items], ast.Load())
                targets = [item.optional_vars for item in stmt.items if item.optional_vars]
            else:
                targets = [stmt.target] if isinstance(stmt, ast.For | ast.AsyncFor) else []
        if gid is not None:
            # A compound statement's body is checked statement by statement below, as names flow.
            for node in ast.walk(header if isinstance(stmt, compound) and header is not None else stmt):
                if isinstance(stmt, compound) and header is None:
                    break
                if isinstance(node, ast.Try | ast.TryStar):
                    problems.append(f"{gid}: a try statement in a test cell (line {node.lineno})")
                elif isinstance(node, ast.Call):
                    problems.extend(_check_call_problems(node, tainted, gid))
        if isinstance(stmt, compound):
            if header is not None and _loads(header) & tainted:
                tainted |= {n for t in targets for n in _binds(ast.Expr(t))} | {
                    n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)
                }
            for _ in range(2):  # twice, so a loop's second pass sees what its first pass tainted
                _follow(stmt.body + getattr(stmt, "orelse", []), tainted, gid, problems)
        elif isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
            names = {t.id for t in stmt.targets}
            tainted.difference_update(names) if not _loads(stmt.value) & tainted else tainted.update(names)
        elif _loads(stmt) & tainted:
            tainted |= _binds(stmt)


def authoring_violations(nb: nbformat.NotebookNode) -> list[str]:
    """Where a test cell breaks the rule above (empty: Validate and make grade agree by construction)."""
    tainted: set[str] = set()
    problems: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        tree = ast.parse(source)
        if meta.get("solution"):
            tainted |= {name for stmt in tree.body for name in _binds(stmt)}
            continue
        is_test = bool(meta.get("grade"))
        _follow(tree.body, tainted, meta.get("grade_id", "?") if is_test else None, problems)
    return list(dict.fromkeys(problems))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_expected_values_never_depend_on_the_answers(assignment: str) -> None:
    nb = nbformat.read(REPO_ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    checks = sum(c.source.count("check_") for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
    assert checks >= 5, "the test cells check nothing through the helpers"
    assert authoring_violations(nb) == []


def _toy(answer: str, test: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    setup = nbformat.v4.new_code_cell("import numpy as np\nX = np.arange(6.0)")
    answer_cell = nbformat.v4.new_code_cell(answer, metadata={"nbgrader": {"solution": True, "grade_id": "ans"}})
    between = nbformat.v4.new_code_cell("scaled = double(X)\nY = X.copy()\nY[0] = scaled[0]")
    test_cell = nbformat.v4.new_code_cell(test, metadata={"nbgrader": {"grade": True, "grade_id": "t"}})
    nb.cells = [setup, answer_cell, between, test_cell]
    return nb


@pytest.mark.parametrize(
    ("test", "found"),
    [
        ('check_close("d", double(X), 2 * X)', None),
        ('check_same("d", double(X), scaled, atol=1e-12)', None),
        ('check_close("d", double(X), double(X))', "depends on ['double']"),
        ('for k in range(3):\n    r = double(X)\n    check_close(f"d{k}", r, r)', "depends on ['r']"),
        (
            'for k in range(3):\n    check_close(f"d{k}", double(X), 2 * X)\nr = 2 * X\ncheck_close("e", double(X), r)',
            None,
        ),
        ('check_close("d", double(X), scaled)', "depends on ['scaled']"),
        ('check_close("d", scaled, Y)', "depends on ['Y']"),
        ('ref = 2 * scaled\ncheck_close("d", double(X), ref)', "depends on ['ref']"),
        ('check_close("d", double(X), 2 * X, atol=tol)', "depends on ['tol']"),
        ('check_property("d", double(X), kind, (0, 1))', "prop (line 1) depends on ['kind']"),
        ('try:\n    check_close("d", double(X), 2 * X)\nexcept AssertionError:\n    pass', "a try statement"),
        ('name = "d"\ncheck_close(name, double(X), 2 * X)', "needs a name fixed by the test"),
    ],
)
def test_the_authoring_rule_catches_a_test_cell_that_breaks_it(test: str, found: str | None) -> None:
    answer = "tol = 0.1\nkind = 'between'\ndef double(x):\n    return 2 * x"
    problems = authoring_violations(_toy(answer, test))
    if found is None:
        assert problems == []
    else:
        assert any(found in p for p in problems), problems


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_exercise_is_wired_up(assignment: str) -> None:
    """What CONTRIBUTING's "Adding an exercise" asks for besides the notebook, found in seconds, not in a battery."""
    import importlib

    from tests.grading.test_exercise_grading import FORGED_MUTANTS

    mutants = importlib.import_module(f"tests.mutants.{assignment}")
    alternatives = importlib.import_module(f"tests.alternatives.{assignment}")
    assert len(mutants.MUTANTS) >= 12, f"tests/mutants/{assignment}.py: write at least twelve plausible wrong answers"
    assert len(alternatives.ALTERNATIVES) >= 6, (
        f"tests/alternatives/{assignment}.py: write at least six correct answers"
    )
    hidden_only = getattr(mutants, "HIDDEN_ONLY", None)
    assert hidden_only, f"tests/mutants/{assignment}.py: declare HIDDEN_ONLY (the mutants only hidden inputs catch)"
    assert set(hidden_only) <= set(mutants.MUTANTS), sorted(set(hidden_only) - set(mutants.MUTANTS))
    forged = FORGED_MUTANTS.get(assignment)
    assert forged, f"name one or two mutants of {assignment} in FORGED_MUTANTS (tests/grading/test_exercise_grading.py)"
    assert set(forged) <= set(mutants.MUTANTS) - set(hidden_only), forged
    answers = set(_answers(assignment))
    for kind, table in (("mutants", mutants.MUTANTS), ("alternatives", alternatives.ALTERNATIVES)):
        for description, replace in table.items():
            assert set(replace) <= answers, (
                f"tests/{kind}/{assignment}.py, {description!r}: no answer cell {set(replace) - answers}"
            )
    readme = (REPO_ROOT / "README.md").read_text()
    assert f"(exercises/{assignment}/{assignment}.ipynb) |" in readme, (
        f"add {assignment} to the README's exercise table"
    )
    pointer = f"exercises/{assignment}/{assignment}.ipynb"
    assert any(pointer in p.read_text() for p in (REPO_ROOT / "lectures").glob("*.ipynb")), (
        f"no lecture points to {pointer}: end the lecture it follows with a pointer to it"
    )
