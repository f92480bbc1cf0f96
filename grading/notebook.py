"""Read a student's notebook defensively and rebuild it on the instructor's.

The graded notebook is the instructor's source notebook (solutions/) with each
answer cell replaced by the student's cell of the same ``grade_id``; every
test, locked and description cell comes from the source. Duplicated cells,
deleted or edited test cells, changed points, flags, grade ids or kernelspec
therefore cannot change what is graded; each is reported as a flag.

Cells without a grade id (e.g. an exercise's "Check it yourself" cell) are
ordinary cells the student may edit, move or delete, as in stock nbgrader: the
student's version of each is run once, after the graded cell that precedes it
in the submission; the instructor's copy of such a cell is not added again.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from grading.flags import Flag, Notes

#: What a student sees in a test cell where its hidden tests run when it is graded.
HIDDEN_PLACEHOLDER = "# (hidden tests run here when your notebook is graded)\n"

HIDDEN_BEGIN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS[ \t]*$", re.M)
HIDDEN_END = re.compile(r"^[ \t]*### END HIDDEN TESTS[ \t]*$", re.M)


class SubmissionError(Exception):
    """A submission that cannot be graded at all; ``flag`` is a short code."""

    def __init__(self, flag: str, message: str) -> None:
        super().__init__(message)
        self.flag = flag
        self.message = message


@dataclass
class Rebuilt(Notes):
    """A notebook ready to execute, and what was found on the way."""

    nb: NotebookNode


def nbgrader_meta(cell: NotebookNode) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def is_answer(cell: NotebookNode) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def is_test(cell: NotebookNode) -> bool:
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution") and cell.get("cell_type") == "code"


def find_notebook(folder: Path, name: str) -> tuple[Path, list[str]]:
    """The submitted notebook ``name`` in ``folder``, or the only notebook there if renamed."""
    expected = folder / name
    if expected.is_file():
        return expected, []
    candidates = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if len(candidates) == 1:
        return candidates[0], [Flag.RENAMED]
    if not candidates:
        raise SubmissionError(Flag.MISSING, f"no notebook submitted (expected {name})")
    names = ", ".join(p.name for p in candidates)
    raise SubmissionError(Flag.MISSING, f"{name} not found and several notebooks to choose from: {names}")


def read_submission(path: Path, max_bytes: int = 50 * 2**20) -> tuple[NotebookNode, list[str]]:
    """Parse a submitted file into an nbformat-4 notebook, or raise :class:`SubmissionError`."""
    flags: list[str] = []
    size = path.stat().st_size
    if size > max_bytes:
        raise SubmissionError(
            Flag.TOO_LARGE, f"the notebook file is {size / 2**20:.0f} MiB (limit {max_bytes / 2**20:.0f} MiB)"
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SubmissionError(Flag.UNDECODABLE, f"the notebook is not UTF-8 text (byte {err.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise SubmissionError(
            Flag.INVALID_JSON,
            f"the notebook file is not valid JSON (line {err.lineno}, column {err.colno}): "
            "was it edited outside Jupyter?",
        ) from None
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        raise SubmissionError(Flag.INVALID_NOTEBOOK, "the file is JSON but not a Jupyter notebook")
    try:
        nb = nbformat.reads(json.dumps(data), as_version=nbformat.NO_CONVERT)
        major = int(nb.get("nbformat", 0))
        if major != 4:
            flags.append(Flag.OLD_NBFORMAT)
        nb = nbformat.convert(nb, 4)
    except Exception as err:  # nbformat raises many kinds for damaged files
        raise SubmissionError(
            Flag.INVALID_NOTEBOOK, f"the notebook cannot be read: {type(err).__name__}: {err}"
        ) from None
    if not isinstance(nb.get("cells"), list):
        raise SubmissionError(Flag.INVALID_NOTEBOOK, "the notebook has no list of cells")
    return nb, flags


def rebuild(source: NotebookNode, student: NotebookNode) -> Rebuilt:
    """The instructor's notebook with the student's answers (and extra cells) in place.

    Every cell with a grade id comes from ``source`` (answer cells with the
    student's text); every cell without one comes from ``student``, once, after
    the graded cell it follows there.

    Parameters
    ----------
    source
        The instructor's notebook (with solutions and hidden tests).
    student
        The student's notebook, as read by :func:`read_submission`.
    """
    out = Rebuilt(nb=nbformat.v4.new_notebook(metadata=copy.deepcopy(source.metadata)))
    source_cells = {nbgrader_meta(c).get("grade_id"): c for c in source.cells if nbgrader_meta(c).get("grade_id")}
    answers, extras = _sort_student_cells(source_cells, student, out)
    student_ids = {nbgrader_meta(c).get("grade_id") for c in student.cells if isinstance(c, dict)}
    out.nb.cells.extend(extras.get(None, []))
    for src in source.cells:
        gid = nbgrader_meta(src).get("grade_id")
        if not gid:
            continue  # an ordinary cell: the student's copy, if any, is among the extras
        out.nb.cells.append(_graded_cell(src, gid, answers, student_ids, out))
        out.nb.cells.extend(extras.get(gid, []))
    if student.get("metadata", {}).get("kernelspec") != source.get("metadata", {}).get("kernelspec"):
        out.note(Flag.KERNELSPEC, "the notebook's kernel was changed; the course kernel was used")
    for cell in out.nb.cells:
        cell["id"] = uuid.uuid4().hex[:8]
    return out


def _sort_student_cells(
    source_cells: dict[str, NotebookNode], student: NotebookNode, out: Rebuilt
) -> tuple[dict[str, NotebookNode], dict[str | None, list[NotebookNode]]]:
    """(the student's answer cells by grade id, their other cells by the grade id of the graded cell before them).

    Edited locked cells, changed grading metadata, duplicated answers and
    unknown grade ids are noted in ``out``.
    """
    answers: dict[str, NotebookNode] = {}
    extras: dict[str | None, list[NotebookNode]] = {}
    last_known: str | None = None
    for cell in student.cells:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            out.note(Flag.INVALID_CELL, "a cell that is not a notebook cell was ignored")
            continue
        gid = nbgrader_meta(cell).get("grade_id")
        if gid not in source_cells:
            if gid is not None:
                out.note(
                    Flag.UNKNOWN_GRADE_ID,
                    f"a cell claims grade id '{gid}', which the assignment does not have; "
                    "it was run as an ordinary cell",
                )
            extras.setdefault(last_known, []).append(_plain(cell))
            continue
        last_known = gid
        src = source_cells[gid]
        if is_answer(src):
            if gid in answers:
                out.note(Flag.DUPLICATE_CELL, f"answer cell '{gid}' appears twice; the first one was graded")
            else:
                answers[gid] = cell
        elif _normal(_as_text(cell.get("source", ""))) != _normal(split_hidden(src.get("source", ""))[0]):
            out.note(
                Flag.EDITED_TEST_CELL if is_test(src) else Flag.EDITED_LOCKED_CELL,
                f"cell '{gid}' was edited; the instructor's version was graded",
            )
        elif _key_meta(cell) != _key_meta(src):
            out.note(Flag.METADATA_CHANGED, f"the grading metadata of '{gid}' was changed; the instructor's was used")
    return answers, extras


def _graded_cell(
    src: NotebookNode, gid: str, answers: dict[str, NotebookNode], student_ids: set, out: Rebuilt
) -> NotebookNode:
    """The instructor's cell ``src`` as graded: with the student's answer, or restored if deleted."""
    cell = copy.deepcopy(src)
    if is_answer(src) and gid in answers:
        cell["source"] = _as_text(answers[gid].get("source", ""))
        if _key_meta(answers[gid]) != _key_meta(src):
            out.note(Flag.METADATA_CHANGED, f"the grading metadata of '{gid}' was changed; the instructor's was used")
    elif is_answer(src):
        cell["source"] = _stub(src)
        out.note(Flag.RESTORED_CELL, f"answer cell '{gid}' was deleted; it was graded as unanswered")
    elif gid not in student_ids:
        out.note(Flag.RESTORED_CELL, f"cell '{gid}' was deleted; the instructor's version was restored")
    if cell.get("cell_type") == "code":
        cell["outputs"] = []
        cell["execution_count"] = None
    return cell


#: What an answer cell holds in the stand-in notebook of an unreadable submission.
UNREAD_CODE = "# No answer: the submitted notebook could not be read (see the top of this page).\n"
UNREAD_TEXT = "*No answer: the submitted notebook could not be read (see the top of this page).*"


def unreadable_notebook(source: NotebookNode, messages: list[str], hidden_note: str = "") -> NotebookNode:
    """A stand-in for a submission that could not be read or run, to save as its autograded notebook.

    It is the instructor's notebook with a note on top saying what happened,
    every answer cell replaced by a line saying there is no answer, and every
    test cell failed without running (its hidden tests replaced by
    ``hidden_note``), so nbgrader's gradebook, formgrader and feedback treat it
    like any graded submission that scored zero.
    """
    reasons = "\n".join(f"- {m}" for m in dict.fromkeys(messages)) or "- (no details)"
    note = (
        "## This submission could not be graded\n\n"
        f"{reasons}\n\n"
        "Nothing in it could be run, so every automatically graded part scores 0. "
        "Please ask your instructor how to resubmit."
    )
    nb = nbformat.v4.new_notebook(metadata=copy.deepcopy(source.metadata))
    nb.cells.append(nbformat.v4.new_markdown_cell(note))
    for src in source.cells:
        cell = copy.deepcopy(src)
        if is_answer(cell):
            cell["source"] = UNREAD_CODE if cell.get("cell_type") == "code" else UNREAD_TEXT
        elif is_test(cell):
            visible, hidden = split_hidden(_as_text(cell.get("source", "")))
            cell["source"] = visible.rstrip("\n") + "\n" + hidden_note if hidden.strip() else visible
        if cell.get("cell_type") == "code":
            cell["execution_count"] = None
            cell["outputs"] = (
                [
                    nbformat.v4.new_output(
                        "error",
                        ename="NotRun",
                        evalue="the submission could not be read",
                        traceback=["NotRun: the submission could not be read"],
                    )
                ]
                if is_test(cell)
                else []
            )
        nb.cells.append(cell)
    for cell in nb.cells:
        cell["id"] = uuid.uuid4().hex[:8]
    return nb


def _key_meta(cell: dict) -> dict:
    """The grading-relevant part of a cell's nbgrader metadata."""
    meta = nbgrader_meta(cell)
    return {k: meta.get(k) for k in ("grade_id", "grade", "solution", "locked", "points", "task")}


def _normal(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _as_text(source: object) -> str:
    if isinstance(source, list):
        return "".join(str(s) for s in source)
    return str(source)


def _plain(cell: dict) -> NotebookNode:
    """A student's extra cell, stripped of grading metadata and outputs."""
    kind = cell.get("cell_type")
    text = _as_text(cell.get("source", ""))
    if kind == "code":
        return nbformat.v4.new_code_cell(text)
    if kind == "markdown":
        return nbformat.v4.new_markdown_cell(text)
    return nbformat.v4.new_raw_cell(text)


def _stub(cell: NotebookNode) -> str:
    if cell.get("cell_type") == "code":
        return "raise NotImplementedError('this answer cell was deleted from the submission')"
    return "(this answer was deleted from the submission)"


def split_hidden(source: str) -> tuple[str, str]:
    """Split a test cell's source into its visible part and its hidden tests."""
    begin = HIDDEN_BEGIN.search(source)
    if not begin:
        return source, ""
    end = HIDDEN_END.search(source, begin.end())
    hidden_end = end.start() if end else len(source)
    after = source[end.end() :] if end else ""
    visible = source[: begin.start()] + after
    return visible, source[begin.end() : hidden_end]


def known_assignments(root: Path) -> list[str]:
    """The course's assignments (see :func:`assignment_notebook`)."""
    folder = root / "solutions"
    return sorted(p.name for p in folder.iterdir() if (p / f"{p.name}.ipynb").is_file()) if folder.is_dir() else []


def assignment_notebook(root: Path, assignment: str) -> Path:
    """The instructor's notebook of ``assignment``; exit with the known names if there is none.

    An assignment is a folder of ``solutions/`` holding a notebook of its own
    name, ``solutions/<assignment>/<assignment>.ipynb`` (as ``nbgrader
    generate_assignment`` and the exercises have it).
    """
    source = root / "solutions" / assignment / f"{assignment}.ipynb"
    if source.is_file():
        return source
    known = known_assignments(root)
    close = difflib.get_close_matches(assignment, known, n=1)
    hint = f" Did you mean {close[0]}?" if close else ""
    raise SystemExit(
        f"error: no assignment {assignment!r} ({source} does not exist); nothing was changed. "
        f"Known assignments: {', '.join(known) or 'none'}.{hint}"
    )
