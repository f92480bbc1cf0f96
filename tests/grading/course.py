"""A tiny nbgrader course for testing the grading pipeline quickly."""

from __future__ import annotations

import contextlib
import copy
import functools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import nbformat

from benchmarks.courses import copy_helpers
from utils.paths import REPO_ROOT

ANSWER = "def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION\n"
STUB = "def add(a, b):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
TEST_ADD = (
    '"""add returns the sum (2 points)."""\n'
    "assert add(1, 2) == 3\n"
    "### BEGIN HIDDEN TESTS\n"
    "assert add(-5, 5) == 0, 'SECRET_HIDDEN_MARKER'\n"
    "### END HIDDEN TESTS\n"
)
TEST_FLOAT = '"""add works on floats (1 point)."""\nassert abs(add(2.5, 0.5) - 3.0) < 1e-12\n'


def _meta(grade_id: str, *, solution=False, grade=False, locked=False, points=None) -> dict:
    meta = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": locked, "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    cells = [
        nbformat.v4.new_markdown_cell("# Toy assignment", metadata=_meta("intro", locked=True)),
        nbformat.v4.new_code_cell(ANSWER, metadata=_meta("add", solution=True)),
        nbformat.v4.new_code_cell(TEST_ADD, metadata=_meta("test_add", grade=True, locked=True, points=2)),
        nbformat.v4.new_code_cell(TEST_FLOAT, metadata=_meta("test_float", grade=True, locked=True, points=1)),
        nbformat.v4.new_markdown_cell(
            "Explain.\n\nYOUR ANSWER HERE", metadata=_meta("explain", solution=True, grade=True, points=1)
        ),
    ]
    nb.cells = cells
    return nb


@contextlib.contextmanager
def _environ(**values: str) -> Iterator[None]:
    """Set environment variables for a while."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@functools.cache
def _empty_gradebook() -> bytes:
    from nbgrader.api import Gradebook

    from grading.gradebook import tool_env

    # nbgrader runs ``alembic``, found through PATH, when it creates a gradebook.
    with tempfile.TemporaryDirectory(prefix="mlchem-gradebook-") as tmp, _environ(PATH=tool_env()["PATH"]):
        gb = Gradebook(f"sqlite:///{tmp}/gradebook.db")
        gb.close()
        gb.engine.dispose()
        return (Path(tmp) / "gradebook.db").read_bytes()


def add_gradebook(root: Path) -> None:
    """Give the course at ``root`` an empty nbgrader gradebook (no assignment, no student).

    A real course has one from its first ``make release`` on; grading
    registers the assignment in it. nbgrader stamps a new gradebook with its
    schema version by running ``alembic`` in a subprocess, seconds per course:
    the empty one is made once per test process and copied.
    """
    (root / "gradebook.db").write_bytes(_empty_gradebook())


def make_course(root: Path, gradebook: bool = False) -> Path:
    """A course folder with the repo's nbgrader config and ``utils/``, and the toy assignment.

    With ``gradebook`` the course starts with an empty gradebook
    (:func:`add_gradebook`); without, the first grading run creates it.
    """
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    if gradebook:
        add_gradebook(root)
    copy_helpers(root, ("utils",))
    (root / "solutions" / "toy").mkdir(parents=True)
    nbformat.write(source_notebook(), root / "solutions" / "toy" / "toy.ipynb")
    return root


def student_notebook(
    answer: str = ANSWER.replace("### BEGIN SOLUTION\n    ", "").replace("    ### END SOLUTION\n", ""),
) -> nbformat.NotebookNode:
    """The released notebook with ``answer`` typed into the answer cell."""
    nb = copy.deepcopy(source_notebook())
    nb.cells[1].source = answer
    nb.cells[2].source = TEST_ADD.split("### BEGIN HIDDEN TESTS")[0]
    nb.cells[4].source = "Because addition."
    return nb


def submit(
    root: Path, student: str, content: nbformat.NotebookNode | bytes | str | None, name: str = "toy.ipynb"
) -> Path:
    folder = root / "submitted" / student / "toy"
    folder.mkdir(parents=True, exist_ok=True)
    if content is None:
        return folder
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content)
    else:
        nbformat.write(content, path)
    return path


# --- a variant whose tests check values through a named helper, like the exercises ---

CHECKED_TEST_ADD = (
    '"""add returns the sum (2 points)."""\n'
    "from utils.checks import check_close\n"
    'check_close("add_1_2", add(1, 2), 3)\n'
    "### BEGIN HIDDEN TESTS\n"
    "secret_reference = -5.5 + 2.25  # SECRET_HIDDEN_MARKER\n"
    'check_close("add_hidden", add(-5.5, 2.25), secret_reference)\n'
    "### END HIDDEN TESTS\n"
)
CHECKED_TEST_FLOAT = (
    '"""add works on floats (1 point)."""\n'
    "from utils.checks import check_close\n"
    'check_close("add_float", add(2.5, 0.5), 3.0)\n'
    "### BEGIN HIDDEN TESTS\n"
    'check_close("add_float_hidden", add(0.125, 1e-3), 0.126)\n'
    "### END HIDDEN TESTS\n"
)


def make_checked_course(root: Path, gradebook: bool = False) -> Path:
    """The toy course with value checks through the course's ``utils.checks``, in its own utils copy."""
    make_course(root, gradebook)
    nb = source_notebook()
    nb.cells[2].source = CHECKED_TEST_ADD
    nb.cells[3].source = CHECKED_TEST_FLOAT
    nbformat.write(nb, root / "solutions" / "toy" / "toy.ipynb")
    return root


def checked_student(answer: str) -> nbformat.NotebookNode:
    nb = student_notebook(answer)
    nb.cells[2].source = CHECKED_TEST_ADD.split("### BEGIN HIDDEN TESTS")[0]
    nb.cells[3].source = CHECKED_TEST_FLOAT.split("### BEGIN HIDDEN TESTS")[0]
    return nb
