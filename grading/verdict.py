"""Verdicts decided outside the student's process: strip expected values, read and judge check records.

The exercises check every value through the named helpers of the course's
``utils/checks.py`` (value, consistency and property checks; its docstring
explains the three kinds). When grading:

1. The instructor's notebook runs once in a clean kernel with the recording
   twins of the helpers (:mod:`grading.recorder`, mode ``reference``): for
   every check it records the kind, the name, the expected value, the
   tolerances and the predicate, attributed to the test cell that made it.
2. Each student's notebook runs in its sandbox with the recording twins in
   mode ``student`` and with every ``expected`` argument removed from the test
   cells (:func:`strip_expected`), so reference values never exist in the
   student's process. The twins record raw values and decide nothing.
3. :func:`judge`, in the grading process, pairs the records name by name and
   calls the ``judge`` function of the course's own ``utils/checks.py`` (and
   the predicates of ``utils/properties.py``), loaded from the course root, not
   from the sandbox (:func:`load_trusted`), with the reference run's expected
   values, tolerances and predicate names. A name recorded more often than the
   reference recorded it means something else wrote to the record file: the
   check fails.

Patching numpy, builtins, IPython or the helpers inside the student's kernel
can therefore only change the student's own recorded values, never the
comparison, the tolerance, the predicate or the expected value.

The grading process never imports the course's ``utils`` package:
:func:`load_trusted` executes the course's ``utils/checks.py`` and
``utils/properties.py`` from the course root it is given, by path, under
private module names, so they are the instructor's files of *that* course and
not whatever ``utils`` happens to be importable.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import inspect
import json
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

MAX_RECORD_BYTES = 16 * 2**20
#: The recording twin of the helpers, copied into each sandbox by :func:`install_recorder`.
RECORDER = Path(__file__).with_name("recorder.py")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# --- the sandbox side ---


def install_recorder(workdir: Path) -> bool:
    """Put the recording twins in the sandbox's copy of ``utils``.

    Returns False (and changes nothing) when the course has no checks module
    with a ``KINDS`` table, i.e. nothing to record.
    """
    checks = workdir / "utils" / "checks.py"
    if not checks.is_file() or "KINDS" not in checks.read_text(encoding="utf-8"):
        return False
    checks.rename(workdir / "utils" / "_checks_course.py")
    shutil.copyfile(RECORDER, checks)
    return True


# --- the trusted side ---


@dataclass(frozen=True)
class Trusted:
    """The course's own check module and predicates, loaded in the grading process."""

    checks: ModuleType
    predicates: Mapping[str, Callable[[Any, Any], str | None]]

    def positions(self) -> dict[str, int | None]:
        """Position of the ``expected`` parameter of every check helper that has one (:func:`expected_positions`)."""
        return expected_positions(self.checks)


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_trusted(root: Path) -> Trusted | None:
    """Load ``utils/checks.py`` and ``utils/properties.py`` of the course at ``root`` by path.

    ``None`` when the course has no checks module with a ``KINDS`` table.
    """
    utils = root / "utils"
    checks_path = utils / "checks.py"
    if not checks_path.is_file():
        return None
    checks = _load(checks_path, "mlchem_trusted_checks")
    if not hasattr(checks, "KINDS") or not hasattr(checks, "judge"):
        return None
    props_path = utils / "properties.py"
    predicates = _load(props_path, "mlchem_trusted_properties").PREDICATES if props_path.is_file() else {}
    return Trusted(checks, predicates)


def expected_positions(checks: ModuleType) -> dict[str, int | None]:
    """``{helper name: index of its expected parameter}``, read from the helpers' signatures.

    The index is ``None`` where ``expected`` can only be passed by keyword (it
    follows ``*args`` or is keyword-only). Helpers without an ``expected``
    parameter (consistency checks) are left out: nothing of theirs is removed.
    """
    positions: dict[str, int | None] = {}
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    for name in getattr(checks, "KINDS", {}):
        fn = getattr(checks, name, None)
        if fn is None:
            continue
        params = list(inspect.signature(fn).parameters.values())
        for index, param in enumerate(params):
            if param.name == "expected":
                before = params[:index]
                by_position = param.kind in positional and all(p.kind in positional for p in before)
                positions[name] = index if by_position else None
    return positions


