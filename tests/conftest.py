"""Shared fixtures of the test suite, and the notebook budget table."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from benchmarks.notebook_budget import BUDGET_MIB, BUDGET_SECONDS, NOTEBOOKS  # noqa: F401 - the tests' names


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
