"""Kernels launched ahead of time (grading.pool): used once, isolated, gone when grading ends."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import psutil
import pytest

from grading import pool
from grading.execute import run
from grading.limits import Limits
from grading.pipeline import grade_assignment
from tests.grading.course import checked_student, make_checked_course, make_course, student_notebook, submit
from utils.paths import REPO_ROOT

GOOD = "def add(a, b):\n    return a + b\n"
WRONG = "def add(a, b):\n    return a - b\n"
LIMITS = Limits(cell_timeout=20, notebook_timeout=60)


@contextlib.contextmanager
def _own_tmp() -> Iterator[Path]:
    """A system temp folder of the caller's own, for the scratch folders of the runs it starts.

    Other grading runs on the machine (other tests, other sessions) leave theirs
    in the shared one: there "no folder outlives the run" would count theirs.
    Short, as kernel sockets live in it. In-process runs and their forked
    workers find it through ``tempfile``, ``python -m grading`` through ``TMPDIR``.
    """
    path = Path(tempfile.mkdtemp(prefix="mlt"))
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(tempfile, "tempdir", str(path))
            mp.setenv("TMPDIR", str(path))
            yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def own_tmp() -> Iterator[Path]:
    with _own_tmp() as path:
        yield path


def _scratch_folders(tmp: Path) -> set[Path]:
    """Submission folders of kernels started one by one, and the slots folders of forking templates."""
    return set(tmp.glob("mlchem-grade-*")) | set(tmp.glob("mlchem-slots-*"))


def _kernels_in(folders: set[Path]) -> list[psutil.Process]:
    """Living processes whose command line names one of ``folders`` (as bwrap's and the kernel's do).

    A forked kernel's command line is its template's, which names the slots folder: the template's
    bubblewrap process and every process below it count.
    """
    names = tuple(str(f) for f in folders | {f.parent for f in folders if f.parent.name.startswith("mlchem-slots-")})
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            line = " ".join(proc.info["cmdline"] or [])
            if proc.info["status"] != psutil.STATUS_ZOMBIE and any(n in line for n in names):
                found += [proc, *proc.children(recursive=True)]
        except psutil.Error:
            pass
    return [p for p in dict.fromkeys(found) if _alive(p)]


@pytest.mark.slow
def test_a_spare_is_handed_out_once(tmp_path: Path) -> None:
    root = make_course(tmp_path / "course")
    pool.launch_spare(root, LIMITS)
    first = pool.take(root, LIMITS)
    second = pool.take(root, LIMITS)  # no spare left: a new slot, never the same one again
    try:
        assert first.workdir != second.workdir and first.kernel.pid != second.kernel.pid
        assert pool._SPARE is None
    finally:
        first.close()
        second.close()
    assert not first.workdir.exists() and not first.alive()
    assert not second.workdir.exists() and not second.alive()


@pytest.mark.slow
def test_a_spare_made_for_other_settings_is_not_used(tmp_path: Path) -> None:
    root = make_course(tmp_path / "course")
    pool.launch_spare(root, LIMITS)
    spare = pool._SPARE
    assert spare is not None
    other = pool.take(root, Limits(cell_timeout=5))
    try:
        assert other.workdir != spare.workdir
        assert not spare.workdir.exists(), "the unusable spare is discarded, not kept"
    finally:
        other.close()


@pytest.mark.slow
def test_preloading_imports_but_binds_no_name(tmp_path: Path) -> None:
    root = make_course(tmp_path / "course")
    shown = {}
    for preload in ((), ("colorsys", "no_such_module_xyz")):
        nb = nbformat.v4.new_notebook()
        nb.cells = [
            nbformat.v4.new_code_cell("print(sorted(dir()))"),
            nbformat.v4.new_code_cell(
                "import sys\nprint('colorsys' in sys.modules, 'no_such_module_xyz' in sys.modules)"
            ),
        ]
        with pool.open_slot(root, LIMITS, preload) as slot:
            run(nb, slot.workdir, LIMITS, preload=preload, kernel=slot.kernel)
        shown[preload] = ["".join(o.get("text", "") for o in c.outputs) for c in nb.cells] + [
            nb.cells[0].execution_count
        ]
    plain, preloaded = shown.values()
    assert preloaded[0] == plain[0], "the student's namespace is the same with and without preloading"
    assert (plain[1].strip(), preloaded[1].strip()) == ("False False", "True False")
    assert preloaded[2] == plain[2] == 1, "preloading does not count as an execution"


def test_preload_modules_of_the_real_exercises() -> None:
    source = nbformat.read(
        REPO_ROOT / "solutions" / "ex03_permutation_importance" / "ex03_permutation_importance.ipynb", as_version=4
    )
    modules = pool.preload_modules(source, REPO_ROOT)
    assert {"numpy", "sklearn.ensemble", "matplotlib.pyplot", "rdkit.Chem.Descriptors", "pandas"} <= set(modules)
    assert not [m for m in modules if m.split(".")[0] == "utils"], "the course's own helpers are not preloaded"


#: Submission A leaves traces everywhere it can; submission B scores 3 only if it sees none of them.
LEAVES_TRACES = GOOD + (
    "import os, subprocess, pathlib\n"
    "open('trace.txt', 'w').write('A')\n"
    "open('/tmp/trace.txt', 'w').write('A')\n"
    "pathlib.Path(os.environ['HOME'], '.trace').write_text('A')\n"
    "open('utils/trace.py', 'w').write('A = 1')\n"
    "subprocess.Popen(['/bin/sh', '-c', 'sleep 600 # mlchem_pool_trace'], start_new_session=True)\n"
    # An orphan: its parent exits at once, so it is no longer below the kernel in the process tree.
    "import sys\nsubprocess.run([sys.executable, '-c', 'import os, time\\nif os.fork() == 0:\\n"
    "    os.setsid()\\n    time.sleep(600)', 'mlchem_pool_trace'])\n"
    "import builtins\nbuiltins.TRACE = 'A'\n"
    # What a kernel forked from the template (grading.forking) could try to leave behind.
    "import numpy, sklearn.linear_model, sys, threading, time\n"
    "numpy.mean = lambda *a, **k: 'A'\n"
    "sklearn.linear_model.Ridge.fit = lambda *a, **k: 'A'\n"
    "sys.modules['mlchem_trace_module'] = sys\n"
    "os.environ['MLCHEM_TRACE'] = 'A'\n"
    "threading.Thread(target=time.sleep, args=(600,), name='mlchem_trace_thread').start()\n"
    "for _path in ('/dev/shm/trace', '/trace.txt', '/dev/trace.txt'):\n"
    "    try:\n        open(_path, 'w').write('A')\n"
    "    except OSError:\n        pass\n"
)
LOOKS_FOR_TRACES = (
    "import builtins, glob, os\n"
    "_seen = [p for p in ('trace.txt', '/tmp/trace.txt', os.path.join(os.environ['HOME'], '.trace'), 'utils/trace.py')"
    " if os.path.exists(p)]\n"
    "_cmdlines = []\n"
    "for _pid in filter(str.isdigit, os.listdir('/proc')):\n"
    "    try:\n        _cmdlines.append(open(f'/proc/{_pid}/cmdline').read())\n"
    "    except OSError:\n        pass\n"
    "_seen += ['process'] if any('mlchem_pool_trace' in c for c in _cmdlines) else []\n"
    "_seen += ['builtins'] if hasattr(builtins, 'TRACE') else []\n"
    "import numpy, sklearn.linear_model, sys, threading\n"
    "_seen += ['numpy'] if numpy.mean([1, 2]) != 1.5 else []\n"
    "_seen += ['sklearn'] if sklearn.linear_model.Ridge().fit([[0.0], [1.0]], [0.0, 1.0]) == 'A' else []\n"
    "_seen += ['sys.modules'] if 'mlchem_trace_module' in sys.modules else []\n"
    "_seen += ['environment'] if 'MLCHEM_TRACE' in os.environ else []\n"
    "_seen += ['thread'] if any(t.name == 'mlchem_trace_thread' for t in threading.enumerate()) else []\n"
    "_seen += [p for p in ('/dev/shm/trace', '/trace.txt', '/dev/trace.txt') if os.path.exists(p)]\n"
    # A forked kernel's folder is inside its worker's slots folder, which holds nothing else in its view.
    "_seen += [p for p in glob.glob('/tmp/mlchem-*') + glob.glob('/tmp/mlchem-*/*')"
    " if p != os.getcwd() and not os.getcwd().startswith(p + os.sep) and not p.startswith(os.getcwd() + os.sep)]\n"
    "print('seen:', _seen)\n"
    "def add(a, b):\n    return a + b + (100 if _seen else 0)\n"
)


@pytest.mark.slow
def test_nothing_of_one_submission_is_seen_by_the_next(
    sandbox_works: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also for kernels forked from a template that has numpy and scikit-learn imported.

    b's kernel is forked before a's code runs (it is the spare launched with a), c's after: had any of
    a's code run in the template, c would see it.
    """
    root = make_course(tmp_path / "course", gradebook=True)
    # The workers are forked from this process and compute nothing of this: the template preloads these.
    monkeypatch.setattr(pool, "preload_modules", lambda source, root: ("numpy", "sklearn.linear_model"))
    # One worker: b and c get the spares launched while a (then b) ran.
    submit(root, "a_leaves", student_notebook(LEAVES_TRACES))
    submit(root, "b_looks", student_notebook(LOOKS_FOR_TRACES))
    submit(root, "c_looks", student_notebook(LOOKS_FOR_TRACES))
    summary = grade_assignment(root, "toy", workers=1, limits=LIMITS, out=open(os.devnull, "w"))
    scores = {r["student_id"]: r["score"] for r in summary.rows}
    seen = {s: _printed(root, s) for s in ("b_looks", "c_looks")}
    assert scores == {"a_leaves": "3", "b_looks": "3", "c_looks": "3"}, seen
    assert not [p for p in psutil.process_iter(["cmdline"]) if "mlchem_pool_trace" in " ".join(p.info["cmdline"] or [])]


