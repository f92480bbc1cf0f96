"""Install packages into the environment running this script: with uv when it is there, else pip.

The Makefile builds every environment (.venv, .venv-bench, the classroom's) in two steps:
pip installs uv, pinned in ``requirements/bootstrap.txt``, into the new environment; then this
script installs the pinned requirements with ``uv pip install``, which resolves and links
the same wheels as pip, with the same pins and the same environment layout, several
times faster: from uv's cache alone when it holds them (no network), else fetching what
is missing. Where uv cannot be installed (a platform without a uv wheel, an old pip, no
network) it uses a uv on PATH; where there is none or it fails, pip does the work
instead, so nothing depends on uv.

Usage (arguments are those of ``pip install``)::

    .venv/bin/python scripts/pip_install.py -r requirements/base.txt
    .venv/bin/python scripts/pip_install.py --no-deps -e .

Set ``MLCHEM_INSTALLER=pip`` to use pip even when uv is present.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def uv_binary() -> str | None:
    """The uv executable of this environment, else the one on PATH, or None when there is none."""
    if os.environ.get("MLCHEM_INSTALLER", "uv") == "pip":
        return None
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        # e.g. the classroom's new environment built offline, by `make test`, whose .venv has uv
        return shutil.which("uv")


def commands(args: list[str], uv: str | None) -> list[list[str]]:
    """The install commands to try in order: uv from its cache alone, uv, then pip.

    uv's cache first: with exact pins it resolves to the same versions, it needs
    no network (a second environment of the same pins, the tests offline), and it
    says at once when something is missing, so the next command fetches it.

    >>> commands(["-r", "req.txt"], None)[0][1:]
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', 'req.txt']
    >>> [c[1:4] for c in commands(["-r", "req.txt"], "/venv/bin/uv")][:2]
    [['pip', 'install', '--offline'], ['pip', 'install', '--quiet']]
    """
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args]
    if uv is None:
        return [pip]
    # --python: install into this environment, whatever VIRTUAL_ENV says.
    uv_install = [uv, "pip", "install", "--quiet", "--python", sys.executable, *args]
    return [[*uv_install[:3], "--offline", *uv_install[3:]], uv_install, pip]


def main(args: list[str]) -> int:
    """Run the first install command that succeeds; return its exit status or the last failure's."""
    env = dict(os.environ)
    # Compile the bytecode now, as pip does: otherwise the student's first `make lab` and first
    # kernel pay for it (and a first request can time out), and the layout would differ from pip's.
    env.setdefault("UV_COMPILE_BYTECODE", "1")
    status = 1
    tried = commands(args, uv_binary())
    for i, command in enumerate(tried):
        offline = "--offline" in command
        # uv's cache alone may lack something: quietly, then it is fetched by the next command.
        result = subprocess.run(command, env=env, check=False, capture_output=offline, text=True)
        status = result.returncode
        if status == 0:
            return 0
        if not offline and i + 1 < len(tried):
            name = os.path.basename(command[0])
            print(f"{name} failed (exit {status}); installing with pip instead", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
