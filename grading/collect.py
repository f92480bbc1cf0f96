"""Import an LMS download archive into ``submitted/<student>/<assignment>/``.

This does the job of nbgrader's ``zip_collect`` and writes nbgrader's
``submitted/`` layout, but matches names itself: nbgrader's collector matches
its pattern against the absolute path of each extracted file and keeps the
student's own file name, while graders (and :mod:`grading.pipeline`) look for
``<assignment>.ipynb``. Patterns for the two LMS most courses use are tried in
order:

* **Canvas** (*Download Submissions*): ``<name>_[LATE_]<user id>_<file id>_<file>.ipynb``,
  e.g. ``doejane_LATE_12345_67890_ex01_ridge.ipynb``; ``<name>`` is the
  student's sortable name in lower case without spaces, the two numbers are
  the Canvas user id and the id of the submitted file (Canvas may append
  ``-1``, ``-2`` to re-uploaded file names). The student folder is ``<name>``
  (``<name>-<user id>`` when two students share a name).
* **Moodle** (*Download all submissions*): a folder per student,
  ``<Full Name>_<participant id>_assignsubmission_file_/<file>.ipynb``; the
  student folder is the participant id. Moodle's names carry no time:
  ``--worksheet`` (``WORKSHEET=``) reads the assignment's grading worksheet
  for e-mail addresses, submission times and lateness (the ``Status`` column
  says "... late").

Pass further regular expressions with ``PATTERN=...`` (``--pattern``); each
needs the named groups ``student_id`` and ``file_id``. Every file that matches
no pattern is reported, never silently dropped.

What ``make collect`` refuses or reports:

* an assignment with no ``solutions/<assignment>/<assignment>.ipynb``
  (nothing is written);
* an archive whose notebooks all look like another assignment's (their graded
  cells are that assignment's; nothing is written); a single such notebook,
  an unreadable one and a renamed one (``ex01_ridge (1).ipynb``) are collected
  and listed with a warning;
* a notebook that replaces a different one from an earlier collect: the
  earlier copy is kept in ``submitted/.lms/replaced/`` and the report says so.

Who is who (LMS ids, names, original file, lateness, submission time) goes to
``submitted/.lms/<assignment>.csv`` (:mod:`grading.lms`); where the time of a
submission is known it is also written to nbgrader's ``timestamp.txt``.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from grading.lms import RECORD_DIR, Record, read_records, record_path, write_records
from grading.notebook import assignment_notebook, known_assignments

CANVAS = (
    r"^(?P<name>[A-Za-z0-9.@+-]+)_(?P<late>(?:LATE|late)_)?(?P<user_id>\d+)_(?P<file_no>\d+)_"
    r"(?P<file_id>.+?)(?:-\d+)?\.ipynb$"
)
MOODLE = r"^(?P<name>[^/]+?)_(?P<participant>\d+)_assignsubmission_file_/(?P<file_id>.+?)\.ipynb$"
PATTERNS = {"canvas": CANVAS, "moodle": MOODLE}
#: nbgrader's ``timestamp.txt`` format (``Exchange.timestamp_format``), written in UTC.
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"


@dataclass
class Match:
    """What an archive member's name says."""

    student_id: str
    file_id: str
    lms: str = ""
    name: str = ""
    canvas_user_id: str = ""
    canvas_file_id: str = ""
    moodle_participant_id: str = ""
    late: bool = False


def match(member: str, patterns: list[str]) -> Match | None:
    """What the name of an archive member says about its student, or None.

    Examples
    --------
    >>> m = match("doejane_LATE_12345_67890_ex01_ridge.ipynb", list(PATTERNS.values()))
    >>> (m.student_id, m.file_id, m.lms, m.canvas_user_id, m.canvas_file_id, m.late)
    ('doejane', 'ex01_ridge', 'canvas', '12345', '67890', True)
    >>> m = match("Jane Doe_4711_assignsubmission_file_/ex01_ridge (1).ipynb", list(PATTERNS.values()))
    >>> (m.student_id, m.file_id, m.lms, m.name, m.moodle_participant_id)
    ('4711', 'ex01_ridge (1)', 'moodle', 'Jane Doe', '4711')
    >>> match("notes.ipynb", list(PATTERNS.values())) is None
    True
    """
    for pattern in patterns:
        found = re.match(pattern, member)
        if not found:
            continue
        groups = found.groupdict()
        if pattern == CANVAS:
            return Match(
                groups["name"],
                groups["file_id"],
                "canvas",
                groups["name"],
                groups["user_id"],
                groups["file_no"],
                late=bool(groups["late"]),
            )
        if pattern == MOODLE:
            return Match(
                groups["participant"],
                groups["file_id"],
                "moodle",
                groups["name"],
                moodle_participant_id=groups["participant"],
            )
        if groups.get("student_id") and groups.get("file_id"):
            return Match(groups["student_id"], groups["file_id"])
    return None


