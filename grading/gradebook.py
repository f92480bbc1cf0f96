"""The course's gradebook: the one module that writes it (from the grading process only).

Each graded submission becomes an autograded notebook under ``autograded/``
and automatic grades in nbgrader's gradebook (``gradebook.db``), as ``nbgrader
autograde`` writes them, so the formgrader, manual grading and nbgrader's
feedback work on them unchanged.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry, SubmittedNotebook
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from grading import verdict
from grading.lock import scratch
from grading.notebook import HIDDEN_PLACEHOLDER, unreadable_notebook
from grading.worker import Outcome


def tool_env() -> dict[str, str]:
    """This environment with the running interpreter's bin folder first on PATH.

    nbgrader calls ``alembic`` and kernels are found through PATH, so they come
    from the same environment as the pipeline even when it was not activated.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JPY_", "JUPYTER_"))}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def course_config(root: str) -> Config:
    """nbgrader's configuration of the course: its ``nbgrader_config.py``, rooted at ``root``."""
    config = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
    config.CourseDirectory.root = root
    return config


def ensure_assignment_in_gradebook(root: Path, assignment: str) -> None:
    """Register the assignment's cells in the gradebook (without touching exercises/)."""
    with scratch("release") as release:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "nbgrader",
                "generate_assignment",
                assignment,
                "--force",
                "--quiet",
                f"--CourseDirectory.release_directory={release}",
            ],
            cwd=root,
            capture_output=True,
            text=True,
            env=tool_env(),
        )
    if result.returncode != 0:
        raise SystemExit(f"error: nbgrader could not register {assignment}:\n{result.stderr[-2000:]}")


def save(
    root: Path,
    assignment: str,
    outcome: Outcome,
    reference: dict[str, list] | None = None,
    flagged_before: bool = False,
) -> dict[str, str]:
    """Main process: write the autograded notebook and the grades; return the CSV row.

    A submission that could not be read or run gets a stand-in autograded
    notebook (:func:`grading.notebook.unreadable_notebook`) that scores zero,
    so it is listed, flagged and given feedback like every other. The
    submission is flagged in the gradebook (the formgrader's "Flagged?") when
    ``outcome`` has flags; a mark is cleared only when ``flagged_before`` says
    the previous run set it, so a grader's own mark stays.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not in session.*")  # nbgrader's own SQLAlchemy noise
        return _save(root, assignment, outcome, reference, flagged_before)


def _save(
    root: Path, assignment: str, outcome: Outcome, reference: dict[str, list] | None, flagged_before: bool
) -> dict[str, str]:
    """:func:`save`, without its warning filter."""
    name = Path(outcome.notebook_name).stem
    timestamp = submission_timestamp(root, assignment, outcome.student_id)
    with Gradebook(gradebook_url(root)) as gb:
        gb.update_or_create_student(outcome.student_id)
        if timestamp is not None:
            # As `nbgrader autograde`: the formgrader counts a submission as autograded only
            # when the gradebook holds the timestamp of the submitted copy (`nbgrader collect`).
            gb.update_or_create_submission(assignment, outcome.student_id, timestamp=timestamp)
        else:
            try:
                gb.find_submission(assignment, outcome.student_id)
            except MissingEntry:
                gb.add_submission(assignment, outcome.student_id)
        if outcome.notebook_json is not None:
            nb = nbformat.reads(outcome.notebook_json, as_version=4)
            if reference and outcome.trusted:
                verdict.apply_verdicts(nb, reference, outcome, root)
        else:
            nb = _stand_in(root, assignment, outcome)
        _save_autograded(gb, root, assignment, outcome, nb)
        sub_nb = gb.find_submission_notebook(name, assignment, outcome.student_id)
        if outcome.notebook_json is None:
            _zero_unanswered(sub_nb)
        if outcome.flags or flagged_before:
            sub_nb.flagged = bool(outcome.flags)
        gb.db.commit()
        sub = gb.find_submission(assignment, outcome.student_id)
        row = {
            "student_id": outcome.student_id,
            "score": f"{sub.score:g}",
            "max_score": f"{sub.max_score:g}",
            "needs_manual_grade": str(bool(sub.needs_manual_grade)).lower(),
            "flags": ";".join(outcome.flags),
            "message": " | ".join(dict.fromkeys(outcome.messages)),
        }
    return row


#: Files nbgrader's exchange writes beside a submitted notebook (not the student's).
NBGRADER_SUBMISSION_FILES = ("timestamp.txt", "submission_secret.txt")


def submission_timestamp(root: Path, assignment: str, student: str) -> datetime.datetime | None:
    """When the student submitted: nbgrader's ``timestamp.txt`` beside the submission, if readable.

    ``nbgrader collect`` and ``make collect`` write it; a copy without one
    (or with an unreadable one) has no time, as under ``nbgrader autograde``.
    """
    from nbgrader.utils import parse_utc

    path = root / "submitted" / student / assignment / "timestamp.txt"
    try:
        text = path.read_text(encoding="utf-8").strip()
        return parse_utc(text) if text else None
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def gradebook_url(root: Path) -> str:
    """The course's gradebook, as nbgrader_config.py names it."""
    return f"sqlite:///{root / 'gradebook.db'}"


