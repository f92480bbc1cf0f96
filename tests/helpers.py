"""Small helpers shared by tests that start processes or copy the repository."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import NoReturn

import pytest

from utils.paths import REPO_ROOT

ANSI = re.compile(r"\x1b\[[0-9;]*m")

_NOT_COPIED = {
    ".venv",
    ".venv-bench",
    ".git",
    "__pycache__",
    ".ipynb_checkpoints",
    ".pytest_cache",
    "submitted",
    "autograded",
    "feedback",
    "grades",
    "downloaded",
    ".exchange",
}


#: What pip and uv print when they cannot reach the package registry (no route, no DNS, refused).
OFFLINE = re.compile(
    r"Network is unreachable|Temporary failure in name resolution|Name or service not known"
    r"|Failed to establish a new connection|Connection refused|No matching distribution found"
    r"|error resolving DNS|dns error"
)


def in_ci() -> bool:
    """Whether this is a CI run: ``CI`` set to anything but ``0``/``false``/``no`` (``.ci/run`` sets ``CI=1``)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(what: str, in_ci_hint: str = "", required: bool = False) -> NoReturn:
    """Skip the test because ``what`` is missing here; in CI (or when ``required``) fail it instead.

    On a developer's machine a missing tool or permission is a reason to skip;
    in CI it means the machine is not what the tests must run on, and a skip
    would pass a check that never happened. ``in_ci_hint`` says how CI gets it.
    """
    if in_ci() or required:
        pytest.fail(what + (f"; {in_ci_hint}" if in_ci_hint else ""), pytrace=False)
    pytest.skip(what + " (set CI=1 to make this a failure)")


def copy_repo(dest: Path) -> Path:
    """Copy the course (without .venv, .git and student work) to ``dest``; return it."""
    shutil.copytree(
        REPO_ROOT, dest, ignore=lambda _d, names: [n for n in names if n in _NOT_COPIED or n.endswith(".egg-info")]
    )
    return dest


def strip_ansi(text: str) -> str:
    """Remove terminal colour codes from a command's output."""
    return ANSI.sub("", text)


def stop_process_group(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it started."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; give the rest of the group a moment to follow.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
