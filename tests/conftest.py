"""Shared fixtures of the test suite, and the notebook budget table."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from utils.paths import REPO_ROOT

#: Every notebook that must run top to bottom: lectures and instructor solutions.
#: (Released exercises are not run: they raise NotImplementedError by design.)
NOTEBOOKS: list[Path] = sorted([*REPO_ROOT.glob("lectures/*.ipynb"), *REPO_ROOT.glob("solutions/*/*.ipynb")])

BUDGET_SECONDS = 60.0
BUDGET_MIB = 1024.0

_budget_rows: list[tuple[str, float, float]] = []


def record_budget(name: str, seconds: float, peak_mib: float) -> None:
    """Remember one notebook's measurement for the table printed at the end."""
    _budget_rows.append((name, seconds, peak_mib))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _budget_rows:
        return
    tr = terminalreporter
    tr.section("notebook budget (one at a time; limit 60 s, 1024 MiB)")
    width = max(len(name) for name, _, _ in _budget_rows)
    tr.write_line(f"{'notebook':<{width}}  {'time / s':>9}  {'peak / MiB':>10}  verdict")
    for name, seconds, mib in sorted(_budget_rows):
        ok = seconds < BUDGET_SECONDS and mib < BUDGET_MIB
        tr.write_line(f"{name:<{width}}  {seconds:9.1f}  {mib:10.0f}  {'ok' if ok else 'OVER'}")


@pytest.fixture
def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def venv_bin() -> Path:
    """The bin folder of the environment running the tests (``.venv/bin`` under make)."""
    import sys

    return Path(sys.executable).parent


@pytest.fixture
def clean_env() -> dict[str, str]:
    """The environment minus variables that would leak this session's Jupyter state."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    return env
