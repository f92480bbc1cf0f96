"""Grade every submission of an assignment: parallel workers, one gradebook writer.

This module only orchestrates; the rooms it uses:

* :mod:`grading.worker`: what a worker process does with one submission
  (read, rebuild, execute in a fresh sandboxed kernel; :mod:`grading.pool`
  launches that kernel ahead of time) and the record it returns
  (:class:`grading.worker.Outcome`);
* :mod:`grading.verdict`: the checks judged in this process;
* :mod:`grading.gradebook`: the only writer of the gradebook and ``autograded/``;
* :mod:`grading.feedback`: the course's feedback page, rendered in the workers;
* :mod:`grading.flags`: every flag, and which are fatal or the grader's fault;
* :mod:`grading.limits`: the limits and their defaults.

A submission the grader failed on (not the student) is tried once more and
otherwise never scored: its previous grade stays, the run says so and
``python -m grading grade`` exits non-zero. ``--profile`` prints the seconds
per submission in each phase (:data:`PHASES`) and what each worker held after
its first and last submission. One run at a time per course, and no scratch
folder left behind by a killed run: :mod:`grading.lock`.
"""

from __future__ import annotations

import csv
import os
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grading import pool, sandbox, worker
from grading.feedback import feedback_timed
from grading.files import replaced
from grading.flags import Flag, fatal, grader_faults
from grading.gradebook import ensure_assignment_in_gradebook, save
from grading.limits import Limits
from grading.lock import course_lock, remove_stale_scratch
from grading.notebook import assignment_notebook
from grading.worker import Outcome

CSV_FIELDS = ["student_id", "score", "max_score", "needs_manual_grade", "flags", "message"]
#: How often a submission the grader failed on is tried before it is left ungraded.
ATTEMPTS = 2


@dataclass
class Summary:
    graded: int
    failed: int
    flagged: int
    seconds: float
    rows: list[dict[str, str]]
    #: Seconds per phase, summed over the submissions (see :data:`PHASES`); ``reference`` once.
    phases: dict[str, float] = field(default_factory=dict)
    #: (student, why) of every submission the grader failed on: not scored, previous grade kept.
    ungraded: list[tuple[str, str]] = field(default_factory=list)
    #: What the worker held after each submission, in the order they were saved (:func:`grading.worker.resources`).
    workers: list[dict[str, int]] = field(default_factory=list)


#: The phases of grading a submission, as ``--profile`` reports them.
PHASES = {
    "read": "read and rebuild the submission (worker)",
    "sandbox": "fresh folder, course files, recorder; launch its kernel if no spare (worker)",
    "kernel_start": "launch a fresh kernel after one was lost (worker)",
    "kernel_ready": "wait until the kernel answers (worker)",
    "cells": "the notebook's own cells (worker)",
    "kernel_stop": "kill the kernel, release its client (worker)",
    "cleanup": "remove the folder, launch the next spare (worker)",
    "save": "verdicts, gradebook and autograded notebook (main process)",
    "feedback": "feedback page (worker)",
}
#: CPU seconds of the kernel's processes, which ``--profile`` reports too (not part of the wall time).
CPU_PHASES = {
    "kernel_cpu_start": "kernel CPU: start-up and preloading",
    "cells_cpu": "kernel CPU: the notebook's own cells",
}


