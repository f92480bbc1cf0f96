"""Install and update the one-machine classroom under one folder (default ``/srv/mlchem``).

Everything the hub needs lives under that folder, so a server holds one class
and removing the class is removing the folder (the Linux accounts stay)::

    venv/          the student environment + JupyterHub (requirements/hub.txt), shared by all
    proxy/         configurable-http-proxy from the npm registry (classroom/proxy/package-lock.json)
    state/         the hub's database, cookie secret and logs (root only)
    exchange/      nbgrader's exchange: release, submit, collect, feedback (nbgrader sets the modes)
    course/        the instructors' course directory: a clone of this repository,
                   solutions and gradebook included (group mlchem-instructors, no access for others)
    student.git    what students may see, one commit per publication (nbgitpuller pulls from it)
    student/       a read-only checkout of it: ``utils`` and ``data/`` for every student's kernel
    etc/student/   Jupyter configuration of students' servers (no formgrader)
    etc/instructor/ Jupyter configuration of instructors' servers (the course's nbgrader_config.py)

The student version leaves out ``solutions/`` and ``tests/`` (hidden tests,
reference answers, mutants), so nothing a student pulls reveals a grade.
Only the standard library is used: this runs before the hub's environment exists.
"""

from __future__ import annotations

import grp
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from classroom.roster import GROUPS, ensure_groups

HERE = Path(__file__).resolve().parent
#: Folders of the course that students never get (answers and hidden tests).
PRIVATE = ("solutions", "tests")
#: Course id in nbgrader_config.py; the exchange keeps one folder per course.
COURSE_ID = "mlchem"
#: The oldest Node.js configurable-http-proxy 5 runs on.
NODE_MAJOR = 20


class DeployError(RuntimeError):
    """A step of the installation that cannot go on; the message says what to do."""


@dataclass(frozen=True)
class Layout:
    """Paths of one classroom under ``root``."""

    root: Path

    @property
    def venv(self) -> Path:
        return self.root / "venv"

    @property
    def proxy(self) -> Path:
        return self.root / "proxy"

    @property
    def proxy_command(self) -> Path:
        return self.proxy / "node_modules" / ".bin" / "configurable-http-proxy"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def exchange(self) -> Path:
        return self.root / "exchange"

    @property
    def course(self) -> Path:
        return self.root / "course"

    @property
    def student_repo(self) -> Path:
        return self.root / "student.git"

    @property
    def student_tree(self) -> Path:
        return self.root / "student"

    def etc(self, role: str) -> Path:
        return self.root / "etc" / role


