"""Grade every submission of an assignment: parallel execution, one gradebook writer.

Workers (separate processes) read, rebuild and execute submissions and return
plain data; only the main process writes the gradebook, the autograded
notebooks and the grades CSV. Feedback HTML is rendered in the workers
afterwards (nbgrader's own feedback converter, which only reads the gradebook,
with the course's template ``grading/templates/feedback.html.j2``).

Each worker launches the kernel of its next submission while it grades the
current one, with the assignment's packages imported (:mod:`grading.pool`):
still one fresh sandboxed kernel and folder per submission, killed after it.
The reference run happens once per run. ``--profile`` prints the seconds per
submission in each phase (:data:`PHASES`); the workers die with the grading
process, and an interrupted run kills them and so their kernels.

One run at a time per course, and no scratch folder left behind by a killed
run: :mod:`grading.lock`.
"""

from __future__ import annotations

import csv
import datetime
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import traceback
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry, SubmittedNotebook
from nbgrader.preprocessors import GetGrades
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from grading import pool, sandbox, verdict
from grading.execute import HIDDEN_PLACEHOLDER, Limits, run
from grading.lock import course_lock, remove_stale_scratch, scratch
from grading.notebook import (
    SubmissionError,
    find_notebook,
    is_test,
    nbgrader_meta,
    read_submission,
    rebuild,
    unreadable_notebook,
)

CSV_FIELDS = ["student_id", "score", "max_score", "needs_manual_grade", "flags", "message"]
#: The course's feedback page: nbgrader's, saying "not graded yet" for answers awaiting a grader.
FEEDBACK_TEMPLATE = Path(__file__).resolve().parent / "templates" / "feedback.html.j2"


@dataclass
class Outcome:
    """What a worker found for one student (plain data, safe to send between processes)."""

    student_id: str
    notebook_json: str | None = None
    notebook_name: str = ""
    flags: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    seconds: float = 0.0
    records: dict[str, list] = field(default_factory=dict)
    trusted: bool = False
    #: Seconds per phase of grading this submission (see :data:`PHASES`).
    phases: dict[str, float] = field(default_factory=dict)


@dataclass
class Summary:
    graded: int
    failed: int
    flagged: int
    seconds: float
    rows: list[dict[str, str]]
    #: Seconds per phase, summed over the submissions (see :data:`PHASES`); ``reference`` once.
    phases: dict[str, float] = field(default_factory=dict)


#: The phases of grading a submission, as ``--profile`` reports them.
PHASES = {
    "read": "read and rebuild the submission (worker)",
    "sandbox": "fresh folder, course files, recorder; launch its kernel if no spare (worker)",
    "kernel_start": "launch a fresh kernel after one was lost (worker)",
    "kernel_ready": "wait until the kernel answers (worker)",
    "cells": "the notebook's own cells (worker)",
    "kernel_stop": "kill the kernel (worker)",
    "cleanup": "remove the folder, launch the next spare (worker)",
    "save": "verdicts, gradebook and autograded notebook (main process)",
    "feedback": "feedback page (worker)",
}
#: CPU seconds of the kernel's processes, which ``--profile`` reports too (not part of the wall time).
CPU_PHASES = {
    "kernel_cpu_start": "kernel CPU: start-up and preloading",
    "cells_cpu": "kernel CPU: the notebook's own cells",
}


def source_notebooks(root: Path, assignment: str) -> list[Path]:
    folder = root / "solutions" / assignment
    notebooks = sorted(folder.glob("*.ipynb"))
    if not notebooks:
        raise SystemExit(f"error: no assignment '{assignment}': {folder} holds no notebook")
    return notebooks


