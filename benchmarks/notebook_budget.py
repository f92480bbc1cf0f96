"""Execute a notebook in a fresh kernel and measure its time and peak memory.

Peak memory is of the kernel's whole process tree (the kernel and every process
it started). Two measurements are combined, and the larger is reported:

* the sum of the resident set sizes of the tree, sampled every 20 ms;
* the kernel's own peak resident set (``VmHWM`` in ``/proc/self/status``) plus
  that of its largest finished child (``getrusage``), as the kernel reports
  them at the end. This catches short spikes the sampler misses.

The kernel's own peak is read from ``VmHWM``, not from ``getrusage``: Linux
carries a process's ``ru_maxrss`` over ``exec``, so a kernel started by a large
process (nbval's, from pytest) would report its parent's peak as its own.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

from grading.execute import slice_reply_waits
from utils.paths import REPO_ROOT
from utils.resources import missing_settings

#: Every notebook that must run top to bottom: lectures and instructor solutions.
#: (Released exercises are not run: they raise NotImplementedError by design.)
NOTEBOOKS: list[Path] = sorted([*REPO_ROOT.glob("lectures/*.ipynb"), *REPO_ROOT.glob("solutions/*/*.ipynb")])
#: Every notebook's budget on 2 cores, also beside another job.
BUDGET_SECONDS = 60.0
BUDGET_MIB = 1024.0

RUSAGE_PROBE = """
import json as _json, resource as _resource
with open("/proc/self/status") as _status:
    print("__BUDGET__" + _json.dumps({
        "self_kib": next(int(_l.split()[1]) for _l in _status if _l.startswith("VmHWM:")),
        "children_kib": _resource.getrusage(_resource.RUSAGE_CHILDREN).ru_maxrss,
    }))
"""


@dataclass(frozen=True)
class BudgetResult:
    """Wall time (s) and peak memory (MiB) of one notebook run."""

    notebook: str
    seconds: float
    peak_mib: float


class TreeSampler(threading.Thread):
    """Samples the summed resident memory of a process and its descendants; ``stop`` returns the peak."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            total = 0
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                return
            for proc in procs:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._done.wait(self.interval)

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak


def rusage_peak_bytes(text: str) -> int:
    """The peak memory (bytes) in the output of :data:`RUSAGE_PROBE`; 0 when it printed nothing.

    >>> rusage_peak_bytes('__BUDGET__{"self_kib": 1024, "children_kib": 512}')
    1572864
    >>> rusage_peak_bytes("")
    0
    """
    if "__BUDGET__" not in text:
        return 0
    usage = json.loads(text.split("__BUDGET__", 1)[1].splitlines()[0])
    return (usage["self_kib"] + usage["children_kib"]) * 1024


def run_with_budget(path: Path, timeout: int = 120) -> BudgetResult:
    """Execute ``path`` top to bottom in its own folder and measure it.

    Parameters
    ----------
    path
        The notebook to run; it is not modified.
    timeout
        Seconds any one cell may take before the run fails.

    Returns
    -------
    BudgetResult
        Wall time from kernel start to the end of the last cell (the kernel's
        shutdown is not counted: nobody waits for it), and peak memory.
    """
    nb = nbformat.read(path, as_version=4)
    cells = list(nb.cells)
    probe = nbformat.v4.new_code_cell(RUSAGE_PROBE)
    nb.cells.append(probe)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        shutdown_kernel="immediate",
    )
    client.on_notebook_start = lambda **_: slice_reply_waits(client.kc)
    start = time.perf_counter()
    # The thread settings make lab and Binder give students' kernels (utils/resources.py), where not set.
    with client.setup_kernel(env={**os.environ, **missing_settings()}):
        sampler = TreeSampler(client.km.provisioner.pid)
        sampler.start()
        try:
            for index, cell in enumerate(cells):
                client.execute_cell(cell, index)
            seconds = time.perf_counter() - start
            client.execute_cell(probe, len(cells))
        finally:
            sampled = sampler.stop()
    reported = rusage_peak_bytes("".join(out.get("text", "") for out in probe.outputs))
    return BudgetResult(path.name, seconds, max(sampled, reported) / 2**20)


def run_side_by_side(paths: list[Path], companion: Path, lanes: int = 2) -> list[tuple[BudgetResult, str]]:
    """Run ``paths`` ``lanes`` at a time, each beside another notebook, as on a shared machine.

    In the order given, each lane takes the next notebook when it is free. While
    the last notebooks finish, the idle lanes run ``companion`` (typically the
    slowest notebook), so no notebook is measured alone.

    Returns
    -------
    list of (BudgetResult, str)
        Each notebook's measurement, and the notebooks that ran beside it with the
        share of its run they overlapped, e.g. ``"07_materials.ipynb 100%"``.
    """
    import threading
    from concurrent.futures import ThreadPoolExecutor

    queue = list(paths)
    lock = threading.Lock()
    pending = [len(queue)]  # real notebooks not finished yet
    runs: list[tuple[str, bool, float, float, BudgetResult]] = []  # (name, real, start, end, result)

    def lane() -> None:
        while True:
            with lock:
                if queue:
                    path, real = queue.pop(0), True
                elif pending[0] > 0:
                    path, real = companion, False
                else:
                    return
            start = time.perf_counter()
            result = run_with_budget(path)
            with lock:
                runs.append((path.name, real, start, time.perf_counter(), result))
                pending[0] -= real

    with ThreadPoolExecutor(lanes) as pool:
        for future in [pool.submit(lane) for _ in range(lanes)]:
            future.result()

    results = []
    for name, real, start, end, result in runs:
        if not real:
            continue
        beside = []
        for other, _, s2, e2, _ in runs:
            overlap = min(end, e2) - max(start, s2)
            if (other, s2) != (name, start) and overlap > 0:
                beside.append(f"{other} {overlap / (end - start):.0%}")
        results.append((result, ", ".join(beside) or "(nothing)"))
    return results


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.notebook_budget [--contended] [notebook ...]``: print each notebook's budget."""
    import argparse

    parser = argparse.ArgumentParser(description="Time and peak memory of each notebook against its budget.")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every lecture and solution")
    parser.add_argument(
        "--contended", action="store_true", help="two notebooks side by side, as on Binder or a shared hub"
    )
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or NOTEBOOKS
    if args.contended:
        companion = REPO_ROOT / "lectures" / "07_materials.ipynb"
        rows = run_side_by_side(paths, companion)
        mode = "side by side with another notebook"
    else:
        rows = [(run_with_budget(p), "(nothing)") for p in paths]
        mode = "one at a time"
    print(f"notebook budget, {mode} (limit {BUDGET_SECONDS:.0f} s, {BUDGET_MIB:.0f} MiB)")
    print(f"{'notebook':<52} {'time / s':>8} {'peak / MiB':>10}  verdict  beside")
    over = 0
    for result, beside in sorted(rows, key=lambda r: r[0].notebook):
        ok = result.seconds < BUDGET_SECONDS and result.peak_mib < BUDGET_MIB
        over += not ok
        print(
            f"{result.notebook:<52} {result.seconds:8.1f} {result.peak_mib:10.0f}  {'ok' if ok else 'OVER':7}  {beside}"
        )
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
