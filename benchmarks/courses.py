"""Scratch courses for measuring: the course's helpers copied in, submissions as a student makes them.

Shared by the grading benchmark and the tests that grade real exercises.
"""

from __future__ import annotations

import re
import runpy
import shutil
from pathlib import Path

import nbformat

from utils.paths import REPO_ROOT

SOLUTION_BLOCK = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n", re.M)


def copy_helpers(root: Path, folders: tuple[str, ...] = ("utils", "data")) -> None:
    """Copy this repository's ``utils/`` and ``data/`` into the course at ``root``.

    The grading sandbox takes them from the course root it grades, and from
    nowhere else, so a scratch course needs its own copy.
    """
    for folder in folders:
        shutil.copytree(REPO_ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))


def instructor_answers(assignment: str) -> dict[str, str]:
    """The instructor's answer for every answer cell, without the solution markers."""
    nb = nbformat.read(REPO_ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    return {
        c.metadata.nbgrader["grade_id"]: SOLUTION_BLOCK.sub("", c.source)
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


def filled_in(assignment: str, replace: dict[str, str] | None) -> nbformat.NotebookNode:
    """The released notebook with the instructor's answers typed in, ``replace`` instead where it says
    (``None``: left untouched, as released)."""
    nb = nbformat.read(REPO_ROOT / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    if replace is None:
        return nb
    answers = {**instructor_answers(assignment), **replace}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers and cell.metadata.nbgrader.get("solution"):
            cell.source = answers[gid]
    return nb


def graded_cases(assignment: str, kind: str) -> dict[str, dict[str, str]]:
    """The prepared answers of ``kind`` (``"alternatives"``: correct, ``"mutants"``: wrong) by name.

    They are test data (``tests/<kind>/<assignment>.py``, never published to
    students), read here as data files; none: an empty dict.
    """
    path = REPO_ROOT / "tests" / kind / f"{assignment}.py"
    return runpy.run_path(str(path))[kind.upper()] if path.is_file() else {}