def grade_one(
    root: str,
    assignment: str,
    student: str,
    notebook: str,
    limits: Limits,
    preload: tuple[str, ...] = (),
    use_pool: bool = False,
    launch_next: bool = False,
) -> Outcome:
    """Worker: read, rebuild and execute one student's notebook. Never raises.

    With ``use_pool`` the kernel is this worker's spare, launched ahead of
    time (:mod:`grading.pool`), if there is one; with ``launch_next`` the
    spare for the worker's next submission is launched while this one runs.
    """
    out = Outcome(student, notebook_name=notebook)
    start = time.monotonic()
    try:
        root_path = Path(root)
        source = nbformat.read(root_path / "solutions" / assignment / notebook, as_version=4)
        path, flags = find_notebook(root_path / "submitted" / student / assignment, notebook)
        out.flags += flags
        student_nb, flags = read_submission(path)
        out.flags += flags
        rebuilt = rebuild(source, student_nb)
        out.flags += rebuilt.flags
        out.messages += rebuilt.messages
        tick = _phase(out, "read", start)
        slot = pool.take(root_path, limits, preload) if use_pool else pool.open_slot(root_path, limits, preload)
        tick = _phase(out, "sandbox", tick)
        # Launched now, the next kernel does its imports while this submission runs.
        if use_pool and launch_next:
            pool.launch_spare(root_path, limits, preload)
        with slot:
            out.trusted = slot.trusted
            strip = functools.partial(verdict.strip_expected, positions=verdict.positions_for(root))
            execution = run(
                rebuilt.nb,
                slot.workdir,
                limits,
                record=slot.record,
                transform=strip if out.trusted else None,
                preload=preload,
                kernel=slot.kernel,
            )
            out.records = execution.records
            tick = time.monotonic()
        _phase(out, "cleanup", tick)
        for phase, seconds in execution.phases.items():
            out.phases[phase] = out.phases.get(phase, 0.0) + seconds
        out.flags += [f for f in execution.flags if f not in out.flags]
        out.messages += execution.messages
        out.notebook_json = nbformat.writes(rebuilt.nb)
    except SubmissionError as err:
        out.flags.append(err.flag)
        out.messages.append(err.message)
    except Exception as err:  # the batch must go on whatever happens
        out.flags.append("grading-error")
        out.messages.append(f"internal grading error: {type(err).__name__}: {err}")
        traceback.print_exc()
    out.seconds = time.monotonic() - start
    return out


def _phase(out: Outcome, phase: str, since: float) -> float:
    """Add the time since ``since`` to ``phase`` of ``out``; the time now."""
    now = time.monotonic()
    out.phases[phase] = out.phases.get(phase, 0.0) + now - since
    return now


def reference_run(
    root: str, assignment: str, notebook: str, limits: Limits, preload: tuple[str, ...] = ()
) -> dict[str, list]:
    """Worker: run the instructor's notebook with recording helpers; records per test cell.

    Once per grading run, in a kernel of its own (never a spare: it records in ``reference`` mode).
    """
    source = nbformat.read(Path(root) / "solutions" / assignment / notebook, as_version=4)
    with scratch("reference") as tmp:
        work = Path(tmp)
        sandbox.prepare(work, Path(root))
        if not verdict.install_recorder(work):
            return {}
        execution = run(source, work, limits, record=work / pool.RECORD_FILE, mode="reference", preload=preload)
    failing = [
        nbgrader_meta(c).get("grade_id")
        for c in source.cells
        if is_test(c) and any(o.get("output_type") == "error" for o in c.get("outputs", []))
    ]
    if failing:
        raise RuntimeError(f"the reference solution of {assignment} fails its own tests: {failing}")
    return execution.records


def apply_verdicts(nb: nbformat.NotebookNode, reference: dict[str, list], outcome: Outcome, root: Path) -> None:
    """Fail every test cell whose recorded values the trusted judges reject.

    The message names each failed check; for a check the student can see (its
    name is in the visible part of the cell) it also gives the values, as
    Validate does. Tracebacks quote the test lines as the student sees them,
    not with the expected values removed.
    """
    trusted = verdict.trusted_for(str(root))
    if trusted is None:
        return
    positions = trusted.positions()
    for cell in nb.cells:
        if not is_test(cell):
            continue
        gid = nbgrader_meta(cell).get("grade_id")
        visible = cell.source.split(HIDDEN_PLACEHOLDER)[0]
        stripped = verdict.strip_expected(visible, positions)
        for output in cell.outputs:
            if output.get("output_type") == "error" and stripped != visible:
                output["traceback"] = [verdict.restore_lines(t, visible, stripped) for t in output.get("traceback", [])]
        if gid not in reference or not reference[gid]:
            continue
        findings = verdict.judge(reference[gid], outcome.records.get(gid, []), trusted)
        _flag_interference(cell, gid, findings, outcome)
        if findings:
            lines = _failure_lines(findings, visible)
            cell.outputs.append(
                nbformat.v4.new_output(
                    "error",
                    ename="CheckFailed",
                    evalue="\n".join(lines),
                    traceback=[f"CheckFailed: {line}" for line in lines],
                )
            )


