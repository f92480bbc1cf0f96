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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async
from nbformat import NotebookNode

from grading import sandbox
from grading.flags import Flag, Notes
from grading.limits import Limits
from grading.notebook import HIDDEN_PLACEHOLDER, is_test, nbgrader_meta, split_hidden
from grading.pool import StartedKernel, start_kernel, stop_kernel


@dataclass
class Execution(Notes):
    """The executed notebook and what happened.

    Its phases are ``kernel_start``, ``kernel_ready``, ``cells`` and
    ``kernel_stop`` (seconds), and the CPU seconds of the kernel's processes
    until it was ready (``kernel_cpu_start``) and in the cells (``cells_cpu``).
    """

    nb: NotebookNode
    seconds: float = 0.0


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
    #: The execute reply of the last cell run (its status says whether the cell raised).
    last_reply: dict[str, Any] | None = None

    async def _async_poll_for_reply(
        self,
        msg_id: str,
        cell: NotebookNode,
        timeout: int | None,
        task_poll_output_msg: Any,
        task_poll_kernel_alive: Any,
    ) -> dict[str, Any]:
        self._pending_msg_id = msg_id
        reply = await super()._async_poll_for_reply(msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive)
        self.last_reply = reply
        return reply

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
    after_part: Callable[[int, NotebookNode], None] | None = None,
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
        File the recording check helpers append to (the kernel is told where
        through its environment; the executor never reads it).
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
    after_part
        Called with the cell's index and the cell after each part of a code
        cell has run (a test cell's visible part, then its hidden part), e.g.
        to collect what its checks recorded.
    """
    if kernel is not None and kernel.workdir != workdir:
        raise ValueError(f"the kernel was started for {kernel.workdir}, not {workdir}")
    runner = _Runner(nb, workdir, limits or Limits(), record, mode, transform, preload, kernel, after_part)
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
        after_part: Callable[[int, NotebookNode], None] | None = None,
    ) -> None:
        self.nb = nb
        self.after_part = after_part
        self.workdir = workdir
        self.limits = limits
        self.record = record
        self.mode = mode
        self.preload = tuple(preload)
        self.pending = kernel  # a kernel launched ahead of time, for the first cells
        self.result = Execution(nb=nb)
        self.deadline = time.monotonic() + limits.notebook_timeout
        self.plan = _plan(nb, transform)
        self.index = 0  # the next part of the plan to run
        self.sent = False  # whether any part has been sent to a kernel

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
            # Before any of the student's code ran, a kernel that fails is the grader's failure;
            # after, the student's code may have caused it (files it left in its folder).
            flag = Flag.KERNEL_RESTART_ERROR if self.sent else Flag.KERNEL_ERROR
            self.result.note(flag, f"kernel error: {type(err).__name__}: {err}")
        finally:
            stop = time.monotonic()
            if watchdog is not None:
                watchdog.stop()
            if client is not None and client.kc is not None:
                client.kc.stop_channels()  # its heartbeat thread and sockets (nbclient leaves a km it was given)
                client.kc = None
            if kernel is not None:
                stop_kernel(kernel)  # the kernel serves this run only: it never outlives it
            self.result.add_time("kernel_stop", time.monotonic() - stop)
        if getattr(client, "truncated", False):
            self.result.note(Flag.OUTPUT_TRUNCATED, "very long output was cut")

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
                self.sent = True
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
                Flag.TIMEOUT,
                f"cell {cell_index} exceeded its time limit of {client.timeout} s "
                "and was interrupted; later cells still ran",
            )
        if "MemoryError" in enames:
            self._fail(
                cell,
                "MemoryLimit",
                f"this cell hit the memory limit of {mib} MiB (MemoryError); the notebook continued with the next cell",
                Flag.MEMORY_LIMIT,
                f"cell {cell_index} hit the memory limit of {mib} MiB (MemoryError); later cells still ran",
            )
        if self.after_part is not None:
            self.after_part(cell_index, cell)

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
                Flag.MEMORY_LIMIT,
                f"cell {cell_index} exceeded the resident memory limit of {mib} MiB; the kernel was killed",
            )
        elif isinstance(err, CellTimeoutError):
            self._fail(
                cell,
                "CellTimeout",
                f"this cell did not finish within {client.timeout} s and did not stop when interrupted: "
                "its kernel was ended and later cells ran in a fresh one",
                Flag.TIMEOUT,
                f"cell {cell_index} exceeded its time limit of {client.timeout} s "
                "and ignored the interrupt; later cells ran in a fresh kernel",
            )
        else:
            self._fail(
                cell,
                "KernelDied",
                "the kernel died while running this cell (os._exit or a crash)",
                Flag.KERNEL_DIED,
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
            Flag.NOTEBOOK_TIMEOUT, f"the notebook exceeded its total time limit of {self.limits.notebook_timeout:.0f} s"
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
        client.last_reply = None
        client.execute_cell(scratch, index)
        # A cell that flooded its output can end (with an error) before its output stream has been
        # read to the end: the error then arrives after nbclient stopped waiting for output. The
        # reply says the cell failed all the same, and a failed cell must never count as passed.
        content = (client.last_reply or {}).get("content", {})
        if content.get("status") == "error" and not any(o.get("output_type") == "error" for o in scratch.outputs):
            scratch.outputs.append(
                nbformat.v4.new_output(
                    "error",
                    ename=str(content.get("ename", "Error")),
                    evalue=str(content.get("evalue", "")),
                    traceback=[str(line) for line in content.get("traceback", [])][:50],
                )
            )
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
