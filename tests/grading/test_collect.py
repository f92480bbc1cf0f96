"""`make collect`: Canvas and Moodle archives into submitted/, unmatched files reported; unknown
assignments refused, wrong or renamed notebooks flagged, earlier collects kept, who is who and
lateness recorded (submitted/.lms/<assignment>.csv, nbgrader's timestamp.txt)."""

from __future__ import annotations

import copy
import csv
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from grading.collect import collect_zip
from grading.lms import read_records, record_path
from tests.grading.course import make_course, source_notebook, student_notebook
from utils.paths import REPO_ROOT


def _archive(path: Path, members: list[str], notebook: nbformat.NotebookNode | None = None) -> Path:
    text = nbformat.writes(notebook or student_notebook())
    with zipfile.ZipFile(path, "w") as zf:
        for name in members:
            zf.writestr(name, text if name.endswith(".ipynb") else "not a notebook")
    return path


def _other_assignment(root: Path) -> nbformat.NotebookNode:
    """A second assignment, ``other``, whose graded cells have other ids than toy's."""
    nb = copy.deepcopy(source_notebook())
    for cell in nb.cells:
        cell.metadata.nbgrader["grade_id"] = "other_" + cell.metadata.nbgrader["grade_id"]
    (root / "solutions" / "other").mkdir(parents=True)
    nbformat.write(nb, root / "solutions" / "other" / "other.ipynb")
    return nb


def test_canvas_and_moodle_names(tmp_path: Path) -> None:
    root = make_course(tmp_path / "c")
    archive = _archive(
        tmp_path / "dl.zip",
        [
            "doejane_12345_67890_toy.ipynb",
            "smithbob_LATE_23456_78901_toy-1.ipynb",
            "Ada Lovelace_4711_assignsubmission_file_/toy.ipynb",
            "Alan Turing_4712_assignsubmission_file_/my copy.ipynb",
            "readme.txt",
            "random_notebook.ipynb",
            "__MACOSX/._doejane_12345_67890_toy.ipynb",
        ],
    )
    report = collect_zip(root, "toy", archive)
    assert sorted(report.collected) == ["4711", "4712", "doejane", "smithbob"]
    assert report.unmatched == ["readme.txt", "random_notebook.ipynb"]
    for student in report.collected:
        nb = nbformat.read(root / "submitted" / student / "toy" / "toy.ipynb", as_version=4)
        assert nb.cells[1].source.startswith("def add")
    text = report.text()
    assert "collected 4 submission(s)" in text and "NOT MATCHED to a student: random_notebook.ipynb" in text
    # who was collected, listed; lateness shown; the renamed file flagged
    assert "smithbob" in text and "smithbob_LATE_23456_78901_toy-1.ipynb  (new, LATE)" in text
    assert "renamed: the student's file is 'my copy.ipynb'" in text
    # who is who, kept for the way back to the LMS
    records = read_records(root, "toy")
    assert {
        s: (r.lms, r.name, r.canvas_user_id, r.canvas_file_id, r.moodle_participant_id, r.late)
        for s, r in records.items()
    } == {
        "doejane": ("canvas", "doejane", "12345", "67890", "", "false"),
        "smithbob": ("canvas", "smithbob", "23456", "78901", "", "true"),
        "4711": ("moodle", "Ada Lovelace", "", "", "4711", "false"),
        "4712": ("moodle", "Alan Turing", "", "", "4712", "false"),
    }
    assert records["4712"].original_file == "Alan Turing_4712_assignsubmission_file_/my copy.ipynb"
    assert record_path(root, "toy") == root / "submitted" / ".lms" / "toy.csv"
    assert not (root / "submitted" / "doejane" / "toy" / "timestamp.txt").exists()  # Canvas names carry no time


