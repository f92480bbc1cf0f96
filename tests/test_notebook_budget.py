"""Every lecture and solution notebook runs in under 60 s and 1 GiB (Binder's limits).

The notebooks themselves are measured during nbval's run of them (tests/nbval_budget.py,
loaded by the root conftest.py), so each runs once per ``make test``. These tests check
that measurement: a notebook over budget fails, one within passes, and the table shows it.
The run with two notebooks side by side (``python -m benchmarks.notebook_budget --contended``)
is checked here on small notebooks.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from benchmarks.notebook_budget import run_side_by_side, run_with_budget
from tests.conftest import NOTEBOOKS
from utils.paths import REPO_ROOT


def test_there_are_notebooks_to_check() -> None:
    assert NOTEBOOKS, "no notebook found under lectures/ or solutions/"


def test_every_notebook_is_collected_by_nbval() -> None:
    """The budget rides on nbval: every notebook must be in a folder pytest collects with nbval."""
    import tomllib

    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "--nbval-lax" in config["addopts"]
    assert {p.relative_to(REPO_ROOT).parts[0] for p in NOTEBOOKS} <= set(config["testpaths"])
    assert "tests.nbval_budget" in (REPO_ROOT / "conftest.py").read_text()


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _nbval(folder: Path, budget_seconds: float, budget_mib: float) -> subprocess.CompletedProcess[str]:
    """nbval with the budget plugin on the notebooks in ``folder``, under the given limits."""
    (folder / "conftest.py").write_text(
        "import tests.nbval_budget as plugin\n"
        f"plugin.BUDGET_SECONDS = {budget_seconds}\nplugin.BUDGET_MIB = {budget_mib}\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.nbval_budget", "--nbval-lax", "--nbval-current-env"]
        + ["-p", "no:cacheprovider", "-q", str(folder)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_nbval_run_is_held_to_the_budget(tmp_path: Path) -> None:
    # Margins wide enough for a kernel that starts slowly beside other tests (make test runs side by side).
    _notebook(tmp_path / "slow.ipynb", "import time", "time.sleep(6)", "x = bytearray(200 * 2**20)")
    _notebook(tmp_path / "quick.ipynb", "y = 1 + 1")

    over = _nbval(tmp_path, budget_seconds=5.0, budget_mib=10_000)
    out = over.stdout
    assert over.returncode == 1, out
    assert "slow.ipynb is over its budget: took" in out and "quick.ipynb is over" not in out
    table = out[out.index("notebook budget (nbval's run") :]
    rows = {line.split()[0]: line.split() for line in table.splitlines()[2:] if line.endswith(("ok", "OVER"))}
    assert rows["slow.ipynb"][-1] == "OVER" and float(rows["slow.ipynb"][1]) >= 6
    assert rows["quick.ipynb"][-1] == "ok"
    # The 200 MiB buffer is seen, whether sampled or reported by the kernel.
    assert float(rows["slow.ipynb"][2]) > 200

    memory = _nbval(tmp_path, budget_seconds=60, budget_mib=150)
    assert memory.returncode == 1 and "slow.ipynb is over its budget: peaked at" in memory.stdout, memory.stdout

    within = _nbval(tmp_path, budget_seconds=60, budget_mib=10_000)
    assert within.returncode == 0, within.stdout
    assert "4 passed" in within.stdout, within.stdout


@pytest.mark.slow
def test_side_by_side_runs_every_notebook_beside_another(tmp_path: Path) -> None:
    paths = [_notebook(tmp_path / f"nb{i}.ipynb", "import time", f"time.sleep({0.3 * (i + 1)})") for i in range(3)]
    companion = _notebook(tmp_path / "companion.ipynb", "import time", "time.sleep(0.2)")
    results = run_side_by_side(paths, companion)
    assert sorted(r.notebook for r, _ in results) == ["nb0.ipynb", "nb1.ipynb", "nb2.ipynb"]
    for result, beside in results:
        assert beside != "(nothing)", f"{result.notebook} ran alone"
        assert result.seconds >= 0.3


def test_run_with_budget_counts_the_cells_not_the_shutdown(tmp_path: Path) -> None:
    path = _notebook(tmp_path / "nb.ipynb", "import time", "time.sleep(0.5)")
    result = run_with_budget(path)
    assert 0.5 <= result.seconds < 30
    assert result.peak_mib > 10
