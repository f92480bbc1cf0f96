"""Import an LMS download archive into ``submitted/<student>/<assignment>/``.

This does the job of nbgrader's ``zip_collect`` and writes nbgrader's
``submitted/`` layout, but matches names itself: nbgrader's collector matches
its pattern against the absolute path of each extracted file and keeps the
student's own file name, while graders (and :mod:`grading.pipeline`) look for
``<assignment>.ipynb``. Patterns for the two LMS most courses use are tried in
order:

* **Canvas**: ``<login>_[LATE_]<user id>_<submission id>_<file>.ipynb``, e.g.
  ``doejane_LATE_12345_67890_ex01_ridge.ipynb`` (Canvas may append ``-1``,
  ``-2`` to re-uploaded file names);
* **Moodle**: a folder per student,
  ``<Full Name>_<participant id>_assignsubmission_file_/<file>.ipynb``; the
  student id is the participant id.

Pass further regular expressions with ``PATTERN=...`` (``--pattern``); each
needs the named groups ``student_id`` and ``file_id``. Every file that matches
no pattern is reported, never silently dropped.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

CANVAS = r"^(?P<student_id>[A-Za-z0-9.@+-]+)_(?:LATE_)?\d+_\d+_(?P<file_id>.+?)(?:-\d+)?\.ipynb$"
MOODLE = r"^(?P<name>[^/]+?)_(?P<student_id>\d+)_assignsubmission_file_/(?P<file_id>.+?)\.ipynb$"
PATTERNS = {"canvas": CANVAS, "moodle": MOODLE}


@dataclass
class CollectReport:
    assignment: str
    collected: dict[str, str] = field(default_factory=dict)  # student -> archive member
    unmatched: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"{self.assignment}: collected {len(self.collected)} submission(s) into submitted/"]
        for member in self.unmatched:
            lines.append(f"  NOT MATCHED to a student: {member}")
        for message in self.conflicts:
            lines.append(f"  CONFLICT: {message}")
        return "\n".join(lines)


def match(member: str, patterns: list[str]) -> tuple[str, str] | None:
    """(student id, file id) for an archive member name, or None.

    Examples
    --------
    >>> match("doejane_LATE_12345_67890_ex01_ridge.ipynb", list(PATTERNS.values()))
    ('doejane', 'ex01_ridge')
    >>> match("Jane Doe_4711_assignsubmission_file_/ex01_ridge.ipynb", list(PATTERNS.values()))
    ('4711', 'ex01_ridge')
    >>> match("notes.ipynb", list(PATTERNS.values())) is None
    True
    """
    for pattern in patterns:
        found = re.match(pattern, member)
        if found and found.groupdict().get("student_id") and found.groupdict().get("file_id"):
            return found.group("student_id"), found.group("file_id")
    return None


def collect_zip(root: Path, assignment: str, archive: Path, extra_patterns: list[str] | None = None) -> CollectReport:
    """Copy every notebook of ``archive`` to ``submitted/<student>/<assignment>/<assignment>.ipynb``.

    The notebook is stored under the assignment's name whatever the student
    called it (graders look for that name); files that match no pattern, and
    students with more than one notebook, are reported.
    """
    if not archive.is_file():
        raise SystemExit(f"error: no archive at {archive}")
    if not zipfile.is_zipfile(archive):
        raise SystemExit(f"error: {archive} is not a zip archive")
    patterns = [*(extra_patterns or []), *PATTERNS.values()]
    for pattern in extra_patterns or []:
        groups = re.compile(pattern).groupindex
        if "student_id" not in groups or "file_id" not in groups:
            raise SystemExit(f"error: pattern {pattern!r} needs the groups (?P<student_id>...) and (?P<file_id>...)")
    report = CollectReport(assignment)
    with zipfile.ZipFile(archive) as zf, tempfile.TemporaryDirectory() as tmp:
        for info in zf.infolist():
            name = info.filename
            if info.is_dir() or "__MACOSX" in name or Path(name).name.startswith("."):
                continue
            if not name.endswith(".ipynb"):
                report.unmatched.append(name)
                continue
            found = match(name, patterns) or match(Path(name).name, patterns)
            if not found:
                report.unmatched.append(name)
                continue
            student, _file_id = found
            if not re.fullmatch(r"[A-Za-z0-9._@+-]+", student):
                report.unmatched.append(f"{name} (student id {student!r} is not a safe folder name)")
                continue
            if student in report.collected:
                report.conflicts.append(f"{student} submitted {report.collected[student]} and {name}; kept the first")
                continue
            extracted = Path(zf.extract(info, tmp))
            target = root / "submitted" / student / assignment
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(extracted, target / f"{assignment}.ipynb")
            report.collected[student] = name
    return report
