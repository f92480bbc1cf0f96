"""The class roster (classroom/roster.py) refuses bad input and names the line.

A roster is checked as a whole before any account is made: a malformed line,
an unknown role, a user name ``useradd`` would refuse, a duplicate, a missing
header or an empty file are refused with a message naming the file and the
line, and ``python -m classroom roster FILE`` exits 2 with that message.
Applying a roster needs root and never touches a system account. No test here
needs root or creates an account.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

from classroom.roster import Member, RosterError, apply_roster, check_existing, parse_roster, read_roster
from utils.paths import REPO_ROOT

GOOD = "username,role\nlovelace,instructor\n\n# teaching assistant later\nstudent01,student\n"


def test_good_roster_lists_members_with_their_lines() -> None:
    members = parse_roster(GOOD, "r.csv")
    assert members == [Member("lovelace", "instructor", 2), Member("student01", "student", 5)]
    assert [m.group for m in members] == ["mlchem-instructors", "mlchem-students"]


def test_header_and_role_are_case_and_space_insensitive() -> None:
    members = parse_roster("Username , Role\nada , Student\n", "r.csv")
    assert members == [Member("ada", "student", 2)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("ada,student,extra", "r.csv, line 3: expected 'username,role', found 'ada,student,extra'"),
        ("ada,", "r.csv, line 3: expected 'username,role', found 'ada,'"),
        ("ada", "r.csv, line 3: expected 'username,role', found 'ada'"),
        (",student", "r.csv, line 3: expected 'username,role', found ',student'"),
        ("Ada,student", "r.csv, line 3: 'Ada' is not a valid Linux user name"),
        ("1ada,student", "r.csv, line 3: '1ada' is not a valid Linux user name"),
        ("a" * 33 + ",student", "r.csv, line 3: '" + "a" * 33 + "' is not a valid Linux user name"),
        ("ada lovelace,student", "r.csv, line 3: 'ada lovelace' is not a valid Linux user name"),
        ("ada,teacher", "r.csv, line 3: role 'teacher' is neither 'instructor' nor 'student'"),
    ],
    ids=[
        "three-cells",
        "empty-role",
        "missing-role",
        "missing-name",
        "upper-case",
        "digit-first",
        "too-long",
        "space",
        "unknown-role",
    ],
)
def test_malformed_line_is_refused_naming_file_and_line(line: str, expected: str) -> None:
    with pytest.raises(RosterError) as err:
        parse_roster(f"username,role\nbob,student\n{line}\ncarol,student\n", "r.csv")
    assert str(err.value).startswith(expected)


def test_line_numbers_count_blank_and_comment_lines() -> None:
    with pytest.raises(RosterError, match=r"^r\.csv, line 5: role 'tutor'"):
        parse_roster("username,role\n\n# tutors\nbob,student\nada,tutor\n", "r.csv")


def test_duplicate_user_is_refused_naming_both_lines() -> None:
    text = "username,role\nada,instructor\nbob,student\n\nada,student\n"
    with pytest.raises(RosterError) as err:
        parse_roster(text, "r.csv")
    assert str(err.value) == "r.csv, line 5: 'ada' is already listed on line 2"


def test_first_bad_line_wins_and_nothing_is_returned() -> None:
    with pytest.raises(RosterError, match=r"line 3: .*'Bob'"):
        parse_roster("username,role\nada,student\nBob,student\nada,student\n", "r.csv")


@pytest.mark.parametrize("text", ["ada,student\n", "name,role\nada,student\n", "role,username\nada,student\n"])
def test_missing_header_is_refused(text: str) -> None:
    with pytest.raises(RosterError, match=r"^r\.csv, line 1: the header must be 'username,role'"):
        parse_roster(text, "r.csv")


def test_empty_file_is_refused() -> None:
    with pytest.raises(RosterError, match=r"^r\.csv, line 1: .*found 'nothing'"):
        parse_roster("", "r.csv")


@pytest.mark.parametrize("text", ["username,role\n", "username,role\n\n# nobody yet\n"])
def test_roster_without_members_is_refused(text: str) -> None:
    with pytest.raises(RosterError, match=r"^r\.csv: lists nobody$"):
        parse_roster(text, "r.csv")


def test_read_roster_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "class.csv"
    path.write_text("username,role\nada,student\nada,student\n", encoding="utf-8")
    with pytest.raises(RosterError, match=rf"^{path}, line 3: 'ada' is already listed on line 2$"):
        read_roster(path)
    with pytest.raises(RosterError, match="no roster at"):
        read_roster(tmp_path / "missing.csv")
    path.write_bytes(b"username,role\nb\xe9a,student\n")
    with pytest.raises(RosterError, match="is not UTF-8 text"):
        read_roster(path)


def test_read_roster_accepts_a_spreadsheet_bom(tmp_path: Path) -> None:
    path = tmp_path / "class.csv"
    path.write_text(GOOD, encoding="utf-8-sig")
    assert [m.username for m in read_roster(path)] == ["lovelace", "student01"]


def _cli(*args: str | Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MLCHEM_HUB_ROOT"}
    return subprocess.run(
        [sys.executable, "-m", "classroom", *map(str, args)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_check_refuses_a_bad_roster_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "class.csv"
    path.write_text("username,role\nada,instructor\nbob,student\nbob,student\n", encoding="utf-8")
    result = _cli("roster", path)
    assert result.returncode == 2, result
    assert result.stderr.strip() == f"error: {path}, line 4: 'bob' is already listed on line 3"
    assert result.stdout == ""


def test_cli_check_accepts_a_good_roster_without_changing_anything(tmp_path: Path) -> None:
    path = tmp_path / "class.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = _cli("--root", tmp_path / "classroom", "roster", path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "roster: 1 instructor(s), 1 student(s)"
    assert not (tmp_path / "classroom").exists()


def test_apply_refuses_without_root() -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root: apply_roster would be allowed")
    with pytest.raises(RosterError, match="run it as root"):
        apply_roster(parse_roster("username,role\nada,student\n"))


@pytest.mark.parametrize("account", ["root", "daemon"])
def test_system_accounts_are_refused_naming_the_line(account: str) -> None:
    try:
        uid = pwd.getpwnam(account).pw_uid
    except KeyError:
        pytest.skip(f"no {account!r} account on this machine")
    members = parse_roster(f"username,role\nada,student\n{account},student\n")
    expected = rf"^line 3: '{account}' is a system account \(uid {uid}\)"
    with pytest.raises(RosterError, match=expected):
        check_existing(members)
    if os.geteuid() == 0:
        # As root, apply_roster itself refuses before creating anyone (ada stays absent).
        try:
            pwd.getpwnam("ada")
            ada_existed = True
        except KeyError:
            ada_existed = False
        with pytest.raises(RosterError, match=expected):
            apply_roster(members)
        if not ada_existed:
            with pytest.raises(KeyError):
                pwd.getpwnam("ada")
