"""Grade every submission of an assignment: parallel execution, one gradebook writer.

Workers (separate processes) read, rebuild and execute submissions and return
plain data; only the main process writes the gradebook, the autograded
notebooks and the grades CSV. Feedback HTML is rendered in the workers
afterwards (nbgrader's own feedback converter, which only reads the gradebook).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from grading import sandbox, verdict
from grading.execute import Limits, run
from grading.notebook import is_test, nbgrader_meta
from grading.notebook import SubmissionError, find_notebook, read_submission, rebuild

CSV_FIELDS = ["student_id", "score", "max_score", "needs_manual_grade", "flags", "message"]


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


@dataclass
class Summary:
    graded: int
    failed: int
    flagged: int
    seconds: float
    rows: list[dict[str, str]]


def course_paths(root: Path) -> dict[str, Path]:
    return {k: root / k for k in ("solutions", "submitted", "autograded", "feedback", "grades")}


def source_notebooks(root: Path, assignment: str) -> list[Path]:
    folder = root / "solutions" / assignment
    notebooks = sorted(folder.glob("*.ipynb"))
    if not notebooks:
        raise SystemExit(f"error: no assignment '{assignment}': {folder} holds no notebook")
    return notebooks


def grade_one(root: str, assignment: str, student: str, notebook: str, limits: Limits) -> Outcome:
    """Worker: read, rebuild and execute one student's notebook. Never raises."""
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
        with tempfile.TemporaryDirectory(prefix="mlchem-grade-") as tmp:
            work = Path(tmp)
            sandbox.prepare(work, root_path)
            out.trusted = verdict.install_wrapper(work)
            execution = run(rebuilt.nb, work, limits,
                            record=work / ".records.jsonl" if out.trusted else None,
                            transform=verdict.strip_expected if out.trusted else None)
            out.records = execution.records
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


def reference_run(root: str, assignment: str, notebook: str, limits: Limits) -> dict[str, list]:
    """Worker: run the instructor's notebook with recording helpers; records per test cell."""
    source = nbformat.read(Path(root) / "solutions" / assignment / notebook, as_version=4)
    with tempfile.TemporaryDirectory(prefix="mlchem-reference-") as tmp:
        work = Path(tmp)
        sandbox.prepare(work, Path(root))
        if not verdict.install_wrapper(work):
            return {}
        execution = run(source, work, limits, record=work / ".records.jsonl", mode="reference")
    failing = [nbgrader_meta(c).get("grade_id") for c in source.cells
               if is_test(c) and any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    if failing:
        raise RuntimeError(f"the reference solution of {assignment} fails its own tests: {failing}")
    return execution.records


def apply_verdicts(nb: nbformat.NotebookNode, reference: dict[str, list], outcome: Outcome) -> None:
    """Fail every test cell whose recorded values differ from the trusted reference."""
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if not (is_test(cell) and gid in reference and reference[gid]):
            continue
        missing, failed = verdict.judge(reference[gid], outcome.records.get(gid, []))
        errored = any(o.get("output_type") == "error" for o in cell.outputs)
        if missing and not errored:
            # The cell ran without an error, yet its checks never happened:
            # something in the notebook switched them off.
            if "checks-bypassed" not in outcome.flags:
                outcome.flags.append("checks-bypassed")
            outcome.messages.append(f"the checks of '{gid}' did not run although the cell raised no error")
        if missing or failed:
            text = "; ".join(filter(None, [
                f"checks that did not run: {', '.join(missing)}" if missing else "",
                f"values that differ from the reference: {', '.join(failed)}" if failed else "",
            ]))
            cell.outputs.append(nbformat.v4.new_output(
                "error", ename="CheckFailed", evalue=text, traceback=[f"CheckFailed: {text}"]))


def tool_env() -> dict[str, str]:
    """This environment with the running interpreter's bin folder first on PATH.

    nbgrader calls ``alembic`` and kernels are found through PATH, so they come
    from the same environment as the pipeline even when it was not activated.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JPY_", "JUPYTER_"))}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


_API = None


def _feedback_one(root: str, assignment: str, student: str) -> str | None:
    """Worker: render nbgrader's feedback HTML for one student (reads the gradebook only)."""
    global _API
    try:
        if _API is None:
            from nbgrader.apps import NbGraderAPI
            from traitlets.config import Config

            config = Config()
            config_file = Path(root) / "nbgrader_config.py"
            exec(compile(config_file.read_text(), str(config_file), "exec"),
                 {"get_config": lambda: config, "__file__": str(config_file)})
            config.CourseDirectory.root = root
            _API = NbGraderAPI(config=config)
        result = _API.generate_feedback(assignment, student, force=True)
        if not result.get("success"):
            return (result.get("error") or "unknown error").strip().splitlines()[-1]
    except Exception as err:
        return f"{type(err).__name__}: {err}"
    return None


def ensure_assignment_in_gradebook(root: Path, assignment: str) -> None:
    """Register the assignment's cells in the gradebook (without touching exercises/)."""
    with tempfile.TemporaryDirectory() as scratch:
        result = subprocess.run(
            [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force", "--quiet",
             f"--CourseDirectory.release_directory={scratch}"],
            cwd=root, capture_output=True, text=True, env=tool_env(),
        )
    if result.returncode != 0:
        raise SystemExit(f"error: nbgrader could not register {assignment}:\n{result.stderr[-2000:]}")


def save(root: Path, assignment: str, outcome: Outcome, reference: dict[str, list] | None = None) -> dict[str, str]:
    """Main process: write the autograded notebook and the grades; return the CSV row."""
    import warnings

    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.preprocessors import SaveAutoGrades

    warnings.filterwarnings("ignore", message=".*not in session.*")  # nbgrader's own SQLAlchemy noise

    db_url = f"sqlite:///{root / 'gradebook.db'}"
    name = Path(outcome.notebook_name).stem
    target = root / "autograded" / outcome.student_id / assignment
    with Gradebook(db_url) as gb:
        gb.update_or_create_student(outcome.student_id)
        try:
            gb.find_submission(assignment, outcome.student_id)
        except MissingEntry:
            gb.add_submission(assignment, outcome.student_id)
        if outcome.notebook_json is not None:
            nb = nbformat.reads(outcome.notebook_json, as_version=4)
            if reference and outcome.trusted:
                apply_verdicts(nb, reference, outcome)
            target.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, target / outcome.notebook_name)
            resources = {"nbgrader": {"notebook": name, "assignment": assignment,
                                      "student": outcome.student_id, "db_url": db_url}}
            before = {g.name: (g.auto_score, g.needs_manual_grade)
                      for g in gb.find_submission_notebook(name, assignment, outcome.student_id).grades}
            SaveAutoGrades().preprocess(nb, resources)
            # nbgrader re-opens every manually graded cell on a rerun; keep a
            # grader's decision when the autograder's verdict did not change.
            gb.db.expire_all()
            for grade in gb.find_submission_notebook(name, assignment, outcome.student_id).grades:
                old_auto, old_needs = before.get(grade.name, (None, True))
                if grade.manual_score is not None and grade.auto_score == old_auto and not old_needs:
                    grade.needs_manual_grade = False
            gb.db.commit()
        else:
            # Nothing could be run: every autograded cell scores zero.
            sub_nb = gb.find_submission_notebook(name, assignment, outcome.student_id)
            for grade in sub_nb.grades:
                if grade.cell.notebook.name == name and not grade.cell.cell_type == "markdown":
                    grade.auto_score = 0.0
                    grade.needs_manual_grade = grade.manual_score is not None
            gb.db.commit()
            if target.exists():
                shutil.rmtree(target)
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


