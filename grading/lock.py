"""One grading run per course at a time, and scratch folders that never outlive their run.

:func:`course_lock` holds ``<root>/.grading.lock`` for a whole ``make grade``
run (an ``flock``, released by the system however the run ends; the file says
who holds it). Scratch folders live in the system temp folder, named
``mlchem-<kind>-<pid>-*`` after the process that made them, so a run removes
those a killed run left behind (:func:`remove_stale_scratch`).
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import getpass
import json
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psutil

#: Held by the running ``make grade`` of a course (git-ignored).
LOCK_FILE = ".grading.lock"
#: Scratch folders: ``mlchem-<kind>-<pid of the process that made it>-<random>`` in the system temp folder.
SCRATCH = re.compile(r"^mlchem-(?:grade|reference|release|slots)-(?P<pid>\d+)-")


def scratch(kind: str) -> tempfile.TemporaryDirectory:
    """A private scratch folder in the system temp folder, named after this process (see :data:`SCRATCH`).

    The system temp folder keeps the kernel's socket paths short (Unix sockets
    allow about 100 characters), whatever the course's own path.
    """
    return tempfile.TemporaryDirectory(prefix=f"mlchem-{kind}-{os.getpid()}-")


def remove_stale_scratch(folder: Path | None = None) -> list[Path]:
    """Remove the scratch folders whose process is gone (a killed run's); return them.

    Folders of running processes, and those this user may not remove, stay.
    """
    folder = Path(folder or tempfile.gettempdir())
    removed = []
    for path in folder.glob("mlchem-*-*-*"):
        found = SCRATCH.match(path.name)
        if not found or not path.is_dir() or path.is_symlink() or running(int(found["pid"])):
            continue
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            removed.append(path)
    return removed


def running(pid: int) -> bool:
    """Whether process ``pid`` is alive (a killed process not yet reaped is not)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:  # another user's process we may not inspect: assume it runs
        return True


@contextlib.contextmanager
def course_lock(root: Path, assignment: str) -> Iterator[Path]:
    """Hold ``<root>/.grading.lock`` while grading; exit at once if another run holds it.

    The lock is an ``flock`` on the file, so the system releases it when the
    run ends in any way, killed included; the file says who holds it.
    """
    path = root / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o664)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = describe_holder(os.pread(fd, 4096, 0))
            raise SystemExit(
                f"error: another grading run of this course is going on ({holder}); "
                f"nothing was changed. Try again when it has finished (lock: {path})."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(lock_details(assignment)).encode() + b"\n", 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


def lock_details(assignment: str) -> dict[str, object]:
    """Who is grading: written into the lock file for the run that has to wait."""
    try:
        user = getpass.getuser()
    except Exception:  # no name for this uid (containers)
        user = str(os.getuid())
    return {
        "pid": os.getpid(),
        "user": user,
        "host": socket.gethostname(),
        "assignment": assignment,
        "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def describe_holder(raw: bytes) -> str:
    """One line about the run holding the lock, from the lock file's content."""
    try:
        info = json.loads(raw.decode())
        pid = int(info["pid"])
    except Exception:
        return "no details in the lock file yet"
    text = (
        f"{info.get('user', '?')} on {info.get('host', '?')}, pid {pid}, "
        f"grading {info.get('assignment', '?')} since {info.get('started', '?')}"
    )
    if info.get("host") == socket.gethostname() and not running(pid):
        text += "; that process has ended but processes it started still hold the lock"
    return text
