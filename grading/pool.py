"""The grader's kernels: launched (ahead of time) and stopped, each for exactly one submission.

:func:`start_kernel` launches a sandboxed kernel in a submission's folder and
:func:`stop_kernel` kills it and releases all the grader held for it.

Starting a sandboxed kernel and importing the course's packages in it
(numpy, scikit-learn, RDKit, matplotlib) takes about as long as the cells of
a short exercise. A grading worker therefore pays the imports once: its
kernels are forked from a template process that has imported the packages
the assignment uses (:func:`preload_modules`; :mod:`grading.forking`), each
in a folder of the worker's *slots* folder. And it keeps one *spare*: a
fresh folder prepared as :func:`grading.sandbox.prepare` prepares every
submission's folder, with a kernel launched in it while the worker is busy
with the current submission. Where kernels cannot be forked, each is started
by bubblewrap and imports the packages itself.

Isolation is the same as without a spare:

* a spare serves exactly one submission (:func:`take` hands it out once and
  forgets it); its kernel is killed and its folder removed when that
  submission is done (:meth:`Slot.close`);
* its folder is made for it and holds only the course's ``utils``/``data``
  copy: nothing of a previous submission (which had its own folder, killed
  kernel and PID namespace) can be in it;
* the preloading runs the grader's own imports, in a throw-away namespace,
  before any submission is known;
* a spare left when the worker ends is killed and removed by a
  multiprocessing finaliser, and in any case by bubblewrap's
  ``--die-with-parent`` (the kernel dies with the worker process) and by
  :func:`grading.lock.remove_stale_scratch` (the folder) on the next run.
"""

from __future__ import annotations

import ast
import dataclasses
import multiprocessing.util
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import nbformat
from nbclient.util import run_sync

from grading import forking, sandbox, verdict
from grading.limits import Limits
from grading.lock import running, scratch


@dataclass
class StartedKernel:
    """A kernel process launched in a submission's folder, possibly still starting up.

    It belongs to exactly one :func:`run` and is killed when that run no
    longer needs it (:func:`stop_kernel`).
    """

    km: Any
    workdir: Path
    pid: int
    log: IO[bytes]
    seconds: float = 0.0  # how long launching took


def kernel_env_vars(record: Path | None, mode: str) -> dict[str, str]:
    """The kernel's variables telling the recording helpers where and what to record."""
    return {"MLCHEM_CHECK_RECORD": str(record), "MLCHEM_CHECK_MODE": mode} if record else {}


def start_kernel(
    workdir: Path,
    limits: Limits,
    record: Path | None = None,
    mode: str = "student",
    preload: Sequence[str] = (),
) -> StartedKernel:
    """Launch a sandboxed kernel in ``workdir`` and return without waiting for it to be ready.

    Arguments as for :func:`run`. The kernel imports ``preload`` while it
    starts, so a kernel launched ahead of time has done its imports by the
    time its submission comes.
    """
    start = time.monotonic()
    extra_env = kernel_env_vars(record, mode)
    forker = _FORKER if _FORKER is not None and workdir.parent == _FORKER.slots and _FORKER.template.alive() else None
    km = sandbox.kernel_manager(
        workdir,
        _cpu_seconds(limits),
        limits.sandbox and sandbox.bwrap_works(),
        extra_env,
        limits.memory_bytes,
        preload,
    )
    if forker is not None:
        limits_of_kernel = {"cpu": _cpu_seconds(limits), "nproc": 256, "data": int(limits.memory_bytes or 0)}
        forking.fork_with(km, forker.template, workdir, sandbox.sandbox_env(workdir, extra_env), limits_of_kernel)
    # The kernel process's own stdout/stderr (start-up banner, low-level crashes) go to a
    # log beside the submission, not to the instructor's terminal; cell output comes over ZMQ.
    log = open(workdir / ".kernel.log", "ab")  # closed by stop_kernel
    try:
        run_sync(km.start_kernel)(cwd=str(workdir), env=sandbox.kernel_env(workdir, extra_env), stdout=log, stderr=log)
    except BaseException:
        log.close()
        raise
    return StartedKernel(km, workdir, km.provisioner.pid, log, time.monotonic() - start)


