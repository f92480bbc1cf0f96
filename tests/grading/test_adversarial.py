"""Hostile submissions: none gains points, harms another student, or outlives grading."""

from __future__ import annotations

import csv
import http.server
import threading
import time
from pathlib import Path

import psutil
import pytest

from grading.limits import Limits
from grading.pipeline import grade_assignment
from tests.grading.course import checked_student, make_checked_course, submit

pytestmark = pytest.mark.slow

GOOD = "def add(a, b):\n    return a + b\n"
WRONG = "def add(a, b):\n    return a - b\n"
MARK = "mlchem_adversary_marker"  # in every process a hostile submission leaves behind


def attacks(port: int, root: Path, mark: str = MARK) -> dict[str, tuple[str, float, set[str]]]:
    """student -> (answer cell source, expected score, flags that must be present).

    ``mark`` is in the command line of the process ``lingering_process`` leaves behind.
    """
    return {
        "control_good": (GOOD, 3, set()),
        "control_wrong": (WRONG, 0, set()),
        # Fake passing tests inside the kernel.
        "patch_helper": (
            WRONG + "import utils.checks\nutils.checks.check_close = lambda *a, **k: None\n",
            0,
            {"checks-bypassed"},
        ),
        "patch_numpy": (
            WRONG
            + "import numpy\nnumpy.allclose = lambda *a, **k: True\nnumpy.asarray = lambda x, **k: numpy.array(3.0)\n",
            0,
            set(),
        ),
        "patch_builtins": (
            WRONG + "import builtins\nbuiltins.AssertionError = type('Never', (Exception,), {})\n",
            0,
            set(),
        ),
        "input_transformer": (
            WRONG + "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])\n",
            0,
            {"checks-bypassed"},
        ),
        "ast_transformer": (
            WRONG
            + "import ast\nclass Gut(ast.NodeTransformer):\n    def visit_Module(self, node):\n        node.body = []\n        return node\nget_ipython().ast_transformers.append(Gut())\n",
            0,
            {"checks-bypassed"},
        ),
        "hide_errors": (
            WRONG
            + "ip = get_ipython()\nip.showtraceback = lambda *a, **k: None\nip.set_custom_exc((BaseException,), lambda *a, **k: None)\n",
            0,
            set(),
        ),
        # Behave differently when graded: forge records for the names it can guess.
        "detects_grading": (
            WRONG
            + "import os, json\nif os.environ.get('MLCHEM_CHECK_RECORD'):\n    open(os.environ['MLCHEM_CHECK_RECORD'], 'a').write(json.dumps({'name': 'add_1_2', 'actual': 3}) + '\\n')\n",
            0,
            set(),
        ),
        "forge_records": (
            WRONG
            + "import os, json, threading, time\npath = os.environ.get('MLCHEM_CHECK_RECORD', 'x')\ndef spam():\n    while True:\n        open(path, 'a').write(json.dumps({'name': 'add_hidden', 'actual': -3.25}) + '\\n')\n        time.sleep(0.01)\nthreading.Thread(target=spam, daemon=True).start()\n",
            0,
            set(),
        ),
        # Read the solutions, the hidden tests or the gradebook.
        "read_solutions": (
            WRONG
            + f"import glob\nfound = glob.glob('{root}/**', recursive=True)\nprint('FOUND', [p for p in found if 'solutions' in p or 'gradebook' in p])\n",
            0,
            set(),
        ),
        "steal_hidden": (
            WRONG
            + "import os\nip = get_ipython()\nip.events.register('pre_run_cell', lambda info: print('LEAK', info.raw_cell))\n",
            0,
            set(),
        ),
        # Change grades, now or later.
        "edit_gradebook": (
            GOOD
            + f"import sqlite3\ntry:\n    db = sqlite3.connect('{root}/gradebook.db')\n    db.execute('update grade set auto_score = 99')\n    db.commit()\nexcept Exception as err:\n    print('no gradebook:', err)\n",
            3,
            set(),
        ),
        "lingering_process": (
            GOOD
            + f"import subprocess\nsubprocess.Popen(['/bin/sh', '-c', 'sleep 600 # {mark}'], start_new_session=True)\n",
            3,
            set(),
        ),
        # Network and resources.
        "network": (
            GOOD
            + f"import urllib.request\ntry:\n    urllib.request.urlopen('http://127.0.0.1:{port}/steal', timeout=3)\nexcept Exception as err:\n    print('offline:', type(err).__name__)\n",
            3,
            set(),
        ),
        "memory_bomb": (
            GOOD + "hog = bytearray(3 * 2**30)\nhog[::4096] = b'x' * (3 * 2**30 // 4096)\n",
            3,
            {"memory-limit"},
        ),  # MemoryError in its cell (data limit)
        "kill_parent": (
            GOOD + "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos.kill(1, signal.SIGKILL)\n",
            3,
            set(),
        ),  # init of the PID namespace ignores it
    }