def _printed(root: Path, student: str) -> str:
    """What the answer cell of ``student``'s autograded notebook printed."""
    nb = nbformat.read(root / "autograded" / student / "toy" / "toy.ipynb", as_version=4)
    return "".join(str(o.get("text", o.get("evalue", ""))) for o in nb.cells[1].outputs)


ANSWERS = {
    "good": GOOD,
    "wrong": WRONG,
    "raises": "def add(a, b):\n    raise ValueError('no')\n",
    "imports": "import numpy as np\ndef add(a, b):\n    return float(np.add(a, b))\n",
    "half": "def add(a, b):\n    return a + b if isinstance(a, int) else 0.0\n",
}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, dict]:
    """ANSWERS graded with the pool and without (use_pool -> what the run left), each in its own temp folder.

    Before the run with the pool this process launches a spare of its own (its
    workers are forked from it), and a spy notes every slot a worker opens.
    """
    runs: dict[bool, dict] = {}
    for use_pool in (True, False):
        root = make_checked_course(tmp_path_factory.mktemp(f"pool-{use_pool}") / "c", gradebook=True)
        slots = root.parent / "slots.txt"  # the workers' spy writes here: their memory is not this process's
        for student, answer in ANSWERS.items():
            submit(root, student, checked_student(answer))
        with _own_tmp() as tmp:
            parents = None
            if use_pool:
                pool.launch_spare(root, LIMITS)  # this process now has a spare, and a finaliser for it
                parents = pool._SPARE
            before = _scratch_folders(tmp)
            original = pool.open_slot

            def spy(*args, _original=original, _slots=slots, **kwargs):
                slot = _original(*args, **kwargs)
                with _slots.open("a") as handle:
                    handle.write(f"{slot.workdir}\n")
                return slot

            pool.open_slot = spy  # the workers are forked from this process: they inherit the spy
            try:
                summary = grade_assignment(
                    root, "toy", workers=2, limits=LIMITS, out=open(os.devnull, "w"), use_pool=use_pool
                )
                left = _scratch_folders(tmp) - before
                seen = {Path(line) for line in slots.read_text().splitlines()} if slots.exists() else set()
                runs[use_pool] = {
                    "rows": {r["student_id"]: r for r in summary.rows},
                    "autograded": {
                        s: [
                            (c.get("execution_count"), SCRATCH.sub("<scratch>", json.dumps(c.get("outputs"))))
                            for c in nbformat.read(root / "autograded" / s / "toy" / "toy.ipynb", as_version=4).cells
                        ]
                        for s in ANSWERS
                    },
                    "slots": seen,
                    "left": left,
                    "kernels": _kernels_in(seen | left),
                    "parents_spare": parents is not None and parents.alive() and parents.workdir.is_dir(),
                }
            finally:
                pool.open_slot = original
                pool.discard_spare()
    return runs


