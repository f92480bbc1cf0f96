"""Every lecture's checked outputs hold on any CPU: nbval under other OpenBLAS kernels.

OpenBLAS (behind numpy and scipy) picks a kernel for the CPU it runs on: Haswell
code on AVX2 machines, SkylakeX on AVX-512 ones, and so on. The kernels sum in
different orders, so a matrix product, a solve or a Lasso path can differ in the
last bits from one CPU to the next. Outputs stored from one machine then fail
nbval on another wherever a cell prints rounding noise (``max |Δw| = 1.3e-12``),
breaks an exact tie by those bits (a pair named in either order), counts values
that are zero up to rounding, or feeds them into a model as chaotic as a random
forest. The lectures print a bound instead of the noise, break ties by a stated
rule and round where bits would decide; this module keeps it that way.

``OPENBLAS_CORETYPE`` makes OpenBLAS use another kernel than the one it would
pick, so one machine can check what other CPUs would print: each lecture with
a cell tagged ``nbval-check-output`` runs under nbval in a subprocess under two
kernels other than this CPU's own (:data:`PREFERRED`, first two usable here; a
kernel needs instructions this CPU has, so AVX-512's SkylakeX dies with SIGILL
on an AVX2 machine and is skipped). nbval's usual run in ``make test`` covers the
native kernel. Only the outputs are checked here: the notebook budget (time and
memory) is measured on the native kernel by that run, so the subprocess leaves
the budget plugin out (a kernel without AVX is slower, and these runs share the
machine with the rest of the suite). Numbers that differ for reasons outside
OpenBLAS (numpy's own SIMD code for ``log`` or ``exp``, another library version)
are beyond this test.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import strip_ansi
from utils.paths import REPO_ROOT
from utils.resources import missing_settings

#: Kernels to try, in order of preference: two of them that this CPU can run and that are not its own.
PREFERRED = ("SkylakeX", "Haswell", "Prescott", "Sandybridge")
KERNELS_PER_LECTURE = 2

#: Loads OpenBLAS (``OPENBLAS_VERBOSE=2`` makes it print ``Core: <name>``) and runs a solve on the kernel.
_PROBE = "import numpy as np; np.linalg.inv(np.eye(200) + np.random.default_rng(0).random((200, 200)))"
_CORE = re.compile(r"^Core: (\S+)", re.M)


def _probe_env(kernel: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    env["OPENBLAS_VERBOSE"] = "2"
    if kernel is not None:
        env["OPENBLAS_CORETYPE"] = kernel
    return env


@functools.cache
def other_kernels() -> tuple[str, ...]:
    """The first :data:`KERNELS_PER_LECTURE` kernels of :data:`PREFERRED` usable here and not the native one.

    Usable: the probe exits 0 under it and OpenBLAS reports a core other than the one it picks by
    itself (an unknown name, or one that maps to the native core, would only repeat the native run).
    Empty if numpy's BLAS is not OpenBLAS. All probes run at once; the answer is computed once per process.
    """
    names: list[str | None] = [None, *PREFERRED]
    probes = [
        subprocess.Popen(
            [sys.executable, "-c", _PROBE],
            env=_probe_env(name),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    cores = {}
    for name, probe in zip(names, probes, strict=True):
        _, stderr = probe.communicate(timeout=120)
        found = _CORE.search(stderr)
        if probe.returncode == 0 and found and "Core not found" not in stderr:
            cores[name] = found.group(1)
    native = cores.pop(None, None)
    if native is None:
        return ()
    return tuple(name for name, core in cores.items() if core != native)[:KERNELS_PER_LECTURE]


def checked_lectures() -> list[Path]:
    """Lectures with at least one cell whose output nbval compares."""
    return [
        path
        for path in sorted((REPO_ROOT / "lectures").glob("*.ipynb"))
        if any(
            "nbval-check-output" in cell.get("metadata", {}).get("tags", [])
            for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]
        )
    ]


def _cases() -> list[object]:
    kernels = other_kernels()
    if not kernels:
        return [pytest.param(None, None, marks=pytest.mark.skip(reason="no other OpenBLAS kernel usable here"))]
    return [pytest.param(path, kernel, id=f"{path.stem}-{kernel}") for path in checked_lectures() for kernel in kernels]


def test_some_lectures_are_checked() -> None:
    assert checked_lectures(), "no lecture has a cell tagged nbval-check-output"


@pytest.mark.slow
@pytest.mark.anycpu
@pytest.mark.parametrize(("notebook", "kernel"), _cases())
def test_checked_outputs_hold_under_another_blas_kernel(notebook: Path, kernel: str) -> None:
    # The environment make test gives the notebooks (thread settings), the kernel forced, no xdist leftovers.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT_TEST"))}
    env.update(missing_settings(env))
    env["OPENBLAS_CORETYPE"] = kernel
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", str(notebook.relative_to(REPO_ROOT))]
        + ["-p", "no:cacheprovider", "-p", "no:tests.nbval_budget", "-q"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    tail = "\n".join(strip_ansi(result.stdout + result.stderr).splitlines()[-60:])
    assert result.returncode == 0, f"{notebook.name} under OPENBLAS_CORETYPE={kernel}:\n{tail}"