def grade_assignment(root: Path, assignment: str, workers: int | None = None,
                     limits: Limits | None = None, students: list[str] | None = None,
                     out=sys.stdout) -> Summary:
    """Grade every submission of ``assignment`` under ``root``; see ``make grade``."""
    start = time.monotonic()
    limits = limits or Limits()
    workers = max(1, workers or os.cpu_count() or 1)
    notebooks = source_notebooks(root, assignment)
    if len(notebooks) != 1:
        raise SystemExit(f"error: {assignment} has {len(notebooks)} notebooks; the pipeline grades one per assignment")
    notebook = notebooks[0].name
    submitted = root / "submitted"
    all_students = sorted(p.name for p in submitted.iterdir() if (p / assignment).is_dir()) if submitted.is_dir() else []
    students = [s for s in all_students if students is None or s in students]
    if not students:
        raise SystemExit(f"error: no submissions of {assignment} under {submitted}/<student>/{assignment}/")
    rows: list[dict[str, str]] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        reference_future = pool.submit(reference_run, str(root), assignment, notebook, limits)
        futures = [pool.submit(grade_one, str(root), assignment, s, notebook, limits) for s in students]
        ensure_assignment_in_gradebook(root, assignment)  # while the workers run
        reference = reference_future.result()
        for future in futures:
            outcome = future.result()
            row = save(root, assignment, outcome, reference)
            rows.append(row)
            print(f"  {row['student_id']:<24} {row['score']:>6} / {row['max_score']:<6} "
                  f"{outcome.seconds:5.1f} s  {row['flags']}", file=out, flush=True)
        with_notebook = [r["student_id"] for r in rows if (root / "autograded" / r["student_id"] / assignment).is_dir()]
        feedback_errors = dict(zip(with_notebook, pool.map(
            _feedback_one, [str(root)] * len(with_notebook), [assignment] * len(with_notebook), with_notebook)))
    for row in rows:
        err = feedback_errors.get(row["student_id"])
        if err:
            row["flags"] = ";".join(filter(None, [row["flags"], "no-feedback"]))
            row["message"] = " | ".join(filter(None, [row["message"], f"feedback failed: {err}"]))
    write_csv(root / "grades" / f"{assignment}.csv", rows)
    seconds = time.monotonic() - start
    failed = sum(1 for r in rows if any(f in r["flags"].split(";") for f in FATAL_FLAGS))
    flagged = sum(1 for r in rows if r["flags"])
    off = [name for name, on in sandbox.protections(limits.sandbox).items() if not on]
    if off:
        print("WARNING: grading ran WITHOUT these protections: " + "; ".join(off)
              + " (install Debian's bubblewrap and allow user namespaces)", file=out)
    print(f"{assignment}: graded {len(rows) - failed}, failed {failed}, flagged {flagged}, "
          f"wall time {seconds:.1f} s with {workers} worker(s); grades in grades/{assignment}.csv", file=out)
    return Summary(len(rows) - failed, failed, flagged, seconds, rows)


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