def _stand_in(root: Path, assignment: str, outcome: Outcome) -> nbformat.NotebookNode:
    """The autograded notebook of a submission that could not be read or run."""
    source = nbformat.read(root / "solutions" / assignment / outcome.notebook_name, as_version=4)
    return unreadable_notebook(source, outcome.messages, HIDDEN_PLACEHOLDER)


def _save_autograded(gb: Gradebook, root: Path, assignment: str, outcome: Outcome, nb: nbformat.NotebookNode) -> None:
    """Write ``nb`` as the autograded notebook and save its automatic grades (nbgrader's SaveAutoGrades)."""
    from nbgrader.preprocessors import SaveAutoGrades

    name = Path(outcome.notebook_name).stem
    target = root / "autograded" / outcome.student_id / assignment
    target.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target / outcome.notebook_name)
    # nbgrader's own files of a submission from its exchange (`nbgrader collect`) go along, as
    # under `nbgrader autograde`: feedback is released (`nbgrader release_feedback`) under a
    # name computed from them, and the feedback pages are rendered from autograded/.
    for extra in NBGRADER_SUBMISSION_FILES:
        kept = root / "submitted" / outcome.student_id / assignment / extra
        if kept.is_file() and not kept.is_symlink():
            shutil.copyfile(kept, target / extra)
    resources = {
        "nbgrader": {
            "notebook": name,
            "assignment": assignment,
            "student": outcome.student_id,
            "db_url": gradebook_url(root),
        }
    }
    before = {
        g.name: (g.auto_score, g.needs_manual_grade)
        for g in gb.find_submission_notebook(name, assignment, outcome.student_id).grades
    }
    SaveAutoGrades().preprocess(nb, resources)
    # nbgrader re-opens every manually graded cell on a rerun; keep a
    # grader's decision when the autograder's verdict did not change.
    gb.db.expire_all()
    for grade in gb.find_submission_notebook(name, assignment, outcome.student_id).grades:
        old_auto, old_needs = before.get(grade.name, (None, True))
        if grade.manual_score is not None and grade.auto_score == old_auto and not old_needs:
            grade.needs_manual_grade = False
    gb.db.commit()


def _zero_unanswered(sub_nb: SubmittedNotebook) -> None:
    """Nothing could be run: every automatically graded code cell scores zero.

    Written answers stay for a grader, as nbgrader leaves them.
    """
    for grade in sub_nb.grades:
        if grade.cell.cell_type != "markdown" and grade.auto_score is None:
            grade.auto_score = 0.0
            grade.needs_manual_grade = grade.manual_score is not None
