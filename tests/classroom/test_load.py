"""A class under load: 30 concurrent submissions, 10 concurrent spawns, nothing lost.

The classroom fixture (conftest.py) runs the real hub with real Linux accounts.
This module adds 30 students of its own, has each fetch ``ex01_ridge`` from the
shared exchange and submit a notebook carrying a marker of its own, all at once
and each as its own user, while the instructor collects over and over. After a
final collect every submission is in the course's ``submitted/`` folder, whole
and byte for byte what the student submitted; a late resubmission replaces the
earlier one only when the instructor collects with ``--update``; students can
neither list the exchange's inbound folder nor reach another's submission.
Then ten of the students' servers are started at once through the hub's REST
API, timed, their memory measured, while the hub's API is polled for latency.

The figures are printed (``pytest -s``) and written as JSON to
``$MLCHEM_LOAD_REPORT/classroom-load.json`` (or the test's tmp folder).
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import json
import os
import pwd
import re
import shutil
import stat
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import psutil
import pytest

from classroom.deploy import COURSE_ID
from classroom.spawner import DEFAULT_PORTS

if TYPE_CHECKING:
    from tests.classroom.conftest import Classroom

ASSIGNMENT = "ex01_ridge"
N_SUBMIT = 30
N_SPAWN = 10
#: All ten servers must be ready within this (the hub's own Spawner.start_timeout is 90 s).
SPAWN_BOUND_S = 90.0
#: The hub's API must answer every poll of GET /users within this while ten servers start. Measured
#: on the 2-core development machine with another classroom test running beside it (load average ~10):
#: median 0.04 s, p95 0.09 s, max 1.1 s. 5 s leaves headroom for a busy CI runner and is still well
#: below a hub that students would see as hung.
API_LATENCY_BOUND_S = 5.0

#: Run as a student in their home: put ``marker`` on the first line of the first answer cell.
MARK = """
import sys, nbformat
path = "ex01_ridge/ex01_ridge.ipynb"
nb = nbformat.read(path, as_version=4)
cell = next(c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution"))
lines = [l for l in cell.source.splitlines() if not l.startswith("# load-test marker:")]
cell.source = "\\n".join([f"# load-test marker: {sys.argv[1]}", *lines])
nbformat.write(nb, path)
"""


def _median_max(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "max": round(max(values), 3),
        "min": round(min(values), 3),
        "n": len(values),
    }


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _marker_of(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution"))
    first = cell.source.splitlines()[0]
    assert first.startswith("# load-test marker: "), f"{path}: no marker in the first answer cell"
    return first.removeprefix("# load-test marker: ")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    figures: dict = {}
    yield figures
    folder = Path(os.environ.get("MLCHEM_LOAD_REPORT") or tmp_path_factory.mktemp("load-report"))
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "classroom-load.json"
    out.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    print(f"\nclassroom load figures ({out}):\n{json.dumps(figures, indent=2, sort_keys=True)}")


@dataclass
class Round:
    """What the concurrent submission round did, for the tests to check."""

    instructor: str
    students: list[str]
    markers: dict[str, str]
    submitted_sha: dict[str, str]
    collect_returncodes: list[int] = field(default_factory=list)
    collect_errors: list[str] = field(default_factory=list)


def _collect(room: Classroom, instructor: str, *flags: str) -> tuple[float, object]:
    start = time.monotonic()
    result = room.as_user(instructor, "nbgrader", "collect", *flags, ASSIGNMENT, cwd=room.layout.course)
    return time.monotonic() - start, result


@pytest.fixture(scope="module")
def submitted(classroom: Classroom, report: dict) -> Round:
    room = classroom
    instructor = room.instructors[0]
    _, students = room.add_accounts(N_SUBMIT)
    course = room.layout.course
    # The browser test may have released it already; releasing again would need --force and
    # would replace what its students fetched, so release only when it is not out yet.
    if not (room.layout.exchange / COURSE_ID / "outbound" / ASSIGNMENT).is_dir():
        result = room.as_user(instructor, "nbgrader", "release_assignment", ASSIGNMENT, cwd=course)
        assert result.returncode == 0, result.stderr

    markers = {user: f"{user}-{os.urandom(4).hex()}" for user in students}

    def fetch_and_mark(user: str) -> None:
        # One shell per student: fetch, then edit the answer cell (as that student, in their home).
        result = room.as_user(
            user, "bash", "-c", f'nbgrader fetch_assignment {ASSIGNMENT} && python -c "$0" "$1"', MARK, markers[user]
        )
        assert result.returncode == 0, f"{user} fetch and edit: {result.stderr}"

    start = time.monotonic()
    with ThreadPoolExecutor(N_SUBMIT) as pool:
        list(pool.map(fetch_and_mark, students))
    fetch_wall = time.monotonic() - start

    # The instructor collects again and again while the students submit. --update, as the
    # formgrader's Collect button does (nbgrader.apps.api.NbGraderAPI.collect(update=True)).
    done = threading.Event()
    loop_durations: list[float] = []
    loop_copied: list[int] = []  # submissions each of those collects copied ("Collecting/Updating submission")
    rnd = Round(instructor, students, markers, {})

    def collect_loop() -> None:
        while not done.is_set():
            seconds, result = _collect(room, instructor, "--update")
            loop_durations.append(seconds)
            loop_copied.append(len(re.findall(r"(?:Collecting|Updating) submission: ", result.stderr + result.stdout)))
            rnd.collect_returncodes.append(result.returncode)
            if result.returncode:
                rnd.collect_errors.append(result.stderr[-2000:])

    submit_seconds: dict[str, float] = {}

    def submit(user: str) -> None:
        t0 = time.monotonic()
        result = room.as_user(user, "nbgrader", "submit", ASSIGNMENT)
        submit_seconds[user] = time.monotonic() - t0
        assert result.returncode == 0, f"{user} submit: {result.stderr}"
        home = Path(pwd.getpwnam(user).pw_dir)
        rnd.submitted_sha[user] = _sha(home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")

    collector = threading.Thread(target=collect_loop)
    collector.start()
    try:
        start = time.monotonic()
        with ThreadPoolExecutor(N_SUBMIT) as pool:
            list(pool.map(submit, students))
        submit_wall = time.monotonic() - start
    finally:
        done.set()
        collector.join()
    final_seconds, final = _collect(room, instructor, "--update")
    assert final.returncode == 0, final.stderr

    # How long collecting all 30 takes from scratch: into a scratch folder of the course.
    scratch = "load-test-fresh-collect"
    fresh_seconds, fresh = _collect(room, instructor, f"--CourseDirectory.submitted_directory={scratch}")
    fresh_count = sum(1 for u in students if (course / scratch / u / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file())
    shutil.rmtree(course / scratch, ignore_errors=True)
    assert fresh.returncode == 0, fresh.stderr
    assert fresh_count == N_SUBMIT

    report["submissions"] = {
        "students": N_SUBMIT,
        "fetch_and_mark_wall_s": round(fetch_wall, 2),
        "submit_wall_s": round(submit_wall, 2),
        "submit_per_student_s": _median_max(list(submit_seconds.values())),
        "collects_during_submissions": len(loop_durations),
        "collect_during_submissions_s": _median_max(loop_durations) if loop_durations else None,
        "submissions_copied_by_each_collect_during_submissions": loop_copied,
        "final_collect_update_s": round(final_seconds, 2),
        "fresh_collect_of_30_s": round(fresh_seconds, 2),
    }
    return rnd


def test_30_concurrent_submissions_are_all_collected_intact(classroom: Classroom, submitted: Round) -> None:
    assert submitted.collect_returncodes, "the instructor never collected during the submissions"
    assert not submitted.collect_errors, submitted.collect_errors[0]
    assert set(submitted.submitted_sha) == set(submitted.students)
    course = classroom.layout.course
    for user in submitted.students:
        path = course / "submitted" / user / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert path.is_file(), f"{user}'s submission was not collected"
        assert _marker_of(path) == submitted.markers[user], f"{user}'s collected notebook is someone else's"
        assert _sha(path) == submitted.submitted_sha[user], (
            f"{user}'s collected notebook differs from what was submitted"
        )
        assert (path.parent / "timestamp.txt").read_text().strip()


def test_student_who_never_had_a_server_is_collected(classroom: Classroom, submitted: Round) -> None:
    # Runs before the spawn test: none of the 30 has logged in to the hub or had a server,
    # and nobody's process was running when they were collected.
    user = submitted.students[-1]
    status, _ = classroom.api("GET", f"/users/{user}")
    assert status == 404, f"{user} is known to the hub ({status}); the test meant a student without a server"
    uid = pwd.getpwnam(user).pw_uid
    assert not [p for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == uid]
    path = classroom.layout.course / "submitted" / user / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert _marker_of(path) == submitted.markers[user]


def test_late_resubmission_replaces_the_earlier_one_on_collect_update(
    classroom: Classroom, submitted: Round, report: dict
) -> None:
    """nbgrader's documented behaviour (``nbgrader collect --help``, nbgrader 0.9; also
    https://nbgrader.readthedocs.io/en/stable/command_line_tools/nbgrader-collect.html): "All
    submissions are timestamped and students can turn an assignment in multiple times. The
    `collect` command will always get the most recent submission from each student, but it will
    never overwrite an existing submission unless you provide the `--update` flag"."""
    room = classroom
    user = submitted.students[0]
    dest = room.layout.course / "submitted" / user / ASSIGNMENT
    first_stamp = (dest / "timestamp.txt").read_text().strip()
    first_sha = _sha(dest / f"{ASSIGNMENT}.ipynb")
    late = f"{user}-late-{os.urandom(4).hex()}"
    assert room.as_user(user, "python", "-c", MARK, late).returncode == 0
    result = room.as_user(user, "nbgrader", "submit", ASSIGNMENT)
    assert result.returncode == 0, result.stderr
    late_sha = _sha(Path(pwd.getpwnam(user).pw_dir) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    assert late_sha != first_sha

    seconds, plain = _collect(room, submitted.instructor)
    assert plain.returncode == 0, plain.stderr
    assert _sha(dest / f"{ASSIGNMENT}.ipynb") == first_sha, "a plain collect overwrote a collected submission"
    assert "use --update" in plain.stderr + plain.stdout

    seconds, update = _collect(room, submitted.instructor, "--update")
    assert update.returncode == 0, update.stderr
    assert _sha(dest / f"{ASSIGNMENT}.ipynb") == late_sha
    assert _marker_of(dest / f"{ASSIGNMENT}.ipynb") == late
    second_stamp = (dest / "timestamp.txt").read_text().strip()
    assert second_stamp > first_stamp, (first_stamp, second_stamp)  # "YYYY-mm-dd HH:MM:SS.ffffff UTC" sorts
    report["resubmission"] = {"first": first_stamp, "late": second_stamp, "collect_update_s": round(seconds, 2)}


def test_students_cannot_list_or_read_each_others_submissions(
    classroom: Classroom, submitted: Round, report: dict
) -> None:
    room = classroom
    inbound = room.layout.exchange / COURSE_ID / "inbound"
    mode = inbound.stat().st_mode
    # nbgrader makes inbound/ 2733: everyone may write into it, nobody but its owner may list it.
    assert not mode & stat.S_IROTH, f"{inbound} is world-readable ({stat.filemode(mode)})"
    reader, victim = submitted.students[1], submitted.students[2]
    mine = sorted(inbound.glob(f"{reader}+{ASSIGNMENT}+*"))
    theirs = sorted(inbound.glob(f"{victim}+{ASSIGNMENT}+*"))
    assert mine and theirs

    listing = room.as_user(reader, "ls", str(inbound))
    assert listing.returncode != 0 and "Permission denied" in listing.stderr, listing
    by_glob = room.as_user(reader, "bash", "-c", f"cat {inbound}/{victim}+{ASSIGNMENT}+*/{ASSIGNMENT}.ipynb")
    assert by_glob.returncode != 0 and submitted.markers[victim] not in by_glob.stdout
    # The folder name is "<user>+<assignment>+<timestamp>+<random>": without the random part
    # (12 url-safe base64 characters, 72 bits) the path cannot be guessed.
    name = theirs[0].name
    assert re.fullmatch(rf"{victim}\+{ASSIGNMENT}\+[^+]+\+[A-Za-z0-9_-]{{12}}", name), name
    guessed = inbound / name.rsplit("+", 1)[0] / f"{ASSIGNMENT}.ipynb"
    assert room.as_user(reader, "cat", str(guessed)).returncode != 0
    # Nor the student's own copy, nor the instructors' collected copy.
    home_copy = Path(pwd.getpwnam(victim).pw_dir) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    collected = room.layout.course / "submitted" / victim / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    for path in (home_copy, collected):
        result = room.as_user(reader, "cat", str(path))
        assert result.returncode != 0 and submitted.markers[victim] not in result.stdout, path

    # What nbgrader leaves inside inbound/: files 0644 and each submission folder 0777
    # ("hidden from other users by the timestamp", nbgrader/exchange/default/submit.py): secrecy rests
    # on inbound/ not being listable. Recorded, and whether someone who learnt the exact path could read it.
    file_modes = sorted({stat.filemode(p.stat().st_mode) for p in theirs[0].rglob("*") if p.is_file()})
    leaked = room.as_user(reader, "cat", str(theirs[0] / f"{ASSIGNMENT}.ipynb"))
    report["exchange_permissions"] = {
        "inbound_mode": stat.filemode(mode),
        "submission_folder_mode": stat.filemode(theirs[0].stat().st_mode),
        "submission_file_modes": file_modes,
        "other_student_can_list_inbound": listing.returncode == 0,
        "other_student_can_read_with_exact_path": leaked.returncode == 0,
    }


def _login(url: str, user: str, password: str) -> None:
    """Log ``user`` in through the hub's login form (PAM), without following the redirect to a spawn."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect
    )
    with opener.open(f"{url}/hub/login", timeout=30) as response:
        page = response.read().decode()
    xsrf = re.search(r'name="_xsrf"\s+value="([^"]+)"', page)
    assert xsrf, "no _xsrf field on the hub's login page"
    data = urllib.parse.urlencode({"username": user, "password": password, "_xsrf": xsrf.group(1)}).encode()
    try:
        opener.open(urllib.request.Request(f"{url}/hub/login", data=data, method="POST"), timeout=60)
        status = 200
    except urllib.error.HTTPError as err:
        status = err.code
    assert status == 302, f"logging {user} in answered {status}"


def _processes_of(uid: int) -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == uid]


def _listening_ports(uid: int) -> set[int]:
    """The TCP ports ``uid``'s processes listen on."""
    ports = set()
    for proc in _processes_of(uid):
        try:
            connections = proc.net_connections(kind="tcp")
        except psutil.NoSuchProcess:
            continue
        ports |= {c.laddr.port for c in connections if c.status == psutil.CONN_LISTEN}
    return ports


def _hub_log_about(room: Classroom, users: list[str]) -> str:
    """The hub's log lines that name one of ``users`` (for a failure's message)."""
    log = room.layout.state / "hub.log"
    lines = [line for line in log.read_text(errors="replace").splitlines() if any(u in line for u in users)]
    return "\n".join(lines[-40:])


def _memory_mb(uid: int) -> tuple[float, float]:
    """RSS and PSS (MB) summed over every process of ``uid``."""
    rss = pss = 0
    for proc in _processes_of(uid):
        try:
            info = proc.memory_full_info()
        except psutil.NoSuchProcess:
            continue
        rss += info.rss
        pss += info.pss
    return rss / 2**20, pss / 2**20


def test_10_concurrent_spawns_through_the_api(classroom: Classroom, submitted: Round, report: dict) -> None:
    room = classroom
    users = submitted.students[:N_SPAWN]
    uids = {u: pwd.getpwnam(u).pw_uid for u in users}
    with ThreadPoolExecutor(N_SPAWN) as pool:
        list(pool.map(lambda u: _login(room.url, u, room.passwords[u]), users))

    latencies: list[float] = []
    api_errors: list[int] = []
    polling = threading.Event()

    def poll_api() -> None:
        while not polling.is_set():
            t0 = time.monotonic()
            status, _ = room.api("GET", "/users", timeout=60)
            latencies.append(time.monotonic() - t0)
            if status != 200:
                api_errors.append(status)
            time.sleep(0.2)

    def spawn(user: str) -> float:
        t0 = time.monotonic()
        status, _ = room.api("POST", f"/users/{user}/server")
        assert status in (201, 202), f"spawning {user}: {status}"
        while time.monotonic() - t0 < SPAWN_BOUND_S:
            status, model = room.api("GET", f"/users/{user}")
            if status == 200 and model.get("servers", {}).get("", {}).get("ready"):
                return time.monotonic() - t0
            time.sleep(0.25)
        raise AssertionError(f"{user}'s server was not ready within {SPAWN_BOUND_S} s")

    poller = threading.Thread(target=poll_api)
    poller.start()
    try:
        start = time.monotonic()
        with ThreadPoolExecutor(N_SPAWN) as pool:
            spawn_seconds = dict(zip(users, pool.map(spawn, users), strict=True))
        spawn_wall = time.monotonic() - start
        time.sleep(2)  # let the servers settle before measuring
        memory = {u: _memory_mb(uid) for u, uid in uids.items()}
        listening = {u: _listening_ports(uid) for u, uid in uids.items()}
    finally:
        polling.set()
        poller.join()
        for user in users:
            room.api("DELETE", f"/users/{user}/server")

    deadline = time.monotonic() + 60
    left = {u: _processes_of(uid) for u, uid in uids.items()}
    while any(left.values()) and time.monotonic() < deadline:
        time.sleep(0.5)
        left = {u: _processes_of(uid) for u, uid in uids.items()}
    stopped = {u: room.api("GET", f"/users/{u}")[1].get("servers", {}) == {} for u in users}

    report["spawns"] = {
        "servers": N_SPAWN,
        "wall_s": round(spawn_wall, 2),
        "per_server_s": _median_max(list(spawn_seconds.values())),
        "rss_per_user_mb": _median_max([rss for rss, _ in memory.values()]),
        "pss_per_user_mb": _median_max([pss for _, pss in memory.values()]),
        "rss_total_mb": round(sum(rss for rss, _ in memory.values()), 1),
        "api_polls": len(latencies),
        "api_latency_s": {
            **_median_max(latencies),
            "p95": round(sorted(latencies)[int(0.95 * (len(latencies) - 1))], 3),
        },
        "api_latency_bound_s": API_LATENCY_BOUND_S,
    }
    assert max(spawn_seconds.values()) < SPAWN_BOUND_S
    # Every server the hub calls ready is its user's own, alive, on a port of the classroom's range
    # that no other server has (two servers handed one port: the second exits, and the hub takes the
    # first one's answer for the second's; classroom/spawner.py).
    dead = [u for u, (rss, _) in memory.items() if rss == 0]
    assert not dead, f"ready, then no process left: {dead}\n{_hub_log_about(room, dead)}"
    server_ports = {u: sorted(listening[u] & set(DEFAULT_PORTS)) for u in users}
    assert all(len(p) == 1 for p in server_ports.values()), (server_ports, listening)
    assert len({p[0] for p in server_ports.values()}) == len(users), server_ports
    assert not api_errors, api_errors
    assert max(latencies) < API_LATENCY_BOUND_S, f"the hub's API took {max(latencies):.2f} s to answer"
    assert not any(left.values()), {u: [p.pid for p in ps] for u, ps in left.items() if ps}
    assert all(stopped.values()), stopped