@pytest.fixture(scope="module")
def battle(tmp_path_factory: pytest.TempPathFactory, sandbox_works: None):
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    root = make_checked_course(tmp_path_factory.mktemp("adversarial") / "c", gradebook=True)
    cases = attacks(server.server_port, root)
    for student, (answer, _score, _flags) in cases.items():
        submit(root, student, checked_student(answer))
    start = time.monotonic()
    grade_assignment(
        root, "toy", workers=2, limits=Limits(cell_timeout=8, notebook_timeout=40, memory_bytes=600 * 2**20)
    )
    seconds = time.monotonic() - start
    server.shutdown()
    rows = {r["student_id"]: r for r in csv.DictReader((root / "grades" / "toy.csv").open())}
    return root, cases, rows, requests, seconds


@pytest.mark.parametrize("student", sorted(attacks(0, Path("/x"))))
def test_no_submission_gains_points(battle, student: str) -> None:
    _root, cases, rows, _requests, _ = battle
    _answer, score, flags = cases[student]
    row = rows[student]
    assert float(row["score"]) == score, row
    assert flags <= set(row["flags"].split(";")), row


def test_nothing_leaks_or_lingers(battle) -> None:
    root, cases, rows, requests, seconds = battle
    print(f"\n{len(cases)} hostile or control submissions graded in {seconds:.1f} s")
    assert requests == [], "a submission reached a server on the host"
    for nb in (root / "autograded").glob("*/toy/toy.ipynb"):
        text = nb.read_text()
        assert "SECRET_HIDDEN_MARKER" not in text and "secret_reference" not in text, nb
        assert "solutions/toy" not in text.split("FOUND", 1)[-1][:2000] or "FOUND []" in text
    for html in (root / "feedback").glob("*/toy/toy.html"):
        assert "SECRET_HIDDEN_MARKER" not in html.read_text()
    assert "FOUND []" in (root / "autograded" / "read_solutions" / "toy" / "toy.ipynb").read_text()
    leftovers = [
        p.info["cmdline"] for p in psutil.process_iter(["cmdline"]) if MARK in " ".join(p.info["cmdline"] or [])
    ]
    assert leftovers == [], leftovers


def test_gradebook_only_holds_pipeline_grades(battle) -> None:
    from nbgrader.api import Gradebook

    root, cases, rows, _requests, _ = battle
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for student, (_answer, score, _flags) in cases.items():
            assert gb.find_submission("toy", student).score == score
    assert rows["control_good"]["flags"] == "" and rows["control_good"]["score"] == "3"


def test_without_sandbox_grading_works_and_says_so(tmp_path: Path) -> None:
    import io

    root = make_checked_course(tmp_path / "c", gradebook=True)
    submit(root, "good", checked_student(GOOD))
    report = io.StringIO()
    summary = grade_assignment(root, "toy", workers=1, limits=Limits(cell_timeout=8, sandbox=False), out=report)
    assert summary.rows[0]["score"] == "3"
    text = report.getvalue()
    assert "WARNING: grading ran WITHOUT these protections" in text
    assert "filesystem isolation (bubblewrap)" in text and "no network" in text


@pytest.mark.slow
def test_a_failing_cell_fails_even_if_its_error_arrives_after_the_output_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flooding the output delays a test's error past nbclient's wait for output; the reply still fails it.

    The wait is made zero here (a flood of many megabytes did the same under load): the error
    message is then read after the grader stopped listening, and only the execute reply says the
    cell raised.
    """
    from grading.execute import _CappedClient
    from tests.grading.course import make_course, student_notebook

    monkeypatch.setattr(_CappedClient, "iopub_timeout", 0)  # the workers are forked: they inherit it
    root = make_course(tmp_path / "course", gradebook=True)
    submit(
        root,
        "floods",
        student_notebook("def add(a, b):\n    [print('y' * 1_000_000) for _ in range(100)]\n    return a - b\n"),
    )
    submit(
        root,
        "correct",
        student_notebook("def add(a, b):\n    [print('y' * 1_000_000) for _ in range(100)]\n    return a + b\n"),
    )
    limits = Limits(cell_timeout=20, notebook_timeout=60)
    summary = grade_assignment(root, "toy", workers=1, limits=limits, out=open("/dev/null", "w"))
    scores = {r["student_id"]: float(r["score"]) for r in summary.rows}
    assert scores == {"floods": 0.0, "correct": 3.0}, summary.rows
