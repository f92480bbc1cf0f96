"""Kernels forked from a template process: the course's imports paid once per grading worker.

A fresh kernel spends about 1.8 CPU-seconds importing numpy, scikit-learn,
RDKit, pandas and matplotlib before it runs a student's first cell. A
grading worker therefore starts one :class:`Template` (the program in
:mod:`grading.template`, under bubblewrap) that imports the assignment's
packages once and forks a kernel per submission, each in namespaces of its
own with only its own folder in view (see :mod:`grading.template` for what a
kernel is given and what it cannot reach).

The worker sees a forked kernel as an ordinary process: :class:`ForkedProcess`
answers the calls jupyter_client and the grader make of a ``Popen`` (poll,
wait, signals), and :class:`ForkProvisioner` launches kernels through the
template instead of ``Popen``. Everything else (connection files, limits of
time, output and memory, the watchdog, killing the process tree) is as for a
kernel started by bubblewrap.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil
from jupyter_client.provisioning import LocalProvisioner

from grading import sandbox

#: The template's program (run with ``python -c``: nothing of the course is in its sandbox).
TEMPLATE_SOURCE = (Path(__file__).with_name("template.py")).read_text(encoding="utf-8")


class TemplateError(RuntimeError):
    """The template process could not be started or did not fork a kernel."""


class ForkedProcess:
    """The part of ``subprocess.Popen`` jupyter_client and the grader use, for a kernel the template forked.

    The kernel is not this process's child (the template's sandbox reaps
    it), so its end is observed through ``psutil``.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        try:
            self._proc: psutil.Process | None = psutil.Process(pid)
        except psutil.Error:
            self._proc = None

    def poll(self) -> int | None:
        """``None`` while the kernel runs, else its (unknown, so ``-SIGKILL``-like) exit status."""
        if self.returncode is None:
            try:
                gone = self._proc is None or self._proc.status() == psutil.STATUS_ZOMBIE
            except psutil.Error:
                gone = True
            if gone:
                self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait until the kernel has ended (``subprocess.TimeoutExpired`` after ``timeout`` seconds)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.01)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        """Send ``signum`` to the kernel if it still runs (the process checked to be the same one)."""
        if self.poll() is None and self._proc is not None:
            try:
                self._proc.send_signal(signum)
            except psutil.Error:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class Template:
    """A template process for the kernels of one grading worker: one course, limits and preloading.

    Parameters
    ----------
    slots
        The folder in which every submission of this worker gets its own
        folder (:func:`grading.pool.open_slot`); the template sees only it.
    preload
        Modules the template imports once, for every kernel it forks.
    startup_timeout
        Seconds the template may take to import them.
    """

    def __init__(self, slots: Path, preload: Sequence[str], startup_timeout: float = 120.0) -> None:
        self.slots = slots
        self.log = open(slots / ".template.log", "ab")
        self.process = subprocess.Popen(
            sandbox.template_argv(slots, TEMPLATE_SOURCE),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            cwd="/",
        )
        self._write({"preload": list(preload), "slots": str(slots)})
        answer = self._read(startup_timeout)
        if "ready" not in answer:
            self.close()
            raise TemplateError(f"the template did not start: {answer}")
        self.started = time.monotonic()

    def _write(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        self.process.stdin.flush()

    def _read(self, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else b""
        if not line:
            return {"error": f"no answer within {timeout:.0f} s (see {self.slots / '.template.log'})"}
        return json.loads(line)

    def alive(self) -> bool:
        """Whether the template still runs."""
        return self.process.poll() is None

    def spawn(self, workdir: Path, env: dict[str, str], argv: list[str], limits: dict[str, int]) -> ForkedProcess:
        """Fork a kernel in ``workdir`` (a folder of :attr:`slots`) running ipykernel with ``argv``."""
        if workdir.parent != self.slots:
            raise TemplateError(f"{workdir} is not a folder of {self.slots}")
        request = {
            "workdir": str(workdir),
            "slots": str(self.slots),
            "log": str(workdir / ".kernel.log"),
            "env": env,
            "argv": argv,
            "limits": limits,
        }
        try:
            self._write(request)
        except OSError as err:
            raise TemplateError(f"the template is gone: {err}") from err
        answer = self._read(30.0)
        if "pid" not in answer:
            raise TemplateError(f"the template could not fork a kernel: {answer.get('error')}")
        return ForkedProcess(self._host_pid(answer["pid"]))

    def _host_pid(self, inner: int) -> int:
        """This process's ID of the kernel the template knows as ``inner``."""
        for proc in psutil.Process(self.process.pid).children(recursive=True):
            try:
                with open(f"/proc/{proc.pid}/status") as status:
                    for line in status:
                        if line.startswith("NSpid:"):
                            ids = line.split()[1:]
                            if len(ids) >= 2 and int(ids[1]) == inner:
                                return proc.pid
                            break
            except OSError:
                continue
        raise TemplateError(f"the kernel the template forked ({inner}) is not running")

    def close(self) -> None:
        """Kill the template and every kernel it forked (idempotent)."""
        sandbox.kill_tree(self.process.pid)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        self.log.close()


class ForkProvisioner(LocalProvisioner):
    """Launches the kernel through the manager's :class:`Template` instead of ``Popen``.

    The manager (``parent``) carries ``template``, ``fork_env`` and
    ``fork_limits``; the ipykernel arguments are those of the kernel spec's
    command after ``ipykernel_launcher``.
    """

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        km = self.parent
        argv = cmd[cmd.index("ipykernel_launcher") + 1 :]
        workdir = Path(km.fork_env["HOME"])
        self.process = km.template.spawn(workdir, km.fork_env, argv, km.fork_limits)
        self.pid = self.process.pid
        self.pgid = None
        self.cwd = str(workdir)
        return self.connection_info


def fork_with(km: Any, template: Template, workdir: Path, env: dict[str, str], limits: dict[str, int]) -> None:
    """Make the kernel manager ``km`` (:func:`grading.sandbox.kernel_manager`) fork its kernel from ``template``.

    The kernel gets ``env`` as its whole environment and ``limits`` (``cpu``
    seconds, ``nproc`` processes, ``data`` bytes or 0), as bubblewrap and
    ``prlimit`` would have given it.
    """
    km.kernel_id = str(uuid.uuid4())
    km.template, km.fork_env, km.fork_limits = template, env, limits
    km.provisioner = ForkProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)


def slots_folder() -> tempfile.TemporaryDirectory:
    """A private folder for the submission folders of one worker's template (see :func:`grading.lock.scratch`)."""
    return tempfile.TemporaryDirectory(prefix=f"mlchem-slots-{os.getpid()}-")
