#!/usr/bin/env python
"""Bring course updates into a student's clone without losing their edits.

Run it with ``make update`` (students use it instead of ``git pull``). The merge
is nbgitpuller's, the one the hub's nbgitpuller links do, so local and hub
students get the same result:

1. fetch the course;
2. rename the student's untracked files that have the name of a new course
   file (``name__<timestamp>.ext``);
3. restore tracked files the student deleted;
4. commit the student's edits ("Automatic commit by nbgitpuller");
5. ``git merge -Xours``: the course's changes are merged in, and where the
   student and the course changed the same lines the student's lines win. A
   file the course deleted but the student edited is kept.

This script adds the course-specific part around it:

* Before anything changes it checks the clone and stops with a message saying
  what to do when the folder is not a git clone, has no ``origin`` remote, is on
  another branch or a detached HEAD, holds commits of the student's own, is in
  the middle of a merge or rebase, or the course cannot be reached.
* After the merge it checks every notebook the update changed (valid JSON,
  nbformat's schema, unique cell ids). A line-wise merge of a notebook both
  sides changed can produce an invalid one; then the student's version is put
  back in place and the course's version is written beside it as
  ``<name>.course-update.ipynb``. Where the student's lines won over the
  course's (so some of the course's changes are not in the file), the course's
  version is written beside it in the same way. Neither side is ever lost.
* It prints what happened: files updated, merged, kept, new, renamed.

Files ignored by git (``.venv``, ``gradebook.db``, ``submitted/`` ...) are never
read or written.

Usage::

    python scripts/update_course.py               # update the clone this script is in
    python scripts/update_course.py --repo DIR    # update another clone
    python scripts/update_course.py --verbose     # also show the git commands
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgitpuller.pull import GitPuller

ROOT = Path(__file__).resolve().parents[1]
#: Where students clone the course from (used in messages only).
COURSE_URL = "https://github.com/mlchem-course/mlchem-course"
REMOTE = "origin"
#: nbgitpuller commits the student's edits and merges under this identity.
PULLER_EMAIL = "nbgitpuller@nbgitpuller.link"
#: The course's version of a file is written beside the student's as <stem>.course-update<suffix>.
COURSE_COPY_TAG = ".course-update"
_RENAMED = re.compile(r"^Renamed (?P<old>.+) to (?P<new>.+) to avoid conflict with upstream$")


class UpdateError(Exception):
    """A problem found before anything was changed; the message says what to do."""


@dataclass
class Report:
    """What an update did, path by path (paths relative to the clone).

    Attributes
    ----------
    updated : list of str
        Changed by the course, not edited by the student: now the course's version.
    merged : list of str
        Changed by both on different lines: the student's edits and the course's changes.
    kept_yours : list of tuple of (str, str)
        Changed by both on the same lines: the student's lines won; the second
        entry is where the course's version was written.
    broken : list of tuple of (str, str, str)
        The merge gave an invalid notebook: (path, problem, course copy). The
        student's version is back in place.
    new : list of str
        Added by the course.
    removed : list of str
        Deleted by the course, not edited by the student.
    kept_removed : list of str
        Deleted by the course but edited by the student: kept.
    renamed : list of tuple of (str, str)
        The student's untracked file had the name of a new course file: (old, new name).
    restored : list of str
        Deleted by the student, restored from the course.
    warnings : list of str
        Anything else the student should know.
    """

    updated: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    kept_yours: list[tuple[str, str]] = field(default_factory=list)
    broken: list[tuple[str, str, str]] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept_removed: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        """Return True when the update changed nothing."""
        return not any(getattr(self, name) for name in self.__dataclass_fields__)

    def format(self) -> str:
        """Return the report as the lines printed to the student.

        Examples
        --------
        >>> print(Report(new=["lectures/08_new.ipynb"]).format())
        New from the course:
          lectures/08_new.ipynb
        """
        if self.is_empty():
            return "Already up to date: the course has nothing new."
        lines: list[str] = []

        def section(title: str, rows: Sequence[str]) -> None:
            if rows:
                lines.append(title)
                lines.extend(f"  {row}" for row in rows)

        section("Updated from the course:", self.updated)
        section("New from the course:", self.new)
        section("Your edits kept, the course's changes merged in:", self.merged)
        section(
            "Your edits kept where you and the course changed the same lines (the course's version is beside yours):",
            [f"{path}  (course's version: {copy})" for path, copy in self.kept_yours],
        )
        section(
            "Could not be merged into a valid notebook; your version is unchanged "
            "and the course's version is beside it:",
            [f"{path}  (course's version: {copy}; merge gave: {problem})" for path, problem, copy in self.broken],
        )
        section("Removed by the course:", self.removed)
        section("Removed by the course but kept, because you edited them:", self.kept_removed)
        section(
            "Your files renamed (the course added files with these names):",
            [f"{old} -> {new}" for old, new in self.renamed],
        )
        section("Restored (you had deleted them):", self.restored)
        section("Note:", self.warnings)
        return "\n".join(lines)


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``git -C repo args`` and return the finished process (text output).

    Parameters
    ----------
    repo : Path
        Directory to run git in.
    *args : str
        git's arguments.
    check : bool
        Raise ``subprocess.CalledProcessError`` on a non-zero exit.
    """
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=check, env=_git_env())


