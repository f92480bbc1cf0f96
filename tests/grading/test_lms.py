"""Back to the LMS: `make feedback-zip`, `make grades-lms`, `make export`, and what git ignores.

The round trip goes download zip → `make collect` → `make grade` (the real pipeline, as a
subprocess) → feedback zip and grades file, and reads the names and ids back the way Canvas
and Moodle do (:func:`canvas_reads`, :func:`moodle_reads`, after their source code cited in
:mod:`grading.lms`).
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from grading.collect import collect_zip
from grading.lms import Record, feedback_zip, grades_file, write_records
from tests.grading.course import copy_helpers
from utils.paths import REPO_ROOT

ASSIGNMENT = "ex01_ridge"


def canvas_reads(member: str) -> tuple[str, str] | None:
    """(user id, file id) as Canvas's *Re-Upload Submissions* reads a file name: the first two all-digit parts."""
    digits = [part for part in Path(member).name.split("_") if part.isdigit()][:2]
    return (digits[0], digits[1]) if len(digits) == 2 else None


def moodle_reads(member: str) -> tuple[str, str, str] | None:
    """(participant id, plugin, file name) as Moodle's feedback zip import reads a path."""
    parts = member.split("/")
    while parts:
        info = parts.pop(0).split("_", 4)
        if len(info) >= 4 and info[1].isdigit():
            return (
                info[1],
                f"{info[2]}_{info[3]}",
                "/".join([*([info[4]] if len(info) == 5 and info[4] else []), *parts]),
            )
    return None


def _csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


# --- fast: names and formats ----------------------------------------------------------------------


def _toy_grades(root: Path, records: dict[str, Record], scores: dict[str, tuple[str, str]]) -> None:
    write_records(root, "toy", records)
    (root / "grades").mkdir(parents=True, exist_ok=True)
    with (root / "grades" / "toy.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "score", "max_score", "needs_manual_grade", "flags", "message"])
        for student, (score, manual) in scores.items():
            writer.writerow([student, score, "10", manual, "", ""])
    for student in scores:
        page = root / "feedback" / student / "toy" / "toy.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f"<html>feedback for {student}</html>")


CANVAS_RECORDS = {
    "doejane": Record("doejane", "canvas", "doejane", "12345", "67890", late="true"),
    "smithbob": Record("smithbob", "canvas", "smithbob", "23456", "78901"),
    "absent": Record("absent", "canvas", "absent", "34567", "89012"),
}
MOODLE_RECORDS = {
    "4711": Record(
        "4711",
        "moodle",
        "Ada Lovelace",
        moodle_participant_id="4711",
        email="ada@example.org",
        submitted_at="2024-03-05T13:07:00+00:00",
    ),
    "4712": Record("4712", "moodle", "Alan Turing", moodle_participant_id="4712"),
}


def test_canvas_files_read_back_as_their_students(tmp_path: Path) -> None:
    _toy_grades(
        tmp_path, CANVAS_RECORDS, {"doejane": ("7", "false"), "smithbob": ("10", "true"), "byhand": ("3", "false")}
    )
    written = feedback_zip(tmp_path, "toy")
    assert written.path == tmp_path / "grades" / "toy-feedback-canvas.zip"
    with zipfile.ZipFile(written.path) as zf:
        names = sorted(zf.namelist())
        assert names == ["doejane_LATE_12345_67890_toy.html", "smithbob_23456_78901_toy.html"]
        assert {canvas_reads(n) for n in names} == {("12345", "67890"), ("23456", "78901")}
        assert zf.read(names[0]) == b"<html>feedback for doejane</html>"
    assert written.missing == ["absent"] and written.not_from_lms == ["byhand"]
    assert "NO FEEDBACK PAGE for absent" in written.text() and "left out byhand" in written.text()

    grades = grades_file(tmp_path, "toy")
    rows = _csv(grades.path)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "toy"]
    assert rows[1] == ["Points Possible", "", "", "", "", "10"]
    assert rows[2:] == [["doejane", "12345", "", "", "", "7"], ["smithbob", "23456", "", "", "", "10"]]
    assert (grades.no_grade, grades.not_from_lms, grades.needs_manual, grades.late) == (
        ["absent"],
        ["byhand"],
        ["smithbob"],
        ["doejane"],
    )
    assert "written answers not graded yet" in grades.text()


