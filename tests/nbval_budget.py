"""pytest plugin: nbval's own run of each notebook also measures its time and memory budget.

nbval starts one kernel per notebook (``IPyNbFile.setup``) and runs the cells as
items. This plugin times that run from the kernel's start to the end of the
last cell, samples the kernel's process tree (:class:`benchmarks.notebook_budget.TreeSampler`)
and, before nbval stops the kernel, asks it for its own peak memory
(``VmHWM``, and ``getrusage`` for its children). So every notebook is executed once per ``make test``: nbval
checks its outputs, and the same run is held to the budget of
:data:`benchmarks.notebook_budget.BUDGET_SECONDS` and :data:`benchmarks.notebook_budget.BUDGET_MIB`.

A notebook over budget fails at the teardown of its last cell, with the
measurement in the message; the table of every notebook is printed at the end,
once: the measurement travels with the last cell's report (``user_properties``),
so under pytest-xdist the controller prints what its workers measured.
Loaded by the repository's root ``conftest.py``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from queue import Empty

import pytest

from benchmarks.notebook_budget import BUDGET_MIB, BUDGET_SECONDS, RUSAGE_PROBE, TreeSampler, rusage_peak_bytes


@dataclass
class _Run:
    """One notebook's measurement in progress."""

    start: float
    sampler: TreeSampler | None = None


_runs: dict[str, _Run] = {}
_rows: list[tuple[str, float, float]] = []  # (notebook, seconds, peak MiB), for the table at the end
_PROPERTY = "notebook_budget"


def _is_cell(item: pytest.Item) -> bool:
    # nbval's cell items; duck-typed so nbval stays an implementation detail.
    return type(item).__name__ == "IPyNbCell" and hasattr(item.parent, "kernel")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    if not _is_cell(item) or item.parent.nodeid in _runs:
        return (yield)
    # The notebook's first cell: nbval starts the kernel inside this setup.
    run = _runs[item.parent.nodeid] = _Run(start=time.perf_counter())
    result = yield
    kernel = item.parent.kernel
    if kernel is not None:
        run.sampler = TreeSampler(kernel.km.provisioner.pid)
        run.sampler.start()
    return result


def _probe_peak(kernel, timeout: float = 30.0) -> int:
    """The kernel's own peak resident memory plus its largest finished child's, in bytes (0 if unknown)."""
    msg_id = kernel.execute_cell_input(RUSAGE_PROBE, allow_stdin=False)
    text = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            msg = kernel.get_message(stream="iopub", timeout=max(0.1, deadline - time.monotonic()))
        except Empty:
            break
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            text += msg["content"].get("text", "")
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    return rusage_peak_bytes(text)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    run = _runs.get(item.parent.nodeid) if _is_cell(item) else None
    last = run is not None and (nextitem is None or nextitem.parent is not item.parent)
    if not last:
        return (yield)
    # Before nbval stops the kernel (the parent's teardown runs inside this hook).
    seconds = time.perf_counter() - run.start
    kernel = item.parent.kernel
    reported = _probe_peak(kernel) if kernel is not None and kernel.is_alive() else 0
    sampled = run.sampler.stop() if run.sampler else 0
    peak_mib = max(sampled, reported) / 2**20
    name = item.parent.nodeid
    item.user_properties.append((_PROPERTY, (name, seconds, peak_mib)))
    result = yield
    over = []
    if seconds >= BUDGET_SECONDS:
        over.append(f"took {seconds:.1f} s (limit {BUDGET_SECONDS:.0f} s)")
    if peak_mib >= BUDGET_MIB:
        over.append(f"peaked at {peak_mib:.0f} MiB (limit {BUDGET_MIB:.0f} MiB)")
    if over:
        pytest.fail(f"{name} is over its budget: {' and '.join(over)}", pytrace=False)
    return result


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect the measurements (here or, under xdist, from the workers' reports)."""
    if report.when == "teardown":
        _rows.extend(tuple(value) for key, value in report.user_properties if key == _PROPERTY)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The table of every notebook nbval ran: time, peak memory, verdict."""
    if not _rows:
        return
    tr = terminalreporter
    limits = f"limit {BUDGET_SECONDS:.0f} s, {BUDGET_MIB:.0f} MiB"
    tr.section(f"notebook budget (nbval's run; {limits})")
    width = max(len(name) for name, _, _ in _rows)
    tr.write_line(f"{'notebook':<{width}}  {'time / s':>9}  {'peak / MiB':>10}  verdict")
    for name, seconds, mib in sorted(_rows):
        ok = seconds < BUDGET_SECONDS and mib < BUDGET_MIB
        tr.write_line(f"{name:<{width}}  {seconds:9.1f}  {mib:10.0f}  {'ok' if ok else 'OVER'}")
