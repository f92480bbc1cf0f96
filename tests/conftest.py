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