# --- removing expected values from test cells ---

#: Where ``expected`` sits in the course's helpers, for a course whose checks cannot be loaded.
DEFAULT_POSITIONS: dict[str, int | None] = {"check_close": 2, "check_equal": 2, "check_property": 3, "check_raises": 2}


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _expected_nodes(tree: ast.AST, positions: Mapping[str, int | None]) -> list[ast.expr]:
    """The ``expected`` arguments of every check call in ``tree``: by keyword, or at the helper's position."""
    nodes = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _callee(node) in positions:
            index = positions[_callee(node)]
            nodes += [kw.value for kw in node.keywords if kw.arg == "expected"]
            if (
                index is not None
                and len(node.args) > index
                and not any(isinstance(a, ast.Starred) for a in node.args[: index + 1])
            ):
                nodes.append(node.args[index])
    return nodes


def _defined(stmt: ast.stmt) -> set[str] | None:
    """Names a top-level statement only defines (assignment or def), or None for anything else."""
    if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
        return {t.id for t in stmt.targets}  # type: ignore[attr-defined]
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return {stmt.name}
    return None


def _droppable(tree: ast.Module, expected: list[ast.expr]) -> list[ast.stmt]:
    """Top-level statements that only compute values used as expected values (to a fixpoint)."""
    inside = {id(n) for e in expected for n in ast.walk(e)}
    dropped: list[ast.stmt] = []
    while True:
        dropped_ids = {id(n) for s in dropped for n in ast.walk(s)}
        loads_elsewhere = {
            n.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)
            and id(n) not in inside
            and id(n) not in dropped_ids
        }
        loads_expected = {n.id for e in [*expected, *dropped] for n in ast.walk(e) if isinstance(n, ast.Name)}
        more = [
            s
            for s in tree.body
            if s not in dropped
            and (names := _defined(s)) is not None
            and names <= loads_expected
            and not names & loads_elsewhere
        ]
        if not more:
            return dropped
        dropped += more


def strip_expected(source: str, positions: Mapping[str, int | None] | None = None) -> str:
    """Remove every expected value from the check calls of a test cell, keeping its lines.

    Each ``expected`` argument (found by parameter name and by its position in
    the helper's signature) becomes ``None``; top-level assignments and
    functions used only to compute expected values become ``pass``. Every other
    line keeps its text and its number, so a traceback points at the line the
    student sees.

    Examples
    --------
    >>> print(strip_expected("ref = slow_reference(X)\\ncheck_close('w', f(X), ref, rtol=1e-6)"))
    pass
    check_close('w', f(X), None, rtol=1e-6)
    >>> print(strip_expected("check_property('r', rmse, 'between', (0.5, 1.1))"))
    check_property('r', rmse, 'between', None)
    >>> print(strip_expected("check_raises('e', lambda: f(1), ValueError)"))
    check_raises('e', lambda: f(1), None)
    """
    positions = DEFAULT_POSITIONS if positions is None else positions
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    expected = _expected_nodes(tree, positions)
    if not expected:
        return source
    edits: list[tuple[ast.AST, str]] = [(node, "None") for node in expected]
    edits += [(stmt, "pass") for stmt in _droppable(tree, expected)]
    stripped = _replace_spans(source, edits)
    try:
        ast.parse(stripped)
    except SyntaxError:  # an unusual layout: fall back to a rewrite that loses the line layout
        return _strip_by_rewrite(tree, expected)
    return stripped


Span = tuple[int, int, int, int, str]  # start line, start column, end line, end column, replacement


def _replace_spans(source: str, edits: list[tuple[ast.AST, str]]) -> str:
    """``source`` with each node's text replaced, keeping the line count (outermost nodes only)."""
    lines = [line.encode("utf-8") for line in source.splitlines(keepends=True)]
    spans = {(n.lineno, n.col_offset, n.end_lineno, n.end_col_offset, text) for n, text in edits}  # type: ignore[misc]
    # Applied from the end, so earlier offsets (bytes, as ast counts them) stay valid.
    for start_line, start_col, end_line, end_col, text in sorted(_outermost(spans), reverse=True):
        head = lines[start_line - 1][:start_col]
        tail = lines[end_line - 1][end_col:]
        filler = b"\\\n" * (end_line - start_line)  # keep the line count inside a statement
        replacement = head + text.encode() + (b" " + filler if filler else b"") + tail
        lines[start_line - 1 : end_line] = [replacement]
    return b"".join(lines).decode("utf-8")