def _flag_interference(
    cell: nbformat.NotebookNode, gid: str, findings: list[verdict.Finding], outcome: Outcome
) -> None:
    """Flag checks switched off (missing although the cell raised nothing) and foreign records."""
    errored = any(o.get("output_type") == "error" for o in cell.outputs)
    if any(f.status == "missing" for f in findings) and not errored:
        # The cell ran without an error, yet its checks never happened:
        # something in the notebook switched them off.
        if "checks-bypassed" not in outcome.flags:
            outcome.flags.append("checks-bypassed")
        outcome.messages.append(f"the checks of '{gid}' did not run although the cell raised no error")
    if any(f.status == "tampered" for f in findings) and "records-tampered" not in outcome.flags:
        outcome.flags.append("records-tampered")
        outcome.messages.append(f"something other than the checks of '{gid}' wrote check records")


def _failure_lines(findings: list[verdict.Finding], visible: str) -> list[str]:
    """One line per finding: the values only for a failed check named in the visible part of the cell."""
    lines = []
    for finding in findings:
        shown = re.search(rf"""(["']){re.escape(finding.name)}\1""", visible)
        if finding.status == "failed" and not shown:
            lines.append(f"{finding.name}: a hidden check failed")
        else:
            lines.append(finding.message)
    return lines


def tool_env() -> dict[str, str]:
    """This environment with the running interpreter's bin folder first on PATH.

    nbgrader calls ``alembic`` and kernels are found through PATH, so they come
    from the same environment as the pipeline even when it was not activated.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JPY_", "JUPYTER_"))}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


class GetGradesAndStatus(GetGrades):
    """nbgrader's GetGrades, also telling the template which answers nobody has graded yet.

    nbgrader shows such an answer as "Score: 0.0 / 2.0"; the course's template
    (:data:`FEEDBACK_TEMPLATE`) says "not graded yet" where ``graded`` is false.
    """

    def _get_score(self, cell: nbformat.NotebookNode, resources: dict) -> None:
        super()._get_score(cell, resources)
        grade = self.gradebook.find_grade(
            cell.metadata["nbgrader"]["grade_id"], self.notebook_id, self.assignment_id, self.student_id
        )
        cell.metadata.nbgrader["graded"] = grade.auto_score is not None or grade.manual_score is not None


def course_config(root: str) -> Config:
    """nbgrader's configuration of the course: its ``nbgrader_config.py``, rooted at ``root``."""
    config = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
    config.CourseDirectory.root = root
    return config


def feedback_config(root: str) -> Config:
    """nbgrader's configuration of the course, set up for the course's feedback pages."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor

    config = course_config(root)
    config.GenerateFeedback.preprocessors = [GetGradesAndStatus, CSSHTMLHeaderPreprocessor]
    # An absolute template file: nbconvert adds its folder to the search path, and
    # it extends nbgrader's feedback template (template name "feedback", which
    # nbgrader's API sets) without touching the formgrader's templates.
    config.HTMLExporter.template_file = str(FEEDBACK_TEMPLATE)
    return config


_API: dict[str, object] = {}  # course root -> NbGraderAPI, made once per worker


def _feedback_one(root: str, assignment: str, student: str) -> str | None:
    """Worker: render nbgrader's feedback HTML for one student (reads the gradebook only)."""
    try:
        if root not in _API:
            from nbgrader.apps import NbGraderAPI

            _API[root] = NbGraderAPI(config=feedback_config(root))
        result = _API[root].generate_feedback(assignment, student, force=True)
        if not result.get("success"):
            return (result.get("error") or "unknown error").strip().splitlines()[-1]
    except Exception as err:
        return f"{type(err).__name__}: {err}"
    return None


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
                apply_verdicts(nb, reference, outcome, root)
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


def grade_assignment(
    root: Path,
    assignment: str,
    workers: int | None = None,
    limits: Limits | None = None,
    students: list[str] | None = None,
    out=sys.stdout,
    use_pool: bool = True,
    profile: bool = False,
) -> Summary:
    """Grade every submission of ``assignment`` under ``root``; see ``make grade``.

    ``students`` grades only those students (each must have a submission); the
    grades CSV keeps the other students' rows. Only one run per course at a
    time (:func:`course_lock`); a second one exits at once, changing nothing.
    ``use_pool`` launches each kernel ahead of time with the assignment's
    packages imported (:mod:`grading.pool`); ``profile`` prints the seconds
    per phase (:func:`print_profile`).
    """
    start = time.monotonic()
    limits = limits or Limits()
    workers = max(1, workers or os.cpu_count() or 1)
    notebooks = source_notebooks(root, assignment)
    if len(notebooks) != 1:
        raise SystemExit(f"error: {assignment} has {len(notebooks)} notebooks; the pipeline grades one per assignment")
    notebook = notebooks[0].name
    all_students, students = choose_students(root, assignment, students)
    csv_path = root / "grades" / f"{assignment}.csv"
    with course_lock(root, assignment):
        remove_stale_scratch()
        previous = read_csv(csv_path)
        phases: dict[str, float] = {}
        rows = _grade_and_save(root, assignment, notebook, students, workers, limits, previous, out, use_pool, phases)
        kept = [r for s, r in previous.items() if s in all_students and s not in students]
        write_csv(csv_path, rows + kept)
    seconds = time.monotonic() - start
    failed = sum(1 for r in rows if any(f in r["flags"].split(";") for f in FATAL_FLAGS))
    flagged = sum(1 for r in rows if r["flags"])
    off = [name for name, on in sandbox.protections(limits.sandbox).items() if not on]
    if off:
        print(
            "WARNING: grading ran WITHOUT these protections: "
            + "; ".join(off)
            + " (install Debian's bubblewrap and allow user namespaces)",
            file=out,
        )
    print(
        f"{assignment}: graded {len(rows) - failed}, failed {failed}, flagged {flagged}, "
        f"wall time {seconds:.1f} s with {workers} worker(s); grades in grades/{assignment}.csv",
        file=out,
    )
    summary = Summary(len(rows) - failed, failed, flagged, seconds, rows, phases)
    if profile:
        print_profile(summary, out)
    return summary


