"""A week later on the hub: the instructor updates the course, a student who edited it gets the update.

The student's copy is made by nbgitpuller (``gitpuller``, what the hub's
link runs) as the student; the instructor commits a change in the course
directory as the instructor; root publishes it (``python -m classroom
publish``); the student runs ``make update`` in a terminal. Their edits stay,
the course's change and a new file arrive, solutions never do.
"""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
import sys
from pathlib import Path

import nbformat

from tests.classroom.conftest import Classroom
from utils.paths import REPO_ROOT

LECTURE = Path("lectures") / "00_template.ipynb"


def write_as(user: str, path: Path, content: nbformat.NotebookNode | str) -> None:
    """Write ``path`` as if ``user`` had saved it (the file keeps or takes their ownership)."""
    group = path.parent.stat().st_gid if path.parent.stat().st_mode & stat.S_ISGID else pwd.getpwnam(user).pw_gid
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        nbformat.write(content, path)
    os.chown(path, pwd.getpwnam(user).pw_uid, group)


def test_published_update_merges_into_a_students_edited_copy(classroom: Classroom) -> None:
    (instructor,), (student,) = classroom.instructors[:1], classroom.add_accounts(1)[1]
    home = Path(f"~{student}").expanduser()
    layout = classroom.layout
    pulled = classroom.as_user(student, "gitpuller", str(layout.student_repo), "main", str(home / "mlchem"))
    assert pulled.returncode == 0, pulled.stdout[-2000:] + pulled.stderr[-2000:]
    copy = home / "mlchem"
    assert (copy / LECTURE).is_file() and not (copy / "solutions").exists()

    # The student writes a note into the lecture's last cell.
    nb = nbformat.read(copy / LECTURE, as_version=4)
    nb.cells[-1].source += "\n\nMy note: ask about this in class."
    write_as(student, copy / LECTURE, nb)
    mine = (copy / LECTURE).read_bytes()

    # The instructor changes the first cell and adds a file, in the course directory.
    course = layout.course
    nb = nbformat.read(course / LECTURE, as_version=4)
    nb.cells[0].source = nb.cells[0].source + "\n\n*Updated for week 2.*"
    write_as(instructor, course / LECTURE, nb)
    write_as(instructor, course / "lectures" / "week2.md", "Week 2: kernels.\n")
    for args in (
        ["add", "lectures"],
        ["-c", "user.name=Instructor", "-c", "user.email=i@example.org", "commit", "-qm", "Week 2"],
    ):
        done = classroom.as_user(instructor, "git", *args, cwd=course)
        assert done.returncode == 0, done.stdout + done.stderr

    published = subprocess.run(
        [sys.executable, "-m", "classroom", "--root", str(layout.root), "publish"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert published.returncode == 0, published.stdout + published.stderr

    update = classroom.as_user(student, "make", "--no-print-directory", "update", cwd=copy, timeout=300)
    assert update.returncode == 0, update.stdout[-3000:] + update.stderr[-3000:]
    merged = nbformat.read(copy / LECTURE, as_version=4)
    assert merged.cells[-1].source.endswith("My note: ask about this in class."), "the student's edit was lost"
    assert merged.cells[0].source.endswith("*Updated for week 2.*"), "the course's change did not arrive"
    assert (copy / "lectures" / "week2.md").read_text() == "Week 2: kernels.\n"
    assert not (copy / "solutions").exists() and not (copy / "tests").exists()
    assert mine != (copy / LECTURE).read_bytes()
    # The shared copy kernels import utils from follows the publication too.
    assert (layout.student_tree / "lectures" / "week2.md").is_file()