def _outermost(spans: set[Span]) -> list[Span]:
    """The spans not inside another one."""
    kept: list[Span] = []
    for span in sorted(spans, reverse=True):
        if any((span[0], span[1]) >= (k[0], k[1]) and (span[2], span[3]) <= (k[2], k[3]) for k in kept):
            continue
        kept = [k for k in kept if not ((k[0], k[1]) >= (span[0], span[1]) and (k[2], k[3]) <= (span[2], span[3]))]
        kept.append(span)
    return kept


def _strip_by_rewrite(tree: ast.Module, expected: list[ast.expr]) -> str:
    ids = {id(e) for e in expected}
    dropped = {id(s) for s in _droppable(tree, expected)}

    class Null(ast.NodeTransformer):
        def generic_visit(self, node: ast.AST) -> ast.AST:
            return ast.Constant(None) if id(node) in ids else super().generic_visit(node)

    tree.body = [s for s in tree.body if id(s) not in dropped]
    return ast.unparse(ast.fix_missing_locations(Null().visit(tree)))


def restore_lines(text: str, original: str, stripped: str) -> str:
    """Show the lines of ``original`` wherever ``text`` (a traceback) quotes a line of ``stripped``."""
    text = ANSI.sub("", text)
    for before, after in zip(original.splitlines(), stripped.splitlines(), strict=False):
        if before != after and after.strip():
            text = text.replace(after.strip(), before.strip())
    return text


class Stripper:
    """:func:`strip_expected` for one submission, each source stripped once and remembered.

    The executor calls it on every test cell part before it runs; afterwards
    :meth:`restore_tracebacks` shows the student's own lines in the tracebacks
    of failed test cells, using the stripped sources it remembered.
    """

    def __init__(self, positions: Mapping[str, int | None] | None = None) -> None:
        self.positions = positions
        self.done: dict[str, str] = {}

    def __call__(self, source: str) -> str:
        if source not in self.done:
            self.done[source] = strip_expected(source, self.positions)
        return self.done[source]

    def restore_tracebacks(self, nb: Any, visible: Mapping[int, str]) -> None:
        """Quote ``visible[i]`` (a test cell's visible part as given) in the tracebacks of cell ``i``."""
        for index, original in visible.items():
            stripped = self(original)
            if stripped == original:
                continue
            for output in nb.cells[index].outputs:
                if output.get("output_type") == "error":
                    output["traceback"] = [restore_lines(t, original, stripped) for t in output.get("traceback", [])]


# --- reading and judging the records ---


def read_new_records(path: Path, offset: int) -> tuple[list[dict[str, Any]], int]:
    """Records appended to ``path`` since ``offset`` (bounded, invalid lines skipped)."""
    if not path.is_file():
        return [], offset
    with path.open("rb") as handle:
        handle.seek(offset)
        chunk = handle.read(MAX_RECORD_BYTES)
        new_offset = handle.tell()
    records = []
    for line in chunk.splitlines():
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        if isinstance(record, dict) and isinstance(record.get("name"), str):
            records.append(record)
    return records, new_offset


@dataclass(frozen=True)
class Finding:
    """A check of the reference run that the student's run did not pass."""

    name: str
    status: str  # "missing", "failed" or "tampered"
    message: str

    def line(self, visible: str) -> str:
        """How the finding reads in the graded notebook whose test cell shows ``visible``.

        The values only for a failed check the student can see (its name is
        quoted in ``visible``); a hidden check just says it failed.

        >>> Finding("secret", "failed", "secret: 1 != 2").line("check_close('seen', x, 1)")
        'secret: a hidden check failed'
        >>> Finding("seen", "failed", "seen: 1 != 2").line("check_close('seen', x, 1)")
        'seen: 1 != 2'
        """
        shown = re.search(rf"""(["']){re.escape(self.name)}\1""", visible)
        if self.status == "failed" and not shown:
            return f"{self.name}: a hidden check failed"
        return self.message