def _git_env() -> dict[str, str]:
    # Plain English messages whatever the student's locale, and never an interactive prompt.
    return dict(os.environ, LANG="C", LC_ALL="C", GIT_TERMINAL_PROMPT="0")


def check_clone(repo: Path) -> tuple[str, str]:
    """Check that ``repo`` is a clone ``make update`` can update; change nothing.

    Parameters
    ----------
    repo : Path
        The student's copy of the course.

    Returns
    -------
    tuple of (str, str)
        The course's URL (``origin``) and branch.

    Raises
    ------
    UpdateError
        With a message naming the problem and what to do.
    """
    if shutil.which("git") is None:
        raise UpdateError(
            "git is not installed. Install it (https://git-scm.com/downloads), then run 'make update' again."
        )
    top = git(repo, "rev-parse", "--show-toplevel", check=False)
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != repo.resolve():
        raise UpdateError(
            f"{repo} is not a git clone of the course (was it downloaded as a zip?), so updates cannot be merged.\n"
            f"  Clone the course ('git clone {COURSE_URL}'), copy the notebooks you worked on into the clone,\n"
            "  and run 'make update' there from then on."
        )
    for state, what in (
        ("MERGE_HEAD", "a merge"),
        ("rebase-merge", "a rebase"),
        ("rebase-apply", "a rebase"),
        ("CHERRY_PICK_HEAD", "a cherry-pick"),
    ):
        if Path(repo, git(repo, "rev-parse", "--git-path", state).stdout.strip()).exists():
            raise UpdateError(
                f"git is in the middle of {what} in {repo}. Finish it or abort it "
                f"('git {'merge' if what == 'a merge' else what.split()[1]} --abort'), then run 'make update' again."
            )
    remotes = git(repo, "remote").stdout.split()
    if REMOTE not in remotes:
        raise UpdateError(
            f"This clone has no remote '{REMOTE}' (the course's address), so there is nowhere to get updates from.\n"
            f"  Add it: 'git remote add {REMOTE} {COURSE_URL}', then run 'make update' again."
        )
    url = git(repo, "remote", "get-url", REMOTE).stdout.strip()
    default = git(repo, "symbolic-ref", "--quiet", "--short", f"refs/remotes/{REMOTE}/HEAD", check=False)
    branch = default.stdout.strip().removeprefix(f"{REMOTE}/") if default.returncode == 0 else "main"
    head = git(repo, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    if head.returncode != 0:
        raise UpdateError(
            "HEAD is detached: this clone shows a single commit, not the course's branch.\n"
            f"  Go back to the course: 'git switch {branch}' (your edits come along), then run 'make update' again."
        )
    if head.stdout.strip() != branch:
        raise UpdateError(
            f"You are on branch '{head.stdout.strip()}'; course updates go to branch '{branch}'.\n"
            f"  Switch to it: 'git switch {branch}' (uncommitted edits come along), then run 'make update' again.\n"
            f"  To bring work from '{head.stdout.strip()}', merge it yourself afterwards."
        )
    return url, branch


def own_commits(repo: Path, branch: str) -> list[str]:
    """Return the student's own commits on ``branch`` that the course does not have.

    Commits nbgitpuller made (the student's edits, earlier updates) do not count.

    Parameters
    ----------
    repo : Path
        The student's clone.
    branch : str
        The course's branch.

    Returns
    -------
    list of str
        ``"<hash> <subject>"`` per commit, newest first; empty when none (or
        when the course was never fetched).
    """
    if git(repo, "rev-parse", "--verify", "--quiet", f"refs/remotes/{REMOTE}/{branch}", check=False).returncode:
        return []
    log = git(repo, "log", "--format=%ae%x09%h %s", f"{REMOTE}/{branch}..HEAD").stdout.splitlines()
    return [line.split("\t", 1)[1] for line in log if line.split("\t", 1)[0] != PULLER_EMAIL]


def _refuse_own_commits(repo: Path, branch: str) -> None:
    commits = own_commits(repo, branch)
    if commits:
        listed = "\n".join(f"    {c}" for c in commits[:5]) + ("\n    ..." if len(commits) > 5 else "")
        raise UpdateError(
            f"Branch '{branch}' has {len(commits)} commit(s) of your own that the course does not have:\n{listed}\n"
            "  'make update' only merges into edits you have not committed, so it leaves your history alone.\n"
            "  Since you use git, merge the course yourself: commit your other edits, then 'git pull --no-rebase'."
        )


def check_notebook(path: Path) -> str | None:
    """Say what is wrong with a notebook file, or return None when it is valid.

    Checks that it is JSON, that nbformat's schema accepts it, and that no cell
    id appears twice (a merge that keeps both copies of a moved cell; nbformat
    itself only warns and renumbers).

    Parameters
    ----------
    path : Path
        The notebook file.

    Returns
    -------
    str or None
        A one-line description of the first problem found.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return f"not valid JSON ({err})"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return "not a notebook (no list of cells)"
    ids = [cell.get("id") for cell in data["cells"] if isinstance(cell, dict) and "id" in cell]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        return f"cell id {twice[0]!r} appears more than once"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nbformat.validate(nbformat.from_dict(data))
    except Exception as err:  # nbformat raises several kinds; any of them means "invalid"
        return f"nbformat rejects it ({str(err).splitlines()[0]})"
    return None


class _CoursePuller(GitPuller):
    """nbgitpuller's puller, remembering the student's commit the course is merged into."""

    ours: str | None = None

    def find_upstream_changed(self, kind: str) -> list[str]:
        # nbgitpuller lists added ('A') and deleted ('D') files; a file the course renamed
        # shows as 'R' under git's default rename detection and would be missed, so a
        # student's untracked file with the new name would block the merge.
        output = subprocess.check_output(
            ["git", "diff", "--no-renames", "--name-status", f"..{REMOTE}/{self.branch_name}"],
            cwd=self.repo_dir,
            env=_git_env(),
        ).decode()
        return [line.split("\t", 1)[1] for line in output.splitlines() if line.startswith(kind)]

    def merge(self) -> Iterator[str]:
        self.ours = subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=self.repo_dir, text=True).strip()
        yield from super().merge()


def _name_status(repo: Path, a: str, b: str) -> dict[str, str]:
    out = git(repo, "diff", "--no-renames", "--name-status", "-z", a, b).stdout.split("\0")
    return {out[i + 1]: out[i][0] for i in range(0, len(out) - 1, 2)}


def _show(repo: Path, rev: str, path: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), "show", f"{rev}:{path}"], capture_output=True, check=True).stdout


def _lines_conflict(repo: Path, base: str, ours: str, theirs: str, path: str) -> bool:
    """Return True when the student and the course changed the same lines of ``path``."""
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for name, rev in (("ours", ours), ("base", base), ("theirs", theirs)):
            file = Path(tmp, name)
            file.write_bytes(_show(repo, rev, path))
            files.append(str(file))
        # Exit status: the number of conflicts (negative on error, e.g. binary files).
        return subprocess.run(["git", "merge-file", "-p", "-q", *files], capture_output=True).returncode != 0


def write_beside(repo: Path, path: str, content: bytes) -> str:
    """Write the course's version of ``path`` next to it and return the new path.

    ``lectures/01_x.ipynb`` -> ``lectures/01_x.course-update.ipynb``; an existing
    file with other content is never overwritten (``.course-update-2`` etc.).

    Parameters
    ----------
    repo : Path
        The clone.
    path : str
        The file's path relative to ``repo``.
    content : bytes
        The course's version.

    Returns
    -------
    str
        Where it was written, relative to ``repo``.
    """
    original = Path(path)
    n = 1
    while True:
        tag = COURSE_COPY_TAG if n == 1 else f"{COURSE_COPY_TAG}-{n}"
        candidate = original.with_name(f"{original.stem}{tag}{original.suffix}")
        target = repo / candidate
        if not target.exists() or target.read_bytes() == content:
            target.write_bytes(content)
            return candidate.as_posix()
        n += 1


def update(repo: Path, log: list[str] | None = None) -> Report:
    """Merge the course's updates into the student's clone ``repo``.

    Parameters
    ----------
    repo : Path
        The student's clone.
    log : list of str, optional
        Receives nbgitpuller's output (the git commands and what they printed).

    Returns
    -------
    Report
        What changed.

    Raises
    ------
    UpdateError
        When the clone cannot be updated; then nothing was changed.
    subprocess.CalledProcessError
        When nbgitpuller's merge itself failed (the student's edits are then in
        nbgitpuller's automatic commit).
    """
    repo = repo.resolve()
    log = [] if log is None else log
    # nbgitpuller commits as "nbgitpuller" (git -c user.*), which is how its commits are told apart
    # from the student's; identity variables in the environment would override that.
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        os.environ.pop(name, None)
    url, branch = check_clone(repo)
    _refuse_own_commits(repo, branch)
    fetch = git(repo, "fetch", "--quiet", REMOTE, check=False)
    if fetch.returncode != 0:
        raise UpdateError(
            f"Could not reach the course at {url} (are you offline?).\n"
            f"  Check your internet connection and run 'make update' again.\n  git said: {fetch.stderr.strip()}"
        )
    if git(repo, "rev-parse", "--verify", "--quiet", f"refs/remotes/{REMOTE}/{branch}", check=False).returncode:
        raise UpdateError(f"The course at {url} has no branch '{branch}'. Ask your instructor which branch to use.")
    _refuse_own_commits(repo, branch)

    deleted = [p for p in git(repo, "ls-files", "--deleted", "-z").stdout.split("\0") if p]
    puller = _CoursePuller(url, str(repo), branch=branch)
    report = Report()
    for line in puller.update():
        log.append(line.rstrip("\n"))
        if match := _RENAMED.match(line.strip()):
            old, new = (Path(match[group]).relative_to(repo).as_posix() for group in ("old", "new"))
            report.renamed.append((old, new))

    ours = puller.ours or git(repo, "rev-parse", "HEAD").stdout.strip()
    theirs = git(repo, "rev-parse", f"{REMOTE}/{branch}").stdout.strip()
    base = git(repo, "merge-base", ours, theirs).stdout.strip()
    course = _name_status(repo, base, theirs)
    student = _name_status(repo, base, ours)
    touched = _name_status(repo, ours, "HEAD")

    broken: set[str] = set()
    for path, status in sorted(touched.items()):
        if status in "AM" and path.endswith(".ipynb") and (problem := check_notebook(repo / path)):
            if path in student:
                (repo / path).write_bytes(_show(repo, ours, path))
                report.broken.append((path, problem, write_beside(repo, path, _show(repo, theirs, path))))
                broken.add(path)
            else:
                report.warnings.append(f"the course's {path} is not a valid notebook ({problem}); tell your instructor")

    report.restored = [p for p in deleted if course.get(p) != "D"]
    for path, status in sorted(course.items()):
        if path in broken or path in report.restored:
            continue
        if status == "A" and path in touched:
            report.new.append(path)
        elif status == "D" and path in student:
            report.kept_removed.append(path)
        elif status == "D" and path in touched:
            report.removed.append(path)
        elif status in "MT" and path in student:
            if _lines_conflict(repo, base, ours, theirs, path):
                report.kept_yours.append((path, write_beside(repo, path, _show(repo, theirs, path))))
            else:
                report.merged.append(path)
        elif status in "MT" and path in touched:
            report.updated.append(path)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: update a clone and print the report; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=ROOT, help="the clone to update (default: this script's)")
    parser.add_argument("--verbose", action="store_true", help="also print nbgitpuller's git commands")
    args = parser.parse_args(argv)
    log: list[str] = []
    try:
        report = update(args.repo, log)
    except UpdateError as err:
        print(f"make update: nothing was changed.\n{err}", file=sys.stderr)
        return 1
    except Exception as err:  # nbgitpuller raises CalledProcessError, or Exception for a busy .git/index.lock
        print("\n".join(log[-30:]), file=sys.stderr)
        print(
            f"make update: the merge stopped: {err}\n"
            "  Your edits are safe: in git's commit 'Automatic commit by nbgitpuller' or still in your files.\n"
            "  Show this message to your instructor.",
            file=sys.stderr,
        )
        return 1
    if args.verbose:
        print("\n".join(log))
    print(report.format())
    return 0


if __name__ == "__main__":
    sys.exit(main())