@dataclass
class Collected:
    student: str
    member: str
    late: bool = False
    submitted_at: str = ""
    state: str = "new"  # new, unchanged, replaced
    notes: list[str] = field(default_factory=list)


@dataclass
class CollectReport:
    assignment: str
    collected: dict[str, Collected] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    record_file: Path | None = None

    def text(self) -> str:
        lines = [f"{self.assignment}: collected {len(self.collected)} submission(s) into submitted/"]
        for student, c in sorted(self.collected.items()):
            extra = (
                [c.state] + (["LATE"] if c.late else []) + ([f"submitted {c.submitted_at}"] if c.submitted_at else [])
            )
            lines.append(f"  {student:<24} {c.member}  ({', '.join(extra)})")
            lines += [f"    WARNING: {note}" for note in c.notes]
        for member in self.unmatched:
            lines.append(f"  NOT MATCHED to a student: {member}")
        for message in self.conflicts:
            lines.append(f"  CONFLICT: {message}")
        lines += [f"  WARNING: {w}" for w in self.warnings]
        if self.record_file:
            lines.append(f"  who is who: {self.record_file}")
        return "\n".join(lines)


def grade_ids(data: bytes) -> set[str] | None:
    """The nbgrader grade ids of a notebook's cells, or None if it is not a readable notebook.

    Examples
    --------
    >>> grade_ids(b'{"cells": [{"metadata": {"nbgrader": {"grade_id": "a"}}}, {"metadata": {}}]}')
    {'a'}
    >>> grade_ids(b"not json") is None
    True
    """
    try:
        cells = json.loads(data.decode("utf-8-sig")).get("cells", [])
        return {
            c["metadata"]["nbgrader"]["grade_id"]
            for c in cells
            if isinstance(c, dict)
            and isinstance(c.get("metadata", {}).get("nbgrader"), dict)
            and c["metadata"]["nbgrader"].get("grade_id")
        }
    except (ValueError, AttributeError, TypeError, KeyError):
        return None


def looks_like(ids: set[str], root: Path, assignment: str, sources: dict[str, set[str]]) -> str | None:
    """None if ``ids`` fit ``assignment``; else which assignment they fit, or a description."""
    own = sources[assignment]
    if len(ids & own) * 2 >= len(own):
        return None
    best = max((a for a in sources if a != assignment), key=lambda a: len(ids & sources[a]), default=None)
    if best and len(ids & sources[best]) * 2 >= len(sources[best]):
        return best
    return "no known assignment"


def read_worksheet(path: Path) -> dict[str, dict[str, str]]:
    """A Moodle grading worksheet's rows by participant id: ``email``, ``late``, ``submitted_at`` (ISO, UTC)."""
    if not path.is_file():
        raise SystemExit(f"error: no worksheet at {path}")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except (UnicodeDecodeError, csv.Error):
        rows = []
    if not rows or "Identifier" not in rows[0]:
        raise SystemExit(f"error: {path} has no Identifier column: is it Moodle's grading worksheet?")
    out = {}
    for row in rows:
        pid = (row.get("Identifier") or "").removeprefix("Participant ").strip()
        when = (row.get("Last modified (submission)") or "").strip()
        out[pid] = {
            "email": row.get("Email address") or "",
            "late": "late" in (row.get("Status") or "").lower(),
            "submitted_at": moodle_to_iso(when),
            "name": row.get("Full name") or "",
        }
    return out


def moodle_to_iso(text: str) -> str:
    """A worksheet time (the instructor's local time) as ISO 8601 in UTC, or "" ("-", "No submission").

    Examples
    --------
    >>> moodle_to_iso("-")
    ''
    >>> moodle_to_iso("Tuesday, 5 March 2024, 2:07 PM")[:10]
    '2024-03-05'
    """
    from dateutil import parser

    try:
        when = parser.parse(text)
    except (ValueError, OverflowError):
        return ""
    if when.tzinfo is None:
        when = when.astimezone()  # the worksheet's times are in the downloading user's time zone
    return when.astimezone(datetime.UTC).isoformat(timespec="seconds")


