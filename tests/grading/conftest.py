"""What the grading tests need of the machine: without it they are skipped, and in CI they fail.

A grading run without bubblewrap still works, with fewer protections (see
:mod:`grading.sandbox`), so the tests of those protections cannot pass
without it. On a developer's machine they are skipped with the reason; in CI
(``CI=1``, as ``.ci/run`` sets it) a missing or broken sandbox is a failure:
otherwise CI would pass without ever checking the isolation.
"""

from __future__ import annotations

import shutil

import pytest

from grading import sandbox
from tests.helpers import unavailable


@pytest.fixture(scope="session")
def sandbox_works() -> None:
    """Bubblewrap is installed and creates the namespaces grading uses; else skip (fail in CI)."""
    if not sandbox.bwrap_works():
        exe = shutil.which("bwrap")
        unavailable(
            f"bubblewrap ({exe}) cannot create the namespaces a sandboxed kernel needs here "
            "(as an ordinary user it needs unprivileged user namespaces)"
            if exe
            else "bubblewrap is missing: no `bwrap` on PATH (apt-get install bubblewrap)",
            ".ci/run installs bubblewrap and CI's container is privileged",
        )


@pytest.fixture(scope="session")
def prlimit_works() -> None:
    """``prlimit`` (util-linux) is on PATH, so kernels get their limits; else skip (fail in CI)."""
    if shutil.which("prlimit") is None:
        unavailable("prlimit (util-linux) is missing: kernels get no data-segment limit", "apt-get install util-linux")
