"""Back to the LMS: who is who, the feedback archive and the grades file, for Canvas and Moodle.

``make collect`` records, for every student it files, where the notebook came
from in ``submitted/.lms/<assignment>.csv`` (git-ignored with ``submitted/``;
columns :data:`RECORD_FIELDS`). ``make feedback-zip`` and ``make grades-lms``
read it to name files and rows the way the LMS expects, so nothing has to be
typed in by hand.

Formats, as the LMS's documentation and source describe them:

* **Canvas, grades**: the gradebook CSV import (*Grades → Import*): columns
  ``Student, ID, SIS User ID, SIS Login ID, Section`` and one column per
  assignment, an optional ``Points Possible`` row; ``ID`` is the Canvas user id
  (the first number in a download's file names) and is what we fill in; a
  column whose header matches no assignment creates one
  (the required columns as a Canvas school documents them:
  https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades;
  the file written by *Export* (https://ts.vcu.edu/askit/teaching-and-learning/canvas/faculty/grading-faculty/gradebook-action-menu-faculty/)
  can be passed as a template and is filled in).
* **Canvas, feedback**: Canvas documents **no bulk upload of feedback files**.
  The closest documented workflow is the assignment page's *Re-Upload
  Submissions* (the counterpart of *Download Submissions*): it reads a zip and
  adds every file to the matching student's submission as a comment ("See
  attached file"). Canvas finds the student from the file name: split on
  ``_``, the first two all-digit parts are the user id and the id of the
  submitted file (``infer_comment_context_from_filename`` and
  ``generate_comments_from_files`` in canvas-lms ``app/models/assignment.rb``,
  https://github.com/instructure/canvas-lms). So each page is named like the
  download, ``<name>_[LATE_]<user id>_<file id>_<assignment>.html``. Canvas
  shows the attachment under the name of the student's submitted file.
* **Moodle, grades**: the offline grading worksheet (*Download grading
  worksheet* / *Upload grading worksheet*; feedback type "Offline grading
  worksheet" in https://docs.moodle.org/401/en/Assignment_settings and
  https://lead.mic.ul.ie/moodle/setting-up-moodle-assignments-for-grading-and-feedback):
  columns ``Identifier`` (``Participant
  <id>``), ``Full name``, ``Email address``, ``Status``, ``Grade``, ``Maximum
  Grade``, ``Grade can be changed``, ``Last modified (submission)``, ``Last
  modified (grade)``, ``Feedback comments``. The upload needs ``Identifier``,
  ``Grade`` and ``Last modified (grade)``, reads the participant id after
  ``Participant ``, and skips a row whose grade changed in Moodle after that
  time unless told otherwise (``assignfeedback_offline_grade_importer`` in Moodle's
  ``mod/assign/feedback/offline/importgradeslib.php``). A downloaded worksheet
  can be passed as a template; its rows and columns are kept and ``Grade`` and
  ``Feedback comments`` filled in.
* **Moodle, feedback**: *Upload multiple feedback files in a zip* (feedback
  type "Feedback files", https://docs.moodle.org/401/en/Assignment_settings;
  a university's walk-through of the zip:
  https://help.itc.rwth-aachen.de/en/service/8d9eb2f36eea4fcaa9abd0e1ca008b22/article/0cfca4212fef4712ad2d432ac83eaf3e/):
  each file sits in a folder ``<Full name>_<participant id>_assignfeedback_file_/``,
  as in the submissions download; Moodle reads the participant id and the
  plugin from the folder name (``assignfeedback_file_zip_importer`` in
  ``mod/assign/feedback/file/importziplib.php``).
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from grading.files import replaced

KINDS = ("canvas", "moodle")
#: Where ``make collect`` records who is who (inside ``submitted/``, so git-ignored and never a student folder).
RECORD_DIR = Path("submitted") / ".lms"


@dataclass
class Record:
    """One collected submission and the LMS's names for its student."""

    student_id: str  # the folder under submitted/
    lms: str = ""  # canvas, moodle, or "" (a custom PATTERN)
    name: str = ""  # Canvas: the name part of the download's file names; Moodle: the full name
    canvas_user_id: str = ""
    canvas_file_id: str = ""  # the number after the user id in Canvas's names (the submitted file's id)
    moodle_participant_id: str = ""
    email: str = ""  # from a Moodle grading worksheet, where given
    original_file: str = ""  # the archive member, as downloaded
    late: str = "false"  # "true" when the LMS said so
    submitted_at: str = ""  # ISO 8601 (UTC), where the LMS gave a time
    collected_at: str = ""
    sha256: str = ""


