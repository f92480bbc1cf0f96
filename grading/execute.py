"""Execute a rebuilt notebook with time, memory and output limits.

Each code cell runs in a Jupyter kernel, and a limit costs only the cell that
hit it:

* A cell that exceeds its time limit is interrupted (``KeyboardInterrupt``)
  and the notebook goes on with the next cell in the same kernel, its state
  kept. Only when the interrupt has no effect within a few seconds (code that
  swallows ``KeyboardInterrupt`` or C code that ignores signals) is the
  kernel ended and a fresh one started.
* An allocation beyond the data-segment limit (see :mod:`grading.sandbox`)
  raises ``MemoryError`` in its cell; the kernel lives on.
* A kernel that dies (``os._exit``, a crash, or the resident-memory watchdog
  as the last resort) is replaced by a fresh kernel for the next cell.

Each such cell gets an error output saying which limit it hit, and the
execution a flag (``timeout``, ``memory-limit``, ``kernel-died``) with a
message naming the cell. Output beyond a byte cap is dropped. Hidden tests run
as a separate step after the visible part of their cell, and whatever they
print is replaced by one line per hidden test group, so feedback can never
show their source, values or tracebacks.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import IO, Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbformat import NotebookNode

from grading import sandbox
from grading.notebook import is_test, nbgrader_meta, split_hidden

HIDDEN_PLACEHOLDER = "# (hidden tests run here when your notebook is graded)\n"


@dataclass
class Limits:
    """Resource limits of one submission.

    Attributes
    ----------
    cell_timeout
        Seconds a cell may run before it is interrupted.
    notebook_timeout
        Seconds the whole notebook may run; later cells are not run.
    output_bytes_per_cell
        Output kept per cell; the rest is dropped.
    startup_timeout
        Seconds a kernel may take to start.
    memory_bytes
        Data-segment limit (``RLIMIT_DATA``) of each kernel process: a larger
        allocation raises ``MemoryError`` in its cell.
    watchdog_bytes
        Resident memory of the kernel's process tree at which the watchdog
        kills the kernel (the last resort); ``None`` for :attr:`watchdog_limit`'s default.
    interrupt_grace
        Seconds an interrupted cell may take to stop before its kernel is ended.
    sandbox
        Use bubblewrap when this machine can.
    """

    cell_timeout: float = 60.0
    notebook_timeout: float = 300.0
    output_bytes_per_cell: int = 256 * 1024
    startup_timeout: float = 60.0
    memory_bytes: int = 2 * 2**30
    watchdog_bytes: int | None = None
    interrupt_grace: float = 5.0
    sandbox: bool = True

    @property
    def watchdog_limit(self) -> int:
        """The watchdog's threshold: ``watchdog_bytes``, else ``memory_bytes`` plus half (at least 512 MiB) more."""
        if self.watchdog_bytes is not None:
            return self.watchdog_bytes
        return self.memory_bytes + max(self.memory_bytes // 2, 512 * 2**20)


@dataclass
class Execution:
    """The executed notebook and what happened."""

    nb: NotebookNode
    flags: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    seconds: float = 0.0
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: Seconds spent per phase (``kernel_start``, ``kernel_ready``, ``cells``, ``kernel_stop``), for profiling,
    #: and the CPU seconds of the kernel's processes until it was ready (``kernel_cpu_start``) and in the
    #: cells (``cells_cpu``).
    phases: dict[str, float] = field(default_factory=dict)

    def note(self, flag: str, message: str) -> None:
        if flag not in self.flags:
            self.flags.append(flag)
        self.messages.append(message)

    def add_time(self, phase: str, seconds: float) -> None:
        self.phases[phase] = self.phases.get(phase, 0.0) + seconds


@dataclass
class StartedKernel:
    """A kernel process launched in a submission's folder, possibly still starting up.

    It belongs to exactly one :func:`run` and is killed when that run no
    longer needs it (:func:`stop_kernel`).
    """

    km: Any
    workdir: Path
    pid: int
    log: IO[bytes]
    seconds: float = 0.0  # how long launching took


def kernel_env_vars(record: Path | None, mode: str) -> dict[str, str]:
    """The kernel's variables telling the recording helpers where and what to record."""
    return {"MLCHEM_CHECK_RECORD": str(record), "MLCHEM_CHECK_MODE": mode} if record else {}


def start_kernel(
    workdir: Path,
    limits: Limits,
    record: Path | None = None,
    mode: str = "student",
    preload: Sequence[str] = (),
) -> StartedKernel:
    """Launch a sandboxed kernel in ``workdir`` and return without waiting for it to be ready.

    Arguments as for :func:`run`. The kernel imports ``preload`` while it
    starts, so a kernel launched ahead of time has done its imports by the
    time its submission comes.
    """
    start = time.monotonic()
    extra_env = kernel_env_vars(record, mode)
    km = sandbox.kernel_manager(
        workdir,
        _cpu_seconds(limits),
        limits.sandbox and sandbox.bwrap_works(),
        extra_env,
        limits.memory_bytes,
        preload,
    )
    # The kernel process's own stdout/stderr (start-up banner, low-level crashes) go to a
    # log beside the submission, not to the instructor's terminal; cell output comes over ZMQ.
    log = open(workdir / ".kernel.log", "ab")  # closed by stop_kernel
    try:
        run_sync(km.start_kernel)(cwd=str(workdir), env=sandbox.kernel_env(workdir, extra_env), stdout=log, stderr=log)
    except BaseException:
        log.close()
        raise
    return StartedKernel(km, workdir, km.provisioner.pid, log, time.monotonic() - start)


def stop_kernel(kernel: StartedKernel) -> None:
    """Kill the kernel's whole process tree and close its log (idempotent)."""
    sandbox.kill_tree(kernel.pid)  # the PID namespace then takes every process of the kernel along
    kernel.log.close()


def _cpu_seconds(limits: Limits) -> int:
    """The kernel's CPU time limit: twice the notebook's time limit and a margin."""
    return int(limits.notebook_timeout * 2 + 30)


def slice_reply_waits(kc: Any, step: float = 1.0) -> None:
    """Make ``kc`` wait for shell replies in slices of ``step`` seconds (nbclient issue 312).

    nbclient waits for a cell's reply with one ``get_msg(timeout=<cell timeout>)``
    on the shell channel. Now and then the wake-up for a reply that has arrived
    is missed, and the client sleeps out the whole timeout although the kernel
    finished long ago (seen in 6 of 45 runs of the lectures with widgets, 120 s
    each). Asking again every ``step`` seconds finds such a reply at the next
    slice; the overall timeout is unchanged.
    """
    get_msg = kc.shell_channel.get_msg

    async def sliced(timeout: float | None = None, **kwargs: Any) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = step if deadline is None else max(0.0, min(step, deadline - time.monotonic()))
            try:
                return await ensure_async(get_msg(timeout=left, **kwargs))
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    kc.shell_channel.get_msg = sliced


class _CappedClient(NotebookClient):
    """A NotebookClient that keeps at most ``cap`` bytes of output per cell.

    On a cell timeout it interrupts the kernel and waits up to ``grace``
    seconds for the cell to stop (setting ``interrupted``); only if it does
    not stop is :class:`CellTimeoutError` raised. (nbclient's own
    ``interrupt_on_timeout`` would wait for the cell forever.)
    """

    cap: int = 256 * 1024
    grace: float = 5.0
    interrupted: bool = False

    async def _async_poll_for_reply(
        self,
        msg_id: str,
        cell: NotebookNode,
        timeout: int | None,
        task_poll_output_msg: Any,
        task_poll_kernel_alive: Any,
    ) -> dict[str, Any]:
        self._pending_msg_id = msg_id
        return await super()._async_poll_for_reply(msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive)

    async def _async_handle_timeout(self, timeout: int, cell: NotebookNode | None = None) -> dict[str, Any]:
        """Interrupt the running cell; return its reply, or raise if it does not stop in time."""
        assert self.km is not None and self.kc is not None
        self.interrupted = True
        await ensure_async(self.km.interrupt_kernel())
        stop = time.monotonic() + self.grace
        while (left := stop - time.monotonic()) > 0:
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=left))
            except Empty:
                break
            if msg["parent_header"].get("msg_id") == self._pending_msg_id:
                return msg
        raise CellTimeoutError.error_from_timeout_and_cell("Cell execution timed out", timeout, cell)

    def output(self, outs: list[NotebookNode], msg: dict[str, Any], display_id: str | None, cell_index: int):
        used = getattr(self, "_used", {})
        self._used = used
        size = len(str(msg.get("content", "")))
        if msg.get("msg_type") == "error" and size <= self.cap:
            return super().output(outs, msg, display_id, cell_index)  # an error is never dropped: it decides the grade
        if used.get(cell_index, 0) + size > self.cap:
            if used.get(cell_index, 0) <= self.cap:
                outs.append(
                    nbformat.v4.new_output(
                        "stream",
                        name="stderr",
                        text=f"\n[grading: output beyond {self.cap // 1024} KiB was dropped]\n",
                    )
                )
                self.truncated = True
            used[cell_index] = self.cap + 1
            return None
        used[cell_index] = used.get(cell_index, 0) + size
        return super().output(outs, msg, display_id, cell_index)