def stop_kernel(kernel: StartedKernel) -> None:
    """Kill the kernel's whole process tree and release everything the grader held for it (idempotent).

    That is the process (reaped, so no zombie is left per submission), the
    kernel manager's ZeroMQ context with its I/O threads and sockets, its
    connection and IPC files, and the log. A grading worker serves hundreds
    of submissions: anything left here would pile up until it runs out of
    threads or file descriptors.
    """
    sandbox.kill_tree(kernel.pid)  # the PID namespace then takes every process of the kernel along
    try:
        process = getattr(kernel.km.provisioner, "process", None)
        if process is not None:
            try:
                process.wait(timeout=5)
            except Exception:  # not reaped now: the next Popen reaps it
                pass
        run_sync(kernel.km.cleanup_resources)()  # connection and IPC files, the context it created
        if not kernel.km.context.closed:
            kernel.km.context.destroy(linger=0)
    finally:
        kernel.log.close()


def _cpu_seconds(limits: Limits) -> int:
    """The kernel's CPU time limit: twice the notebook's time limit and a margin."""
    return int(limits.notebook_timeout * 2 + 30)


#: Name of the record file the recording helpers write to, in a submission's folder.
RECORD_FILE = ".records.jsonl"


@dataclass
class Slot:
    """A fresh submission folder with a kernel launched in it, for one submission."""

    folder: tempfile.TemporaryDirectory
    workdir: Path
    trusted: bool
    kernel: StartedKernel
    key: tuple

    @property
    def record(self) -> Path | None:
        """The record file of the recording helpers (``None`` when the course has none)."""
        return self.workdir / RECORD_FILE if self.trusted else None

    def alive(self) -> bool:
        """Whether the kernel process is still there (it may have died while waiting)."""
        return running(self.kernel.pid)

    def close(self) -> None:
        """Kill the kernel's process tree and remove the folder."""
        try:
            stop_kernel(self.kernel)
        finally:
            try:
                self.folder.cleanup()
            except OSError:  # something still wrote into it while it was removed: once more
                shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Slot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _key(root: Path, limits: Limits, preload: tuple[str, ...]) -> tuple:
    """What a slot was made for: a spare is only used for the same course, limits and preloading."""
    return (str(root), dataclasses.astuple(limits), preload)


@dataclass
class _Forker:
    """This worker's template process (:mod:`grading.forking`) and the folder of its submissions' folders."""

    key: tuple
    folder: tempfile.TemporaryDirectory
    template: forking.Template

    @property
    def slots(self) -> Path:
        return Path(self.folder.name)

    def close(self) -> None:
        try:
            self.template.close()
        finally:
            shutil.rmtree(self.folder.name, ignore_errors=True)


#: This process's template, and whether forking failed here (then every kernel is started by bubblewrap).
_FORKER: _Forker | None = None
_FORK_FAILED = False


def _forker(root: Path, limits: Limits, preload: tuple[str, ...]) -> _Forker | None:
    """The template for these settings, started if need be; ``None`` where kernels are not forked.

    Kernels are forked only in bubblewrap's sandbox. Where the template cannot
    give its kernels namespaces of their own, this says so once and every
    kernel is started by bubblewrap as before (slower, as safe).
    """
    global _FORKER, _FORK_FAILED
    if _FORK_FAILED or os.environ.get("MLCHEM_FORK_KERNELS") == "0" or not (limits.sandbox and sandbox.bwrap_works()):
        return None
    key = _key(root, limits, preload)
    if _FORKER is not None and (_FORKER.key != key or not _FORKER.template.alive()):
        discard_template()
    if _FORKER is None:
        folder = forking.slots_folder()
        try:
            template = forking.Template(Path(folder.name), preload, limits.startup_timeout * 2)
        except (forking.TemplateError, OSError) as err:
            folder.cleanup()
            _FORK_FAILED = True
            print(f"grading: kernels are started one by one, not forked: {err}", file=sys.stderr)
            return None
        _FORKER = _Forker(key, folder, template)
        multiprocessing.util.Finalize(None, discard_template, exitpriority=5)
    return _FORKER


def discard_template() -> None:
    """Kill this process's template and its kernels and remove their folders, if there is one."""
    global _FORKER
    forker, _FORKER = _FORKER, None
    if forker is not None:
        forker.close()


