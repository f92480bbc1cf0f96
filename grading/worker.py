"""What a grading worker process does: grade one submission, run the reference, say what it holds.

Workers are separate processes (:mod:`grading.pipeline` starts them). They
read, rebuild and execute submissions and return plain data
(:class:`Outcome`); they never write the gradebook. Each submission gets a
fresh sandboxed kernel and folder (:mod:`grading.pool`), killed and removed
after it, and everything the worker held for it (kernel client, ZeroMQ
context, threads, files) is released with it: a worker grading hundreds of
submissions holds as many threads and files after the last as after the
first (:func:`resources` says how many).
"""

from __future__ import annotations

import signal
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import psutil

from grading import pool, sandbox, verdict
from grading.execute import run
from grading.flags import Flag, Notes, grader_faults
from grading.limits import Limits
from grading.notebook import (
    SubmissionError,
    find_notebook,
    is_test,
    nbgrader_meta,
    read_submission,
    rebuild,
    split_hidden,
)


@dataclass
class Outcome(Notes):
    """The record of one student's submission, from reading it to its feedback (plain data).

    ``flags``, ``messages`` and ``phases`` (:class:`grading.flags.Notes`)
    gather what reading, rebuilding, executing, judging and saving found.
    """

    student_id: str
    notebook_json: str | None = None
    notebook_name: str = ""
    seconds: float = 0.0
    records: dict[str, list] = field(default_factory=dict)
    trusted: bool = False
    #: The worker's threads, open files and resident memory after this submission (:func:`resources`).
    worker: dict[str, int] = field(default_factory=dict)


def resources() -> dict[str, int]:
    """This process's pid, threads, open file descriptors, child processes and resident bytes.

    >>> sorted(resources())
    ['children', 'fds', 'pid', 'rss', 'threads']
    """
    me = psutil.Process()
    return {
        "pid": me.pid,
        "threads": me.num_threads(),
        "fds": me.num_fds(),
        "children": len(me.children()),
        "rss": me.memory_info().rss,
    }


class Records:
    """Collects what each test cell's checks recorded, after each part of a cell (for :func:`grading.execute.run`)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.offset = 0
        self.by_cell: dict[str, list[dict]] = {}

    def __call__(self, index: int, cell: nbformat.NotebookNode) -> None:
        if self.path is None:
            return
        new, self.offset = verdict.read_new_records(self.path, self.offset)
        if is_test(cell):
            self.by_cell.setdefault(nbgrader_meta(cell).get("grade_id", ""), []).extend(new)


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
    """Read, rebuild and execute one student's notebook. Never raises.

    With ``use_pool`` the kernel is this worker's spare, launched ahead of
    time (:mod:`grading.pool`), if there is one; with ``launch_next`` the
    spare for the worker's next submission is launched while this one runs.
    """
    out = Outcome(student_id=student, notebook_name=notebook)
    start = time.monotonic()
    try:
        root_path = Path(root)
        source = nbformat.read(root_path / "solutions" / assignment / notebook, as_version=4)
        path, flags = find_notebook(root_path / "submitted" / student / assignment, notebook)
        student_nb, more = read_submission(path)
        for flag in flags + more:
            out.note(flag)
        rebuilt = rebuild(source, student_nb)
        out.absorb(rebuilt)
        tick = _phase(out, "read", start)
        slot = pool.take(root_path, limits, preload) if use_pool else pool.open_slot(root_path, limits, preload)
        tick = _phase(out, "sandbox", tick)
        # Launched now, the next kernel does its imports while this submission runs.
        if use_pool and launch_next:
            pool.launch_spare(root_path, limits, preload)
        with slot:
            out.trusted = slot.trusted
            strip = verdict.Stripper(verdict.positions_for(root_path))
            visible = {i: split_hidden(c.source)[0] for i, c in enumerate(rebuilt.nb.cells) if is_test(c)}
            records = Records(slot.record)
            execution = run(
                rebuilt.nb,
                slot.workdir,
                limits,
                record=slot.record,
                transform=strip if out.trusted else None,
                preload=preload,
                kernel=slot.kernel,
                after_part=records,
            )
            if out.trusted:
                strip.restore_tracebacks(rebuilt.nb, visible)
            out.records = records.by_cell
            tick = time.monotonic()
        _phase(out, "cleanup", tick)
        out.absorb(execution)
        out.notebook_json = nbformat.writes(rebuilt.nb)
    except SubmissionError as err:
        out.note(err.flag, err.message)
    except Exception as err:  # the batch must go on whatever happens
        out.note(Flag.GRADING_ERROR, f"internal grading error: {type(err).__name__}: {err}")
        traceback.print_exc()
    out.seconds = time.monotonic() - start
    out.worker = resources()
    return out


def _phase(out: Outcome, phase: str, since: float) -> float:
    """Add the time since ``since`` to ``phase`` of ``out``; the time now."""
    now = time.monotonic()
    out.add_time(phase, now - since)
    return now


def reference_run(
    root: str, assignment: str, notebook: str, limits: Limits, preload: tuple[str, ...] = ()
) -> dict[str, list]:
    """Run the instructor's notebook with recording helpers; records per test cell.

    Once per grading run, in a kernel of its own (never a spare: it records in ``reference`` mode).
    """
    from grading.lock import scratch

    source = nbformat.read(Path(root) / "solutions" / assignment / notebook, as_version=4)
    with scratch("reference") as tmp:
        work = Path(tmp)
        sandbox.prepare(work, Path(root))
        if not verdict.install_recorder(work):
            return {}
        records = Records(work / pool.RECORD_FILE)
        execution = run(
            source, work, limits, record=records.path, mode="reference", preload=preload, after_part=records
        )
    if grader_faults(execution.flags) or Flag.KERNEL_RESTART_ERROR in execution.flags:
        raise RuntimeError(f"the reference run of {assignment} failed: {' | '.join(execution.messages)}")
    failing = [
        nbgrader_meta(c).get("grade_id")
        for c in source.cells
        if is_test(c) and any(o.get("output_type") == "error" for o in c.get("outputs", []))
    ]
    if failing:
        raise RuntimeError(f"the reference solution of {assignment} fails its own tests: {failing}")
    return records.by_cell


def init(parent: int) -> None:
    """Worker start-up: die with the grading process, so nothing of a killed run keeps running.

    The kernels die with their worker (bubblewrap's ``--die-with-parent``),
    spares included (:mod:`grading.pool`).
    """
    import os

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