def collect_zip(
    root: Path, assignment: str, archive: Path, extra_patterns: list[str] | None = None, worksheet: Path | None = None
) -> CollectReport:
    """Copy every notebook of ``archive`` to ``submitted/<student>/<assignment>/<assignment>.ipynb``.

    The notebook is stored under the assignment's name whatever the student
    called it (graders look for that name); files that match no pattern, and
    students with more than one notebook, are reported. See the module
    docstring for what is refused and what is recorded.
    """
    source = assignment_notebook(root, assignment)
    if not archive.is_file():
        raise SystemExit(f"error: no archive at {archive}")
    if not zipfile.is_zipfile(archive):
        raise SystemExit(f"error: {archive} is not a zip archive")
    for pattern in extra_patterns or []:
        try:
            groups = re.compile(pattern).groupindex
        except re.error as err:
            raise SystemExit(f"error: pattern {pattern!r} is not a regular expression: {err}") from None
        if "student_id" not in groups or "file_id" not in groups:
            raise SystemExit(f"error: pattern {pattern!r} needs the groups (?P<student_id>...) and (?P<file_id>...)")
    patterns = [*(extra_patterns or []), *PATTERNS.values()]
    sheet = read_worksheet(worksheet) if worksheet else {}
    sources = {
        a: grade_ids((root / "solutions" / a / f"{a}.ipynb").read_bytes()) or set() for a in known_assignments(root)
    }
    sources[assignment] = grade_ids(source.read_bytes()) or set()
    report = CollectReport(assignment)

    # 1. read and match everything before writing anything
    chosen: dict[str, tuple[Match, str, bytes]] = {}
    canvas_users: dict[str, str] = {}  # folder -> Canvas user id
    with zipfile.ZipFile(archive) as zf:
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
            if found.lms == "canvas":
                other = canvas_users.setdefault(found.student_id, found.canvas_user_id)
                if other != found.canvas_user_id:  # two students whose names read the same
                    found.student_id = f"{found.name}-{found.canvas_user_id}"
            student = found.student_id
            if not re.fullmatch(r"[A-Za-z0-9._@+-]+", student) or student.startswith("."):
                report.unmatched.append(f"{name} (student id {student!r} is not a safe folder name)")
                continue
            if student in chosen:
                report.conflicts.append(f"{student} submitted {chosen[student][1]} and {name}; kept the first")
                continue
            chosen[student] = (found, name, zf.read(info))

    # 2. does the archive belong to this assignment?
    verdicts = {
        s: (grade_ids(data), looks_like(grade_ids(data) or set(), root, assignment, sources))
        for s, (_m, _n, data) in chosen.items()
    }
    others = {v for ids, v in verdicts.values() if ids is not None and v not in (None, "no known assignment")}
    if chosen and len(others) == 1 and all(ids is not None and v in others for ids, v in verdicts.values()):
        raise SystemExit(
            f"error: every notebook in {archive} has the graded cells of {others.pop()}, not of "
            f"{assignment}; nothing was collected. Check ASSIGNMENT= and ZIP=."
        )

    # 3. write, keeping what an earlier collect wrote
    records = read_records(root, assignment)
    now = datetime.datetime.now(datetime.UTC)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    for student, (found, member, data) in sorted(chosen.items()):
        ids, verdict = verdicts[student]
        item = Collected(student, member, late=found.late)
        if ids is None:
            item.notes.append("not a readable notebook (make grade will say why and score it 0)")
        elif verdict:
            item.notes.append(f"does not look like {assignment}'s notebook (its graded cells are those of {verdict})")
        if found.file_id != assignment:
            item.notes.append(f"renamed: the student's file is {Path(member).name!r}, filed as {assignment}.ipynb")
        info = sheet.get(found.moodle_participant_id, {}) if found.lms == "moodle" else {}
        if info:
            item.late = item.late or info["late"]
            item.submitted_at = info["submitted_at"]
        elif sheet and found.lms == "moodle":
            item.notes.append(f"participant {found.moodle_participant_id} is not in the worksheet {worksheet}")
        target = root / "submitted" / student / assignment
        path = target / f"{assignment}.ipynb"
        if path.is_file():
            old = path.read_bytes()
            if old == data:
                item.state = "unchanged"
            else:
                kept = root / RECORD_DIR / "replaced" / assignment / student / f"{stamp}.ipynb"
                kept.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, kept)
                item.state = f"replaced an earlier collect, kept in {kept.relative_to(root)}"
        target.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        timestamp = target / "timestamp.txt"
        if item.submitted_at:
            when = datetime.datetime.fromisoformat(item.submitted_at).astimezone(datetime.UTC)
            timestamp.write_text(when.strftime(TIMESTAMP_FORMAT) + "\n")
        elif timestamp.is_file() and item.state != "unchanged":
            timestamp.unlink()  # the earlier collect's time belongs to the earlier notebook
        records[student] = Record(
            student_id=student,
            lms=found.lms,
            name=found.name or info.get("name", ""),
            canvas_user_id=found.canvas_user_id,
            canvas_file_id=found.canvas_file_id,
            moodle_participant_id=found.moodle_participant_id,
            email=info.get("email", ""),
            original_file=member,
            late=str(item.late).lower(),
            submitted_at=item.submitted_at,
            collected_at=now.isoformat(timespec="seconds"),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        report.collected[student] = item
    if chosen:
        report.record_file = write_records(root, assignment, records).relative_to(root)
    suspicious = sum(1 for item in report.collected.values() if item.notes)
    if suspicious:
        report.warnings.append(f"{suspicious} of {len(report.collected)} notebook(s) need a look (see WARNING above)")
    if not chosen:
        report.warnings.append(f"nothing was collected from {archive}")
    return report


__all__ = ["collect_zip", "match", "CollectReport", "record_path"]
