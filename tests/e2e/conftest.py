"""A course JupyterLab, started as `make lab` starts it, and a headless Chromium driven by Playwright.

The server runs in a temporary copy of the repository (its ``.venv`` a link to
the environment running the tests) on a free loopback port with a random
token, and is stopped by its process group at the end. The browser is Debian's
Chromium (``/usr/bin/chromium``): Playwright's own browser download is never
used. Without Chromium the suite is skipped on a developer's machine and fails
in CI (``CI`` set to anything but ``0``/``false``, as ``.ci/run`` does) and
under ``make screenshots``.

Server and browser live for this folder's tests only (module scope): the rest
of ``make test`` does not share the machine with an idle Lab, its kernels and
Chromium.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil
import pytest

from tests.helpers import copy_repo, stop_process_group, unavailable
from tests.test_exercises import _answers

CHROMIUM = os.environ.get("MLCHEM_CHROMIUM", "/usr/bin/chromium")
#: Where `make screenshots` wants the README's pictures (unset: only the test's tmp folder).
SCREENSHOT_DIR = os.environ.get("MLCHEM_SCREENSHOTS")
#: The screenshots the README shows; the others stay in the test's folder.
README_SHOTS = {"student-lab", "student-lecture-slider", "student-validate", "instructor-submissions"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.slow)


def _need_browser() -> None:
    missing = []
    if not Path(CHROMIUM).is_file():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("the playwright package (requirements/test.txt)")
    if missing:
        # In CI and for `make screenshots` a missing browser is an error, not a reason to skip.
        unavailable(
            "browser tests need " + " and ".join(missing), ".ci/run installs them", required=bool(SCREENSHOT_DIR)
        )


@dataclass
class Lab:
    """A running JupyterLab: its base URL, token and course folder."""

    base: str
    token: str
    root: Path

    def url(self, path: str, reset: bool = True) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base}/{path.lstrip('/')}{sep}{'reset&' if reset else ''}token={self.token}"


def _get(url: str) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def _stop(proc: subprocess.Popen) -> None:
    """Stop `make lab` by its process group, then any kernel it started (kernels get their own session)."""
    try:
        started = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        started = []
    stop_process_group(proc)
    alive = [p for p in started if p.is_running()]
    for p in alive:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _gone, alive = psutil.wait_procs(alive, timeout=10)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=10)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    _need_browser()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        free_port = sock.getsockname()[1]
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    root = copy_repo(tmp_path_factory.mktemp("e2e") / "course")
    # A fresh clone's course: no gradebook of whoever ran the tests before.
    for leftover in ("gradebook.db", "gradebook.db-journal"):
        (root / leftover).unlink(missing_ok=True)
    venv = Path(sys.prefix)
    (root / ".venv").symlink_to(venv, target_is_directory=True)
    token = secrets.token_hex(16)
    args = f"--no-browser --ServerApp.ip=127.0.0.1 --IdentityProvider.token={token}"
    log_path = root.parent / "lab.log"
    log = log_path.open("w")
    # `make lab`, with the environment's stamp taken as up to date (-o): the copy must
    # never reinstall utils from itself.
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "lab", f"PORT={free_port}", f"LAB_ARGS={args}"],
        cwd=root,
        env={
            **clean_env,
            "JUPYTER_CONFIG_DIR": str(root.parent / "jupyter-config"),
            "JUPYTER_RUNTIME_DIR": str(root.parent / "runtime"),
        },
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    lab = Lab(f"http://127.0.0.1:{free_port}", token, root)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if _get(f"{lab.base}/api/status?token={token}") == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail(f"JupyterLab did not start (exit {proc.poll()}):\n{log_path.read_text()[-3000:]}")
        yield lab
    finally:
        _stop(proc)
        log.close()


@pytest.fixture(scope="module")
def browser(lab: Lab) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, lab: Lab, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()


def save_screenshot(page, tmp_path: Path, name: str) -> Path:
    """A JPEG of the page in the test's folder and, for `make screenshots`, in the README's folder."""
    path = tmp_path / f"{name}.jpg"
    page.screenshot(path=str(path), type="jpeg", quality=70)
    if SCREENSHOT_DIR and name in README_SHOTS:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(SCREENSHOT_DIR) / path.name)
    return path


#: The instructor's answer of each answer cell of an assignment, without the solution markers
#: (the same reading tests/test_exercises.py and tests/grading use).
solution_answers = _answers


def type_answers(page, path: Path, answers: dict[str, str]) -> None:
    """Type each answer into its cell of the open notebook ``path``, save, and wait until the file holds them."""
    nb = nbformat.read(path, as_version=4)
    cells = page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell")
    for index, cell in enumerate(nb.cells):
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers and cell.metadata.nbgrader.get("solution"):
            editor = cells.nth(index).locator(".cm-content")
            editor.scroll_into_view_if_needed()
            editor.click()
            page.keyboard.press("Control+A")
            page.keyboard.press("Delete")
            page.keyboard.insert_text(answers[gid])  # as pasted: no auto-indent
    page.keyboard.press("Escape")
    page.keyboard.press("Control+S")
    wanted = {gid: text.strip() for gid, text in answers.items()}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        saved = {
            c.metadata.get("nbgrader", {}).get("grade_id"): c.source.strip()
            for c in nbformat.read(path, as_version=4).cells
        }
        if all(saved.get(gid) == text for gid, text in wanted.items()):
            return
        time.sleep(0.5)
    pytest.fail(f"the typed answers did not reach {path}")
