"""The limits of one graded submission, and their defaults (the only place they are set)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Limits:
    """Resource limits of one submission.

    Attributes
    ----------
    cell_timeout
        Seconds a cell may run before it is interrupted.
    notebook_timeout
        Seconds the whole notebook may run; later cells are not run.
    output_bytes_per_cell
        Output kept per cell; the rest is dropped.
    startup_timeout
        Seconds a kernel may take to start.
    memory_bytes
        Data-segment limit (``RLIMIT_DATA``) of each kernel process: a larger
        allocation raises ``MemoryError`` in its cell.
    watchdog_bytes
        Resident memory of the kernel's process tree at which the watchdog
        kills the kernel (the last resort); ``None`` for :attr:`watchdog_limit`'s default.
    interrupt_grace
        Seconds an interrupted cell may take to stop before its kernel is ended.
    sandbox
        Use bubblewrap when this machine can.
    """

    cell_timeout: float = 60.0
    notebook_timeout: float = 300.0
    output_bytes_per_cell: int = 256 * 1024
    startup_timeout: float = 60.0
    memory_bytes: int = 2 * 2**30
    watchdog_bytes: int | None = None
    interrupt_grace: float = 5.0
    sandbox: bool = True

    @property
    def watchdog_limit(self) -> int:
        """The watchdog's threshold: ``watchdog_bytes``, else ``memory_bytes`` plus half (at least 512 MiB) more."""
        if self.watchdog_bytes is not None:
            return self.watchdog_bytes
        return self.memory_bytes + max(self.memory_bytes // 2, 512 * 2**20)
