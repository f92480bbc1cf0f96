"""Kernels forked from a template (grading.forking): imports paid once, nothing reachable from a kernel.

What one submission could leave for the next (module attributes, sys.modules,
environment, files, threads, orphaned processes) is tested through the
pipeline in ``test_pool.py::test_nothing_of_one_submission_is_seen_by_the_next``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from grading import pool
from grading.execute import run
from grading.limits import Limits
from tests.grading.course import make_course

LIMITS = Limits(cell_timeout=30, notebook_timeout=90)
HEAVY = ("numpy", "pandas", "sklearn.linear_model", "rdkit.Chem", "matplotlib.pyplot")

#: Tries every process in view: read or write its memory, read its environment, signal it.
REACH = """
import os, signal
me = os.readlink('/proc/self')
others, reached = [], []
for pid in filter(str.isdigit, os.listdir('/proc')):
    if pid == me:
        continue
    others.append(pid)
    for path, mode in ((f'/proc/{pid}/mem', 'rb'), (f'/proc/{pid}/mem', 'r+b'), (f'/proc/{pid}/environ', 'rb')):
        try:
            with open(path, mode) as handle:
                handle.read(1)
            reached.append(path)
        except OSError:
            pass
own = set()  # this kernel's threads, numbered in its own namespace (where it is process 1)
for task in os.listdir('/proc/self/task'):
    for line in open(f'/proc/self/task/{task}/status'):
        if line.startswith('NSpid:'):
            own.add(int(line.split()[-1]))
for pid in set(range(1, 64)) - own:  # it started no process: nothing else is in its namespace
    try:
        os.kill(pid, 0)
        reached.append(f'signal {pid}')
    except OSError:
        pass
print(len(others), reached)
"""


def _kernel_cpu_at_ready(slot: pool.Slot, source: str = "1") -> tuple[float, nbformat.NotebookNode]:
    """CPU seconds the slot's kernel used until it was ready for the first cell; the notebook run."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    execution = run(nb, slot.workdir, LIMITS, preload=HEAVY, kernel=slot.kernel)
    return execution.phases["kernel_cpu_start"], nb


@pytest.mark.slow
def test_a_forked_kernel_has_the_imports_done(sandbox_works: None, tmp_path: Path, monkeypatch) -> None:
    root = make_course(tmp_path / "course")
    try:
        with pool.open_slot(root, LIMITS, HEAVY) as forked:
            assert forked.workdir.parent.name.startswith("mlchem-slots-"), "kernels are forked where bwrap works"
            cpu_forked, nb = _kernel_cpu_at_ready(
                forked, "import sys\nprint(sorted(set(sys.modules) & {'numpy', 'rdkit', 'pandas'}))"
            )
            assert nb.cells[0].outputs[0]["text"].strip() == "['numpy', 'pandas', 'rdkit']"
        pool.discard_template()
        monkeypatch.setenv("MLCHEM_FORK_KERNELS", "0")
        with pool.open_slot(root, LIMITS, HEAVY) as started:
            assert not started.workdir.parent.name.startswith("mlchem-slots-")
            cpu_started, _ = _kernel_cpu_at_ready(started)
    finally:
        pool.discard_template()
    # A started kernel imports the packages itself (about 1.8 CPU-s); a forked one only starts ipykernel.
    assert cpu_forked < 0.6 < 1.0 < cpu_started, (cpu_forked, cpu_started)


@pytest.mark.slow
def test_a_kernel_reaches_neither_the_template_nor_the_next_kernel(sandbox_works: None, tmp_path: Path) -> None:
    root = make_course(tmp_path / "course")
    try:
        pool.launch_spare(root, LIMITS, ("numpy",))  # the next submission's kernel, forked and waiting
        spare = pool._SPARE
        assert spare is not None and spare.workdir.parent.name.startswith("mlchem-slots-")
        with pool.open_slot(root, LIMITS, ("numpy",)) as slot:
            nb = nbformat.v4.new_notebook()
            nb.cells = [nbformat.v4.new_code_cell(REACH)]
            run(nb, slot.workdir, LIMITS, kernel=slot.kernel)
            shown = "".join(o.get("text", "") for o in nb.cells[0].outputs)
        assert spare.alive()
    finally:
        pool.discard_spare()
        pool.discard_template()
    count, reached = shown.split(" ", 1)
    # It sees the template's processes (its /proc is the template's) and the spare, and can touch none.
    assert int(count) >= 3 and reached.strip() == "[]", shown
