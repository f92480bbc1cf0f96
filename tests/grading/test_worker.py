"""A grading worker over a whole class: as many threads and files after the last submission as after
the first, and a submission the grader fails on is never scored."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grading import execute, worker
from grading.__main__ import main
from grading.limits import Limits
from grading.pipeline import grade_assignment, read_csv
from tests.grading.course import checked_student, make_checked_course, submit
from utils.paths import REPO_ROOT

pytestmark = pytest.mark.slow  # grades toy courses: not in make test-fast

GOOD = "def add(a, b):\n    return a + b\n"
WRONG = "def add(a, b):\n    return a - b\n"
LIMITS = Limits(cell_timeout=30, notebook_timeout=60)

#: Submissions graded by one worker under a low limit of open files. Before the release of each
#: kernel's client and ZeroMQ context, a worker gained about 5 threads and 18 open files per
#: submission and, under ``ulimit -n 256``, died of "Too many open files" at the 11th.
CLASS = 30
NOFILE = 256

FLAT = """
import json, resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_NOFILE, ({nofile}, {nofile}))
from grading.limits import Limits
from grading.pipeline import grade_assignment
summary = grade_assignment(Path(sys.argv[1]), "toy", workers=1, limits=Limits(cell_timeout=30, notebook_timeout=60))
print(json.dumps({{"rows": summary.rows, "workers": summary.workers, "ungraded": summary.ungraded}}))
"""


def test_a_worker_holds_as_much_after_the_last_submission_as_after_the_first(tmp_path: Path) -> None:
    root = make_checked_course(tmp_path / "c", gradebook=True)
    for i in range(CLASS):
        submit(root, f"s{i:03d}", checked_student(WRONG if i % 3 == 0 else GOOD))
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(FLAT.format(nofile=NOFILE)), str(root)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    scores = {r["student_id"]: r["score"] for r in report["rows"]}
    assert scores == {f"s{i:03d}": "0" if i % 3 == 0 else "3" for i in range(CLASS)}, result.stdout[-3000:]
    assert report["ungraded"] == []
    samples = report["workers"]
    assert len(samples) == CLASS and len({s["pid"] for s in samples}) == 1
    first, last = samples[0], samples[-1]
    # The first sample holds the spare kernel launched for the next submission; the last has none.
    assert last["threads"] <= first["threads"] + 2, samples
    assert last["fds"] <= first["fds"] + 4, samples
    assert last["rss"] <= first["rss"] + 16 * 2**20, samples
    assert max(s["children"] for s in samples) <= 1, "a kernel outlived its submission"
    assert max(s["fds"] for s in samples) <= first["fds"] + 4, samples


def _unlucky_rebuild(marker: Path):
    """A ``rebuild`` that fails like a grader out of file descriptors: always for ``unlucky``,
    once for ``flaky`` (``marker`` remembers it failed)."""
    real = worker.rebuild

    def rebuild(source, student):
        answer = student.cells[1].source
        if "unlucky" in answer or ("flaky" in answer and not marker.exists()):
            marker.touch()
            raise OSError(24, "Too many open files")
        return real(source, student)

    return rebuild


def test_a_submission_the_grader_fails_on_is_tried_again_and_never_scored(tmp_path: Path, monkeypatch, capfd) -> None:
    root = make_checked_course(tmp_path / "c", gradebook=True)
    for student in ("flaky", "good", "unlucky"):
        submit(root, student, checked_student(f"def add(a, b):\n    # {student}\n    return a + b\n"))
    assert main(["--root", str(root), "grade", "toy", "--workers", "1"]) == 0
    before = read_csv(root / "grades" / "toy.csv")
    assert {s: r["score"] for s, r in before.items()} == {"flaky": "3", "good": "3", "unlucky": "3"}
    # Now the students submit wrong answers, and the grader fails on two of them (the workers are
    # forked from this process, so they grade with the patched rebuild).
    for student in ("flaky", "good", "unlucky"):
        submit(root, student, checked_student(f"def add(a, b):\n    # {student}\n    return a - b\n"))
    monkeypatch.setattr(worker, "rebuild", _unlucky_rebuild(tmp_path / "failed-once"))
    capfd.readouterr()
    assert main(["--root", str(root), "grade", "toy", "--workers", "1"]) == 1
    out = capfd.readouterr().out
    after = read_csv(root / "grades" / "toy.csv")
    assert after["good"]["score"] == "0" and after["flaky"]["score"] == "0", out  # graded (flaky on its retry)
    assert after["unlucky"] == before["unlucky"], "a submission the grader failed on was scored"
    assert "flaky" in out and "NOT GRADED (grading-error: internal grading error: OSError" in out
    assert "ERROR: 1 submission(s) NOT GRADED because the grader failed" in out
    assert 'make grade ASSIGNMENT=toy STUDENT="unlucky"' in out
    # Once the grader is mended, the student named in the message is graded as usual.
    monkeypatch.undo()
    summary = grade_assignment(root, "toy", workers=1, limits=LIMITS, students=["unlucky"])
    assert [(r["student_id"], r["score"]) for r in summary.rows] == [("unlucky", "0")] and not summary.ungraded


def test_a_reference_run_without_a_kernel_stops_the_run_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_checked_course(tmp_path / "c", gradebook=True)
    submit(root, "alice", checked_student(GOOD))
    assert main(["--root", str(root), "grade", "toy", "--workers", "1"]) == 0
    before = (root / "grades" / "toy.csv").read_bytes()
    # No kernel starts for the reference run (a startup timeout cannot say so reliably: a kernel
    # that answers within a second is ready whatever the timeout). The workers are forked from
    # this process, so they start kernels with the patched function.
    start_kernel = execute.start_kernel

    def no_reference_kernel(workdir, limits, record, mode, preload):
        if mode == "reference":
            raise RuntimeError("no kernel could be started")
        return start_kernel(workdir, limits, record, mode, preload)

    monkeypatch.setattr(execute, "start_kernel", no_reference_kernel)
    with pytest.raises(RuntimeError, match="the reference run of toy failed: kernel error: RuntimeError: no kernel"):
        main(["--root", str(root), "grade", "toy", "--workers", "1"])
    assert (root / "grades" / "toy.csv").read_bytes() == before
