"""What an instructor meets when grading: each cell once, a page for every student, flags
in the formgrader, one run at a time, one student at a time, "not graded yet"."""

from __future__ import annotations

import copy
import csv
import io
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from grading.limits import Limits
from grading.lock import LOCK_FILE, SCRATCH, course_lock, remove_stale_scratch, scratch
from grading.notebook import (
    HIDDEN_PLACEHOLDER,
    UNREAD_CODE,
    UNREAD_TEXT,
    is_answer,
    is_test,
    nbgrader_meta,
    rebuild,
    unreadable_notebook,
)
from grading.pipeline import grade_assignment
from tests.grading.course import make_course, source_notebook, student_notebook, submit
from utils.paths import REPO_ROOT

GOOD = "def add(a, b):\n    return a + b\n"
LIMITS = Limits(cell_timeout=4, notebook_timeout=40, output_bytes_per_cell=64 * 1024)
ASSIGNMENTS = sorted(p.name for p in (REPO_ROOT / "solutions").iterdir() if p.is_dir())


def _released(assignment: str) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """(instructor's source notebook, released student notebook) of a real exercise."""
    name = f"{assignment}/{assignment}.ipynb"
    return (
        nbformat.read(REPO_ROOT / "solutions" / name, as_version=4),
        nbformat.read(REPO_ROOT / "exercises" / name, as_version=4),
    )


def _ordinary(nb: nbformat.NotebookNode) -> list[str]:
    return [c.source for c in nb.cells if not nbgrader_meta(c).get("grade_id")]


def _text(html: str) -> str:
    """The visible text of a feedback page, on one line."""
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


# --- 1. every cell once -------------------------------------------------------------------


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_rebuild_runs_each_cell_of_the_release_once(assignment: str) -> None:
    source, released = _released(assignment)
    rebuilt = rebuild(source, released)
    assert rebuilt.flags == []
    assert len(rebuilt.nb.cells) == len(source.cells) == len(released.cells)
    assert _ordinary(rebuilt.nb) == _ordinary(released)  # "Check it yourself", "Compare with scikit-learn"
    for text in _ordinary(released):
        assert sum(c.source == text for c in rebuilt.nb.cells) == 1


def test_ex01_check_cell_once_and_student_cells_in_place() -> None:
    source, released = _released("ex01_ridge")
    student = copy.deepcopy(released)
    answer = next(i for i, c in enumerate(student.cells) if nbgrader_meta(c).get("grade_id") == "ridge_closed_form")
    check = next(i for i, c in enumerate(student.cells) if c.source.startswith("# Check it yourself"))
    student.cells[check].source += "\nprint('my own check')\n"  # the student's edit is what runs
    student.cells.insert(answer + 1, nbformat.v4.new_code_cell("scratch = 1  # my own cell"))
    rebuilt = rebuild(source, student)
    sources = [c.source for c in rebuilt.nb.cells]
    assert len(sources) == len(source.cells) + 1
    assert sum(s.startswith("# Check it yourself") for s in sources) == 1
    assert sources.count("scratch = 1  # my own cell") == 1
    mine = sources.index("scratch = 1  # my own cell")
    assert nbgrader_meta(rebuilt.nb.cells[mine - 1]).get("grade_id") == "ridge_closed_form"
    assert rebuilt.nb.cells[mine + 1].source.endswith("print('my own check')\n")
    assert nbgrader_meta(rebuilt.nb.cells[mine + 2]).get("grade_id") == "test_ridge_closed_form"


def test_rebuild_still_restores_deleted_graded_cells() -> None:
    source, released = _released("ex01_ridge")
    student = copy.deepcopy(released)
    student.cells = [c for c in student.cells if nbgrader_meta(c).get("grade_id") != "test_ridge_dual"]
    rebuilt = rebuild(source, student)
    assert "restored-cell" in rebuilt.flags
    assert [nbgrader_meta(c).get("grade_id") for c in rebuilt.nb.cells] == [
        nbgrader_meta(c).get("grade_id") for c in source.cells
    ]


# --- 2. a stand-in for an unreadable submission ----------------------------------------------