@pytest.mark.slow
def test_grading_with_the_pool_equals_grading_without(two_runs) -> None:
    assert two_runs[True]["rows"] == two_runs[False]["rows"]
    assert two_runs[True]["autograded"] == two_runs[False]["autograded"]


#: A submission's scratch folder, the one thing that differs between two gradings of it.
SCRATCH = re.compile(r"mlchem-(grade-\d+-|slots-\d+-\w+/grade-)\w+")


@pytest.mark.slow
def test_no_kernel_or_folder_outlives_grading(two_runs) -> None:
    for use_pool, result in two_runs.items():
        assert result["slots"], "the spy saw the workers' slots"
        assert not result["left"], ("every folder of the run is removed", use_pool)
        assert not result["kernels"], use_pool


@pytest.mark.slow
@pytest.mark.parametrize("how", ["ctrl-c", "killed"])
def test_no_kernel_outlives_an_interrupted_run(own_tmp: Path, tmp_path: Path, how: str) -> None:
    root = make_course(tmp_path / "course", gradebook=True)
    for i in range(8):
        submit(root, f"s{i}", student_notebook(GOOD + "import time\ntime.sleep(3)\n"))
    before = _scratch_folders(own_tmp)
    proc = subprocess.Popen(
        [sys.executable, "-m", "grading", "--root", str(root), "grade", "toy", "--workers", "2"],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # its scratch folders go to own_tmp (TMPDIR)
    try:
        kernels: list[psutil.Process] = []
        deadline = time.monotonic() + 120
        # Wait until both workers have a kernel and a spare running.
        while len(kernels) < 4 and time.monotonic() < deadline:
            time.sleep(0.5)
            kernels = _kernels_in(_scratch_folders(own_tmp) - before)
        assert len(kernels) >= 4, "the run never had its kernels and spares running"
        if how == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)  # what the terminal sends to the whole run
        else:
            proc.send_signal(signal.SIGKILL)  # the grading process only: its workers must follow
        proc.wait(timeout=60)
        deadline = time.monotonic() + 20
        while [k for k in kernels if _alive(k)] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [k for k in kernels if _alive(k)]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@pytest.mark.slow
def test_a_spare_of_the_grading_process_is_not_inherited_by_its_workers(two_runs) -> None:
    """Workers are forked: they must neither use the parent's spare nor skip registering their own clean-up."""
    pooled = two_runs[True]  # the run that started with a spare of this process's own
    assert not pooled["left"], "a worker's spare outlived it"
    assert pooled["parents_spare"], "a worker used the parent's spare"
