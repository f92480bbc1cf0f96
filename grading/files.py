"""Files the grader writes whole: written beside their place and moved in, so no reader sees half of one."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replaced(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write; moved onto ``path`` when the block succeeds.

    A crash or an error in the block leaves ``path`` as it was (and no temporary file).

    >>> import tempfile; target = Path(tempfile.mkdtemp()) / "grades" / "a.csv"
    >>> with replaced(target) as tmp:
    ...     _ = tmp.write_text("x")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('x', ['a.csv'])
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
