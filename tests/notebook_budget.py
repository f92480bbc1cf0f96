"""Execute a notebook in a fresh kernel and measure its time and peak memory.

Peak memory is of the kernel's whole process tree (the kernel and every process
it started). Two measurements are combined, and the larger is reported:

* the sum of the resident set sizes of the tree, sampled every 20 ms;
* the kernel's own peak resident set plus that of its largest finished child,
  as the kernel reports them through ``getrusage`` at the end. This catches
  short spikes the sampler misses.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

_RUSAGE_PROBE = """
import json as _json, resource as _resource
print("__BUDGET__" + _json.dumps({
    "self_kib": _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss,
    "children_kib": _resource.getrusage(_resource.RUSAGE_CHILDREN).ru_maxrss,
}))
"""


@dataclass(frozen=True)
class BudgetResult:
    """Wall time (s) and peak memory (MiB) of one notebook run."""

    notebook: str
    seconds: float
    peak_mib: float


class _TreeSampler(threading.Thread):
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
        Wall time from kernel start to the last cell, and peak memory.
    """
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(_RUSAGE_PROBE))
    samplers: list[_TreeSampler] = []

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )

    def start_sampler(**_: object) -> None:
        sampler = _TreeSampler(client.km.provisioner.pid)
        sampler.start()
        samplers.append(sampler)

    client.on_notebook_start = start_sampler
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        sampled = max((s.stop() for s in samplers), default=0)
    seconds = time.perf_counter() - start

    text = "".join(out.get("text", "") for out in nb.cells[-1].outputs)
    usage = json.loads(text.split("__BUDGET__", 1)[1])
    reported = (usage["self_kib"] + usage["children_kib"]) * 1024
    return BudgetResult(path.name, seconds, max(sampled, reported) / 2**20)
