"""`make update` (scripts/update_course.py) merges course updates into a student's clone.

Each test builds a small course repository ("upstream") and a student's clone of
it in tmp_path, edits both, and runs the update: the student's edits are kept,
the course's changes and new files arrive, a notebook the line merge broke is
replaced by the student's version with the course's beside it, and a clone that
cannot be updated gets a message and is left exactly as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tests.helpers import strip_ansi
from utils.paths import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "update_course.py"
LECTURE = "lectures/01_intro.ipynb"
EXERCISE = "exercises/ex01/ex01.ipynb"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("update_course", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


uc = _load()


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` as a named user (never through the environment, which nbgitpuller would inherit)."""
    return subprocess.run(
        [
            "git",
            "-c",
            "user.name=Someone",
            "-c",
            "user.email=someone@example.org",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "advice.detachedHead=false",
            *args,
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def lecture() -> nbformat.NotebookNode:
    return new_notebook(
        cells=[
            new_markdown_cell("# 01 · Intro\nAim: a first look.", id="title"),
            new_code_cell("import math\nSEED = 0", id="setup"),
            new_markdown_cell("## Practical\nWe compute a square root.", id="practical"),
            new_code_cell(
                "x = math.sqrt(2)\nprint(x)",
                id="compute",
                outputs=[new_output("stream", name="stdout", text="1.414\n")],
                execution_count=2,
            ),
            new_markdown_cell("## Summary\nRoots.", id="summary"),
        ]
    )


def exercise() -> nbformat.NotebookNode:
    return new_notebook(
        cells=[
            new_markdown_cell("# Exercise 1\nWrite `square`.", id="intro"),
            new_code_cell("def square(x):\n    raise NotImplementedError()", id="answer"),
            new_markdown_cell("Check it yourself:", id="check-text"),
            new_code_cell("assert square(3) == 9", id="test"),
        ]
    )


def write(repo: Path, path: str, nb: nbformat.NotebookNode) -> None:
    """Save a notebook the way JupyterLab does (nbformat, indent 1)."""
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, repo / path)


def read(repo: Path, path: str) -> nbformat.NotebookNode:
    return nbformat.read(repo / path, as_version=4)


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """The course's repository with one lecture, one exercise and the real Makefile and update script."""
    repo = tmp_path / "course"
    repo.mkdir()
    git(repo, "init", "-q")
    write(repo, LECTURE, lecture())
    write(repo, EXERCISE, exercise())
    for name in ("Makefile", ".gitignore", "scripts/update_course.py"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, repo / name)
    commit(repo, "Course")
    return repo


@pytest.fixture
def student(course: Path, tmp_path: Path) -> Path:
    """A student's clone of ``course`` (on main, with origin)."""
    git(tmp_path, "clone", "-q", str(course), "student")
    return tmp_path / "student"


def edit(repo: Path, path: str, change: Callable[[nbformat.NotebookNode], None]) -> nbformat.NotebookNode:
    """Apply ``change`` to a notebook and save it; return the new notebook."""
    nb = read(repo, path)
    change(nb)
    write(repo, path, nb)
    return nb


def set_source(cell_id: str, source: str) -> Callable[[nbformat.NotebookNode], None]:
    def change(nb: nbformat.NotebookNode) -> None:
        next(c for c in nb.cells if c.id == cell_id).source = source

    return change


def run(repo: Path) -> tuple[int, str, str]:
    """Run the update as `make update` does, in-process (faster); return (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = uc.main(["--repo", str(repo)])
    return status, out.getvalue(), err.getvalue()


def snapshot(repo: Path) -> dict[str, str]:
    """Every file's hash (outside .git), plus HEAD, the branch, the stash and the index."""
    files = {
        p.relative_to(repo).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }
    if (repo / ".git").exists():
        for name, args in {
            "HEAD": ["rev-parse", "HEAD"],
            "branch": ["status", "-sb"],
            "stash": ["stash", "list"],
            "refs": ["for-each-ref"],
        }.items():
            files[f"<{name}>"] = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True).stdout
    return files


# --- the scenario -------------------------------------------------------------------------