def test_custom_pattern_and_conflicts(tmp_path: Path) -> None:
    root = make_course(tmp_path / "c")
    archive = _archive(tmp_path / "dl.zip", ["s001-toy.ipynb", "s001-toy-again.ipynb"])
    report = collect_zip(root, "toy", archive, extra_patterns=[r"^(?P<student_id>s\d+)-(?P<file_id>.+)\.ipynb$"])
    assert list(report.collected) == ["s001"]
    assert "kept the first" in report.conflicts[0]
    with pytest.raises(SystemExit, match="needs the groups"):
        collect_zip(root, "toy", archive, extra_patterns=[r"^(?P<who>.+)\.ipynb$"])


def test_two_canvas_students_with_one_name_get_two_folders(tmp_path: Path) -> None:
    root = make_course(tmp_path / "c")
    archive = _archive(tmp_path / "dl.zip", ["doejane_12345_67890_toy.ipynb", "doejane_55555_67891_toy.ipynb"])
    report = collect_zip(root, "toy", archive)
    assert sorted(report.collected) == ["doejane", "doejane-55555"]
    assert read_records(root, "toy")["doejane-55555"].canvas_user_id == "55555"


def _grading(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m grading --root <root> <args>``, as ``make`` runs it."""
    return subprocess.run(
        [sys.executable, "-m", "grading", "--root", str(root), *args], cwd=REPO_ROOT, capture_output=True, text=True
    )


def test_unknown_assignment_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    root = make_course(tmp_path / "c")
    archive = _archive(tmp_path / "dl.zip", ["doejane_12345_67890_toy.ipynb"])
    with pytest.raises(SystemExit, match=r"no assignment 'toyy'.*Known assignments: toy\. Did you mean toy\?"):
        collect_zip(root, "toyy", archive)
    assert not (root / "submitted").exists()
    result = _grading(root, "collect", "ex01_ridg", str(archive))
    assert result.returncode != 0 and "no assignment 'ex01_ridg'" in result.stderr
    assert not (root / "submitted").exists()


def test_another_assignments_archive_is_refused_one_odd_notebook_is_flagged(tmp_path: Path) -> None:
    root = make_course(tmp_path / "c")
    other = _other_assignment(root)
    archive = _archive(
        tmp_path / "other.zip", ["doejane_12345_67890_other.ipynb", "smithbob_23456_78901_other.ipynb"], other
    )
    with pytest.raises(
        SystemExit, match="every notebook in .* has the graded cells of other, not of toy; nothing was collected"
    ):
        collect_zip(root, "toy", archive)
    assert not (root / "submitted").exists()
    # one wrong notebook among right ones, and one that is not a notebook at all: collected, flagged
    mixed = tmp_path / "mixed.zip"
    with zipfile.ZipFile(mixed, "w") as zf:
        zf.writestr("doejane_12345_67890_toy.ipynb", nbformat.writes(student_notebook()))
        zf.writestr("smithbob_23456_78901_other.ipynb", nbformat.writes(other))
        zf.writestr("leeann_34567_89012_toy.ipynb", "{not json")
    report = collect_zip(root, "toy", mixed)
    assert sorted(report.collected) == ["doejane", "leeann", "smithbob"]
    text = report.text()
    assert "does not look like toy's notebook (its graded cells are those of other)" in text
    assert "not a readable notebook" in text and "2 of 3 notebook(s) need a look" in text
    assert "renamed: the student's file is 'smithbob_23456_78901_other.ipynb'" in text


def test_renamed_copy_is_flagged(tmp_path: Path) -> None:
    root = make_course(tmp_path / "c")
    archive = _archive(tmp_path / "dl.zip", ["Ada Lovelace_4711_assignsubmission_file_/toy (1).ipynb"])
    report = collect_zip(root, "toy", archive)
    assert "renamed: the student's file is 'toy (1).ipynb', filed as toy.ipynb" in report.text()


def test_a_second_collect_keeps_the_first(tmp_path: Path) -> None:
    root = make_course(tmp_path / "c")
    first = _archive(tmp_path / "first.zip", ["doejane_12345_67890_toy.ipynb", "smithbob_23456_78901_toy.ipynb"])
    collect_zip(root, "toy", first)
    again = collect_zip(root, "toy", first)
    assert {s: c.state for s, c in again.collected.items()} == {"doejane": "unchanged", "smithbob": "unchanged"}
    changed = student_notebook("def add(a, b):\n    return b + a\n")
    second = _archive(tmp_path / "second.zip", ["doejane_LATE_12345_67999_toy.ipynb"], changed)
    report = collect_zip(root, "toy", second)
    state = report.collected["doejane"].state
    assert state.startswith("replaced an earlier collect, kept in submitted/.lms/replaced/toy/doejane/")
    kept = root / state.split("kept in ")[1]
    assert nbformat.read(kept, as_version=4).cells[1].source.startswith("def add(a, b):\n    return a + b")
    assert "b + a" in (root / "submitted" / "doejane" / "toy" / "toy.ipynb").read_text()
    records = read_records(root, "toy")
    assert (records["doejane"].canvas_file_id, records["doejane"].late) == ("67999", "true")
    assert records["smithbob"].canvas_file_id == "78901"  # the other student's record stays
    # the hidden folder is never taken for a student
    from grading.pipeline import choose_students

    assert choose_students(root, "toy", None)[0] == ["doejane", "smithbob"]


def test_moodle_worksheet_gives_times_lateness_and_email(tmp_path: Path) -> None:
    from nbgrader.utils import parse_utc

    root = make_course(tmp_path / "c")
    archive = _archive(
        tmp_path / "dl.zip",
        ["Ada Lovelace_4711_assignsubmission_file_/toy.ipynb", "Alan Turing_4712_assignsubmission_file_/toy.ipynb"],
    )
    sheet = tmp_path / "Grades-toy.csv"
    with sheet.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "Identifier",
                "Full name",
                "Email address",
                "Status",
                "Grade",
                "Maximum Grade",
                "Grade can be changed",
                "Last modified (submission)",
                "Last modified (grade)",
                "Feedback comments",
            ]
        )
        writer.writerow(
            [
                "Participant 4711",
                "Ada Lovelace",
                "ada@example.org",
                "Submitted for grading",
                "",
                "10.00",
                "Yes",
                "Monday, 4 March 2024, 9:15 AM",
                "-",
                "",
            ]
        )
        writer.writerow(
            [
                "Participant 4712",
                "Alan Turing",
                "alan@example.org",
                "Submitted for grading - Assignment was submitted 1 hour 5 mins late",
                "",
                "10.00",
                "Yes",
                "Tuesday, 5 March 2024, 2:07 PM",
                "-",
                "",
            ]
        )
    report = collect_zip(root, "toy", archive, worksheet=sheet)
    records = read_records(root, "toy")
    assert (records["4711"].email, records["4711"].late, records["4712"].late) == ("ada@example.org", "false", "true")
    assert "LATE" in report.text()
    stamp = (root / "submitted" / "4712" / "toy" / "timestamp.txt").read_text().strip()
    assert stamp.endswith(" UTC")
    assert parse_utc(stamp).isoformat(timespec="seconds") == records["4712"].submitted_at.removesuffix("+00:00")
    with pytest.raises(SystemExit, match="no Identifier column"):
        collect_zip(root, "toy", archive, worksheet=archive)


def test_make_collect_says_its_usage_and_passes_its_arguments() -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "collect", "ASSIGNMENT=toy"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "usage: make collect" in result.stderr
    dry = subprocess.run(
        [
            "make",
            "-n",
            "-o",
            ".venv/.installed",
            "collect",
            "ASSIGNMENT=ex01_ridge",
            "ZIP=dl.zip",
            "WORKSHEET=sheet.csv",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert '-m grading collect "ex01_ridge" "dl.zip"  --worksheet "sheet.csv"' in dry.stdout, dry.stdout


@pytest.mark.slow  # starts `python -m grading` (its imports take seconds): not in make test-fast
def test_collect_reports_a_file_that_is_not_a_zip(tmp_path: Path) -> None:
    root = make_course(tmp_path / "c")
    not_zip = tmp_path / "x.zip"
    not_zip.write_text("hello")
    result = _grading(root, "collect", "toy", str(not_zip))
    assert result.returncode != 0 and "is not a zip archive" in result.stderr