def run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run a command; :class:`DeployError` with its output when it fails."""
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, text=True, capture_output=True)
    if result.returncode:
        raise DeployError(f"{' '.join(map(str, args))} failed ({result.returncode}):\n{result.stderr or result.stdout}")
    return result.stdout


def _requirements_hash(course: Path) -> str:
    digest = hashlib.sha256()
    for name in ("hub.txt", "base.txt", "bootstrap.txt"):
        digest.update((course / "requirements" / name).read_bytes())
    return digest.hexdigest()


def usable_by_everyone(path: Path) -> bool:
    """Whether every user can reach ``path``: it and each folder above it are world-executable."""
    path = path.resolve()
    return all(os.stat(p).st_mode & 0o001 for p in (path, *path.parents))


def choose_python(candidates: list[str] | None = None) -> str:
    """A Python 3.11 every student can run (the servers run as the students, from one venv).

    A venv links to its base interpreter, so a Python under a private folder
    (pyenv in ``/root``, mode 700) would let root start the hub but no student
    start a server. Debian's and Ubuntu's ``/usr/bin/python3.11`` is the default.
    """
    tried = []
    for python in candidates or ["/usr/bin/python3.11", shutil.which("python3.11") or "", sys.executable]:
        if not python or not Path(python).is_file():
            continue
        info = subprocess.run(
            [
                python,
                "-c",
                "import sys, venv, ensurepip; print(sys.version_info[:2] == (3, 11)); print(sys.base_prefix)",
            ],
            capture_output=True,
            text=True,
        )
        lines = info.stdout.split()
        if info.returncode or lines[0] != "True":
            tried.append(f"{python} (not Python 3.11 with venv)")
        elif not (usable_by_everyone(Path(python)) and usable_by_everyone(Path(lines[1]))):
            tried.append(f"{python} (under {lines[1]}, which not every user can read)")
        else:
            return python
    raise DeployError(
        "no Python 3.11 that every user can run: apt-get install python3.11 python3.11-venv"
        + (f" (tried {'; '.join(tried)})" if tried else "")
    )


def install_venv(layout: Layout, course: Path, python: str | None = None) -> bool:
    """Create ``venv/`` from requirements/hub.txt unless it already has these pins; True if installed."""
    stamp = layout.venv / ".installed-hub"
    wanted = _requirements_hash(course)
    if stamp.is_file() and stamp.read_text() == wanted:
        return False
    if not (layout.venv / "bin" / "python").is_file():
        run(python or choose_python(), "-m", "venv", layout.venv)
    python_bin = layout.venv / "bin" / "python"
    # As the Makefile does: pip installs the pinned uv, which installs the rest (pip if it cannot).
    bootstrap = [python_bin, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if subprocess.run([*map(str, bootstrap), "-r", str(course / "requirements" / "bootstrap.txt")]).returncode:
        print("note: uv could not be installed; pip installs the requirements", file=sys.stderr)
    run(python_bin, course / "scripts" / "pip_install.py", "-r", course / "requirements" / "hub.txt")
    stamp.write_text(wanted)
    # `make grade` in the course directory uses this environment (VENV=... set by the hub):
    # its stamp tells make the environment is ready.
    (layout.venv / ".installed").touch()
    return True


def install_proxy(layout: Layout) -> bool:
    """Install the pinned configurable-http-proxy with ``npm ci``; True if installed."""
    node = shutil.which("node")
    if not node or not shutil.which("npm"):
        raise DeployError("the hub's proxy needs Node.js >= 20 and npm: apt-get install nodejs npm")
    major = int(run(node, "--version").strip().lstrip("v").split(".")[0])
    if major < NODE_MAJOR:
        raise DeployError(f"Node.js {major} is too old for configurable-http-proxy: it needs >= {NODE_MAJOR}")
    lock = HERE / "proxy" / "package-lock.json"
    if layout.proxy_command.exists() and (layout.proxy / "package-lock.json").read_bytes() == lock.read_bytes():
        return False
    layout.proxy.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(HERE / "proxy" / name, layout.proxy / name)
    run("npm", "ci", "--prefer-offline", "--no-audit", "--no-fund", "--omit=dev", cwd=layout.proxy)
    return True


def make_folders(layout: Layout) -> None:
    """The root, the hub's private state and nbgrader's exchange, with their modes."""
    layout.root.mkdir(parents=True, exist_ok=True)
    layout.root.chmod(0o755)
    layout.state.mkdir(exist_ok=True)
    layout.state.chmod(0o700)
    layout.exchange.mkdir(exist_ok=True)
    # nbgrader's documented mode for the exchange root: everyone may create their
    # course's folders; nbgrader itself makes `inbound/` write-only for students.
    layout.exchange.chmod(0o777)


def install_course(layout: Layout, source: Path) -> bool:
    """Clone the course into ``course/`` for the instructors (once); True if cloned.

    Later updates are the instructors' own ``git pull`` there: this never
    touches a course directory that exists (it holds the gradebook).
    """
    if (layout.course / "nbgrader_config.py").is_file():
        return False
    if not (source / ".git").exists():
        raise DeployError(f"{source} is not a git clone of the course; run `make hub` from a clone")
    run("git", "clone", "--quiet", "--no-hardlinks", source, layout.course)
    instructors = grp.getgrnam(GROUPS["instructor"]).gr_gid
    for folder, _dirs, files in os.walk(layout.course):
        os.chown(folder, 0, instructors)
        os.chmod(folder, 0o2770)  # setgid: new files stay in the instructors' group
        for name in files:
            path = os.path.join(folder, name)
            os.chown(path, 0, instructors, follow_symlinks=False)
            if not os.path.islink(path):
                os.chmod(path, 0o660 | (os.stat(path).st_mode & 0o110))
    return True


def _git(repo: Path, *args: str | Path, work_tree: Path | None = None) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "mlchem classroom",
        "GIT_AUTHOR_EMAIL": "classroom@localhost",
        "GIT_COMMITTER_NAME": "mlchem classroom",
        "GIT_COMMITTER_EMAIL": "classroom@localhost",
    }
    prefix = ["git", f"--git-dir={repo}"] + ([f"--work-tree={work_tree}"] if work_tree else [])
    return run(*prefix, *args, env=env)


def publish(layout: Layout, source: Path | None = None, branch: str = "main") -> str:
    """Publish the course's committed state (minus solutions and tests) to students; return the new commit.

    Each publication is one commit on ``student.git``'s ``main``, on top of
    the previous one, so nbgitpuller (and ``make update``) merge it into
    every student's copy without overwriting their edits. Publishing twice
    without a change in the course makes no commit.
    """
    source = source or layout.course
    head = run("git", "-C", source, "rev-parse", "--short", "HEAD").strip()
    if not (layout.student_repo / "HEAD").is_file():
        run("git", "init", "--quiet", "--bare", f"--initial-branch={branch}", layout.student_repo)
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        archive = subprocess.run(["git", "-C", str(source), "archive", "HEAD"], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        for name in PRIVATE:
            shutil.rmtree(tree / name, ignore_errors=True)
        index = Path(tmp) / "index"
        env_index = {"GIT_INDEX_FILE": str(index)}
        os.environ.update(env_index)
        try:
            _git(layout.student_repo, "add", "--all", ".", work_tree=tree)
            tree_id = _git(layout.student_repo, "write-tree").strip()
        finally:
            os.environ.pop("GIT_INDEX_FILE", None)
    parent = subprocess.run(
        ["git", f"--git-dir={layout.student_repo}", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if parent and _git(layout.student_repo, "rev-parse", f"{parent}^{{tree}}").strip() == tree_id:
        commit = parent
    else:
        commit = _git(
            layout.student_repo,
            "commit-tree",
            tree_id,
            *(["-p", parent] if parent else []),
            "-m",
            f"Course update from {head}",
        ).strip()
        _git(layout.student_repo, "update-ref", f"refs/heads/{branch}", commit)
    run("chmod", "-R", "a+rX", layout.student_repo)
    # The read-only copy every student's kernel imports `utils` and reads `data/` from.
    if not (layout.student_tree / ".git").exists():
        run("git", "clone", "--quiet", "--branch", branch, layout.student_repo, layout.student_tree)
    else:
        run("git", "-C", layout.student_tree, "fetch", "--quiet", "origin")
        run("git", "-C", layout.student_tree, "reset", "--quiet", "--hard", f"origin/{branch}")
    run("chmod", "-R", "a+rX,go-w", layout.student_tree)
    return commit


def write_config(layout: Layout) -> None:
    """Jupyter configuration for students' and instructors' servers (etc/<role>/)."""
    exchange = str(layout.exchange)
    student = layout.etc("student")
    (student / "labconfig").mkdir(parents=True, exist_ok=True)
    (student / "nbgrader_config.py").write_text(
        "# Written by `python -m classroom install`: students' nbgrader (Assignments panel, Validate).\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.Exchange.root = {exchange!r}\n"
    )
    # Students get the Assignments panel and Validate, not the instructors' tools.
    (student / "labconfig" / "page_config.json").write_text(
        '{\n  "disabledExtensions": {\n'
        '    "@jupyterlab/apputils-extension:announcements": true,\n'
        '    "@jupyter/nbgrader:formgrader": true,\n'
        '    "@jupyter/nbgrader:create-assignment": true,\n'
        '    "@jupyter/nbgrader:course-list": true\n'
        "  }\n}\n"
    )
    # ...and Validate's report with the failing check in view (grading/validate_report.py).
    (student / "jupyter_server_config.json").write_text(
        '{\n  "ServerApp": {\n    "jpserver_extensions": {\n'
        '      "nbgrader.server_extensions.formgrader": false,\n'
        '      "nbgrader.server_extensions.course_list": false,\n'
        '      "grading.validate_report": true\n'
        "    }\n  }\n}\n"
    )
    instructor = layout.etc("instructor")
    (instructor / "labconfig").mkdir(parents=True, exist_ok=True)
    (instructor / "nbgrader_config.py").write_text(
        "# Written by `python -m classroom install`: the instructors' nbgrader reads the course's own\n"
        "# configuration (course id, folders, gradebook); the exchange comes from MLCHEM_EXCHANGE_ROOT.\n"
        "c = get_config()  # noqa: F821\n"
        f"load_subconfig({str(layout.course / 'nbgrader_config.py')!r})  # noqa: F821\n"
    )
    shutil.copyfile(
        HERE.parent / "jupyter-config" / "labconfig" / "page_config.json", instructor / "labconfig" / "page_config.json"
    )
    # git refuses repositories another user owns ("dubious ownership"), and only
    # system or global configuration may allow one: every server gets this file
    # as its system configuration (GIT_CONFIG_SYSTEM), which includes /etc/gitconfig.
    (layout.root / "etc" / "gitconfig").write_text(
        "# Written by `python -m classroom install`.\n[include]\n\tpath = /etc/gitconfig\n[safe]\n"
        + "".join(f"\tdirectory = {path}\n" for path in (layout.student_repo, layout.course))
    )
    run("chmod", "-R", "a+rX,go-w", layout.root / "etc")


def install(root: Path, source: Path, python: str | None = None, log=print) -> Layout:
    """Everything but the accounts and the hub process: idempotent, run it again after changes."""
    if os.geteuid() != 0:
        raise DeployError("the classroom runs every student's server as that student: install it as root (sudo)")
    layout = Layout(root.resolve())
    ensure_groups()
    make_folders(layout)
    log(f"environment: {'installed' if install_venv(layout, source, python) else 'up to date'} ({layout.venv})")
    log(f"proxy: {'installed' if install_proxy(layout) else 'up to date'} ({layout.proxy_command})")
    log(f"course directory: {'cloned' if install_course(layout, source) else 'kept'} ({layout.course})")
    commit = publish(layout)
    log(f"published for students: {layout.student_repo} at {commit[:12]}")
    write_config(layout)
    return layout
