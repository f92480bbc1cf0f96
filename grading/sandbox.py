"""Run a student's kernel in a sandbox: its folder, bubblewrap command line and limits.

Each submission gets a fresh folder holding only a copy of the course's
``utils/`` and ``data/`` (those of the course root passed to :func:`prepare`;
the grading process never imports them) and the kernel's connection and
socket files. The kernel runs
under bubblewrap (Debian package ``bubblewrap``) in new user, mount, PID,
network, IPC and UTS namespaces:

* it sees only the system's read-only ``/usr`` and ``/etc``, the Python
  installation (read-only) and its own folder: no ``solutions/``, no
  gradebook, no other student's files, no ``submitted/``;
* it has no network (kernel messages use Unix sockets in its folder);
* every process it starts, including ones that call ``setsid``, is killed
  when the kernel ends (the PID namespace dies with it);
* ``prlimit`` caps its CPU time, its number of processes and the data
  segment (``RLIMIT_DATA``: private writable memory, i.e. heap and anonymous
  ``mmap``) of each of its processes. An allocation beyond the data limit
  fails inside the kernel: the cell raises ``MemoryError`` and the kernel
  lives on. (An address-space limit would break OpenBLAS and RDKit; a data
  limit does not: after importing numpy, scipy, scikit-learn, RDKit and
  matplotlib a kernel's data segment is about 410 MiB.)
* a watchdog in the grading worker kills the kernel when the resident memory
  of its whole process tree passes a higher threshold: the last resort for
  memory the data limit does not count (shared memory, many child processes).

The generated kernelspec asks for ``"interrupt_mode": "message"``: the
process jupyter_client started is ``bwrap`` in another session, so a signal
from outside would not reach the kernel, whereas an ``interrupt_request``
makes the kernel send ``SIGINT`` to itself.

Where bubblewrap is missing or cannot create namespaces, grading still works
with only the time, output and memory limits, and :func:`protections` reports
which protections are off so the summary can say so loudly.
"""

from __future__ import annotations

import functools
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import psutil

SANDBOX_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
    "PYTHONDONTWRITEBYTECODE": "1",
}


#: The read-only system (Debian's merged /usr), /proc and /dev: what the probe and every kernel see.
SYSTEM_MOUNTS = (
    *("--ro-bind", "/usr", "/usr"),
    *("--symlink", "usr/bin", "/bin"),
    *("--symlink", "usr/lib", "/lib"),
    *("--symlink", "usr/lib64", "/lib64"),
    *("--proc", "/proc"),
    *("--dev", "/dev"),
)