def choose_students(root: Path, assignment: str, wanted: list[str] | None) -> tuple[list[str], list[str]]:
    """(every student with a submission of ``assignment``, the ones to grade now)."""
    submitted = root / "submitted"
    all_students = (
        sorted(p.name for p in submitted.iterdir() if (p / assignment).is_dir()) if submitted.is_dir() else []
    )
    if not all_students:
        raise SystemExit(f"error: no submissions of {assignment} under {submitted}/<student>/{assignment}/")
    if wanted is None:
        return all_students, all_students
    unknown = [s for s in wanted if s not in all_students]
    if unknown:
        raise SystemExit(
            f"error: no submission of {assignment} by {', '.join(unknown)} "
            f"(expected {submitted}/<student>/{assignment}/)"
        )
    return all_students, [s for s in all_students if s in wanted]


def _grade_and_save(
    root: Path,
    assignment: str,
    notebook: str,
    students: list[str],
    workers: int,
    limits: Limits,
    previous: dict[str, dict[str, str]],
    out,
    use_pool: bool = True,
    phases: dict[str, float] | None = None,
) -> list[dict[str, str]]:
    """Run the workers, save each outcome as it comes, render the feedback; the CSV rows.

    ``phases`` (if given) receives the seconds per phase summed over the submissions.
    """
    phases = {} if phases is None else phases
    rows: list[dict[str, str]] = []
    source = nbformat.read(root / "solutions" / assignment / notebook, as_version=4)
    preload = pool.preload_modules(source, root) if use_pool else ()
    # The last submissions of the run need no spare after them: nothing would use it.
    last_launch = len(students) - workers
    executor = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init, initargs=(os.getpid(),))
    try:
        started = time.monotonic()
        reference_future = executor.submit(reference_run, str(root), assignment, notebook, limits, preload)
        futures = [
            executor.submit(grade_one, str(root), assignment, s, notebook, limits, preload, use_pool, i < last_launch)
            for i, s in enumerate(students)
        ]
        ensure_assignment_in_gradebook(root, assignment)  # while the workers run
        reference = reference_future.result()
        phases["reference"] = time.monotonic() - started
        for future in futures:
            outcome = future.result()
            flagged_before = bool(previous.get(outcome.student_id, {}).get("flags"))
            saving = time.monotonic()
            row = save(root, assignment, outcome, reference, flagged_before=flagged_before)
            outcome.phases["save"] = time.monotonic() - saving
            for phase, seconds in outcome.phases.items():
                phases[phase] = phases.get(phase, 0.0) + seconds
            rows.append(row)
            print(table_line(row, outcome.seconds), file=out, flush=True)
        with_notebook = [r["student_id"] for r in rows if (root / "autograded" / r["student_id"] / assignment).is_dir()]
        n = len(with_notebook)
        feedback = list(executor.map(_feedback_timed, [str(root)] * n, [assignment] * n, with_notebook))
    except BaseException:  # interrupted (Ctrl-C) or failed: no worker, kernel or spare may outlive the run
        _abandon(executor)
        raise
    finally:
        executor.shutdown(wait=True)  # the workers' finalisers kill their spares (grading.pool)
    phases["feedback"] = sum(seconds for _, seconds in feedback)
    feedback_errors = {s: err for s, (err, _) in zip(with_notebook, feedback, strict=True)}
    for row in rows:
        err = feedback_errors.get(row["student_id"])
        if err:
            row["flags"] = ";".join(filter(None, [row["flags"], "no-feedback"]))
            row["message"] = " | ".join(filter(None, [row["message"], f"feedback failed: {err}"]))
    return rows