def _error(ename: str, evalue: str) -> NotebookNode:
    """An error output carrying a note from the grader."""
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def run(
    nb: NotebookNode,
    workdir: Path,
    limits: Limits | None = None,
    record: Path | None = None,
    mode: str = "student",
    transform=None,
    preload: Sequence[str] = (),
    kernel: StartedKernel | None = None,
) -> Execution:
    """Execute ``nb`` (modified in place) with its kernel sandboxed in ``workdir``.

    Parameters
    ----------
    nb
        A notebook from :func:`grading.notebook.rebuild`.
    workdir
        The submission's own folder, prepared by :func:`grading.sandbox.prepare`.
    limits
        Time, output and memory limits.
    record
        File the recording check helpers append to (see :mod:`grading.verdict`);
        what each test cell records is collected in ``Execution.records``.
    mode
        ``"student"`` or ``"reference"``: what the recording helpers record.
    transform
        Applied to the source of every test cell before it runs (e.g.
        :func:`grading.verdict.strip_expected`).
    preload
        Modules every kernel of this run imports while it starts.
    kernel
        A kernel already launched for this run (:func:`start_kernel` with the
        same ``workdir``, ``limits``, ``record``, ``mode`` and ``preload``);
        it is used for the first cells and killed when it is done. Later
        kernels (after a death or an ignored interrupt) are started here.
    """
    if kernel is not None and kernel.workdir != workdir:
        raise ValueError(f"the kernel was started for {kernel.workdir}, not {workdir}")
    runner = _Runner(nb, workdir, limits or Limits(), record, mode, transform, preload, kernel)
    start = time.monotonic()
    runner.run_all()
    for cell in nb.cells:
        if is_test(cell) and split_hidden(cell.source)[1]:
            visible, _ = split_hidden(cell.source)
            cell.source = visible.rstrip("\n") + "\n" + HIDDEN_PLACEHOLDER
    runner.result.seconds = time.monotonic() - start
    return runner.result


