"""Class roster: a CSV of Linux accounts (username, role) and the accounts it makes.

The hub logs people in with their Linux password (PAM), so every student and
instructor is a real account on the server. The roster is the one place that
says who is who::

    username,role
    lovelace,instructor
    student01,student

``role`` is ``instructor`` or ``student``; blank lines and lines starting with
``#`` are skipped. :func:`read_roster` refuses the whole file when one line is
wrong (a malformed name, an unknown role, a missing field, a duplicate user)
and names the line, so nothing half-applied is left behind.
:func:`apply_roster` (root only) creates the two groups, creates missing
accounts with a random initial password and puts every account in its
role's group; it never deletes anyone.

Only the standard library is used: this runs before the hub's environment exists.
"""

from __future__ import annotations

import csv
import grp
import os
import pwd
import re
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

#: Linux group of each role; the hub admits members of these groups only.
GROUPS = {"instructor": "mlchem-instructors", "student": "mlchem-students"}
#: What ``useradd`` accepts without ``--badname`` (Debian's default NAME_REGEX).
USERNAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
#: Accounts below this uid belong to the system; the roster never touches them.
FIRST_UID = 1000


class RosterError(ValueError):
    """A roster that cannot be applied; the message names the file and line."""


@dataclass(frozen=True)
class Member:
    """One line of the roster."""

    username: str
    role: str
    line: int

    @property
    def group(self) -> str:
        return GROUPS[self.role]


def parse_roster(text: str, source: str = "roster") -> list[Member]:
    """Members listed in a roster's text; :class:`RosterError` naming the first bad line.

    Examples
    --------
    >>> [m.username for m in parse_roster("username,role\\nada,instructor\\n\\n# TA later\\nbob,student\\n")]
    ['ada', 'bob']
    >>> parse_roster("username,role\\nada,instructor\\nada,student\\n", "r.csv")
    Traceback (most recent call last):
    ...
    classroom.roster.RosterError: r.csv, line 3: 'ada' is already listed on line 2
    """
    rows = list(csv.reader(text.splitlines()))
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    if header[:2] != ["username", "role"]:
        raise RosterError(
            f"{source}, line 1: the header must be 'username,role', found {','.join(header) or 'nothing'!r}"
        )
    members: list[Member] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        where = f"{source}, line {number}"
        if len(cells) != 2 or not all(cells):
            raise RosterError(f"{where}: expected 'username,role', found {','.join(row)!r}")
        username, role = cells[0], cells[1].lower()
        if not USERNAME.fullmatch(username):
            raise RosterError(
                f"{where}: {username!r} is not a valid Linux user name "
                "(lower-case letters, digits, '_' and '-', starting with a letter or '_', at most 32)"
            )
        if role not in GROUPS:
            raise RosterError(f"{where}: role {cells[1]!r} is neither 'instructor' nor 'student'")
        if username in seen:
            raise RosterError(f"{where}: {username!r} is already listed on line {seen[username]}")
        seen[username] = number
        members.append(Member(username, role, number))
    if not members:
        raise RosterError(f"{source}: lists nobody")
    return members


def read_roster(path: Path) -> list[Member]:
    """Members listed in the roster file ``path`` (see :func:`parse_roster`)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RosterError(f"no roster at {path}") from None
    except UnicodeDecodeError as err:
        raise RosterError(f"{path} is not UTF-8 text ({err.reason} at byte {err.start})") from None
    return parse_roster(text, str(path))


def _run(*args: str, stdin: str | None = None) -> None:
    result = subprocess.run(args, input=stdin, text=True, capture_output=True)
    if result.returncode:
        raise RosterError(f"{' '.join(args)} failed: {result.stderr.strip()}")


def ensure_groups() -> None:
    """Create the instructors' and the students' groups if missing (root only)."""
    for group in GROUPS.values():
        try:
            grp.getgrnam(group)
        except KeyError:
            _run("groupadd", group)


def check_existing(members: list[Member]) -> None:
    """Refuse rosters naming a system account (root, daemons), before anything changes."""
    for member in members:
        try:
            uid = pwd.getpwnam(member.username).pw_uid
        except KeyError:
            continue
        if uid < FIRST_UID:
            raise RosterError(
                f"line {member.line}: {member.username!r} is a system account (uid {uid}); the hub admits people only"
            )


def apply_roster(members: list[Member], passwords: Path | None = None) -> list[str]:
    """Create missing accounts and group memberships; return the usernames created.

    New accounts get a home folder, ``/bin/bash`` and a random password. When
    ``passwords`` is given, ``username,password`` lines for the new accounts
    are appended to it (mode 600) so the instructor can hand them out; the
    passwords are printed nowhere else. Existing accounts keep their password
    and are only added to their role's group (an instructor who is also
    listed as a student is not possible: one line per user).
    """
    if os.geteuid() != 0:
        raise RosterError("applying a roster creates Linux accounts: run it as root (sudo)")
    check_existing(members)
    ensure_groups()
    created: list[str] = []
    new_passwords: list[tuple[str, str]] = []
    for member in members:
        try:
            pwd.getpwnam(member.username)
        except KeyError:
            _run("useradd", "--create-home", "--shell", "/bin/bash", "--groups", member.group, member.username)
            # Private homes: a student's work is theirs (Debian's default home mode lets everyone read).
            os.chmod(pwd.getpwnam(member.username).pw_dir, 0o700)
            password = secrets.token_urlsafe(12)
            _run("chpasswd", stdin=f"{member.username}:{password}\n")
            created.append(member.username)
            new_passwords.append((member.username, password))
        else:
            _run("usermod", "--append", "--groups", member.group, member.username)
        other = GROUPS["student" if member.role == "instructor" else "instructor"]
        if member.username in grp.getgrnam(other).gr_mem:
            _run("gpasswd", "--delete", member.username, other)
    if passwords and new_passwords:
        fd = os.open(passwords, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as out:
            out.writelines(f"{user},{password}\n" for user, password in new_passwords)
    return created


def remove_accounts(usernames: list[str]) -> None:
    """Delete accounts and their home folders (used by tests to undo what they made)."""
    for username in usernames:
        subprocess.run(["pkill", "-KILL", "-u", username], capture_output=True)
        subprocess.run(["userdel", "--remove", username], capture_output=True)
