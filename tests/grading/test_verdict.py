"""Fast tests of the trusted verdicts: stripping, recording and judging, without a kernel."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grading import verdict
from utils.paths import REPO_ROOT

TRUSTED = verdict.load_trusted(REPO_ROOT)
POSITIONS = TRUSTED.positions()


def test_positions_come_from_the_signatures() -> None:
    assert POSITIONS == {"check_close": 2, "check_equal": 2, "check_property": 3, "check_raises": 2}


def test_strip_keeps_every_line_and_only_removes_expected_values() -> None:
    source = (
        "ref = Ridge(alpha=1.0).fit(X, y)\n"
        "w = ridge(X, y)\n"
        "check_close('w', w, ref.coef_,\n"
        "            rtol=1e-6)\n"
        "check_same('again', ridge(X, y), w, rtol=0)\n"
        "check_property('rmse', rmse, 'between', (0.5, 1.1))\n"
        "check_raises('err', lambda: ridge(X, y[:-1]), expected=ValueError)\n"
    )
    stripped = verdict.strip_expected(source, POSITIONS)
    assert stripped.count("\n") == source.count("\n")
    lines = stripped.splitlines()
    assert lines[0] == "pass"  # only ever used as an expected value
    assert lines[1] == "w = ridge(X, y)"
    assert lines[2] == "check_close('w', w, None,"
    assert lines[3].strip() == "rtol=1e-6)"
    assert lines[4] == "check_same('again', ridge(X, y), w, rtol=0)"  # both sides are the student's
    assert lines[5] == "check_property('rmse', rmse, 'between', None)"
    assert lines[6] == "check_raises('err', lambda: ridge(X, y[:-1]), expected=None)"
    assert "Ridge" not in stripped and "ValueError" not in stripped and "1.1" not in stripped


def test_strip_drops_reference_helpers_to_a_fixpoint_and_keeps_shared_names() -> None:
    source = (
        "def reference(seed):\n    return slow(seed)\n"
        "data = make(0)\n"
        "ref = reference(1)\n"
        "ref_mean = ref.mean()\n"
        "check_close('m', student(data), ref_mean)\n"
        "check_close('n', student(data), data.sum())\n"
    )
    stripped = verdict.strip_expected(source, POSITIONS)
    assert "slow" not in stripped and "ref" not in stripped
    assert "data = make(0)" in stripped  # also used by the student's call
    assert stripped.count("\n") == source.count("\n")


def test_strip_ignores_message_like_third_arguments_of_unknown_helpers() -> None:
    source = "check_true('x', ok, 'must be true')\n"
    assert verdict.strip_expected(source, POSITIONS) == source


def test_traceback_quotes_the_line_the_student_saw() -> None:
    original = "check_close('solubility_shape', np.shape(importances), (10, 10))\n"
    stripped = verdict.strip_expected(original, POSITIONS)
    traceback = f"\x1b[0;31mNameError\x1b[0m\n----> 1 {stripped.strip()}\nNameError: name 'importances' is not defined"
    shown = verdict.restore_lines(traceback, original, stripped)
    assert "(10, 10))" in shown and "None" not in shown and "\x1b" not in shown


def _ref(check: str, name: str, **fields) -> dict:
    return {"check": check, "name": name, "rtol": 0.0, "atol": 0.0, **fields}


@pytest.mark.parametrize(
    ("ref", "student", "status"),
    [
        (_ref("check_close", "w", expected=[1.0, 2.0], rtol=1e-6), {"actual": [1.0, 2.0000001]}, None),
        (_ref("check_close", "w", expected=[1.0, 2.0]), {"actual": [1.0, 2.5]}, "failed"),
        (_ref("check_close", "w", expected=[1.0, 2.0]), {"actual": True}, "failed"),
        (_ref("check_close", "w", expected=[1.0, 2.0]), {"actual": "<_Yes>"}, "failed"),
        (_ref("check_equal", "top", expected="MolLogP"), {"actual": "MolLogP"}, None),
        (_ref("check_equal", "top", expected=3), {"actual": 3.0}, "failed"),
        # consistency: the reference's own values do not matter, only the student's pair
        (_ref("check_same", "seed", actual=[9.0], other=[9.0]), {"actual": [1.0, 2.0], "other": [1.0, 2.0]}, None),
        (_ref("check_same", "seed", actual=[9.0], other=[9.0]), {"actual": [1.0, 2.0], "other": [1.0, 3.0]}, "failed"),
        # property: the predicate and its parameters come from the reference record
        (
            _ref("check_property", "rmse", prop="between", expected=[0.5, 1.1]),
            {"actual": 0.9, "prop": "no_loops"},
            None,
        ),
        (
            _ref("check_property", "rmse", prop="between", expected=[0.5, 1.1]),
            {"actual": 1.3, "expected": [0, 9]},
            "failed",
        ),
        (_ref("check_property", "rmse", prop="between", expected=[0.5, 1.1]), {"actual": {"x": 1}}, "failed"),
        (
            _ref("check_raises", "err", expected="ValueError"),
            {"actual": ["LinAlgError", "ValueError", "Exception"]},
            None,
        ),
        (_ref("check_raises", "err", expected="ValueError"), {"actual": None}, "failed"),
        (_ref("check_raises", "err", expected="ValueError"), {"actual": ["TypeError", "Exception"]}, "failed"),
    ],
)
def test_judge_by_kind(ref: dict, student: dict, status: str | None) -> None:
    findings = verdict.judge([ref], [{"name": ref["name"], **student}], TRUSTED)
    assert [f.status for f in findings] == ([status] if status else [])


def test_extra_records_and_missing_ones_fail() -> None:
    ref = [_ref("check_close", "a", expected=1.0), _ref("check_close", "b", expected=2.0)]
    spam = [{"name": "a", "actual": 1.0}, {"name": "a", "actual": 1.0}]
    assert [f.status for f in verdict.judge(ref, spam, TRUSTED)] == ["tampered", "missing"]


def test_visible_failures_read_like_validate() -> None:
    findings = verdict.judge(
        [_ref("check_close", "w", expected=[1.0, 2.5])], [{"name": "w", "actual": [1.0, 2.0]}], TRUSTED
    )
    assert (
        findings[0].message.startswith("w: expected [1.  2.5], got [1. 2.]")
        and "1 of 2 values differ" in findings[0].message
    )


def _sandbox_utils(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    shutil.copytree(REPO_ROOT / "utils", work / "utils", ignore=shutil.ignore_patterns("__pycache__"))
    for marker in ("pyproject.toml", "nbgrader_config.py"):  # as grading.sandbox.prepare leaves them
        (work / marker).write_text("# sandbox copy\n")
    assert verdict.install_recorder(work)
    return work


def _record(work: Path, mode: str, code: str) -> list[dict]:
    records = work / "records.jsonl"
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(work),
        "MLCHEM_CHECK_MODE": mode,
        "MLCHEM_CHECK_RECORD": str(records),
    }
    result = subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in records.read_text().splitlines()]


def test_recorder_records_raw_values_and_decides_nothing_for_students(tmp_path: Path) -> None:
    work = _sandbox_utils(tmp_path)
    code = (
        "from utils.checks import *\nimport numpy as np\n"
        "check_close('w', np.array([1.0, 5.0]), None)\n"
        "check_same('s', [1.0], [2.0])\n"
        "check_property('p', 7.0, 'between', None)\n"
        "check_raises('r', lambda: int('x'), None)\n"
    )
    records = _record(work, "student", code)
    assert [r["name"] for r in records] == ["w", "s", "p", "r"]
    assert records[0] == {"check": "check_close", "name": "w", "actual": [1.0, 5.0]}
    assert records[1]["other"] == [2.0]
    assert "prop" not in records[2] and "expected" not in records[2]
    assert records[3]["actual"][0] == "ValueError"


def test_recorder_in_reference_mode_records_expectations_and_still_checks(tmp_path: Path) -> None:
    work = _sandbox_utils(tmp_path)
    records = _record(
        work,
        "reference",
        "from utils.checks import *\ncheck_property('p', 0.7, 'between', (0.5, 1.1))\n"
        "check_close('c', 1.0, 1.0, rtol=1e-3)\n",
    )
    assert records[0]["prop"] == "between" and records[0]["expected"] == [0.5, 1.1]
    assert records[1]["expected"] == 1.0 and records[1]["rtol"] == 1e-3
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(work), "MLCHEM_CHECK_MODE": "reference"}
    failing = subprocess.run(
        [sys.executable, "-c", "from utils.checks import *\ncheck_close('c', 1.0, 2.0)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert failing.returncode != 0 and "c: expected" in failing.stderr