class _Runner:
    """The state of one :func:`run`: the plan of cell parts, how far it got, and what happened.

    Each kernel runs parts of the plan until one ends it (a timeout it ignores,
    a death); the next kernel goes on with the following part.
    """

    def __init__(
        self,
        nb: NotebookNode,
        workdir: Path,
        limits: Limits,
        record: Path | None,
        mode: str,
        transform,
        preload: Sequence[str] = (),
        kernel: StartedKernel | None = None,
    ) -> None:
        self.nb = nb
        self.workdir = workdir
        self.limits = limits
        self.record = record
        self.mode = mode
        self.preload = tuple(preload)
        self.pending = kernel  # a kernel launched ahead of time, for the first cells
        self.offset = 0  # how far the record file has been read
        self.result = Execution(nb)
        self.deadline = time.monotonic() + limits.notebook_timeout
        self.plan = _plan(nb, transform)
        self.index = 0  # the next part of the plan to run

    def run_all(self) -> None:
        """Run the plan, a fresh kernel after each one that ended, until done or out of time."""
        while self.index < len(self.plan):
            self._with_kernel()
            if time.monotonic() > self.deadline and self.index < len(self.plan):
                self._not_run()
                return

    def _with_kernel(self) -> None:
        """Start a kernel and run parts of the plan in it until the plan ends or the kernel is lost."""
        kernel, self.pending = self.pending, None
        watchdog = None
        client = None
        try:
            if kernel is None:
                kernel = start_kernel(self.workdir, self.limits, self.record, self.mode, self.preload)
                self.result.add_time("kernel_start", kernel.seconds)
            client = self._client(kernel)
            ready = time.monotonic()
            with client.setup_kernel():
                self.result.add_time("kernel_ready", time.monotonic() - ready)
                watchdog = sandbox.MemoryWatchdog(kernel.pid, self.limits.watchdog_limit)
                watchdog.start()
                cells, cpu = time.monotonic(), sandbox.cpu_seconds(kernel.pid)
                # CPU seconds say what the kernel cost whatever else runs on the machine.
                self.result.add_time("kernel_cpu_start", cpu)
                try:
                    self._run_parts(client, watchdog)
                finally:
                    self.result.add_time("cells", time.monotonic() - cells)
                    self.result.add_time("cells_cpu", max(0.0, sandbox.cpu_seconds(kernel.pid) - cpu))
        except Exception as err:  # a kernel that cannot start or be cleaned up
            if self.index < len(self.plan):
                cell_index = self.plan[self.index][0]
                self.nb.cells[cell_index].outputs.append(_error("KernelError", f"{type(err).__name__}: {err}"))
                self.index += 1
            self.result.note("kernel-error", f"kernel error: {type(err).__name__}: {err}")
        finally:
            stop = time.monotonic()
            if watchdog is not None:
                watchdog.stop()
            if kernel is not None:
                stop_kernel(kernel)  # the kernel serves this run only: it never outlives it
            self.result.add_time("kernel_stop", time.monotonic() - stop)
        if getattr(client, "truncated", False):
            self.result.note("output-truncated", "very long output was cut")

    def _client(self, kernel: StartedKernel) -> _CappedClient:
        """An nbclient client for ``kernel`` with this run's limits."""
        client = _CappedClient(
            self.nb,
            km=kernel.km,
            timeout=self.limits.cell_timeout,
            allow_errors=True,
            interrupt_on_timeout=False,
            startup_timeout=int(self.limits.startup_timeout),
            shutdown_kernel="immediate",
            record_timing=False,
            resources={"metadata": {"path": str(self.workdir)}},
        )
        client.cap = self.limits.output_bytes_per_cell
        client.grace = self.limits.interrupt_grace
        client.on_notebook_start = lambda **_: slice_reply_waits(client.kc)
        return client

    def _run_parts(self, client: _CappedClient, watchdog) -> None:
        """Run parts of the plan in ``client``'s kernel; return when done, out of time or the kernel is lost."""
        while self.index < len(self.plan):
            cell_index, part, source = self.plan[self.index]
            cell = self.nb.cells[cell_index]
            if time.monotonic() > self.deadline:
                return
            client.timeout = int(max(1.0, min(self.limits.cell_timeout, self.deadline - time.monotonic())))
            try:
                client.interrupted = False
                enames = _execute_part(client, cell, cell_index, part, source)
                self._after_part(client, cell, cell_index, enames)
            except (CellTimeoutError, DeadKernelError) as err:
                # The kernel is gone or will be ended: a fresh one for what follows.
                self._kernel_lost(err, client, watchdog, cell, cell_index)
                self.index += 1
                return
            self.index += 1

    def _after_part(self, client: _CappedClient, cell: NotebookNode, cell_index: int, enames: list[str]) -> None:
        """Note an interrupted cell or a ``MemoryError``, and collect what a test cell recorded."""
        mib = self.limits.memory_bytes // 2**20
        if client.interrupted:
            self._fail(
                cell,
                "CellTimeout",
                f"this cell was stopped after {client.timeout} s (its time limit); "
                "the notebook continued with the next cell",
                "timeout",
                f"cell {cell_index} exceeded its time limit of {client.timeout} s "
                "and was interrupted; later cells still ran",
            )
        if "MemoryError" in enames:
            self._fail(
                cell,
                "MemoryLimit",
                f"this cell hit the memory limit of {mib} MiB (MemoryError); the notebook continued with the next cell",
                "memory-limit",
                f"cell {cell_index} hit the memory limit of {mib} MiB (MemoryError); later cells still ran",
            )
        if self.record is not None:
            from grading.verdict import read_new_records

            new, self.offset = read_new_records(self.record, self.offset)
            if is_test(cell):
                gid = nbgrader_meta(cell).get("grade_id", "")
                self.result.records.setdefault(gid, []).extend(new)

    def _kernel_lost(
        self, err: Exception, client: _CappedClient, watchdog, cell: NotebookNode, cell_index: int
    ) -> None:
        """Say why the kernel running ``cell`` is gone: the memory watchdog, an ignored interrupt, or a death."""
        if watchdog.tripped:
            mib = self.limits.watchdog_limit // 2**20
            self._fail(
                cell,
                "MemoryLimit",
                f"the kernel's processes used more than {mib} MiB of resident memory in this cell "
                "and were killed; later cells ran in a fresh kernel",
                "memory-limit",
                f"cell {cell_index} exceeded the resident memory limit of {mib} MiB; the kernel was killed",
            )
        elif isinstance(err, CellTimeoutError):
            self._fail(
                cell,
                "CellTimeout",
                f"this cell did not finish within {client.timeout} s and did not stop when interrupted: "
                "its kernel was ended and later cells ran in a fresh one",
                "timeout",
                f"cell {cell_index} exceeded its time limit of {client.timeout} s "
                "and ignored the interrupt; later cells ran in a fresh kernel",
            )
        else:
            self._fail(
                cell,
                "KernelDied",
                "the kernel died while running this cell (os._exit or a crash)",
                "kernel-died",
                f"the kernel died in cell {cell_index}",
            )

    def _fail(self, cell: NotebookNode, ename: str, shown: str, flag: str, message: str) -> None:
        """Give ``cell`` an error output ``ename: shown`` and the execution ``flag`` with ``message``."""
        cell.outputs.append(_error(ename, shown))
        self.result.note(flag, message)

    def _not_run(self) -> None:
        """Fail every cell the notebook's time limit left unrun."""
        for cell_index, _, _ in self.plan[self.index :]:
            cell = self.nb.cells[cell_index]
            if not any(o.get("output_type") == "error" for o in cell.outputs):
                cell.outputs.append(_error("NotRun", "the notebook exceeded its total time limit before this cell"))
        self.result.note(
            "notebook-timeout", f"the notebook exceeded its total time limit of {self.limits.notebook_timeout:.0f} s"
        )