def test_stand_in_says_what_happened_and_hides_the_hidden_tests() -> None:
    message = "the notebook file is not valid JSON (line 3, column 5): was it edited outside Jupyter?"
    nb = unreadable_notebook(source_notebook(), [message], HIDDEN_PLACEHOLDER)
    assert nb.cells[0].cell_type == "markdown" and message in nb.cells[0].source
    assert not nbgrader_meta(nb.cells[0])
    graded = nb.cells[1:]
    assert [nbgrader_meta(c).get("grade_id") for c in graded] == [
        nbgrader_meta(c).get("grade_id") for c in source_notebook().cells
    ]
    for cell in graded:
        if is_answer(cell):
            assert cell.source == (UNREAD_CODE if cell.cell_type == "code" else UNREAD_TEXT)
        if is_test(cell):
            assert [o.output_type for o in cell.outputs] == ["error"]
        assert "SECRET_HIDDEN_MARKER" not in cell.source
    nbformat.validate(nb)


# --- 4. one run at a time, no stale scratch folders ------------------------------------------


def test_second_run_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    root = make_course(tmp_path / "c")
    submit(root, "alice", student_notebook(GOOD))
    with course_lock(root, "toy"):
        assert f'"pid": {os.getpid()}' in (root / LOCK_FILE).read_text()
        start = time.monotonic()
        with pytest.raises(SystemExit, match=rf"another grading run.*pid {os.getpid()}, grading toy since"):
            grade_assignment(root, "toy", workers=1, limits=LIMITS)
        assert time.monotonic() - start < 5
        done = subprocess.run(
            [sys.executable, "-m", "grading", "--root", str(root), "grade", "toy"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode != 0 and "another grading run" in done.stderr, done.stderr
    assert sorted(p.name for p in root.iterdir()) == [
        LOCK_FILE,
        "nbgrader_config.py",
        "solutions",
        "submitted",
        "utils",
    ]
    assert (root / LOCK_FILE).read_text() == ""  # released, and says nothing stale


def test_killed_holder_releases_the_lock(tmp_path: Path) -> None:
    root = make_course(tmp_path / "c")
    code = (
        "import sys, time; from pathlib import Path; from grading.lock import course_lock\n"
        "with course_lock(Path(sys.argv[1]), 'toy'):\n    print('locked', flush=True); time.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(root)], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(SystemExit, match=f"pid {holder.pid}"):
            with course_lock(root, "toy"):
                pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with course_lock(root, "toy"):
        pass


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_scratch_folders_are_removed(tmp_path: Path) -> None:
    import psutil

    dead = _dead_pid()
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])  # killed, not yet reaped by its parent
    while psutil.Process(zombie.pid).status() != psutil.STATUS_ZOMBIE:
        time.sleep(0.05)
    stale = [tmp_path / f"mlchem-{kind}-{dead}-x1y2" for kind in ("grade", "reference", "release")]
    stale.append(tmp_path / f"mlchem-grade-{zombie.pid}-z9")
    alive = tmp_path / f"mlchem-grade-{os.getpid()}-a1b2"
    other = [tmp_path / f"mlchem-notes-{dead}-zz", tmp_path / "mlchem-grade-abc-1"]
    for folder in [*stale, alive, *other]:
        (folder / ".ipc").mkdir(parents=True)
    assert sorted(remove_stale_scratch(tmp_path)) == sorted(stale)
    assert all(not p.exists() for p in stale) and alive.exists() and all(p.exists() for p in other)
    zombie.wait()


def test_scratch_folders_are_named_after_their_process() -> None:
    with scratch("grade") as tmp:
        found = SCRATCH.match(Path(tmp).name)
        assert found and int(found["pid"]) == os.getpid()
        assert Path(tmp).parent == Path(tempfile.gettempdir())
    assert not Path(tmp).exists()


# --- 5. make grade STUDENT=, and the README ---------------------------------------------------


def test_make_grade_passes_students() -> None:
    dry = subprocess.run(
        ["make", "-n", "-o", ".venv/.installed", "grade", "ASSIGNMENT=ex01_ridge", "STUDENT=alice bob"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert dry.returncode == 0, dry.stderr
    assert '-m grading grade "ex01_ridge"' in dry.stdout and "--student 'alice' --student 'bob'" in dry.stdout
    assert (
        "--student"
        not in subprocess.run(
            ["make", "-n", "-o", ".venv/.installed", "grade", "ASSIGNMENT=ex01_ridge"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
        ).stdout
    )


def test_readme_uses_the_formgraders_labels() -> None:
    import nbgrader

    templates = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"
    labels = " ".join(p.read_text() for p in templates.glob("*.tpl"))
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme[readme.index("## For instructors") : readme.index("## For maintainers")]
    for label in ("Manual Grading", "Flagged?", "Needs Manual Grade?"):
        assert label in labels and label in section, label
    assert "Manage Submissions" not in section
    assert "STUDENT=" in section and ".grading.lock" in section


# --- 2, 3, 5, 6 end to end: pages, formgrader, flags, one student, "not graded yet" ------------


@pytest.mark.slow
def test_every_student_gets_a_page_and_a_row_in_the_formgrader(tmp_path: Path) -> None:
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI

    from grading.feedback import feedback_config

    root = make_course(tmp_path / "c", gradebook=True)
    submit(root, "good", student_notebook(GOOD))
    submit(root, "bad_json", '{"cells": [\n\n    {"cell_type": code}]}')
    submit(root, "missing", None)
    table = io.StringIO()
    grade_assignment(root, "toy", workers=2, limits=LIMITS, out=table)
    rows = {r["student_id"]: r for r in csv.DictReader((root / "grades" / "toy.csv").open())}
    assert {s: (r["score"], r["needs_manual_grade"], r["flags"]) for s, r in rows.items()} == {
        "good": ("3", "true", ""),
        "bad_json": ("0", "true", "invalid-json"),
        "missing": ("0", "true", "missing"),
    }
    # 3: the printed table says who needs a grader
    lines = {line.split()[0]: line for line in table.getvalue().splitlines() if line.startswith("  ")}
    assert all("needs manual grade" in lines[s] for s in rows), table.getvalue()

    # 2: a page for everyone, saying what happened and the score
    bad = _text((root / "feedback" / "bad_json" / "toy" / "toy.html").read_text())
    assert "the notebook file is not valid JSON (line 3, column 19): was it edited outside Jupyter?" in bad
    assert "Score: 0.0 / 4.0" in bad and "SECRET_HIDDEN_MARKER" not in bad
    assert "no notebook submitted (expected toy.ipynb)" in _text(
        (root / "feedback" / "missing" / "toy" / "toy.html").read_text()
    )

    # 2, 3: the formgrader lists every submission, flagged where the pipeline flagged it
    api = NbGraderAPI(config=feedback_config(str(root)))
    listed = {s["student"]: s for s in api.get_notebook_submissions("toy", "toy")}
    assert {s: (v["score"], v["flagged"]) for s, v in listed.items()} == {
        "good": (3.0, False),
        "bad_json": (0.0, True),
        "missing": (0.0, True),
    }
    assert all(s["autograded"] for s in api.get_submissions("toy"))

    # 6: the written answer is not graded yet, and the page says so
    good = _text((root / "feedback" / "good" / "toy" / "toy.html").read_text())
    assert "Written response (not graded yet / 1.0)" in good and "1 answer not graded yet" in good
    assert "Score: 0.0 / 1.0" not in good

    # 5: grade one student after manual grading; the others' rows stay, a grader's flag stays
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        grade = gb.find_grade("explain", "toy", "toy", "good")
        grade.manual_score = 1.0
        grade.needs_manual_grade = False
        gb.find_submission_notebook("toy", "toy", "good").flagged = True  # the grader's own mark
        gb.db.commit()
    summary = grade_assignment(root, "toy", workers=1, limits=LIMITS, students=["good"], out=io.StringIO())
    assert [r["student_id"] for r in summary.rows] == ["good"]
    again = {r["student_id"]: r for r in csv.DictReader((root / "grades" / "toy.csv").open())}
    assert again["good"]["score"] == "4" and again["good"]["needs_manual_grade"] == "false"
    assert {s: again[s] for s in ("bad_json", "missing")} == {s: rows[s] for s in ("bad_json", "missing")}
    good = _text((root / "feedback" / "good" / "toy" / "toy.html").read_text())
    assert "Written response (Score: 1.0 / 1.0)" in good and "not graded yet" not in good
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        assert gb.find_submission_notebook("toy", "toy", "good").flagged
    with pytest.raises(SystemExit, match="no submission of toy by nobody"):
        grade_assignment(root, "toy", students=["nobody"])
