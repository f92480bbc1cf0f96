"""Grading run by an ordinary (unprivileged) user, as on an instructor's laptop.

CI runs as root, where bubblewrap needs no user namespace. Here the whole
pipeline (``python -m grading grade``) runs as ``nobody``: as root the test
drops privileges with ``setpriv``; run by an ordinary user it runs as is. The
sandbox then needs unprivileged user namespaces; where the kernel refuses them,
grading must still work and say loudly which protections were off.
"""

from __future__ import annotations

import csv
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import pytest

from tests.grading.course import checked_student, make_checked_course, submit
from tests.grading.test_adversarial import attacks
from tests.helpers import unavailable

pytestmark = pytest.mark.slow

CASES = ["control_good", "control_wrong", "patch_helper", "read_solutions", "edit_gradebook", "lingering_process"]
#: In the process `lingering_process` leaves behind; not test_adversarial's, whose run may go on beside this one.
MARK = "mlchem_ordinary_user_marker"


def _blocked_ancestor(path: Path) -> Path | None:
    """The outermost ancestor of ``path`` that other users may not enter, if any."""
    for parent in reversed(path.parents):
        if not parent.stat().st_mode & stat.S_IXOTH:
            return parent
    return None


def _as_ordinary_user(argv: list[str], root: Path) -> tuple[list[str], str]:
    """``argv`` run as ``nobody`` (when we are root), and that user's name."""
    if os.geteuid() != 0:
        return argv, pwd.getpwuid(os.geteuid()).pw_name
    if not (shutil.which("setpriv") and shutil.which("bwrap")):
        unavailable("needs setpriv and bwrap to drop root privileges", ".ci/run installs bubblewrap")
    user = pwd.getpwnam("nobody")
    for path in [root, *root.rglob("*")]:
        os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)
    wrapper: list[str] = []
    # The interpreter may live where only root can enter (pyenv under /root). In a
    # private mount namespace, cover that folder with an empty world-readable tmpfs
    # holding just the folder with the installations: nobody sees anything else of it.
    needed = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(sys.executable).resolve().parent}
    covers: dict[Path, list[Path]] = {}
    for path in needed:
        blocked = _blocked_ancestor(path / "x")
        if blocked is not None:  # expose the blocked folder's child that holds it (e.g. /root/.pyenv)
            covers.setdefault(blocked, []).append(blocked / path.relative_to(blocked).parts[0])
    if covers:
        wrapper = ["bwrap", "--dev-bind", "/", "/"]
        for blocked, paths in covers.items():
            wrapper += ["--tmpfs", str(blocked)]
            for path in sorted(set(paths)):
                wrapper += ["--ro-bind", str(path), str(path)]
        wrapper.append("--")
    drop = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", "--"]
    return wrapper + drop + ["env", f"HOME={root}", *argv], "nobody"


@pytest.fixture
def public_tmp():
    """A temporary folder other users can enter (pytest's own is private to its user)."""
    path = Path(tempfile.mkdtemp(prefix="mlchem-ordinary-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_an_ordinary_user_grades_with_the_same_guarantees(public_tmp: Path) -> None:
    root = make_checked_course(public_tmp / "c")
    cases = {k: v for k, v in attacks(0, root, MARK).items() if k in CASES}
    for student, (answer, _score, _flags) in cases.items():
        submit(root, student, checked_student(answer))
    argv, user = _as_ordinary_user(
        [sys.executable, "-m", "grading", "--root", str(root), "grade", "toy", "--workers", "2"], root
    )
    repo = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        argv, cwd=repo, capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(repo)}
    )
    out = result.stdout + result.stderr
    print(f"\ngraded as {user}:\n" + "\n".join(line for line in out.splitlines() if not line.startswith("[")))
    assert result.returncode == 0, out[-3000:]
    rows = {r["student_id"]: r for r in csv.DictReader((root / "grades" / "toy.csv").open())}
    assert set(rows) == set(cases)
    sandboxed = "WARNING: grading ran WITHOUT" not in out
    for student, (_answer, score, flags) in cases.items():
        if not sandboxed and student in ("read_solutions", "edit_gradebook"):
            continue  # without namespaces these are only kept out by file permissions
        assert float(rows[student]["score"]) == score, (student, rows[student])
        assert flags <= set(rows[student]["flags"].split(";")), (student, rows[student])
    if sandboxed:
        assert "FOUND []" in (root / "autograded" / "read_solutions" / "toy" / "toy.ipynb").read_text()
    else:
        assert "filesystem isolation (bubblewrap)" in out, "the summary must name each protection that was off"
    if user == "nobody":
        owners = {p.stat().st_uid for p in (root / "grades").iterdir()}
        assert owners == {pwd.getpwnam("nobody").pw_uid}, "grading did not run as the ordinary user"
    leftovers = [
        p.info["cmdline"] for p in psutil.process_iter(["cmdline"]) if MARK in " ".join(p.info["cmdline"] or [])
    ]
    assert leftovers == [], leftovers