RECORD_FIELDS = [f.name for f in fields(Record)]


def record_path(root: Path, assignment: str) -> Path:
    return root / RECORD_DIR / f"{assignment}.csv"


def read_records(root: Path, assignment: str) -> dict[str, Record]:
    """The records ``make collect`` wrote for ``assignment``, by student folder (none if never collected)."""
    path = record_path(root, assignment)
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {r["student_id"]: Record(**{k: r.get(k) or "" for k in RECORD_FIELDS}) for r in rows}


def write_records(root: Path, assignment: str, records: dict[str, Record]) -> Path:
    path = record_path(root, assignment)
    with replaced(path) as tmp, tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=RECORD_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(asdict(records[s]) for s in sorted(records))
    return path


def _records_or_exit(root: Path, assignment: str, lms: str | None) -> tuple[dict[str, Record], str]:
    """The records of ``assignment`` from ``lms`` (default: the one LMS they came from)."""
    records = read_records(root, assignment)
    if not records:
        raise SystemExit(
            f"error: no LMS records for {assignment} ({record_path(root, assignment)} is missing): "
            f"run `make collect ASSIGNMENT={assignment} ZIP=<download.zip>` first"
        )
    kinds = sorted({r.lms for r in records.values() if r.lms})
    if lms is None:
        if len(kinds) != 1:
            raise SystemExit(
                f"error: the submissions of {assignment} came from {', '.join(kinds) or 'no known LMS'}; "
                f"say which with LMS=canvas or LMS=moodle"
            )
        lms = kinds[0]
    if lms not in KINDS:
        raise SystemExit(f"error: unknown LMS {lms!r} (canvas or moodle)")
    return {s: r for s, r in records.items() if r.lms == lms}, lms


# --- names ------------------------------------------------------------------------------------


def canvas_name(record: Record, filename: str) -> str:
    """A file name Canvas's *Re-Upload Submissions* files under the student of ``record``.

    Examples
    --------
    >>> canvas_name(Record("doejane", "canvas", "doejane", "12345", "67890", late="true"), "ex01_ridge.html")
    'doejane_LATE_12345_67890_ex01_ridge.html'
    """
    if not (record.canvas_user_id.isdigit() and record.canvas_file_id.isdigit()):
        raise ValueError(f"{record.student_id}: no Canvas user id and file id recorded")
    late = "_LATE" if record.late == "true" else ""
    return f"{record.name}{late}_{record.canvas_user_id}_{record.canvas_file_id}_{filename}"


def moodle_name(record: Record, filename: str) -> str:
    """The path Moodle's *Upload multiple feedback files in a zip* files under the student of ``record``.

    Examples
    --------
    >>> moodle_name(Record("4711", "moodle", "Ada Lovelace", moodle_participant_id="4711"), "ex01_ridge.html")
    'Ada Lovelace_4711_assignfeedback_file_/ex01_ridge.html'
    """
    if not record.moodle_participant_id.isdigit():
        raise ValueError(f"{record.student_id}: no Moodle participant id recorded")
    return f"{record.name}_{record.moodle_participant_id}_assignfeedback_file_/{filename}"


# --- the feedback archive -----------------------------------------------------------------------


@dataclass
class Written:
    path: Path
    lms: str
    included: list[str]
    missing: list[str]  # collected from the LMS, but no feedback page (not graded yet?)
    not_from_lms: list[str]  # graded, but not collected from this LMS download

    def text(self) -> str:
        lines = [f"wrote {self.path} ({self.lms}): {len(self.included)} student(s)"]
        lines += [f"  NO FEEDBACK PAGE for {s} (run make grade first)" for s in self.missing]
        lines += [f"  left out {s}: not in the {self.lms} download make collect read" for s in self.not_from_lms]
        return "\n".join(lines)