def judge(reference: list[dict[str, Any]], student: list[dict[str, Any]], trusted: Trusted) -> list[Finding]:
    """Judge a test cell's student records against its reference records; empty means it passes."""
    theirs: dict[str, list[dict[str, Any]]] = {}
    for record in student:
        theirs.setdefault(record["name"], []).append(record)
    seen: dict[str, int] = {}
    findings = []
    for ref in reference:
        name = ref["name"]
        occurrence = seen[name] = seen.get(name, -1) + 1
        made = theirs.get(name, [])
        if len(made) > sum(r["name"] == name for r in reference):
            findings.append(Finding(name, "tampered", f"{name}: recorded more often than the test checks it"))
            continue
        if occurrence >= len(made):
            findings.append(Finding(name, "missing", f"{name}: this check did not run"))
            continue
        record = made[occurrence]
        try:
            trusted.checks.judge(
                ref.get("check", "check_close"),
                name,
                record.get("actual"),
                expected=ref.get("expected"),
                other=record.get("other"),
                prop=ref.get("prop"),
                rtol=float(ref.get("rtol") or 0.0),
                atol=float(ref.get("atol") or 0.0),
                predicates=trusted.predicates,
                labels=ref.get("labels"),
            )
        except AssertionError as err:
            findings.append(Finding(name, "failed", str(err)))
    return findings


@functools.lru_cache(maxsize=8)
def trusted_for(root: str) -> Trusted | None:
    """:func:`load_trusted` for the course at ``root``, loaded once per process."""
    return load_trusted(Path(root))


def positions_for(root: Path) -> dict[str, int | None]:
    """Where the expected argument sits in each check helper of the course at ``root``."""
    trusted = trusted_for(str(root))
    return trusted.positions() if trusted is not None else dict(DEFAULT_POSITIONS)


# --- applying the verdicts to a graded notebook (grading process) ---


def apply_verdicts(nb: Any, reference: dict[str, list], outcome: Any, root: Path) -> None:
    """Fail every test cell of ``nb`` whose recorded values (``outcome.records``) the trusted judges reject.

    The message names each failed check; for a check the student can see (its
    name is in the visible part of the cell) it also gives the values, as
    Validate does (:meth:`Finding.line`). ``outcome`` is noted
    (:class:`grading.flags.Notes`) when checks were switched off or records forged.
    """
    import nbformat

    from grading.notebook import HIDDEN_PLACEHOLDER, is_test, nbgrader_meta

    trusted = trusted_for(str(root))
    if trusted is None:
        return
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if not is_test(cell) or not reference.get(gid):
            continue
        visible = cell.source.split(HIDDEN_PLACEHOLDER)[0]
        findings = judge(reference[gid], outcome.records.get(gid, []), trusted)
        _note_interference(cell, gid, findings, outcome)
        if findings:
            lines = [finding.line(visible) for finding in findings]
            cell.outputs.append(
                nbformat.v4.new_output(
                    "error",
                    ename="CheckFailed",
                    evalue="\n".join(lines),
                    traceback=[f"CheckFailed: {line}" for line in lines],
                )
            )


def _note_interference(cell: Any, gid: str, findings: list[Finding], outcome: Any) -> None:
    """Note checks switched off (missing although the cell raised nothing) and foreign records."""
    from grading.flags import Flag

    errored = any(o.get("output_type") == "error" for o in cell.outputs)
    if any(f.status == "missing" for f in findings) and not errored:
        # The cell ran without an error, yet its checks never happened: something switched them off.
        outcome.note(Flag.CHECKS_BYPASSED, f"the checks of '{gid}' did not run although the cell raised no error")
    if any(f.status == "tampered" for f in findings) and Flag.RECORDS_TAMPERED not in outcome.flags:
        outcome.note(Flag.RECORDS_TAMPERED, f"something other than the checks of '{gid}' wrote check records")