def test_make_update_keeps_edits_and_brings_new_material(course: Path, student: Path) -> None:
    """Student edits a lecture and an exercise, the course changes the same files and adds new ones."""
    # JupyterLab autosaved the lecture, the student answered the exercise.
    edit(student, LECTURE, set_source("title", "# 01 · Intro\nAim: a first look. MY NOTE: read twice"))
    edit(student, EXERCISE, set_source("answer", "def square(x):\n    return x * x"))
    # Git-ignored files of the student's: never touched.
    (student / "gradebook.db").write_bytes(b"\x00gradebook")
    (student / "submitted" / "alice").mkdir(parents=True)
    (student / "submitted" / "alice" / "ex01.ipynb").write_text("{}")
    (student / ".venv").symlink_to(sys.prefix, target_is_directory=True)  # make update uses .venv/bin/python
    ignored_before = {p: (student / p).read_bytes() for p in ("gradebook.db", "submitted/alice/ex01.ipynb")}

    # The course changes other cells of the same files and adds a lecture and a data file.
    edit(course, LECTURE, set_source("summary", "## Summary\nRoots, squares and more."))
    edit(course, EXERCISE, set_source("test", "assert square(3) == 9\nassert square(-2) == 4"))
    write(course, "lectures/02_next.ipynb", new_notebook(cells=[new_markdown_cell("# 02 · Next", id="t")]))
    (course / "data").mkdir()
    (course / "data" / "table.csv").write_text("a,b\n1,2\n")
    commit(course, "Course update")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_", "MAKE"))}
    # -o: the stamp of .venv (a symlink to the test environment) is never rebuilt.
    proc = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "update"],
        cwd=student,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = strip_ansi(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    # Both sides' edits, byte for byte what saving the notebook with both changes gives.
    both = lecture()
    set_source("title", "# 01 · Intro\nAim: a first look. MY NOTE: read twice")(both)
    set_source("summary", "## Summary\nRoots, squares and more.")(both)
    assert (student / LECTURE).read_text() == nbformat.writes(both) + "\n"
    assert read(student, EXERCISE).cells[1].source == "def square(x):\n    return x * x"
    assert read(student, EXERCISE).cells[3].source.endswith("square(-2) == 4")
    assert (student / "lectures/02_next.ipynb").read_bytes() == (course / "lectures/02_next.ipynb").read_bytes()
    assert (student / "data/table.csv").read_text() == "a,b\n1,2\n"
    # Nothing stashed, nothing left half-merged, ignored files as they were.
    assert git(student, "stash", "list") == ""
    assert not (student / ".git" / "MERGE_HEAD").exists()
    assert {p: (student / p).read_bytes() for p in ignored_before} == ignored_before
    assert not list(student.rglob("*.course-update*"))
    # The report names what happened.
    assert "New from the course:" in out and "lectures/02_next.ipynb" in out and "data/table.csv" in out
    merged = out.split("Your edits kept, the course's changes merged in:")[1]
    assert LECTURE in merged and EXERCISE in merged


def test_untouched_files_take_the_course_version(course: Path, student: Path) -> None:
    edit(student, EXERCISE, set_source("answer", "def square(x):\n    return x ** 2"))
    edit(course, LECTURE, set_source("setup", "import math\nimport numpy as np\nSEED = 0"))
    commit(course, "Course update")
    status, out, err = run(student)
    assert status == 0, err
    assert (student / LECTURE).read_bytes() == (course / LECTURE).read_bytes()
    assert f"Updated from the course:\n  {LECTURE}" in out


def test_same_lines_student_wins_and_course_version_lands_beside(course: Path, student: Path) -> None:
    mine = edit(student, EXERCISE, set_source("answer", "def square(x):\n    return x * x  # mine"))
    edit(course, EXERCISE, set_source("answer", "def square(x: float) -> float:\n    raise NotImplementedError()"))
    commit(course, "Type hints in the exercise")
    status, out, _ = run(student)
    assert status == 0
    assert (student / EXERCISE).read_text() == nbformat.writes(mine) + "\n"
    beside = student / "exercises/ex01/ex01.course-update.ipynb"
    assert beside.read_bytes() == (course / EXERCISE).read_bytes()
    assert f"{EXERCISE}  (course's version: exercises/ex01/ex01.course-update.ipynb)" in out


# --- a line merge that breaks a notebook ----------------------------------------------------------


def _move_setup_after_practical(nb: nbformat.NotebookNode) -> None:
    nb.cells.insert(3, nb.cells.pop(1))


def _compute_to_markdown(nb: nbformat.NotebookNode) -> None:
    nb.cells[3] = new_markdown_cell(nb.cells[3].source, id="compute")


def _tag_compute(nb: nbformat.NotebookNode) -> None:
    nb.cells[3].metadata["tags"] = ["mine"]


@pytest.mark.parametrize(
    ("student_change", "course_change", "problem"),
    [
        # The course moves a cell the student edited: the merge keeps both copies (same id twice).
        (set_source("setup", "import math  # mine\nSEED = 0"), _move_setup_after_practical, "appears more than once"),
        # The course turns a code cell into prose, the student tagged it: a markdown cell with outputs.
        (_tag_compute, _compute_to_markdown, "nbformat rejects it"),
    ],
    ids=["moved-cell", "code-to-markdown"],
)
def test_broken_merge_keeps_student_version_and_writes_course_version_beside(
    course: Path, student: Path, student_change: Callable, course_change: Callable, problem: str
) -> None:
    edit(student, LECTURE, student_change)
    mine_bytes = (student / LECTURE).read_bytes()
    edit(course, LECTURE, course_change)
    commit(course, "Course reorganises lecture 01")
    status, out, err = run(student)
    assert status == 0, err

    # git's line merge really produced a broken notebook (in the merge commit) ...
    merged = student / "merged.ipynb"
    merged.write_text(git(student, "show", f"HEAD:{LECTURE}"))
    assert problem in (uc.check_notebook(merged) or "")
    merged.unlink()
    # ... and the update put the student's version back and the course's beside it, both valid.
    assert (student / LECTURE).read_bytes() == mine_bytes
    beside = student / "lectures/01_intro.course-update.ipynb"
    assert beside.read_bytes() == (course / LECTURE).read_bytes()
    assert uc.check_notebook(student / LECTURE) is None and uc.check_notebook(beside) is None
    assert "Could not be merged into a valid notebook" in out and problem in out

    # Running again changes nothing and keeps the student's version.
    before = snapshot(student)
    status, out, _ = run(student)
    assert status == 0 and out.startswith("Already up to date")
    after = snapshot(student)
    assert {k: v for k, v in after.items() if not k.startswith("<")} == {
        k: v for k, v in before.items() if not k.startswith("<")
    }

    # A later course update still merges into the student's version.
    edit(course, EXERCISE, set_source("intro", "# Exercise 1\nWrite `square` (floats)."))
    commit(course, "Exercise wording")
    status, out, _ = run(student)
    assert status == 0 and f"Updated from the course:\n  {EXERCISE}" in out
    assert (student / LECTURE).read_bytes() == mine_bytes


def test_check_notebook_names_each_problem(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    write(tmp_path, "nb.ipynb", lecture())
    assert uc.check_notebook(path) is None
    text = path.read_text()
    path.write_text(text.replace("  },\n  {", "  }\n  {", 1))  # what a bad line merge of two cells looks like
    assert "not valid JSON" in (uc.check_notebook(path) or "")
    path.write_text('{"cells": "none"}')
    assert "not a notebook" in (uc.check_notebook(path) or "")
    path.write_text(text.replace('"outputs": []', '"outputs": 1', 1))
    assert "nbformat rejects it" in (uc.check_notebook(path) or "")
    path.write_text(text.replace('"id": "setup"', '"id": "title"'))
    assert "'title' appears more than once" in (uc.check_notebook(path) or "")


# --- untracked files, deleted files, running twice --------------------------------------------------


def test_untracked_file_with_a_new_course_files_name_is_renamed_not_lost(course: Path, student: Path) -> None:
    write(student, "lectures/02_next.ipynb", new_notebook(cells=[new_markdown_cell("my own notes", id="n")]))
    mine = (student / "lectures/02_next.ipynb").read_bytes()
    write(course, "lectures/02_next.ipynb", new_notebook(cells=[new_markdown_cell("# 02 · Next", id="t")]))
    commit(course, "Lecture 02")
    status, out, _ = run(student)
    assert status == 0
    assert (student / "lectures/02_next.ipynb").read_bytes() == (course / "lectures/02_next.ipynb").read_bytes()
    renamed = list((student / "lectures").glob("02_next__*.ipynb"))
    assert len(renamed) == 1 and renamed[0].read_bytes() == mine
    assert f"lectures/02_next.ipynb -> lectures/{renamed[0].name}" in out


def test_untracked_file_with_the_name_a_course_file_is_renamed_to_is_kept(course: Path, student: Path) -> None:
    """git reports a rename as 'R', not 'A': the student's file must still be moved out of the way."""
    notes = course / "exercises/ex01/notes.md"
    notes.write_text("Hints for exercise 1.\n" * 5)
    commit(course, "Hints")
    git(student, "pull", "-q")
    (student / "exercises/ex01/README.md").write_text("my readme\n")
    git(course, "mv", "exercises/ex01/notes.md", "exercises/ex01/README.md")
    commit(course, "Hints become the README")
    status, out, err = run(student)
    assert status == 0, err
    assert (student / "exercises/ex01/README.md").read_text().startswith("Hints")
    assert [p.read_text() for p in (student / "exercises/ex01").glob("README__*.md")] == ["my readme\n"]


def test_deleted_notebook_is_restored_and_edited_one_the_course_removed_is_kept(course: Path, student: Path) -> None:
    (student / LECTURE).unlink()
    edit(student, EXERCISE, set_source("answer", "def square(x):\n    return x * x"))
    git(course, "rm", "-q", EXERCISE)
    commit(course, "Exercise withdrawn")
    status, out, _ = run(student)
    assert status == 0
    assert (student / LECTURE).read_bytes() == (course / LECTURE).read_bytes()
    assert read(student, EXERCISE).cells[1].source.endswith("x * x")
    assert f"Restored (you had deleted them):\n  {LECTURE}" in out
    assert f"kept, because you edited them:\n  {EXERCISE}" in out


def test_update_twice_changes_nothing_the_second_time(
    course: Path, student: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A student whose shell sets a git identity: nbgitpuller's commits must still count as its own.
    for name in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(name, "student@example.org")
    edit(student, LECTURE, set_source("title", "# 01 · Intro\nmine"))
    edit(course, EXERCISE, set_source("intro", "# Exercise 1\nWrite `square` now."))
    commit(course, "Course update")
    assert run(student)[0] == 0
    before = snapshot(student)
    status, out, _ = run(student)
    assert (status, out.strip()) == (0, "Already up to date: the course has nothing new.")
    assert snapshot(student) == before
    assert read(student, LECTURE).cells[0].source == "# 01 · Intro\nmine"

    # More edits and another course update later: merged again, no "commits of your own".
    edit(student, EXERCISE, set_source("answer", "def square(x):\n    return x * x"))
    edit(course, LECTURE, set_source("summary", "## Summary\nRoots again."))
    commit(course, "Course update 2")
    status, out, err = run(student)
    assert status == 0, err
    assert read(student, LECTURE).cells[0].source == "# 01 · Intro\nmine"
    assert read(student, LECTURE).cells[4].source == "## Summary\nRoots again."
    assert read(student, EXERCISE).cells[1].source.endswith("x * x")


# --- clones that cannot be updated: a message, and nothing changed ---------------------------------


def _zip_download(student: Path) -> None:
    shutil.rmtree(student / ".git")


def _no_remote(student: Path) -> None:
    git(student, "remote", "remove", "origin")


def _own_branch(student: Path) -> None:
    git(student, "switch", "-q", "-c", "my-work")


def _detached(student: Path) -> None:
    git(student, "checkout", "-q", "--detach")


def _own_commit(student: Path) -> None:
    (student / "notes.md").write_text("my notes\n")
    commit(student, "My notes")


def _offline(student: Path) -> None:
    git(student, "remote", "set-url", "origin", str(student.parent / "unreachable"))


def _merge_in_progress(student: Path) -> None:
    (student / ".git" / "MERGE_HEAD").write_text(git(student, "rev-parse", "HEAD"))


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (_zip_download, "is not a git clone of the course"),
        (_no_remote, "has no remote 'origin'"),
        (_own_branch, "You are on branch 'my-work'; course updates go to branch 'main'"),
        (_detached, "HEAD is detached"),
        (_own_commit, "1 commit(s) of your own"),
        (_offline, "Could not reach the course"),
        (_merge_in_progress, "in the middle of a merge"),
    ],
    ids=["zip-download", "no-remote", "on-a-branch", "detached-head", "own-commits", "offline", "merging"],
)
def test_clone_that_cannot_be_updated_gets_a_message_and_is_left_alone(
    course: Path, student: Path, setup: Callable[[Path], None], message: str
) -> None:
    edit(student, LECTURE, set_source("title", "# 01 · Intro\nmine"))
    write(course, "lectures/02_next.ipynb", new_notebook(cells=[new_markdown_cell("# 02", id="t")]))
    commit(course, "Lecture 02")
    setup(student)
    before = snapshot(student)
    status, out, err = run(student)
    assert status == 1 and out == ""
    assert "nothing was changed" in err and message in err
    assert re.search(r"'(git|make) [^']+'", err), "the message names no command to run"
    assert snapshot(student) == before
