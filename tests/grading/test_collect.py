"""`make collect`: Canvas and Moodle archives into submitted/, unmatched files reported."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from grading.collect import collect_zip
from tests.grading.course import make_course, student_notebook
from utils.paths import REPO_ROOT


def _archive(path: Path, members: list[str]) -> Path:
    text = nbformat.writes(student_notebook())
    with zipfile.ZipFile(path, "w") as zf:
        for name in members:
            zf.writestr(name, text if name.endswith(".ipynb") else "not a notebook")
    return path


def test_canvas_and_moodle_names(tmp_path: Path) -> None:
    root = make_course(tmp_path / "c")
    archive = _archive(tmp_path / "dl.zip", [
        "doejane_12345_67890_toy.ipynb",
        "smithbob_LATE_23456_78901_toy-1.ipynb",
        "Ada Lovelace_4711_assignsubmission_file_/toy.ipynb",
        "Alan Turing_4712_assignsubmission_file_/my copy.ipynb",
        "readme.txt",
        "random_notebook.ipynb",
        "__MACOSX/._doejane_12345_67890_toy.ipynb",
    ])
    report = collect_zip(root, "toy", archive)
    assert sorted(report.collected) == ["4711", "4712", "doejane", "smithbob"]
    assert report.unmatched == ["readme.txt", "random_notebook.ipynb"]
    for student in report.collected:
        nb = nbformat.read(root / "submitted" / student / "toy" / "toy.ipynb", as_version=4)
        assert nb.cells[1].source.startswith("def add")
    text = report.text()
    assert "collected 4 submission(s)" in text and "NOT MATCHED to a student: random_notebook.ipynb" in text


def test_custom_pattern_and_conflicts(tmp_path: Path) -> None:
    root = make_course(tmp_path / "c")
    archive = _archive(tmp_path / "dl.zip", ["s001-toy.ipynb", "s001-toy-again.ipynb"])
    report = collect_zip(root, "toy", archive, extra_patterns=[r"^(?P<student_id>s\d+)-(?P<file_id>.+)\.ipynb$"])
    assert list(report.collected) == ["s001"]
    assert "kept the first" in report.conflicts[0]
    with pytest.raises(SystemExit, match="needs the groups"):
        collect_zip(root, "toy", archive, extra_patterns=[r"^(?P<who>.+)\.ipynb$"])


def test_make_collect_reports_bad_input(tmp_path: Path) -> None:
    result = subprocess.run(["make", "--no-print-directory", "collect", "ASSIGNMENT=toy"],
                            cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode != 0 and "usage: make collect" in result.stderr
    not_zip = tmp_path / "x.zip"
    not_zip.write_text("hello")
    result = subprocess.run([sys.executable, "-m", "grading", "--root", str(tmp_path), "collect", "toy", str(not_zip)],
                            cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode != 0 and "is not a zip archive" in result.stderr