@functools.lru_cache(maxsize=1)
def bwrap_works() -> bool:
    """Whether bubblewrap is installed and can create the namespaces we need."""
    exe = shutil.which("bwrap")
    if not exe:
        return False
    try:
        result = subprocess.run(
            [exe, "--unshare-all", "--die-with-parent", *SYSTEM_MOUNTS, "/usr/bin/true"],
            capture_output=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def protections(requested: bool = True) -> dict[str, bool]:
    """Which protections grading uses on this machine (``requested``: sandbox wanted)."""
    sandboxed = requested and bwrap_works()
    return {
        "filesystem isolation (bubblewrap)": sandboxed,
        "no network (network namespace)": sandboxed,
        "all processes killed (PID namespace)": sandboxed,
        "CPU time, process and memory limits (prlimit)": shutil.which("prlimit") is not None,
        "last-resort memory watchdog (resident set)": True,
        "time and output limits": True,
    }


#: The folders of the course root a kernel sees (each only if the course has it).
COURSE_FOLDERS = ("utils", "data")


def prepare(workdir: Path, root: Path) -> None:
    """Fill a submission's folder with the helpers and data of the course at ``root``, nothing else.

    A course without ``utils/`` (or ``data/``) gets none in the sandbox: the
    course root is the only source, never the repository this package came from.
    """
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for name in COURSE_FOLDERS:
        if (root / name).is_dir():
            shutil.copytree(root / name, workdir / name, ignore=ignore)
    # utils finds the course root through these two marker files.
    (workdir / "pyproject.toml").write_text("# sandbox copy\n")
    (workdir / "nbgrader_config.py").write_text("# sandbox copy: no grading configuration here\n")


def preload_code(modules: Sequence[str]) -> str:
    """One line of Python that imports ``modules`` and binds no name in the namespace it runs in.

    The kernel runs it at start-up (IPython's ``exec_lines``), before it
    answers any request: the student's cells then find the heavy packages
    already imported. A module that fails to import is skipped here; the
    student's own ``import`` reports the error as it would have.
    """
    body = "def _load(name):\n    try:\n        __import__(name)\n    except BaseException:\n        pass\n"
    body += f"for _name in {tuple(modules)!r}:\n    _load(_name)\n"
    # exec with a throw-away globals dict: nothing lands in the user's namespace.
    return f"exec({body!r}, dict())"


def kernel_argv(
    workdir: Path,
    cpu_seconds: int,
    sandbox: bool,
    extra_env: dict[str, str] | None = None,
    data_bytes: int | None = None,
    preload: Sequence[str] = (),
) -> list[str]:
    """The command that starts the kernel for ``workdir``.

    Parameters
    ----------
    workdir
        The submission's folder (the kernel's home and working directory).
    cpu_seconds
        CPU time limit of the kernel (``RLIMIT_CPU``).
    sandbox
        Run the kernel under bubblewrap.
    extra_env
        Additional environment variables of the kernel.
    data_bytes
        Data-segment limit (``RLIMIT_DATA``, soft and hard) of every process
        of the kernel; ``None`` for none.
    preload
        Modules the kernel imports at start-up (:func:`preload_code`).
    """
    python = str(Path(sys.executable))
    kernel = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    if preload:
        kernel.append(f"--IPKernelApp.exec_lines={preload_code(preload)}")
    limits = []
    if shutil.which("prlimit"):
        # prlimit takes plain bytes: "2G" would mean 2 bytes.
        data = [f"--data={int(data_bytes)}:{int(data_bytes)}"] if data_bytes else []
        limits = ["prlimit", f"--cpu={cpu_seconds}", "--nproc=256:256", *data, "--"]
    if not sandbox:
        return limits + kernel
    argv = [
        *("bwrap", "--unshare-all", "--die-with-parent", "--new-session", *SYSTEM_MOUNTS),
        *("--ro-bind", "/etc", "/etc"),
        *("--symlink", "usr/sbin", "/sbin"),
        *("--tmpfs", "/tmp"),
        *python_mounts(),
    ]
    argv += ["--bind", str(workdir), str(workdir), "--chdir", str(workdir), "--clearenv"]
    for key, value in sandbox_env(workdir, extra_env).items():
        argv += ["--setenv", key, value]
    return limits + argv + kernel


def sandbox_env(workdir: Path, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment of a sandboxed kernel whose folder is ``workdir``."""
    return {
        **SANDBOX_ENV,
        "HOME": str(workdir),
        "PYTHONPATH": str(workdir),
        "MPLCONFIGDIR": str(workdir / ".mpl"),
        "IPYTHONDIR": str(workdir / ".ipython"),
        "JUPYTER_RUNTIME_DIR": str(workdir / ".runtime"),
        **(extra_env or {}),
    }


def python_mounts() -> list[str]:
    """bubblewrap arguments binding this Python installation (and its venv) read-only at the same paths."""
    prefix = Path(sys.prefix).resolve()
    base = Path(sys.base_prefix).resolve()
    argv = ["--ro-bind", str(base), str(base)]
    if prefix != base:
        argv += ["--ro-bind", str(prefix), str(prefix)]
    # The venv's python may be a symlink into the base installation: bind both.
    venv_python = Path(sys.executable)
    if venv_python.is_symlink():
        target = venv_python.resolve().parent
        if not str(target).startswith((str(base), str(prefix), "/usr")):
            argv += ["--ro-bind", str(target), str(target)]
    return argv


def template_argv(slots: Path, source: str) -> list[str]:
    """The command that starts a template process (:mod:`grading.template`) for the folders in ``slots``.

    The same sandbox as a kernel's, with the whole ``slots`` folder in place
    of one submission's (each kernel the template forks hides all but its
    own) and the root and ``/dev`` read-only, so nothing a kernel writes
    outside its folder, ``/tmp`` and ``/dev/shm`` (its own tmpfs) outlives it.
    """
    home = "/tmp/template"
    argv = [
        *("bwrap", "--unshare-all", "--die-with-parent", "--new-session", *SYSTEM_MOUNTS),
        *("--ro-bind", "/etc", "/etc"),
        *("--symlink", "usr/sbin", "/sbin"),
        *("--tmpfs", "/tmp", "--dir", home),
        *python_mounts(),
        *("--bind", str(slots), str(slots), "--remount-ro", "/", "--remount-ro", "/dev", "--chdir", home),
        "--clearenv",
    ]
    env = {**SANDBOX_ENV, "HOME": home, "MPLCONFIGDIR": f"{home}/.mpl", "IPYTHONDIR": f"{home}/.ipython"}
    for key, value in env.items():
        argv += ["--setenv", key, value]
    return [*argv, str(Path(sys.executable)), "-c", source]


def kernel_env(workdir: Path, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of an unsandboxed kernel (the fallback)."""
    return {
        **SANDBOX_ENV,
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(workdir),
        "PYTHONPATH": str(workdir),
        "MPLCONFIGDIR": str(workdir / ".mpl"),
        "IPYTHONDIR": str(workdir / ".ipython"),
        **(extra_env or {}),
    }


def kernel_manager(
    workdir: Path,
    cpu_seconds: int,
    sandbox: bool,
    extra_env: dict[str, str] | None = None,
    data_bytes: int | None = None,
    preload: Sequence[str] = (),
):
    """A KernelManager whose kernel runs in ``workdir`` (arguments as for :func:`kernel_argv`).

    The kernel is interrupted by message, not by a signal to the process
    jupyter_client started (``prlimit``/``bwrap``), which would not reach it.
    """
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    spec_dir = workdir / ".kernels" / "graded"
    spec_dir.mkdir(parents=True, exist_ok=True)
    argv = kernel_argv(workdir, cpu_seconds, sandbox, extra_env, data_bytes, preload)
    (spec_dir / "kernel.json").write_text(
        json.dumps(
            {
                "argv": argv,
                "display_name": "graded",
                "language": "python",
                "interrupt_mode": "message",
            }
        )
    )
    ksm = KernelSpecManager(kernel_dirs=[str(workdir / ".kernels")], ensure_native_kernel=False)
    km = AsyncKernelManager(
        kernel_name="graded", kernel_spec_manager=ksm, transport="ipc", ip=str(workdir / ".ipc" / "kernel")
    )
    (workdir / ".ipc").mkdir(exist_ok=True)
    km.connection_file = str(workdir / ".ipc" / "connection.json")
    return km


class MemoryWatchdog(threading.Thread):
    """Kill a process tree whose resident memory passes ``limit_bytes`` (the last resort).

    The data-segment limit makes ordinary allocations fail inside the kernel;
    this catches what that limit does not count, such as shared memory or
    the sum over many child processes.
    """

    def __init__(self, pid: int, limit_bytes: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.limit = limit_bytes
        self.interval = interval
        self.tripped = False
        self._done = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._done.is_set():
            total = 0
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                return
            for proc in procs:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            if total > self.limit:
                self.tripped = True
                for proc in reversed(procs):
                    try:
                        proc.send_signal(signal.SIGKILL)
                    except psutil.Error:
                        pass
                return
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) the process ``pid`` and its living descendants have used so far."""
    total = 0.0
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return total
    for proc in procs:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def kill_tree(pid: int, wait: float = 5.0) -> None:
    """Kill a process and all its descendants, and wait up to ``wait`` seconds until they are gone.

    Waiting matters to whoever removes the kernel's folder next: a process
    killed but not yet gone can still create a file in it.
    """
    try:
        root = psutil.Process(pid)
        procs = [*root.children(recursive=True), root]
    except psutil.Error:
        return
    for proc in procs:
        try:
            proc.send_signal(signal.SIGKILL)
        except psutil.Error:
            pass
    # Gone or a zombie (a zombie runs no code; whoever inherits it reaps it in its own time).
    deadline = time.monotonic() + wait
    while procs and time.monotonic() < deadline:
        procs = [p for p in procs if _still_running(p)]
        if procs:
            time.sleep(0.005)


def _still_running(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