def test_canvas_gradebook_export_is_filled_in(tmp_path: Path) -> None:
    _toy_grades(tmp_path, CANVAS_RECORDS, {"doejane": ("7", "false")})
    export = tmp_path / "export.csv"
    export.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,toy (555),Other (556),Current Score\n"
        "    Points Possible,,,,,10.00,5.00,(read only)\n"
        '"Doe, Jane",12345,s1,jdoe,Chem 101,,4,80\n'
        '"Smith, Bob",23456,s2,bsmith,Chem 101,9,5,90\n',
        encoding="utf-8",
    )
    rows = _csv(grades_file(tmp_path, "toy", template=export).path)
    assert rows == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "toy (555)"],
        ["    Points Possible", "", "", "", "", "10.00"],
        ["Doe, Jane", "12345", "s1", "jdoe", "Chem 101", "7"],
    ]  # Bob has no grade here: his row stays out
    with pytest.raises(SystemExit, match="0 columns named 'ex99'"):
        grades_file(tmp_path, "toy", template=export, column="ex99")


def test_moodle_files_read_back_as_their_students(tmp_path: Path) -> None:
    import datetime

    _toy_grades(tmp_path, MOODLE_RECORDS, {"4711": ("8", "false"), "4712": ("5", "true")})
    with zipfile.ZipFile(feedback_zip(tmp_path, "toy").path) as zf:
        names = sorted(zf.namelist())
    assert names == [
        "Ada Lovelace_4711_assignfeedback_file_/toy.html",
        "Alan Turing_4712_assignfeedback_file_/toy.html",
    ]
    assert [moodle_reads(n) for n in names] == [
        ("4711", "assignfeedback_file", "toy.html"),
        ("4712", "assignfeedback_file", "toy.html"),
    ]
    rows = _csv(grades_file(tmp_path, "toy", now=datetime.datetime(2024, 3, 6, 9, 30)).path)
    assert rows[0] == [
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
    assert rows[1][:7] == [
        "Participant 4711",
        "Ada Lovelace",
        "ada@example.org",
        "Submitted for grading",
        "8",
        "10",
        "Yes",
    ]
    assert rows[1][8] == "Wednesday, 6 March 2024, 9:30 AM"
    assert rows[2][0] == "Participant 4712" and "not graded yet" in rows[2][9]
    # Moodle's own worksheet, filled in: every row and column kept
    sheet = tmp_path / "Grades-toy.csv"
    sheet.write_text(
        "Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
        "Last modified (submission),Last modified (grade),Feedback comments\n"
        "Participant 4711,Ada Lovelace,ada@example.org,Submitted for grading,,10.00,Yes,x,-,\n"
        "Participant 4799,Nobody Here,n@example.org,No submission,,10.00,Yes,-,-,\n",
        encoding="utf-8",
    )
    rows = _csv(grades_file(tmp_path, "toy", template=sheet).path)
    assert [r[4] for r in rows[1:]] == ["8", ""] and rows[2][1] == "Nobody Here" and rows[1][8] == "-"
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(SystemExit, match="no Identifier, Grade, Last modified \\(grade\\) column"):
        grades_file(tmp_path, "toy", template=bad)


def test_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no LMS records for toy .*run `make collect"):
        feedback_zip(tmp_path, "toy")
    write_records(tmp_path, "toy", {**CANVAS_RECORDS, **MOODLE_RECORDS})
    with pytest.raises(SystemExit, match="came from canvas, moodle; say which with LMS=canvas or LMS=moodle"):
        feedback_zip(tmp_path, "toy")
    with pytest.raises(SystemExit, match="no feedback pages .* run `make grade"):
        feedback_zip(tmp_path, "toy", "moodle")
    with pytest.raises(SystemExit, match="no grades for toy .* run `make grade"):
        grades_file(tmp_path, "toy", "canvas")
    for target in ("feedback-zip", "grades-lms"):
        result = subprocess.run(["make", "--no-print-directory", target], cwd=REPO_ROOT, capture_output=True, text=True)
        assert result.returncode == 2 and f"usage: make {target} ASSIGNMENT=<name>" in result.stderr


# --- git ignores every place student data can land ------------------------------------------------

STUDENT_DATA = [
    "grades.csv",  # `nbgrader export` run by hand at the root
    "submissions.zip",
    "Grades-ex01_ridge.csv",
    "2024-03-06T0930_Grades-CHEM101.csv",  # LMS downloads at the root
    "submitted/doejane/ex01_ridge/ex01_ridge.ipynb",
    "submitted/doejane/ex01_ridge/timestamp.txt",
    "submitted/.lms/ex01_ridge.csv",
    "submitted/.lms/replaced/ex01_ridge/doejane/20240306T093000Z.ipynb",
    "autograded/doejane/ex01_ridge/ex01_ridge.ipynb",
    "feedback/doejane/ex01_ridge/ex01_ridge.html",
    "grades/ex01_ridge.csv",
    "grades/gradebook.csv",
    "grades/ex01_ridge-canvas.csv",
    "grades/ex01_ridge-moodle.csv",
    "grades/ex01_ridge-feedback-canvas.zip",
    "grades/ex01_ridge-feedback-moodle.zip",
    "downloaded/ex01_ridge/archive/x.zip",
    "gradebook.db",
    "gradebook.db-journal",
    ".grading.lock",
]


def test_git_ignores_every_place_student_data_lands(tmp_path: Path) -> None:
    repo = tmp_path / "copy"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    shutil.copy(REPO_ROOT / ".gitignore", repo / ".gitignore")
    for name in STUDENT_DATA:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("student data")
    (repo / "data").mkdir()
    (repo / "data" / "solubility.csv").write_text("course data")  # the course's own CSVs stay visible
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert sorted(line[3:] for line in status) == [".gitignore", "data/solubility.csv"]
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", *STUDENT_DATA], cwd=repo, capture_output=True, text=True
    ).stdout.split()
    assert sorted(ignored) == sorted(STUDENT_DATA)
    # and nothing the repository tracks is ignored
    tracked_but_ignored = subprocess.run(
        ["git", "ls-files", "-ci", "--exclude-standard"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout
    assert tracked_but_ignored == ""


# --- make export ----------------------------------------------------------------------------------


@pytest.mark.slow  # runs nbgrader or a notebook: not in make test-fast
def test_make_export_writes_into_grades_with_the_venvs_nbgrader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dry = subprocess.run(
        ["make", "-n", "-o", ".venv/.installed", "export"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert dry.returncode == 0, dry.stderr
    command = [line for line in dry.stdout.splitlines() if "nbgrader export" in line]
    assert command == [".venv/bin/nbgrader export --to grades/gradebook.csv"]
    # the same command in a course whose gradebook has one student, with no venv on PATH
    from nbgrader.api import Gradebook

    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(REPO_ROOT / "nbgrader_config.py", course)
    monkeypatch.setenv(
        "PATH", f"{Path(sys.executable).parent}:{sys.exec_prefix}/bin:/usr/bin:/bin"
    )  # nbgrader runs alembic
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.add_assignment("toy")
        gb.add_student("doejane")
    (course / "grades").mkdir()
    # a shell without the venv: PATH as the Makefile sets it (`export PATH := $(CURDIR)/$(BIN):$(PATH)`)
    env = {"PATH": f"{REPO_ROOT / '.venv' / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [str(REPO_ROOT / command[0].split()[0]), *command[0].split()[1:]],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "doejane" in (course / "grades" / "gradebook.csv").read_text()
    assert not (course / "grades.csv").exists()


# --- the round trip through the real pipeline ------------------------------------------------------


def _submission(replace: dict[str, str]) -> str:
    from tests.test_exercises import _submission as released_with

    return nbformat.writes(released_with(ASSIGNMENT, replace))


@pytest.mark.slow  # runs nbgrader or a notebook: not in make test-fast
def test_round_trip_download_collect_grade_feedback_and_grades(tmp_path: Path) -> None:
    from tests.mutants.ex01_ridge import MUTANTS
    from tests.test_exercises import _env

    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(REPO_ROOT / "nbgrader_config.py", course)
    shutil.copytree(REPO_ROOT / "solutions" / ASSIGNMENT, course / "solutions" / ASSIGNMENT)
    copy_helpers(course)
    wrong = next(iter(MUTANTS.values()))
    canvas = {
        "doejane_12345_67890_ex01_ridge.ipynb": _submission({}),
        "smithbob_LATE_23456_78901_ex01_ridge-1.ipynb": _submission(wrong),
    }
    moodle = {"Ada Lovelace_4711_assignsubmission_file_/ex01_ridge.ipynb": _submission({})}
    for name, members in (("canvas.zip", canvas), ("moodle.zip", moodle)):
        with zipfile.ZipFile(tmp_path / name, "w") as zf:
            for member, text in members.items():
                zf.writestr(member, text)
        collect_zip(course, ASSIGNMENT, tmp_path / name)

    def grading(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "grading", "--root", str(course), *args],
            cwd=REPO_ROOT,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result.stdout

    grading("grade", ASSIGNMENT, "--workers", "2")
    grades = {r["student_id"]: r for r in csv.DictReader((course / "grades" / f"{ASSIGNMENT}.csv").open())}
    assert float(grades["doejane"]["score"]) > float(grades["smithbob"]["score"])

    # Canvas: the names carry the download's user and file ids; the grades its user ids
    out = grading("feedback-zip", ASSIGNMENT, "--lms", "canvas")
    assert "3 student" not in out and "2 student(s)" in out
    with zipfile.ZipFile(course / "grades" / f"{ASSIGNMENT}-feedback-canvas.zip") as zf:
        pages = {canvas_reads(n): zf.read(n) for n in zf.namelist()}
    assert set(pages) == {canvas_reads(m) for m in canvas} == {("12345", "67890"), ("23456", "78901")}
    assert (
        pages[("12345", "67890")] == (course / "feedback" / "doejane" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_bytes()
    )
    out = grading("grades-lms", ASSIGNMENT, "--lms", "canvas")
    assert "late (as the LMS said): smithbob" in out
    rows = _csv(course / "grades" / f"{ASSIGNMENT}-canvas.csv")
    assert {r[1]: r[5] for r in rows[2:]} == {"12345": grades["doejane"]["score"], "23456": grades["smithbob"]["score"]}

    # Moodle: the folder names carry the download's participant ids; the worksheet rows too
    grading("feedback-zip", ASSIGNMENT, "--lms", "moodle")
    with zipfile.ZipFile(course / "grades" / f"{ASSIGNMENT}-feedback-moodle.zip") as zf:
        names = zf.namelist()
    assert names == ["Ada Lovelace_4711_assignfeedback_file_/ex01_ridge.html"]
    assert moodle_reads(names[0])[0] == moodle_reads(next(iter(moodle)))[0] == "4711"
    grading("grades-lms", ASSIGNMENT, "--lms", "moodle")
    rows = _csv(course / "grades" / f"{ASSIGNMENT}-moodle.csv")
    assert [(r[0], r[1], r[4]) for r in rows[1:]] == [("Participant 4711", "Ada Lovelace", grades["4711"]["score"])]
