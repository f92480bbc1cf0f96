"""A limit costs only what hit it: a cell over its time or memory limit fails, the rest of the notebook runs.

* time: the cell is interrupted and the kernel, with its state, goes on with
  the next cell; only a cell that ignores the interrupt costs the kernel;
* memory: an allocation beyond the data-segment limit (``RLIMIT_DATA``)
  raises ``MemoryError`` in its cell; the resident-memory watchdog still kills
  a kernel whose memory the data limit does not count (shared memory).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import threading
from pathlib import Path

import nbformat
import psutil
import pytest

from grading import sandbox
from grading.limits import Limits
from grading.pipeline import grade_assignment
from tests.grading.course import add_gradebook, copy_helpers, make_course, student_notebook, submit
from utils.paths import REPO_ROOT

GOOD = "def add(a, b):\n    return a + b\n"
SLEEP = "import time\ntime.sleep(100)\n"
# Shared anonymous memory (Python's mmap default is MAP_SHARED) is not part of the data segment.
SHARED = (
    "import mmap\nm = mmap.mmap(-1, 3 * 2**30)\nchunk = b'x' * 2**24\n"
    "for i in range(0, len(m), len(chunk)):\n    m[i:i + len(chunk)] = chunk\n"
)
TOY_LIMITS = Limits(cell_timeout=4, notebook_timeout=60, memory_bytes=600 * 2**20, interrupt_grace=3)

# student -> (answer cell, expected score, exact flags, text every message must contain)
TOY = {
    "control": (GOOD, 3, set(), ""),
    "sleeps": (
        GOOD + SLEEP,
        3,
        {"timeout"},
        "cell 1 exceeded its time limit of 4 s and was interrupted; later cells still ran",
    ),
    "ignores_interrupt": (
        GOOD + "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n",
        0,
        {"timeout"},
        "cell 1 exceeded its time limit of 4 s and ignored the interrupt",
    ),
    "swallows_interrupt": (
        GOOD
        + "import time\nwhile True:\n    try:\n        time.sleep(100)\n    except KeyboardInterrupt:\n        pass\n",
        0,
        {"timeout"},
        "ignored the interrupt; later cells ran in a fresh kernel",
    ),
    "big_allocation": (
        GOOD + "hog = bytearray(8 * 2**30)\n",
        3,
        {"memory-limit"},
        "cell 1 hit the memory limit of 600 MiB (MemoryError); later cells still ran",
    ),
    "other_error": (GOOD + "raise ValueError('not a memory problem')\n", 3, set(), ""),
    "shared_memory": (GOOD + SHARED, 0, {"memory-limit"}, "cell 1 exceeded the resident memory limit of 1112 MiB"),
}


def test_kernelspec_limits_data_and_interrupts_by_message(tmp_path: Path) -> None:
    km = sandbox.kernel_manager(tmp_path, 60, False, data_bytes=600 * 2**20)
    spec = json.loads((tmp_path / ".kernels" / "graded" / "kernel.json").read_text())
    assert spec["interrupt_mode"] == "message"  # a signal to bwrap would not reach the kernel
    if shutil.which("prlimit"):
        assert f"--data={600 * 2**20}:{600 * 2**20}" in spec["argv"]  # plain bytes: prlimit reads "600M" as 600
    assert km.kernel_name == "graded"
    assert Limits(memory_bytes=2 * 2**30).watchdog_limit == 3 * 2**30
    assert Limits(memory_bytes=600 * 2**20).watchdog_limit == 1112 * 2**20


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, str]]]:
    root = make_course(tmp_path_factory.mktemp("limits") / "c", gradebook=True)
    for student, (answer, *_rest) in TOY.items():
        submit(root, student, student_notebook(answer))
    grade_assignment(root, "toy", workers=2, limits=TOY_LIMITS)
    rows = {r["student_id"]: r for r in csv.DictReader((root / "grades" / "toy.csv").open())}
    return root, rows


def _notes(root: Path, student: str, cell: int) -> list[tuple[str, str]]:
    nb = nbformat.read(root / "autograded" / student / "toy" / "toy.ipynb", as_version=4)
    return [(o.ename, o.evalue) for o in nb.cells[cell].outputs if o.output_type == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(TOY))
def test_each_limit_costs_only_its_cell(prlimit_works: None, toy, student: str) -> None:
    root, rows = toy
    _answer, score, flags, message = TOY[student]
    row = rows[student]
    assert float(row["score"]) == score, row
    assert set(filter(None, row["flags"].split(";"))) == flags, row
    assert message in row["message"], row


@pytest.mark.slow
def test_the_cell_says_which_limit_it_hit(prlimit_works: None, toy) -> None:
    root, _rows = toy
    assert _notes(root, "sleeps", 1) == [
        ("KeyboardInterrupt", ""),
        ("CellTimeout", "this cell was stopped after 4 s (its time limit); the notebook continued with the next cell"),
    ]
    big = _notes(root, "big_allocation", 1)
    assert [e for e, _ in big] == ["MemoryError", "MemoryLimit"], big
    assert "memory limit of 600 MiB" in big[1][1]
    assert [e for e, _ in _notes(root, "other_error", 1)] == ["ValueError"]  # no memory note on other errors
    assert [e for e, _ in _notes(root, "shared_memory", 1)] == ["MemoryLimit"]
    html = (root / "feedback" / "sleeps" / "toy" / "toy.html").read_text()
    assert "stopped after 4 s" in html and "continued with the next cell" in html


# --- a real exercise: a correct ex01 with an 8 GB allocation in an answer cell ---

SOLUTION_BLOCK = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n", re.M)


def _ex01(hog_in: str | None) -> nbformat.NotebookNode:
    """The released ex01 with the instructor's answers; ``hog_in``'s answer ends with an 8 GiB allocation."""
    source = nbformat.read(REPO_ROOT / "solutions" / "ex01_ridge" / "ex01_ridge.ipynb", as_version=4)
    answers = {
        c.metadata.nbgrader["grade_id"]: SOLUTION_BLOCK.sub("", c.source)
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    nb = nbformat.read(REPO_ROOT / "exercises" / "ex01_ridge" / "ex01_ridge.ipynb", as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers and cell.metadata.nbgrader.get("solution"):
            cell.source = answers[gid] + ("\nhog = bytearray(8 * 2**30)\n" if gid == hog_in else "")
    return nb


class _PeakRss(threading.Thread):
    """Peak resident memory of this process's descendants: grading workers and kernels."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        me = psutil.Process()
        while not self.done.wait(0.05):
            total = 0
            for proc in me.children(recursive=True):
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)


