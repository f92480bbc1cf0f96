"""`make lab` serves the course with nbgrader, and says clearly when Python 3.11 is missing."""

from __future__ import annotations

import json
import secrets
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import stop_process_group
from utils.paths import REPO_ROOT


def _get(url: str, timeout: float = 5) -> tuple[int, bytes]:
    # Loopback only; the opener ignores proxy settings so nothing leaves the machine.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@pytest.mark.slow
def test_make_lab_serves_jupyterlab_with_nbgrader(free_port: int, clean_env: dict[str, str], tmp_path: Path) -> None:
    token = secrets.token_hex(16)
    base = f"http://127.0.0.1:{free_port}"
    args = f"--no-browser --ServerApp.ip=127.0.0.1 --IdentityProvider.token={token}"
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"PORT={free_port}", f"LAB_ARGS={args}"],
        cwd=REPO_ROOT,
        env=clean_env,
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, body = _get(f"{base}/api/status?token={token}")
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert status == 200, (
            f"JupyterLab did not come up (exit {proc.poll()}):\n" + (tmp_path / "lab.log").read_text()[-3000:]
        )
        assert "started" in json.loads(body)

        status, body = _get(f"{base}/lab/api/extensions?token={token}")
        assert status == 200
        extensions = {e["name"]: e for e in json.loads(body)}
        nbgrader = extensions.get("jupyter-nbgrader")
        assert nbgrader, f"nbgrader's labextension is missing: {sorted(extensions)}"
        assert nbgrader["enabled"] and nbgrader["installed_version"] == "0.9.6"
        assert extensions["jupyter-widgets-jupyterlab-manager"]["enabled"]

        # Each nbgrader server extension answers on its own route, with the course's config.
        # The formgrader's first request on a fresh clone creates gradebook.db: nbgrader imports
        # its database layer and runs `alembic heads` in a subprocess (5.5 s measured on a fresh
        # clone, 0.3 s once the file exists; more on a busy machine). That is a one-time cost of
        # the instructor's first visit, so the first request of each route gets a minute.
        for route in ("formgrader/api/assignments", "assignments?course_id=mlchem", "courses"):
            status, body = _get(f"{base}/{route}{'&' if '?' in route else '?'}token={token}", timeout=60)
            assert status == 200, f"/{route} answered {status}: server extension not loaded"
            json.loads(body)

        # The course's page config is read: no news opt-in prompt for students.
        status, body = _get(f"{base}/lab?token={token}")
        assert status == 200 and b"@jupyterlab/apputils-extension:announcements" in body, (
            "jupyter-config/ was not applied"
        )

        # Without the token nothing is served.
        assert _get(f"{base}/api/contents")[0] == 403
    finally:
        stop_process_group(proc)
        log.close()
    assert proc.poll() is not None, "make lab is still running after being stopped"


def _make_lab_with(python: str, tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "lab", f"PYTHON={python}", f"VENV={tmp_path / 'venv'}"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_make_lab_without_python311_says_what_is_missing(tmp_path: Path, clean_env: dict[str, str]) -> None:
    result = _make_lab_with("/nonexistent/python3.11", tmp_path, clean_env)
    assert result.returncode != 0
    assert "'/nonexistent/python3.11' was not found. The course needs Python 3.11." in result.stderr
    assert "PYTHON=/path/to/python3.11" in result.stderr
    assert not (tmp_path / "venv").exists()


def test_make_lab_with_wrong_python_version(tmp_path: Path, clean_env: dict[str, str]) -> None:
    fake = tmp_path / "python3.10"
    fake.write_text('#!/bin/sh\ncase "$*" in *platform*) echo 3.10.14 ;; *) exit 1 ;; esac\n')
    fake.chmod(0o755)
    result = _make_lab_with(str(fake), tmp_path, clean_env)
    assert result.returncode != 0
    assert "is Python 3.10.14, the course needs 3.11" in result.stderr
