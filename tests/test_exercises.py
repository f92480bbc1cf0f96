"""Tests of the tests: releases are reproducible and clean, and hidden tests catch wrong answers."""

from __future__ import annotations

import copy
import importlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from utils.paths import REPO_ROOT

ASSIGNMENTS = sorted(p.name for p in (REPO_ROOT / "solutions").iterdir() if p.is_dir())
SOLUTION_BLOCK = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n", re.M)
HIDDEN_BLOCK = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", re.M | re.S)


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


def _course(dest: Path, assignment: str, visible_only: bool = False) -> Path:
    dest.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "nbgrader_config.py", dest / "nbgrader_config.py")
    shutil.copytree(REPO_ROOT / "solutions" / assignment, dest / "solutions" / assignment)
    if visible_only:
        path = dest / "solutions" / assignment / f"{assignment}.ipynb"
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            cell.source = HIDDEN_BLOCK.sub("", cell.source)
        nbformat.write(nb, path)
    return dest


def _answers(assignment: str) -> dict[str, str]:
    """The instructor's answer for every answer cell, without the solution markers."""
    nb = nbformat.read(REPO_ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    return {
        c.metadata.nbgrader["grade_id"]: SOLUTION_BLOCK.sub("", c.source)
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


def _submission(assignment: str, replace: dict[str, str] | None) -> nbformat.NotebookNode:
    """The released notebook with answers filled in (``None``: left untouched)."""
    nb = nbformat.read(REPO_ROOT / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    if replace is None:
        return nb
    answers = {**_answers(assignment), **replace}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers and cell.metadata.nbgrader.get("solution"):
            cell.source = answers[gid]
    return nb


def _autograde(course: Path, assignment: str, submissions: dict[str, nbformat.NotebookNode]) -> dict[str, dict]:
    """Autograde with stock nbgrader; per student the total and the score of each test cell."""
    from nbgrader.api import Gradebook

    _nbgrader(
        course, "generate_assignment", assignment, "--force", f"--CourseDirectory.release_directory={course}/release"
    )
    for student, nb in submissions.items():
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{assignment}.ipynb")
    _nbgrader(course, "autograde", assignment, "--force")
    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in submissions:
            sub = gb.find_submission(assignment, student)
            # Autograded test cells only: a written answer waits for a person (auto_score None).
            graded = [g for nb in sub.notebooks for g in nb.grades if g.auto_score is not None]
            cells = {g.name: g.auto_score for g in graded}
            scores[student] = {"score": sum(cells.values()), "max": sum(g.max_score for g in graded), "cells": cells}
    return scores


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


@pytest.mark.slow
@pytest.mark.parametrize(
    "assignment", [a for a in ASSIGNMENTS if (REPO_ROOT / "tests" / "mutants" / f"{a}.py").is_file()]
)
def test_hidden_tests_kill_every_mutant(assignment: str, tmp_path: Path) -> None:
    mutants = importlib.import_module(f"tests.mutants.{assignment}").MUTANTS
    assert len(mutants) >= 10, "write at least ten plausible wrong answers"
    submissions = {"solution": _submission(assignment, {}), "untouched": _submission(assignment, None)}
    names = {}
    for i, (description, replace) in enumerate(mutants.items()):
        student = f"mutant{i:02d}"
        names[student] = description
        submissions[student] = _submission(assignment, replace)
    full = _course(tmp_path / "full", assignment)
    visible = _course(tmp_path / "visible", assignment, visible_only=True)
    # Grade against the real tests and against the visible tests alone, at once.
    import concurrent.futures as cf

    with cf.ThreadPoolExecutor(2) as pool:
        f_full = pool.submit(_autograde, full, assignment, copy.deepcopy(submissions))
        f_visible = pool.submit(_autograde, visible, assignment, copy.deepcopy(submissions))
        scores, visible_scores = f_full.result(), f_visible.result()

    solution, untouched = scores["solution"], scores["untouched"]
    assert solution["score"] == solution["max"], f"the solution does not get full marks: {solution}"
    assert all(v == 0 for v in untouched["cells"].values()), f"the untouched release scores points: {untouched}"
    lines, survivors, caught_only_by_hidden = [], [], 0
    for student, description in names.items():
        got, vis = scores[student], visible_scores[student]
        killed = got["score"] < got["max"]
        hidden_only = killed and vis["score"] == vis["max"]
        caught_only_by_hidden += hidden_only
        lines.append(
            f"  {'killed' if killed else 'SURVIVED':8} {got['score']:4g}/{got['max']:g}"
            f"  visible-only {vis['score']:4g}/{vis['max']:g}  {description}"
        )
        if not killed:
            survivors.append(description)
    rate = 1 - len(survivors) / len(names)
    print(
        f"\n{assignment}: mutation kill rate {rate:.0%} ({len(names) - len(survivors)}/{len(names)}); "
        f"{caught_only_by_hidden} caught only by hidden tests\n" + "\n".join(lines)
    )
    assert not survivors, f"mutants that keep full marks: {survivors}"
    assert caught_only_by_hidden >= 1, "the visible tests alone already catch every mutant: hidden tests add nothing"