def _plan(nb: NotebookNode, transform=None) -> list[tuple[int, str, str]]:
    """(cell index, part, source) for every code cell; test cells split into visible and hidden."""
    plan = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        if is_test(cell):
            visible, hidden = split_hidden(cell.source)
            if transform is not None:
                visible, hidden = transform(visible), transform(hidden) if hidden.strip() else hidden
            plan.append((i, "visible", visible))
            if hidden.strip():
                plan.append((i, "hidden", hidden))
        else:
            plan.append((i, "all", cell.source))
    return plan


def _execute_part(client: _CappedClient, cell: NotebookNode, index: int, part: str, source: str) -> list[str]:
    """Run one part of ``cell``; the names of the errors it raised."""
    if not source.strip():
        return []
    scratch = nbformat.v4.new_code_cell(source)
    scratch.metadata = cell.metadata
    try:
        client.execute_cell(scratch, index)
    finally:
        client.nb.cells[index] = cell  # nbclient puts the executed cell object in its place
        if part == "hidden":
            errors = [o for o in scratch.outputs if o.get("output_type") == "error"]
            if errors:
                gid = nbgrader_meta(cell).get("grade_id", "?")
                cell.outputs.append(_error("HiddenTestsFailed", f"the hidden tests of '{gid}' failed"))
        else:
            cell.outputs.extend(scratch.outputs)
            if scratch.get("execution_count"):
                cell.execution_count = scratch.execution_count
    return [o.get("ename", "") for o in scratch.outputs if o.get("output_type") == "error"]
