"""Every lecture follows lectures/00_template.ipynb, and notebooks in git stay clean."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from utils.paths import REPO_ROOT

LECTURES = sorted((REPO_ROOT / "lectures").glob("*.ipynb"))
TEMPLATE = REPO_ROOT / "lectures" / "00_template.ipynb"
NAME = re.compile(r"^\d\d_[a-z0-9]+(_[a-z0-9]+)*\.ipynb$")
TITLE = re.compile(r"^# (\d\d) · \S")


def headings(path: Path, level: int) -> list[str]:
    """The markdown headings of one level, in notebook order."""
    nb = nbformat.read(path, as_version=4)
    prefix = "#" * level + " "
    return [
        line[len(prefix) :].strip()
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith(prefix)
    ]


TEMPLATE_SECTIONS = headings(TEMPLATE, 2)


def test_template_has_the_house_sections() -> None:
    assert TEMPLATE_SECTIONS == [
        "Learning goals",
        "Theory",
        "Practical",
        "Check your understanding",
        "Summary",
        "References",
    ]


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_lecture_has_the_template_sections_in_order(path: Path) -> None:
    assert NAME.match(path.name), f"{path.name}: use a two-digit prefix and snake_case"
    sections = [h for h in headings(path, 2) if h in TEMPLATE_SECTIONS]
    assert sections == TEMPLATE_SECTIONS, f"{path.name} has sections {sections}"
    nb = nbformat.read(path, as_version=4)
    title = TITLE.match(nb.cells[0].source)
    assert nb.cells[0].cell_type == "markdown" and title, f"{path.name}: first cell is '# NN · Title'"
    assert title.group(1) == path.name[:2], f"{path.name}: the title number differs from the file's"
    assert "Run time" in nb.cells[0].source, f"{path.name}: say the expected run time up front"


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_lecture_seeds_explicitly(path: Path) -> None:
    """One setup cell defines SEED; no global seeding that later cells rely on."""
    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    assert re.search(r"^SEED = \d+", code, re.M), f"{path.name}: define SEED in the setup cell"
    assert not re.search(r"np\.random\.seed\(|random\.seed\(", code), f"{path.name}: seed generators, not globals"


NOTEBOOKS_IN_GIT = sorted(
    p
    for p in REPO_ROOT.glob("**/*.ipynb")
    if not any(part.startswith(".venv") for part in p.relative_to(REPO_ROOT).parts)
)


@pytest.mark.parametrize("path", NOTEBOOKS_IN_GIT, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_notebook_is_small_and_well_placed(path: Path) -> None:
    rel = path.relative_to(REPO_ROOT)
    assert path.stat().st_size < 1024 * 1024, f"{rel} is over 1 MiB"
    assert ".ipynb_checkpoints" not in rel.parts and not path.name.startswith("Untitled")
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    if rel.parts[0] in ("solutions", "exercises"):
        with_output = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.outputs]
        assert not with_output, f"{rel} is stored with outputs in cells {with_output}"


STUDENT_NOTEBOOKS = sorted([*REPO_ROOT.glob("lectures/*.ipynb"), *REPO_ROOT.glob("exercises/*/*.ipynb")])
MAINTAINER_WORDS = re.compile(r"NBVAL|nbval|pytest|\btests?/|test_\w+\.py|\bCI\b|continuous integration")


@pytest.mark.parametrize("path", STUDENT_NOTEBOOKS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_student_notebooks_speak_to_students(path: Path) -> None:
    """Nothing a student reads names the test suite, test files or CI (markers live in cell tags)."""
    nb = nbformat.read(path, as_version=4)
    found = [(i, m.group(0)) for i, c in enumerate(nb.cells) for m in MAINTAINER_WORDS.finditer(c.source)]
    assert not found, f"{path.name}: maintainer text in cells {found}"


#: Numbers the prose may quote without the notebook printing them: facts from a
#: cited source, each with the reason. Everything else must be printed (and the
#: printing cell tagged for nbval) or be a literal parameter of the code.
QUOTED_FACTS: dict[str, dict[str, str]] = {
    "06_applications.ipynb": {
        "99%": "Jinnouchi et al. (2019): share of first-principles calls replaced by the on-the-fly model",
        "3.3": "Tshitoyan et al. (2019): million abstracts the word embeddings were trained on",
    },
}


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_every_number_in_the_prose_is_printed_by_the_notebook(path: Path) -> None:
    """The text cannot drift from the results: scripts/review_prose.py finds nothing unprinted."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("review_prose", REPO_ROOT / "scripts" / "review_prose.py")
    review = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(review)  # type: ignore[union-attr]
    allowed = QUOTED_FACTS.get(path.name, {})
    unprinted = [(cell, number) for cell, number in review.unprinted_numbers(path) if number not in allowed]
    assert not unprinted, f"{path.name}: numbers in the prose that no output prints: {unprinted}"