def _worker_init(parent: int) -> None:
    """Worker start-up: die with the grading process, so nothing of a killed run keeps running.

    The kernels die with their worker (bubblewrap's ``--die-with-parent``),
    spares included (:mod:`grading.pool`).
    """
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the run's end still stops the workers
        pass
    if os.getppid() != parent:  # the grading process died before prctl took effect
        os._exit(1)
    _fresh_event_loop()


#: Event loops a forked worker inherited; kept referenced so they are never closed (see _fresh_event_loop).
_INHERITED_LOOPS: list = []


def _fresh_event_loop() -> None:
    """Make a forked worker create an event loop of its own instead of using the parent's.

    A worker is forked from the grading process. If that process has run a
    kernel itself (the tests do; a library user may), the worker inherits its
    asyncio loop, whose epoll instance it *shares* with the parent, and
    jupyter_client would reuse it: the worker then sees the parent's events and
    spins at 100 % CPU without ever starting its kernel. So the worker forgets
    the inherited loop (asyncio's and any held in a context variable, as
    jupyter_core does) and gets a new one on first use. The inherited loop must
    not be closed: closing would unregister the parent's descriptors from the
    shared epoll instance. It is kept referenced (a forked worker ends with
    ``os._exit``, without garbage collection), so it never is.
    """
    import asyncio
    import contextvars
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # get_event_loop without a running loop
        try:
            _INHERITED_LOOPS.append(asyncio.get_event_loop_policy().get_event_loop())
        except RuntimeError:
            pass
    asyncio.set_event_loop(None)
    for var, value in contextvars.copy_context().items():
        if isinstance(value, asyncio.AbstractEventLoop):
            _INHERITED_LOOPS.append(value)
            var.set(None)


def _abandon(executor: ProcessPoolExecutor) -> None:
    """Stop a run at once: drop the queued submissions and kill the workers (and so their kernels)."""
    # The executor has no public way to stop a running task; its worker processes are in _processes,
    # which shutdown() empties: taken first. (A worker survives Ctrl-C, which its task gets as an
    # exception: left alone, it would run the submissions already handed to it before it ends.)
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.kill()
        process.join(timeout=10)
    remove_stale_scratch()  # the killed workers' folders


def _feedback_timed(root: str, assignment: str, student: str) -> tuple[str | None, float]:
    """Worker: :func:`_feedback_one` and how long it took."""
    start = time.monotonic()
    return _feedback_one(root, assignment, student), time.monotonic() - start


def print_profile(summary: Summary, out=sys.stdout) -> None:
    """Seconds per submission in each phase of grading (``make grade GRADE_ARGS=--profile``)."""
    n = max(1, len(summary.rows))
    print(f"profile: seconds per submission over {len(summary.rows)} submission(s)", file=out)
    overhead = 0.0
    for phase, what in PHASES.items():
        seconds = summary.phases.get(phase, 0.0) / n
        overhead += seconds if phase != "cells" else 0.0
        print(f"  {phase:<16} {seconds:7.3f}  {what}", file=out)
    print(f"  {'overhead':<16} {overhead:7.3f}  everything but the cells", file=out)
    for phase, what in CPU_PHASES.items():
        print(f"  {phase:<16} {summary.phases.get(phase, 0.0) / n:7.3f}  {what}", file=out)
    print(f"  {'reference':<16} {summary.phases.get('reference', 0.0):7.3f}  reference run, once per run", file=out)


def table_line(row: dict[str, str], seconds: float) -> str:
    """One student's line of the table ``make grade`` prints."""
    notes = ["needs manual grade" if row["needs_manual_grade"] == "true" else "", row["flags"]]
    return (
        f"  {row['student_id']:<24} {row['score']:>6} / {row['max_score']:<6} "
        f"{seconds:5.1f} s  {'  '.join(filter(None, notes))}"
    ).rstrip()


def read_csv(path: Path) -> dict[str, dict[str, str]]:
    """The rows of an earlier grades CSV by student (none if there is no readable one)."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            return {r["student_id"]: {k: r.get(k) or "" for k in CSV_FIELDS} for r in csv.DictReader(handle)}
    except (OSError, KeyError, csv.Error, UnicodeDecodeError):
        return {}


#: Flags for submissions that could not be executed at all.
FATAL_FLAGS = ("missing", "invalid-json", "undecodable", "invalid-notebook", "too-large", "grading-error")


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda r: r["student_id"]))
    tmp.replace(path)
