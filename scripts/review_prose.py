"""List numbers that a notebook's prose quotes but none of its outputs prints.

Usage: ``python scripts/review_prose.py lectures/*.ipynb``

A lecture's prose may only quote numbers that its own code prints (and that
nbval then checks), so that the text can never drift from the results. This
script is the review aid behind ``tests/test_lecture_structure.py``: it takes
every decimal number (``1.9``, ``0.57``), every percentage and every
whole number of three or more digits (years excepted) in markdown cells,
outside LaTeX math, inline code and the references section, and reports those
that neither an output of the notebook nor its code (a parameter such as
``n_bits=1024``) contains.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

NUMBER = re.compile(r"(?<![\w.,])(\d+\.\d+|\d+(?:\.\d+)?\s?%|\d{1,3}(?:,\d{3})+|\d{3,})(?![\w.,]*\d)")
YEAR = re.compile(r"(19|20)\d\d")
MATH = re.compile(r"10\.\d{4,}/\S+|\$\$.*?\$\$|\$[^$]*\$|`[^`]*`|\([^()]*\d{4}[^()]*\)|\[[^\]]*\]\([^)]*\)", re.S)


def _outputs(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                parts.append(out["text"])
            for key in ("text/plain", "text/markdown", "text/html"):
                if key in out.get("data", {}):
                    parts.append(out["data"][key])
    return "\n".join(parts)


def unprinted_numbers(path: Path) -> list[tuple[int, str]]:
    """Return ``(cell index, number)`` for quoted numbers that no output or code line shows."""
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    printed = _outputs(nb) + "\n" + re.sub(r"(?<=\d)_(?=\d)", "", code)
    missing = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        text = cell.source
        text = re.split(r"^#+[^\n]*References", text, flags=re.M)[0]
        text = MATH.sub(" ", text)
        for m in NUMBER.finditer(text):
            number = m.group(1).replace(" ", "")
            bare = number.rstrip("%")
            if YEAR.fullmatch(bare):
                continue
            if bare not in printed and bare.replace(",", "") not in printed:
                missing.append((i, number))
    return missing


def main(paths: list[str]) -> int:
    status = 0
    for p in paths:
        for i, number in unprinted_numbers(Path(p)):
            print(f"{p}: cell {i}: {number}")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