def feedback_zip(root: Path, assignment: str, lms: str | None = None) -> Written:
    """``grades/<assignment>-feedback-<lms>.zip``: every feedback page, named for the LMS's bulk upload."""
    records, lms = _records_or_exit(root, assignment, lms)
    name = canvas_name if lms == "canvas" else moodle_name
    members: dict[str, bytes] = {}
    included, missing = [], []
    for student, record in sorted(records.items()):
        pages = sorted((root / "feedback" / student / assignment).glob("*.html"))
        if not pages:
            missing.append(student)
            continue
        for page in pages:
            members[name(record, page.name)] = page.read_bytes()
        included.append(student)
    graded = (
        sorted(p.parent.name for p in (root / "feedback").glob(f"*/{assignment}") if p.is_dir())
        if (root / "feedback").is_dir()
        else []
    )
    others = [s for s in graded if s not in records]
    if not members:
        raise SystemExit(
            f"error: no feedback pages for the {lms} students of {assignment} under "
            f"{root / 'feedback'}/<student>/{assignment}/: run `make grade ASSIGNMENT={assignment}` first"
        )
    path = root / "grades" / f"{assignment}-feedback-{lms}.zip"
    with replaced(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return Written(path, lms, included, missing, others)


# --- the grades file ------------------------------------------------------------------------------

CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_COLUMNS = [
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
MOODLE_PARTICIPANT = "Participant "


def moodle_time(when: datetime.datetime) -> str:
    """A time as Moodle writes it in the worksheet (and reads back with PHP's strtotime).

    Examples
    --------
    >>> moodle_time(datetime.datetime(2024, 3, 5, 14, 7))
    'Tuesday, 5 March 2024, 2:07 PM'
    """
    return f"{when:%A}, {when.day} {when:%B %Y}, {int(when.strftime('%I'))}:{when:%M %p}"


def feedback_comment(row: dict[str, str]) -> str:
    """The text for Moodle's ``Feedback comments`` column.

    Examples
    --------
    >>> feedback_comment({"score": "7", "max_score": "10", "needs_manual_grade": "true"})
    'Autograded: 7 / 10. Written answers are not graded yet. See the feedback page.'
    """
    text = f"Autograded: {row['score']} / {row['max_score']}."
    if row.get("needs_manual_grade") == "true":
        text += " Written answers are not graded yet."
    return text + " See the feedback page."


@dataclass
class GradesFile:
    path: Path
    lms: str
    rows: int
    no_grade: list[str]
    not_from_lms: list[str]
    needs_manual: list[str]
    late: list[str]

    def text(self) -> str:
        lines = [f"wrote {self.path} ({self.lms}): {self.rows} grade(s)"]
        lines += [f"  NO GRADE for {s} (not graded yet: run make grade)" for s in self.no_grade]
        lines += [f"  left out {s}: not in the {self.lms} download make collect read" for s in self.not_from_lms]
        if self.needs_manual:
            lines.append(
                "  WARNING: written answers not graded yet (the grade is the autograded part): "
                + ", ".join(self.needs_manual)
            )
        if self.late:
            lines.append(f"  late (as the LMS said): {', '.join(self.late)}")
        return "\n".join(lines)


def _read_grades(root: Path, assignment: str) -> dict[str, dict[str, str]]:
    path = root / "grades" / f"{assignment}.csv"
    if not path.is_file():
        raise SystemExit(
            f"error: no grades for {assignment} ({path} is missing): run `make grade ASSIGNMENT={assignment}` first"
        )
    with path.open(newline="", encoding="utf-8") as handle:
        return {r["student_id"]: r for r in csv.DictReader(handle)}


def _read_template(path: Path) -> tuple[list[str], list[list[str]]]:
    if not path.is_file():
        raise SystemExit(f"error: no template file at {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SystemExit(f"error: {path} is not UTF-8 text; export it again from the LMS as CSV") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise SystemExit(f"error: {path} is empty")
    return rows[0], rows[1:]


def grades_file(
    root: Path,
    assignment: str,
    lms: str | None = None,
    template: Path | None = None,
    column: str | None = None,
    now: datetime.datetime | None = None,
) -> GradesFile:
    """``grades/<assignment>-<lms>.csv``: the grades in the LMS's import format, with the students' LMS ids."""
    records, lms = _records_or_exit(root, assignment, lms)
    grades = _read_grades(root, assignment)
    now = now or datetime.datetime.now()
    graded = {s: grades[s] for s in records if s in grades}
    by_lms_id = {(r.canvas_user_id if lms == "canvas" else r.moodle_participant_id): s for s, r in records.items()}
    if lms == "canvas":
        header, body = _canvas_rows(assignment, records, graded, by_lms_id, template, column)
    else:
        header, body = _moodle_rows(records, graded, by_lms_id, template, now)
    path = root / "grades" / f"{assignment}-{lms}.csv"
    with replaced(path) as tmp, tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(body)
    return GradesFile(
        path,
        lms,
        len(graded),
        sorted(s for s in records if s not in grades),
        sorted(s for s in grades if s not in records),
        sorted(s for s, g in graded.items() if g.get("needs_manual_grade") == "true"),
        sorted(s for s in graded if records[s].late == "true"),
    )


def _canvas_rows(assignment, records, graded, by_id, template, column):
    column = column or assignment
    if template is None:
        header = [*CANVAS_IDENTITY, column]
        max_score = next((g["max_score"] for g in graded.values()), "")
        body = [["Points Possible", "", "", "", "", max_score]]
        body += [
            [records[s].name, records[s].canvas_user_id, "", "", "", g["score"]] for s, g in sorted(graded.items())
        ]
        return header, body
    header, rows = _read_template(template)
    missing = [c for c in ("Student", "ID") if c not in header]
    if missing:
        raise SystemExit(f"error: {template} has no {' or '.join(missing)} column: is it a Canvas gradebook export?")
    matches = [i for i, h in enumerate(header) if h == column or h.startswith(f"{column} (")]
    if len(matches) != 1:
        raise SystemExit(
            f"error: {template} has {len(matches)} columns named {column!r} or '{column} (<id>)'; "
            f"pick one with COLUMN='<header as in the file>'"
        )
    keep = [i for i, h in enumerate(header) if h in CANVAS_IDENTITY] + matches
    id_col, col = header.index("ID"), matches[0]
    body = []
    for row in rows:
        row = row + [""] * (len(header) - len(row))
        student = by_id.get(row[id_col].strip())
        if student in graded:
            row[col] = graded[student]["score"]
        elif row[id_col].strip():
            continue  # students without a grade here: leave their Canvas grade alone
        body.append([row[i] for i in keep])
    return [header[i] for i in keep], body


def _moodle_rows(records, graded, by_id, template, now):
    if template is None:
        body = []
        for student, g in sorted(graded.items()):
            r = records[student]
            submitted = ""
            if r.submitted_at:
                submitted = moodle_time(
                    datetime.datetime.fromisoformat(r.submitted_at).astimezone().replace(tzinfo=None)
                )
            body.append(
                [
                    f"{MOODLE_PARTICIPANT}{r.moodle_participant_id}",
                    r.name,
                    r.email,
                    "Submitted for grading",
                    g["score"],
                    g["max_score"],
                    "Yes",
                    submitted,
                    moodle_time(now),
                    feedback_comment(g),
                ]
            )
        return MOODLE_COLUMNS, body
    header, rows = _read_template(template)
    missing = [c for c in ("Identifier", "Grade", "Last modified (grade)") if c not in header]
    if missing:
        raise SystemExit(f"error: {template} has no {', '.join(missing)} column: is it Moodle's grading worksheet?")
    if "Feedback comments" not in header:
        header = header + ["Feedback comments"]
    ident, grade, comments = header.index("Identifier"), header.index("Grade"), header.index("Feedback comments")
    body = []
    for row in rows:
        row = row + [""] * (len(header) - len(row))
        pid = row[ident].removeprefix(MOODLE_PARTICIPANT).strip()
        student = by_id.get(pid)
        if student in graded:
            row[grade] = graded[student]["score"]
            row[comments] = feedback_comment(graded[student])
        body.append(row)
    return header, body