@pytest.mark.slow
def test_eight_gigabytes_in_an_answer_cell_cost_nothing(prlimit_works: None, tmp_path: Path) -> None:
    from nbgrader.api import Gradebook

    root = tmp_path / "c"
    root.mkdir()
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(REPO_ROOT / "solutions" / "ex01_ridge", root / "solutions" / "ex01_ridge")
    copy_helpers(root)
    add_gradebook(root)
    folders = {"control": None, "hog": "ridge_closed_form"}
    for student, hog_in in folders.items():
        folder = root / "submitted" / student / "ex01_ridge"
        folder.mkdir(parents=True)
        nbformat.write(_ex01(hog_in), folder / "ex01_ridge.ipynb")
    own_before = psutil.Process().memory_info().rss
    watch = _PeakRss()
    watch.start()
    summary = grade_assignment(root, "ex01_ridge", workers=2)
    watch.done.set()
    watch.join()
    rows = {r["student_id"]: r for r in summary.rows}
    print(f"\nex01 graded in {summary.seconds:.1f} s; peak RSS of workers and kernels {watch.peak / 2**20:.0f} MiB")
    assert rows["control"]["flags"] == "", rows["control"]
    assert rows["hog"]["flags"] == "memory-limit", rows["hog"]
    released = _ex01(None).cells
    cell = next(i for i, c in enumerate(released) if c.metadata.get("nbgrader", {}).get("grade_id") == folders["hog"])
    assert (
        f"cell {cell} hit the memory limit of 2048 MiB (MemoryError); later cells still ran" in rows["hog"]["message"]
    )
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for student in folders:
            sub = gb.find_submission("ex01_ridge", student)
            graded = [g for nb in sub.notebooks for g in nb.grades if g.auto_score is not None]
            assert graded and all(g.auto_score == g.max_score for g in graded), (
                student,
                [(g.name, g.auto_score, g.max_score) for g in graded],
            )
    assert rows["hog"]["score"] == rows["control"]["score"] and float(rows["control"]["score"]) > 0
    nb = nbformat.read(root / "autograded" / "hog" / "ex01_ridge" / "ex01_ridge.ipynb", as_version=4)
    assert [o.ename for o in nb.cells[cell].outputs if o.output_type == "error"] == ["MemoryError", "MemoryLimit"]
    # The host stayed healthy: nothing near 8 GiB was ever resident, here or in a worker or kernel.
    assert watch.peak < 2 * 2**30, watch.peak
    assert psutil.Process().memory_info().rss - own_before < 256 * 2**20
