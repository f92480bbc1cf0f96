"""A real classroom for the tests in this folder: Linux accounts, the hub, nbgrader's exchange.

Everything is made the way ``make hub`` makes it (``python -m classroom
install``, the roster applied as root, the hub started by ``python -m classroom
start``), under a fresh folder in ``/srv`` on free loopback ports, with
accounts whose names carry a random tag. At the end the hub is stopped by its
process group, every process of the test accounts is killed, the accounts and
their homes are removed (and the two groups, if the fixture made them) and the
folder is deleted.

Creating accounts needs root: in CI (``CI`` set, as ``.ci/run`` sets it) a
non-root run is a failure; elsewhere these tests are skipped with the reason.
"""

from __future__ import annotations

import grp
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from classroom.deploy import DeployError, Layout, choose_python, install
from classroom.roster import GROUPS, Member, apply_roster, remove_accounts
from tests.helpers import OFFLINE, stop_process_group, unavailable
from utils.paths import REPO_ROOT


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/classroom/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.classroom)
            item.add_marker(pytest.mark.slow)


def need_root() -> None:
    """Skip (fail in CI) unless this process may create Linux accounts and run servers as them."""
    problems = []
    if os.geteuid() != 0:
        problems.append("root (they create Linux accounts and start servers as them)")
    for tool in ("useradd", "node", "npm", "git"):
        if not shutil.which(tool):
            problems.append(f"the command {tool}")
    try:
        choose_python()
    except Exception as err:
        problems.append(str(err))
    if problems:
        unavailable("classroom tests need " + "; ".join(problems), ".ci/run runs as root and installs the rest")


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Classroom:
    """A running hub and the accounts the tests made."""

    layout: Layout
    url: str
    tag: str
    passwords: dict[str, str] = field(default_factory=dict)
    instructors: list[str] = field(default_factory=list)
    students: list[str] = field(default_factory=list)
    api_token: str = ""

    def add_accounts(self, n_students: int, n_instructors: int = 0) -> tuple[list[str], list[str]]:
        """Create ``n_instructors`` and ``n_students`` new accounts; return their names."""
        start_i, start_s = len(self.instructors), len(self.students)
        members = [Member(f"{self.tag}i{k:02d}", "instructor", 0) for k in range(start_i, start_i + n_instructors)]
        members += [Member(f"{self.tag}s{k:02d}", "student", 0) for k in range(start_s, start_s + n_students)]
        out = self.layout.state / "new-passwords.csv"
        apply_roster(members, out)
        for line in out.read_text().splitlines():
            user, password = line.split(",", 1)
            self.passwords[user] = password
        new_i = [m.username for m in members if m.role == "instructor"]
        new_s = [m.username for m in members if m.role == "student"]
        self.instructors += new_i
        self.students += new_s
        return new_i, new_s

    def api(self, method: str, path: str, body: dict | None = None, timeout: float = 30) -> tuple[int, object]:
        """Call the hub's REST API with the test's admin token; (status, decoded JSON or None)."""
        request = urllib.request.Request(
            f"{self.url}/hub/api{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"token {self.api_token}"},
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=timeout) as response:
                raw = response.read()
                return response.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as err:
            return err.code, None

    def as_user(
        self, user: str, *args: str, cwd: Path | None = None, timeout: float = 300, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess:
        """Run a command as ``user`` with the environment the hub gives that user's server."""
        home = Path(f"~{user}").expanduser()
        instructor = user in self.instructors
        base = {
            "HOME": str(home),
            "USER": user,
            "LOGNAME": user,
            "LANG": "C.UTF-8",
            "PATH": f"{self.layout.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "JUPYTER_CONFIG_PATH": str(self.layout.etc("instructor" if instructor else "student")),
            "MLCHEM_EXCHANGE_ROOT": str(self.layout.exchange),
            "GIT_CONFIG_SYSTEM": str(self.layout.root / "etc" / "gitconfig"),
            "PYTHONPATH": str(self.layout.course if instructor else self.layout.student_tree),
            "VENV": str(self.layout.venv),
            "MLCHEM_SHARED_VENV": "1",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "OMP_WAIT_POLICY": "PASSIVE",
        }
        return subprocess.run(
            [
                "runuser",
                "-u",
                user,
                "--",
                "env",
                "-i",
                *(f"{k}={v}" for k, v in {**base, **(env or {})}.items()),
                *args,
            ],
            cwd=cwd or home,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def _wait_for(url: str, timeout: float, proc: subprocess.Popen, log: Path) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the hub exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with opener.open(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.5)
    pytest.fail(f"the hub did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


# Package scope: the hub, its users' servers and their kernels (about 1.5 GB resident after the
# browser test) are stopped as soon as this folder's tests end, not at the end of `make test`,
# where they sat beside every later test (a memory-limit test counted them as its own).
@pytest.fixture(scope="package")
def classroom() -> Iterator[Classroom]:
    need_root()
    Path("/srv").mkdir(exist_ok=True)
    groups_before = {g for g in GROUPS.values() if _group_exists(g)}
    root = Path(tempfile.mkdtemp(prefix="mlchem-test-", dir="/srv"))
    root.chmod(0o755)
    tag = "t" + secrets.token_hex(2)
    room = Classroom(Layout(root), "", tag)
    proc = None
    log_file = None
    try:
        try:
            install(root, REPO_ROOT, log=lambda line: print(line, file=sys.stderr))
        except DeployError as err:
            if OFFLINE.search(str(err)):
                # The classroom's environment is built on the system's Python (every account can run
                # it), not the one .venv was made with; uv's cache holds its packages only once it has
                # been built online.
                pytest.skip(
                    "needs the package registry: the classroom's environment (requirements/hub.txt on "
                    f"{choose_python()}) is not in uv's cache yet, and the network is off"
                )
            raise
        room.add_accounts(n_students=3, n_instructors=1)
        port = free_port()
        room.url = f"http://127.0.0.1:{port}"
        room.api_token = secrets.token_hex(24)
        log_path = root / "state" / "hub.log"
        log_file = log_path.open("w")
        env = {
            **os.environ,
            "MLCHEM_HUB_API_PORT": str(free_port()),
            "MLCHEM_PROXY_API_PORT": str(free_port()),
            "MLCHEM_HUB_SERVICE_TOKEN": room.api_token,
        }
        env = {k: v for k, v in env.items() if not k.startswith(("JUPYTER", "JPY_"))}
        proc = subprocess.Popen(
            [sys.executable, "-m", "classroom", "--root", str(root), "start", "--url", room.url],
            cwd=REPO_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait_for(f"{room.url}/hub/api/", 90, proc, log_path)
        yield room
    finally:
        if proc is not None:
            stop_process_group(proc)
        if log_file is not None:
            log_file.close()
        remove_accounts(room.instructors + room.students)
        for group in set(GROUPS.values()) - groups_before:
            subprocess.run(["groupdel", group], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
