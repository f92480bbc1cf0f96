"""How many CPUs a kernel may really use, and thread settings that match.

On Binder and other container hosts ``os.cpu_count()`` reports the host's cores
(often 8-64) while the container may only use one or two of them (its cgroup CPU
quota). Numerical libraries size their thread pools from the host count:
OpenBLAS (numpy, scipy), OpenMP (scikit-learn's t-SNE, k-means, histogram
gradient boosting) and MKL each start one thread per host core, the threads
compete for the one or two cores of the quota, and idle OpenMP and OpenBLAS
threads busy-wait ("spin") for work, taking CPU time from everything else that
runs. Spinning costs most when the cores are shared: exercise 2 (many small
linear solves) took 26-33 s beside lecture 07 on two cores and 11-13 s with
OpenBLAS's threads sleeping as soon as they are idle, 6 s alone either way.

:func:`cpu_quota` is the number of CPUs this process may use, and
:func:`thread_settings` the environment variables that size the pools to it and
make idle OpenMP and OpenBLAS threads sleep. The libraries read them when they are loaded, so
they must be set before the kernel starts: ``binder/start`` and ``make lab`` do it
with ``eval "$(python -m utils.resources)"``, which prints ``export`` lines for
the variables that are not set already (a value someone set on purpose is kept, and
``OMP_NUM_THREADS`` alone, which OpenBLAS and MKL also read, sizes every pool).

Nothing here runs on import.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping
from pathlib import Path

#: Thread-pool variables, each set to :func:`cpu_quota`: OpenMP, OpenBLAS, MKL.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

#: Idle threads sleep instead of spinning: OpenMP's passive wait policy, and OpenBLAS's
#: shortest spin before sleeping (2**4 cycles; its default is 2**28, about 0.1 s).
WAIT_SETTINGS = {"OMP_WAIT_POLICY": "PASSIVE", "OPENBLAS_THREAD_TIMEOUT": "4"}


def _cgroup_limit(root: Path) -> float | None:
    # cgroup v2: "max 100000" (no limit) or "<quota> <period>"; v1: cfs_quota_us (-1: no limit) and cfs_period_us.
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota_us = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period_us = int((root / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota_us / period_us if quota_us > 0 and period_us > 0 else None


def cpu_quota(cgroup_root: str | os.PathLike[str] = "/sys/fs/cgroup") -> int:
    """Return the number of CPUs this process may use (at least 1).

    The smallest of the host's CPU count, the CPUs the process may be scheduled
    on (its affinity mask) and the cgroup CPU quota, rounded up (a quota of 1.5
    CPUs gives 2).

    Parameters
    ----------
    cgroup_root
        Where the cgroup file system is mounted (tests point it elsewhere).

    Returns
    -------
    int
        CPUs available to this process.

    Examples
    --------
    >>> 1 <= cpu_quota() <= (os.cpu_count() or 1)
    True

    A container allowed 1.5 CPUs (cgroup v2 ``cpu.max``) may use two, whatever the host has:

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as root:
    ...     _ = (Path(root) / "cpu.max").write_text("150000 100000")
    ...     cpu_quota(root) == min(2, len(os.sched_getaffinity(0)))
    True
    """
    counts = [os.cpu_count() or 1]
    if hasattr(os, "sched_getaffinity"):
        counts.append(len(os.sched_getaffinity(0)))
    limit = _cgroup_limit(Path(cgroup_root))
    if limit is not None:
        counts.append(math.ceil(limit))
    return max(1, min(counts))


def thread_settings(threads: int | None = None) -> dict[str, str]:
    """Return environment variables that fit thread pools to ``threads`` CPUs.

    Parameters
    ----------
    threads
        Threads per pool; :func:`cpu_quota` if not given.

    Returns
    -------
    dict of str to str
        ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS`` set
        to ``threads``, and :data:`WAIT_SETTINGS` (idle OpenMP and OpenBLAS threads
        sleep instead of spinning, so they leave the CPU to other work).

    Examples
    --------
    >>> thread_settings(2)  # doctest: +NORMALIZE_WHITESPACE
    {'OMP_NUM_THREADS': '2', 'OPENBLAS_NUM_THREADS': '2', 'MKL_NUM_THREADS': '2',
     'OMP_WAIT_POLICY': 'PASSIVE', 'OPENBLAS_THREAD_TIMEOUT': '4'}
    """
    n = cpu_quota() if threads is None else int(threads)
    if n < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    return {**dict.fromkeys(THREAD_VARIABLES, str(n)), **WAIT_SETTINGS}


def missing_settings(environ: Mapping[str, str] | None = None, threads: int | None = None) -> dict[str, str]:
    """Return the :func:`thread_settings` that ``environ`` does not set yet.

    Parameters
    ----------
    environ
        The current environment (``os.environ`` if not given); variables set in it are left alone.
    threads
        Threads per pool. If not given: ``OMP_NUM_THREADS`` when ``environ`` sets it (OpenBLAS
        and MKL fall back on it when their own variable is unset, so someone who set only it
        meant every pool), else :func:`cpu_quota`.

    Returns
    -------
    dict of str to str
        The variables to add, e.g. to start a kernel with ``{**os.environ, **missing_settings()}``.

    Examples
    --------
    >>> missing_settings({"OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "ACTIVE"})
    {'OPENBLAS_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1', 'OPENBLAS_THREAD_TIMEOUT': '4'}
    """
    environ = os.environ if environ is None else environ
    if threads is None and environ.get("OMP_NUM_THREADS", "").isdigit() and int(environ["OMP_NUM_THREADS"]) > 0:
        threads = int(environ["OMP_NUM_THREADS"])
    return {name: value for name, value in thread_settings(threads).items() if name not in environ}


def export_lines(environ: Mapping[str, str] | None = None, threads: int | None = None) -> list[str]:
    """Return shell ``export`` lines for :func:`missing_settings` (what ``python -m utils.resources`` prints).

    Parameters
    ----------
    environ
        The current environment (``os.environ`` if not given).
    threads
        Threads per pool, as for :func:`missing_settings`.

    Returns
    -------
    list of str
        One ``export NAME=value`` line per variable to set.

    Examples
    --------
    >>> for line in export_lines({}, threads=2):
    ...     print(line)
    export OMP_NUM_THREADS=2
    export OPENBLAS_NUM_THREADS=2
    export MKL_NUM_THREADS=2
    export OMP_WAIT_POLICY=PASSIVE
    export OPENBLAS_THREAD_TIMEOUT=4
    """
    return [f"export {name}={value}" for name, value in missing_settings(environ, threads).items()]


def main(argv: list[str] | None = None) -> int:
    """Print the ``export`` lines (``python -m utils.resources``), or the quota (``--quota``)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--quota"]:
        print(cpu_quota())
    elif not argv:
        print("\n".join(export_lines()))
    else:
        print("usage: python -m utils.resources [--quota]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
