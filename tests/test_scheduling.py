"""``make test TEST_WORKERS=2`` keeps each group on one worker (tests/scheduling.py).

pytest-xdist 3.8's ``--dist loadgroup`` tags a test's node id with its group in a way
pytest 9 ignores: without tests/scheduling.py's own tag, a notebook's cells were spread
over the workers (a cell ran without the cells before it) and the classroom's package
fixture was built twice at once. This runs a notebook and a module side by side.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from utils.paths import REPO_ROOT

pytestmark = pytest.mark.slow  # starts two pytest workers and a kernel: not in make test-fast


def test_a_notebooks_cells_and_a_modules_tests_each_stay_on_one_worker() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider", "-v"]
        + ["-p", "no:tests.nbval_budget", "lectures/00_template.ipynb", "tests/test_splits.py"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-3000:]
    ran = re.findall(r"^\[(gw\d)\] .*? PASSED (\S+?)::", out.stdout, re.M)
    workers: dict[str, set[str]] = {}
    for worker, path in ran:
        workers.setdefault(path, set()).add(worker)
    assert set(workers) == {"lectures/00_template.ipynb", "tests/test_splits.py"}, out.stdout[-3000:]
    assert all(len(w) == 1 for w in workers.values()), workers
