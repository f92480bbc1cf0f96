"""Where the repository and its data live, whatever the working directory.

Notebooks run from ``lectures/`` or ``exercises/<assignment>/``, tests from the
root, Binder from the home directory; every path is therefore derived from this
file's location, never from :func:`os.getcwd`.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DATA_DIR", "REPO_ROOT", "data_path", "repo_root"]

_MARKERS = ("pyproject.toml", "nbgrader_config.py")


def repo_root(start: Path | None = None) -> Path:
    """Return the course repository's root folder.

    Parameters
    ----------
    start
        Folder to search upwards from; defaults to the folder of this module.

    Returns
    -------
    pathlib.Path
        The first folder, from ``start`` upwards, that holds both
        ``pyproject.toml`` and ``nbgrader_config.py``.

    Raises
    ------
    FileNotFoundError
        If no such folder exists (``utils`` was copied out of the repository).

    Examples
    --------
    >>> (repo_root() / "nbgrader_config.py").is_file()
    True
    """
    here = (start or Path(__file__)).resolve()
    for folder in (here, *here.parents):
        if all((folder / marker).is_file() for marker in _MARKERS):
            return folder
    raise FileNotFoundError(
        f"could not find the course repository above {here}: no folder holds "
        f"{' and '.join(_MARKERS)}. Install utils from a clone of the course "
        "(`pip install -e .` at its root)."
    )


REPO_ROOT: Path = repo_root()
DATA_DIR: Path = REPO_ROOT / "data"


def data_path(name: str) -> Path:
    """Return the path of a file shipped in ``data/``, checking that it exists.

    Parameters
    ----------
    name
        File name relative to ``data/``, e.g. ``"README.md"``.

    Returns
    -------
    pathlib.Path
        Absolute path of the file.

    Raises
    ------
    FileNotFoundError
        If the file is not in ``data/``; the message lists what is there.

    Examples
    --------
    >>> data_path("README.md").name
    'README.md'
    >>> data_path("nope.csv")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no file 'nope.csv' in .../data; it holds: ...
    """
    path = (DATA_DIR / name).resolve()
    if DATA_DIR.resolve() not in path.parents:
        raise ValueError(f"{name!r} points outside the data folder {DATA_DIR}")
    if not path.is_file():
        available = sorted(p.name for p in DATA_DIR.iterdir() if not p.name.startswith("."))
        raise FileNotFoundError(f"no file {name!r} in {DATA_DIR}; it holds: {', '.join(available) or 'nothing'}")
    return path