def open_slot(root: Path, limits: Limits, preload: tuple[str, ...] = ()) -> Slot:
    """Prepare a fresh folder for a submission of the course at ``root`` and launch its kernel."""
    forker = _forker(root, limits, preload)
    folder = scratch("grade") if forker is None else tempfile.TemporaryDirectory(prefix="grade-", dir=forker.slots)
    workdir = Path(folder.name)
    try:
        sandbox.prepare(workdir, root)
        trusted = verdict.install_recorder(workdir)
        kernel = start_kernel(workdir, limits, workdir / RECORD_FILE if trusted else None, "student", preload)
    except BaseException:
        folder.cleanup()
        raise
    return Slot(folder, workdir, trusted, kernel, _key(root, limits, preload))


#: This process's spare slot (one per grading worker).
_SPARE: Slot | None = None
_FINALIZER: multiprocessing.util.Finalize | None = None


def _forget_after_fork() -> None:
    # A forked worker must not inherit its parent's spare (that kernel is not its own) nor the
    # note that a finaliser is registered: multiprocessing empties the finaliser registry in
    # the child, so the worker registers its own, or its spare would outlive it.
    # The parent's objects stay referenced here: collected in the child, their folders' finalisers
    # would remove the parent's folders.
    global _SPARE, _FINALIZER, _FORKER
    _INHERITED.append((_SPARE, _FORKER))
    _SPARE, _FINALIZER, _FORKER = None, None, None


#: What a forked process inherited from its parent's pool (never used, never collected).
_INHERITED: list = []


os.register_at_fork(after_in_child=_forget_after_fork)


def take(root: Path, limits: Limits, preload: tuple[str, ...] = ()) -> Slot:
    """A slot for one submission: the spare if it was made for these settings and lives, else a new one.

    The spare is forgotten as it is handed out: no slot is ever given twice.
    """
    global _SPARE
    spare, _SPARE = _SPARE, None
    if spare is not None:
        if spare.key == _key(root, limits, preload) and spare.alive():
            return spare
        spare.close()
    return open_slot(root, limits, preload)


def launch_spare(root: Path, limits: Limits, preload: tuple[str, ...] = ()) -> None:
    """Launch the spare for this process's next submission, unless there is one (never raises).

    A spare that cannot be launched is no loss: :func:`take` then opens a slot itself.
    """
    global _SPARE, _FINALIZER
    if _SPARE is not None:
        return
    if _FINALIZER is None:
        # Worker processes end through multiprocessing, which runs its finalisers but not atexit's.
        _FINALIZER = multiprocessing.util.Finalize(None, discard_spare, exitpriority=10)
    try:
        _SPARE = open_slot(root, limits, preload)
    except Exception:
        traceback.print_exc()


def discard_spare() -> None:
    """Kill this process's spare kernel and remove its folder, if there is one."""
    global _SPARE
    spare, _SPARE = _SPARE, None
    if spare is not None:
        spare.close()


def preload_modules(source: nbformat.NotebookNode, root: Path) -> tuple[str, ...]:
    """The packages an assignment's kernels import while they start.

    Every module the instructor's notebook imports, and every module the
    course's ``utils`` modules it uses import (those used in turn included).
    The course's own ``utils`` is not among them: the student's code imports
    it from the sandbox's copy as before.
    """
    named = [m for cell in source.cells if cell.cell_type == "code" for m in _imports(_python(cell.source))]
    wanted = [m for m in named if not _is_course(m)]
    queue = [m for m in named if _is_course(m)]
    seen: set[str] = set()
    while queue:
        module = queue.pop()
        # Importing utils.x imports the package utils (its __init__) first.
        parts = module.split(".")
        for depth in range(1, len(parts) + 1):
            name = ".".join(parts[:depth])
            if name in seen:
                continue
            seen.add(name)
            found = _imports(_course_source(root, name))
            wanted += [m for m in found if not _is_course(m)]
            queue += [m for m in found if _is_course(m)]
    return tuple(dict.fromkeys(m for m in wanted if m.split(".")[0] not in ("__future__", "__main__")))


def _course_source(root: Path, module: str) -> str:
    """The source of the course's module ``module`` (a file or a package), or nothing."""
    path = root / Path(*module.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    return ""


def _is_course(module: str) -> bool:
    return module.split(".")[0] == "utils"


def _python(source: str) -> str:
    """A cell's source without IPython's magics and shell escapes (so ``ast`` can read it)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _imports(source: str) -> list[str]:
    """The absolute modules ``source`` imports anywhere in it, and the names it imports from them."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # The names may be submodules (from rdkit.Chem import Descriptors); preloading skips those that are not.
            found += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*")]
    return found
