#!/usr/bin/env python
"""Benchmark: building the student environment (`make install`), uv against pip, in the same run.

A student's first `make lab` starts with `make install`: a new .venv from
requirements/base.txt. This builds it in a scratch copy of the repository twice,
with the course's installer (scripts/pip_install.py: pip installs the pinned uv,
uv installs the rest) and with pip alone (``MLCHEM_INSTALLER=pip``, what the
Makefile did before), and prints both times and their ratio.

* warm (default): the package caches of this machine, as on a second clone or
  after `make distclean`;
* ``--cold``: empty caches in a scratch folder, as on a new machine. It
  downloads every wheel from the package registry, so it needs the network.

Not a test: ``.venv/bin/python benchmarks/bootstrap.py [--cold] [--repeat 2]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build(repo: Path, installer: str, caches: Path | None) -> float:
    """Seconds for `make install` into a new .venv in ``repo`` with ``installer`` (uv or pip)."""
    shutil.rmtree(repo / ".venv", ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "MLCHEM_INSTALLER")}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if ".venv" not in p)
    if installer == "pip":
        env["MLCHEM_INSTALLER"] = "pip"
    if caches is not None:
        shutil.rmtree(caches, ignore_errors=True)
        env["PIP_CACHE_DIR"] = str(caches / "pip")
        env["UV_CACHE_DIR"] = str(caches / "uv")
    start = time.monotonic()
    subprocess.run(["make", "--no-print-directory", "install"], cwd=repo, env=env, check=True, capture_output=True)
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="empty caches (downloads everything: needs the network)")
    parser.add_argument("--repeat", type=int, default=1, help="builds per installer (default 1)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(repo)], check=True)
        caches = Path(tmp) / "caches" if args.cold else None
        times: dict[str, list[float]] = {"uv": [], "pip": []}
        for _ in range(args.repeat):
            for installer in ("uv", "pip"):  # interleaved, so a busy moment hits both
                times[installer].append(build(repo, installer, caches))
    kind = "cold caches (downloads)" if args.cold else "warm caches"
    print(f"make install (student environment, requirements/base.txt), {kind}, {os.cpu_count()} core(s)")
    for installer, values in times.items():
        label = "uv (scripts/pip_install.py)" if installer == "uv" else "pip only (MLCHEM_INSTALLER=pip)"
        print(f"  {label:34} " + ", ".join(f"{v:6.1f} s" for v in values))
    print(f"  ratio pip / uv (best of each): {min(times['pip']) / min(times['uv']):.1f}x")


if __name__ == "__main__":
    sys.exit(main())