def grade_assignment(
    root: Path,
    assignment: str,
    workers: int | None = None,
    limits: Limits | None = None,
    students: list[str] | None = None,
    out=None,
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
    out = out or sys.stdout  # looked up now: whoever redirected it since import gets the table
    limits = limits or Limits()
    workers = max(1, workers or os.cpu_count() or 1)
    notebook = assignment_notebook(root, assignment).name
    all_students, students = choose_students(root, assignment, students)
    csv_path = root / "grades" / f"{assignment}.csv"
    with course_lock(root, assignment):
        remove_stale_scratch()
        previous = read_csv(csv_path)
        summary = Summary(0, 0, 0, 0.0, [])
        _grade_and_save(root, assignment, notebook, students, workers, limits, previous, out, use_pool, summary)
        done = {r["student_id"] for r in summary.rows}
        kept = [r for s, r in previous.items() if s in all_students and s not in done]
        write_csv(csv_path, summary.rows + kept)
    summary.seconds = time.monotonic() - start
    summary.failed = sum(1 for r in summary.rows if fatal(filter(None, r["flags"].split(";"))))
    summary.graded = len(summary.rows) - summary.failed
    summary.flagged = sum(1 for r in summary.rows if r["flags"])
    off = [name for name, on in sandbox.protections(limits.sandbox).items() if not on]
    if off:
        print(
            "WARNING: grading ran WITHOUT these protections: "
            + "; ".join(off)
            + " (install Debian's bubblewrap and allow user namespaces)",
            file=out,
        )
    print(
        f"{assignment}: graded {summary.graded}, failed {summary.failed}, flagged {summary.flagged}, "
        f"wall time {summary.seconds:.1f} s with {workers} worker(s); grades in grades/{assignment}.csv",
        file=out,
    )
    if summary.ungraded:
        names = " ".join(s for s, _ in summary.ungraded)
        print(
            f"ERROR: {len(summary.ungraded)} submission(s) NOT GRADED because the grader failed "
            f"(not the student), after {ATTEMPTS} attempts each; their previous grades, if any, are unchanged:",
            *(f"  {s}: {why}" for s, why in summary.ungraded),
            f'Fix the cause, then: make grade ASSIGNMENT={assignment} STUDENT="{names}"',
            sep="\n",
            file=out,
        )
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
    use_pool: bool,
    summary: Summary,
) -> None:
    """Run the workers, save each outcome as it comes, render the feedback; fill in ``summary``."""
    source = nbformat.read(root / "solutions" / assignment / notebook, as_version=4)
    preload = pool.preload_modules(source, root) if use_pool else ()
    # The last submissions of the run need no spare after them: nothing would use it.
    last_launch = len(students) - workers
    executor = ProcessPoolExecutor(max_workers=workers, initializer=worker.init, initargs=(os.getpid(),))

    def submit(student: str, launch_next: bool) -> Future:
        return executor.submit(
            worker.grade_one, str(root), assignment, student, notebook, limits, preload, use_pool, launch_next
        )

    try:
        started = time.monotonic()
        reference_future = executor.submit(worker.reference_run, str(root), assignment, notebook, limits, preload)
        queue = [(s, submit(s, i < last_launch), 1) for i, s in enumerate(students)]
        ensure_assignment_in_gradebook(root, assignment)  # while the workers run
        reference = reference_future.result()
        summary.phases["reference"] = time.monotonic() - started
        while queue:  # a retry joins the end of the queue
            student, future, attempt = queue.pop(0)
            outcome: Outcome = future.result()
            summary.workers.append({**outcome.worker, "submission": len(summary.workers) + 1})
            faults = grader_faults(outcome.flags)
            if faults:
                why = f"{', '.join(faults)}: {' | '.join(outcome.messages[-2:])}"
                again = attempt < ATTEMPTS
                print(f"  {student:<24} NOT GRADED ({why}){'; trying again' if again else ''}", file=out, flush=True)
                if again:
                    queue.append((student, submit(student, False), attempt + 1))
                else:
                    summary.ungraded.append((student, why))
                continue
            flagged_before = bool(previous.get(student, {}).get("flags"))
            saving = time.monotonic()
            row = save(root, assignment, outcome, reference, flagged_before=flagged_before)
            outcome.add_time("save", time.monotonic() - saving)
            for phase, seconds in outcome.phases.items():
                summary.phases[phase] = summary.phases.get(phase, 0.0) + seconds
            summary.rows.append(row)
            print(table_line(row, outcome.seconds), file=out, flush=True)
        with_notebook = [
            r["student_id"] for r in summary.rows if (root / "autograded" / r["student_id"] / assignment).is_dir()
        ]
        n = len(with_notebook)
        feedback = list(executor.map(feedback_timed, [str(root)] * n, [assignment] * n, with_notebook))
    except BaseException:  # interrupted (Ctrl-C) or failed: no worker, kernel or spare may outlive the run
        _abandon(executor)
        raise
    finally:
        executor.shutdown(wait=True)  # the workers' finalisers kill their spares (grading.pool)
    summary.phases["feedback"] = sum(seconds for _, seconds in feedback)
    feedback_errors = {s: err for s, (err, _) in zip(with_notebook, feedback, strict=True)}
    for row in summary.rows:
        err = feedback_errors.get(row["student_id"])
        if err:
            row["flags"] = ";".join(filter(None, [row["flags"], Flag.NO_FEEDBACK]))
            row["message"] = " | ".join(filter(None, [row["message"], f"feedback failed: {err}"]))


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


def print_profile(summary: Summary, out=None) -> None:
    """Seconds per submission in each phase of grading (``make grade GRADE_ARGS=--profile``)."""
    out = out or sys.stdout
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
    for pid in dict.fromkeys(w["pid"] for w in summary.workers):
        mine = [w for w in summary.workers if w["pid"] == pid]
        first, last = mine[0], mine[-1]
        print(
            f"  worker {pid} after its first and last ({len(mine)}th) submission: threads "
            f"{first['threads']} -> {last['threads']}, open files {first['fds']} -> {last['fds']}, "
            f"resident {first['rss'] / 2**20:.0f} -> {last['rss'] / 2**20:.0f} MiB",
            file=out,
        )


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


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    """Write the grades CSV (sorted by student) in one piece."""
    with replaced(path) as tmp, tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda r: r["student_id"]))
