"""Fast unit tests of the grading logic: no kernel, no subprocess, no gradebook.

Rebuilding and reading submissions (:mod:`grading.notebook`), removing expected
values and judging records (:mod:`grading.verdict`, beyond what
``test_verdict.py`` covers), the recording twins called in this process
(:mod:`grading.recorder`), the sandbox folder, the configuration and collect's
name matching.
"""

from __future__ import annotations

import ast
import copy
import json
import types
import warnings
from pathlib import Path

import nbformat
import pytest

from grading import collect, feedback, notebook, sandbox, verdict
from grading.notebook import SubmissionError, read_submission, rebuild
from tests.grading.course import TEST_ADD, source_notebook, student_notebook
from utils.paths import REPO_ROOT

GRADING = REPO_ROOT / "grading"


# --- rebuild ---


def _gids(nb: nbformat.NotebookNode) -> list[str | None]:
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]


def _cell(nb: nbformat.NotebookNode, gid: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def test_rebuild_of_an_untouched_submission_has_no_flags_and_the_students_answer() -> None:
    student = student_notebook("def add(a, b):\n    return b + a\n")
    rebuilt = rebuild(source_notebook(), student)
    assert rebuilt.flags == [] and rebuilt.messages == []
    assert _gids(rebuilt.nb) == _gids(source_notebook())
    assert _cell(rebuilt.nb, "add").source == "def add(a, b):\n    return b + a\n"
    assert _cell(rebuilt.nb, "test_add").source == TEST_ADD  # hidden tests back in
    assert _cell(rebuilt.nb, "explain").source == "Because addition."
    assert len({c.id for c in rebuilt.nb.cells}) == len(rebuilt.nb.cells)


def test_deleted_answer_and_test_cells_are_restored() -> None:
    student = student_notebook()
    del student.cells[3]  # test_float
    del student.cells[1]  # the answer
    rebuilt = rebuild(source_notebook(), student)
    assert rebuilt.flags == ["restored-cell"]
    assert _gids(rebuilt.nb) == _gids(source_notebook())
    assert "NotImplementedError" in _cell(rebuilt.nb, "add").source
    assert _cell(rebuilt.nb, "test_float").source == source_notebook().cells[3].source
    assert any("'add' was deleted" in m for m in rebuilt.messages)
    assert any("'test_float' was deleted" in m for m in rebuilt.messages)


def test_edited_test_cell_is_graded_in_the_instructors_version() -> None:
    student = student_notebook()
    student.cells[2].source = "assert True\n"
    rebuilt = rebuild(source_notebook(), student)
    assert rebuilt.flags == ["edited-test-cell"]
    assert _cell(rebuilt.nb, "test_add").source == TEST_ADD


def test_whitespace_at_line_ends_is_not_an_edit() -> None:
    student = student_notebook()
    student.cells[2].source = student.cells[2].source.replace("\n", "   \n") + "\n\n"
    assert rebuild(source_notebook(), student).flags == []


def test_edited_locked_markdown_cell_is_flagged_as_such() -> None:
    student = student_notebook()
    student.cells[0].source = "# My own title"
    rebuilt = rebuild(source_notebook(), student)
    assert rebuilt.flags == ["edited-locked-cell"]
    assert _cell(rebuilt.nb, "intro").source == "# Toy assignment"


def test_duplicated_answer_cell_grades_the_first_copy_once() -> None:
    student = student_notebook("def add(a, b):\n    return a + b\n")
    second = copy.deepcopy(student.cells[1])
    second.source = "def add(a, b):\n    return 0\n"
    student.cells.insert(2, second)
    rebuilt = rebuild(source_notebook(), student)
    assert rebuilt.flags == ["duplicate-cell"]
    assert _gids(rebuilt.nb).count("add") == 1
    assert _cell(rebuilt.nb, "add").source == "def add(a, b):\n    return a + b\n"


def test_renamed_grade_id_runs_as_an_ordinary_cell_and_the_answer_counts_as_deleted() -> None:
    student = student_notebook()
    student.cells[1].metadata["nbgrader"]["grade_id"] = "my_add"
    rebuilt = rebuild(source_notebook(), student)
    assert rebuilt.flags == ["unknown-grade-id", "restored-cell"]
    assert "my_add" not in _gids(rebuilt.nb)
    # The student's code still runs, as a plain cell after the graded cell before it (intro).
    plain = rebuilt.nb.cells[1]
    assert plain.source == student.cells[1].source and "nbgrader" not in plain.metadata


def test_changed_points_and_flags_are_ignored() -> None:
    student = student_notebook()
    student.cells[2].metadata["nbgrader"]["points"] = 200  # a test cell
    student.cells[1].metadata["nbgrader"]["grade"] = True  # the answer cell
    student.cells[1].metadata["nbgrader"]["points"] = 50
    rebuilt = rebuild(source_notebook(), student)
    assert rebuilt.flags == ["metadata-changed"]
    assert len(rebuilt.messages) == 2
    assert _cell(rebuilt.nb, "test_add").metadata["nbgrader"]["points"] == 2
    assert _cell(rebuilt.nb, "add").metadata["nbgrader"] == source_notebook().cells[1].metadata["nbgrader"]


def test_students_extra_cells_stay_after_the_graded_cell_before_them() -> None:
    student = student_notebook()
    student.cells.insert(0, nbformat.v4.new_markdown_cell("my notes"))
    student.cells.insert(3, nbformat.v4.new_code_cell("print(add(1, 1))", outputs=[]))
    rebuilt = rebuild(source_notebook(), student)
    assert rebuilt.flags == []
    assert [c.source for c in rebuilt.nb.cells][:1] == ["my notes"]
    index = _gids(rebuilt.nb).index("add")
    assert rebuilt.nb.cells[index + 1].source == "print(add(1, 1))"


def test_changed_kernel_and_cells_that_are_not_cells_are_noted() -> None:
    student = student_notebook()
    student.metadata["kernelspec"] = {"name": "evil", "display_name": "evil", "language": "python"}
    student.cells.append({"cell_type": "widget", "source": "x"})
    student.cells.append("not a cell")
    rebuilt = rebuild(source_notebook(), student)
    assert rebuilt.flags == ["invalid-cell", "kernelspec"]
    assert rebuilt.nb.metadata["kernelspec"] == source_notebook().metadata["kernelspec"]


def test_outputs_and_execution_counts_of_graded_cells_are_dropped() -> None:
    source = source_notebook()
    source.cells[2].outputs = [nbformat.v4.new_output("stream", text="from the instructor")]
    source.cells[2].execution_count = 7
    rebuilt = rebuild(source, student_notebook())
    assert _cell(rebuilt.nb, "test_add").outputs == [] and _cell(rebuilt.nb, "test_add").execution_count is None


def test_split_hidden() -> None:
    visible, hidden = notebook.split_hidden(TEST_ADD)
    assert "SECRET_HIDDEN_MARKER" in hidden and "SECRET" not in visible
    assert notebook.split_hidden("x = 1\n") == ("x = 1\n", "")


# --- reading a submission ---


def _write(tmp_path: Path, data: bytes | str, name: str = "toy.ipynb") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


@pytest.mark.parametrize(
    ("data", "flag"),
    [
        ('{"cells": [', "invalid-json"),
        (b"\xff\xfe{\x00", "undecodable"),
        ("[1, 2, 3]", "invalid-notebook"),
        ('{"hello": "world"}', "invalid-notebook"),
        ('{"cells": 5, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', "invalid-notebook"),
    ],
)
def test_unreadable_submissions_raise_with_a_flag(tmp_path: Path, data: bytes | str, flag: str) -> None:
    with pytest.raises(SubmissionError) as err:
        read_submission(_write(tmp_path, data))
    assert err.value.flag == flag and err.value.message


def test_invalid_json_says_where(tmp_path: Path) -> None:
    with pytest.raises(SubmissionError, match=r"line 2, column \d+"):
        read_submission(_write(tmp_path, '{"cells": [],\n "x": }'))


def test_a_file_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    with pytest.raises(SubmissionError) as err:
        read_submission(_write(tmp_path, nbformat.writes(student_notebook())), max_bytes=100)
    assert err.value.flag == "too-large"


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    nb, flags = read_submission(_write(tmp_path, b"\xef\xbb\xbf" + nbformat.writes(student_notebook()).encode()))
    assert flags == [] and len(nb.cells) == len(student_notebook().cells)


def test_an_old_nbformat_notebook_is_converted_and_flagged(tmp_path: Path) -> None:
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": "toy"},
        "worksheets": [
            {
                "cells": [{"cell_type": "code", "input": "x = 1", "language": "python", "outputs": [], "metadata": {}}],
                "metadata": {},
            }
        ],
    }
    nb, flags = read_submission(_write(tmp_path, json.dumps(v3)))
    assert flags == ["old-nbformat"]
    assert nb.nbformat == 4 and nb.cells[0].source == "x = 1"


def test_a_renamed_notebook_is_found_and_flagged(tmp_path: Path) -> None:
    _write(tmp_path, "{}", "toy (1).ipynb")
    _write(tmp_path, "{}", ".hidden.ipynb")
    assert notebook.find_notebook(tmp_path, "toy.ipynb") == (tmp_path / "toy (1).ipynb", ["renamed"])
    _write(tmp_path, "{}", "other.ipynb")
    with pytest.raises(SubmissionError, match="several notebooks"):
        notebook.find_notebook(tmp_path, "toy.ipynb")
    with pytest.raises(SubmissionError, match="no notebook submitted"):
        notebook.find_notebook(tmp_path / "nothing", "toy.ipynb")


def test_the_stand_in_scores_nothing_and_hides_the_hidden_tests() -> None:
    nb = notebook.unreadable_notebook(source_notebook(), ["not JSON"], "# hidden\n")
    assert "not JSON" in nb.cells[0].source
    assert "SECRET" not in json.dumps(nb) and "return a + b" not in json.dumps(nb)
    tests = [c for c in nb.cells if notebook.is_test(c)]
    assert tests and all(c.outputs[0].ename == "NotRun" for c in tests)


# --- where expected values sit, and removing them ---


def _checks_module(**helpers) -> types.ModuleType:
    module = types.ModuleType("fake_checks")
    module.KINDS = dict.fromkeys(helpers, "value")
    for name, fn in helpers.items():
        setattr(module, name, fn)
    return module


def test_positions_are_read_from_signatures_by_name() -> None:
    def positional(name, actual, expected, rtol=0.0, hint=""): ...
    def keyword_only(name, actual, *, expected, message=""): ...
    def after_star(name, *actual, expected=None): ...
    def first(expected, name, message=""): ...
    def consistency(name, actual, other, message=""): ...

    module = _checks_module(
        positional=positional, keyword_only=keyword_only, after_star=after_star, first=first, consistency=consistency
    )
    module.not_in_kinds = positional
    assert verdict.expected_positions(module) == {"positional": 2, "keyword_only": None, "after_star": None, "first": 0}


POSITIONS = {"check_close": 2, "check_property": 3, "check_kw": None, "check_first": 0}


@pytest.mark.parametrize(
    ("source", "stripped"),
    [
        # positional, with a message argument after it (kept, by position and by keyword)
        (
            "check_close('w', w, 3.0, 1e-6, 0.0, 'see part (b)')\n",
            "check_close('w', w, None, 1e-6, 0.0, 'see part (b)')\n",
        ),
        ("check_close('w', w, 3.0, hint='see (b)')\n", "check_close('w', w, None, hint='see (b)')\n"),
        # by keyword, in any order
        ("check_close('w', w, rtol=1e-6, expected=ref)\n", "check_close('w', w, rtol=1e-6, expected=None)\n"),
        ("check_close(expected=3.0, actual=w, name='w')\n", "check_close(expected=None, actual=w, name='w')\n"),
        # a helper whose expected can only be passed by keyword: a third positional argument is not it
        ("check_kw('w', w, 'a message', expected=3.0)\n", "check_kw('w', w, 'a message', expected=None)\n"),
        ("check_kw('w', w, 'a message')\n", "check_kw('w', w, 'a message')\n"),
        ("check_first(3.0, 'w', 'a message')\n", "check_first(None, 'w', 'a message')\n"),
        # through a module attribute
        ("checks.check_close('w', w, 3.0)\n", "checks.check_close('w', w, None)\n"),
        # nested: inside a loop, a function, another call; an expected expression with calls inside
        (
            "for k in ks:\n    check_close(f'w{k}', f(k), g(k))\n",
            "for k in ks:\n    check_close(f'w{k}', f(k), None)\n",
        ),
        (
            "def t():\n    check_close('w', w, np.array([1, 2]))\nt()\n",
            "def t():\n    check_close('w', w, None)\nt()\n",
        ),
        ("run(lambda: check_close('w', w, ref))\n", "run(lambda: check_close('w', w, None))\n"),
        # a star argument before the position: the position is unknown, nothing is guessed
        ("check_close(*args)\n", "check_close(*args)\n"),
        ("check_close('w', *rest, 3.0)\n", "check_close('w', *rest, 3.0)\n"),
        # helpers not in the table keep every argument, whatever its name or place
        ("check_true('x', ok, 'must be true')\n", "check_true('x', ok, 'must be true')\n"),
        ("other('x', ok, expected=3)\n", "other('x', ok, expected=3)\n"),
        # too few arguments: nothing to remove
        ("check_property('p', x, 'between')\n", "check_property('p', x, 'between')\n"),
        # not Python: left alone (the kernel reports the syntax error)
        ("check_close('w', w, 3.0\n", "check_close('w', w, 3.0\n"),
    ],
)
def test_strip_expected(source: str, stripped: str) -> None:
    assert verdict.strip_expected(source, POSITIONS) == stripped


def test_strip_keeps_the_line_count_of_a_multiline_expected_value() -> None:
    source = (
        "check_close('w', w,\n            np.array([1.0,\n                      2.0]),\n            rtol=1e-6)\nz = 1\n"
    )
    stripped = verdict.strip_expected(source, POSITIONS)
    assert stripped.count("\n") == source.count("\n")
    assert "1.0" not in stripped and stripped.endswith("z = 1\n")
    ast.parse(stripped)


def test_strip_keeps_non_ascii_text_around_the_expected_value() -> None:
    source = "check_close('Δ° ångström', wert, 3.0, hint='größer')\n"
    assert verdict.strip_expected(source, POSITIONS) == "check_close('Δ° ångström', wert, None, hint='größer')\n"


def test_strip_keeps_a_reference_computed_for_both_sides() -> None:
    source = "ref = compute()\nprint(ref)\ncheck_close('w', w, ref)\n"
    assert verdict.strip_expected(source, POSITIONS) == "ref = compute()\nprint(ref)\ncheck_close('w', w, None)\n"


def test_the_courses_checks_have_their_expected_where_the_defaults_say() -> None:
    assert verdict.positions_for(REPO_ROOT) == verdict.DEFAULT_POSITIONS


# --- judging (see test_verdict.py for every kind of check) ---

TRUSTED = verdict.load_trusted(REPO_ROOT)


def _ref(name: str, expected: float) -> dict:
    return {"check": "check_close", "name": name, "expected": expected, "rtol": 0.0, "atol": 0.0}


def test_judge_pairs_repeated_names_in_order() -> None:
    reference = [_ref("w", 1.0), _ref("w", 2.0)]
    assert verdict.judge(reference, [{"name": "w", "actual": 1.0}, {"name": "w", "actual": 2.0}], TRUSTED) == []
    swapped = verdict.judge(reference, [{"name": "w", "actual": 2.0}, {"name": "w", "actual": 1.0}], TRUSTED)
    assert [f.status for f in swapped] == ["failed", "failed"]
    once = verdict.judge(reference, [{"name": "w", "actual": 1.0}], TRUSTED)
    assert [(f.status, f.message) for f in once] == [("missing", "w: this check did not run")]


def test_judge_passes_and_fails_on_the_trusted_tolerance() -> None:
    reference = [{**_ref("w", 100.0), "rtol": 0.01}]
    assert verdict.judge(reference, [{"name": "w", "actual": 100.5, "rtol": 1e9}], TRUSTED) == []
    assert [f.status for f in verdict.judge(reference, [{"name": "w", "actual": 102.0}], TRUSTED)] == ["failed"]


def test_judge_names_the_worst_value_by_the_references_labels() -> None:
    reference = [{**_ref("mean", [5.3, 0.2]), "atol": 0.03, "labels": ["MolLogP", "TPSA"]}]
    # The student's own labels are never believed: the message uses the reference run's.
    student = [{"name": "mean", "actual": [5.3, 0.9], "labels": ["MolLogP", "forged"]}]
    [finding] = verdict.judge(reference, student, TRUSTED)
    assert finding.status == "failed" and finding.message.endswith("largest difference 0.7 at TPSA)"), finding
    unlabelled = verdict.judge([_ref("mean", [5.3, 0.2])], student, TRUSTED)
    assert unlabelled[0].message.endswith("at index (1,))"), unlabelled


def test_judge_ignores_names_the_reference_never_recorded_but_not_repeats() -> None:
    reference = [_ref("w", 1.0)]
    assert verdict.judge(reference, [{"name": "w", "actual": 1.0}, {"name": "mine", "actual": 5}], TRUSTED) == []
    twice = verdict.judge(reference, [{"name": "w", "actual": 1.0}] * 2, TRUSTED)
    assert [f.status for f in twice] == ["tampered"]


def test_record_file_is_read_from_an_offset_skipping_junk(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    assert verdict.read_new_records(path, 0) == ([], 0)
    path.write_bytes(b'{"name": "a", "actual": 1}\nnot json\n\xff\xfe\n[1]\n{"name": 3}\n')
    records, offset = verdict.read_new_records(path, 0)
    assert records == [{"name": "a", "actual": 1}] and offset == path.stat().st_size
    with path.open("ab") as handle:
        handle.write(b'{"name": "b"}\n')
    assert verdict.read_new_records(path, offset)[0] == [{"name": "b"}]


def test_failure_lines_show_values_only_for_visible_checks() -> None:
    findings = [
        verdict.Finding("seen", "failed", "seen: expected 1, got 2"),
        verdict.Finding("secret", "failed", "secret: expected 42, got 2"),
        verdict.Finding("gone", "missing", "gone: this check did not run"),
    ]
    lines = [finding.line("check_close('seen', x, 1)\n") for finding in findings]
    assert lines == ["seen: expected 1, got 2", "secret: a hidden check failed", "gone: this check did not run"]


# --- the recording twins, called in this process ---


def test_recorder_twin_records_and_decides_nothing_for_students(tmp_path: Path, monkeypatch) -> None:
    from grading import recorder

    path = tmp_path / "records.jsonl"
    monkeypatch.setattr(recorder, "_PATH", str(path))
    monkeypatch.setattr(recorder, "_MODE", "student")
    recorder.check_close("w", [1.0, 5.0], None, 1e-3, hint="part (b)")
    recorder.check_close("v", 1.0, expected=2.0)  # a student's own expected value decides nothing
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert records == [
        {"check": "check_close", "name": "w", "actual": [1.0, 5.0]},
        {"check": "check_close", "name": "v", "actual": 1.0},
    ]


def test_recorder_twin_in_reference_mode_records_expectations_and_checks(tmp_path: Path, monkeypatch) -> None:
    from grading import recorder

    path = tmp_path / "records.jsonl"
    monkeypatch.setattr(recorder, "_PATH", str(path))
    monkeypatch.setattr(recorder, "_MODE", "reference")
    recorder.check_close("w", 1.0, 1.0, rtol=1e-3)
    with pytest.raises(AssertionError, match="x: expected"):
        recorder.check_close("x", 1.0, 2.0)
    first = json.loads(path.read_text().splitlines()[0])
    assert first["expected"] == 1.0 and first["rtol"] == 1e-3


def test_install_recorder_copies_the_module_and_keeps_the_courses(tmp_path: Path) -> None:
    (tmp_path / "utils").mkdir()
    assert not verdict.install_recorder(tmp_path)  # no checks module: nothing to record
    (tmp_path / "utils" / "checks.py").write_text("KINDS = {}\n")
    assert verdict.install_recorder(tmp_path)
    assert (tmp_path / "utils" / "checks.py").read_bytes() == (GRADING / "recorder.py").read_bytes()
    assert (tmp_path / "utils" / "_checks_course.py").read_text() == "KINDS = {}\n"


# --- the sandbox folder and the grading process's own imports ---


def test_sandbox_gets_only_the_course_roots_folders(tmp_path: Path) -> None:
    course = tmp_path / "course"
    (course / "utils" / "__pycache__").mkdir(parents=True)
    (course / "utils" / "checks.py").write_text("# the course's\n")
    (course / "utils" / "__pycache__" / "checks.pyc").write_bytes(b"")
    (course / "solutions").mkdir()
    work = tmp_path / "work"
    work.mkdir()
    sandbox.prepare(work, course)
    assert sorted(p.name for p in work.iterdir()) == ["nbgrader_config.py", "pyproject.toml", "utils"]
    assert (work / "utils" / "checks.py").read_text() == "# the course's\n"
    assert not (work / "utils" / "__pycache__").exists()


def test_the_grading_process_never_imports_utils() -> None:
    for path in GRADING.glob("*.py"):
        if path.name == "recorder.py":  # runs in the sandbox: importing the course's utils is its contract
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(n == "utils" or n.startswith("utils.") for n in names), (path.name, names)


def test_feedback_config_loads_the_courses_file_without_changing_warning_filters(tmp_path: Path) -> None:
    (tmp_path / "nbgrader_config.py").write_text((REPO_ROOT / "nbgrader_config.py").read_text())
    before = list(warnings.filters)
    config = feedback.feedback_config(str(tmp_path))
    assert warnings.filters == before
    assert config.CourseDirectory.course_id == "mlchem"
    assert config.CourseDirectory.root == str(tmp_path)
    assert config.CourseDirectory.source_directory == "solutions"
    assert config.GenerateFeedback.HTMLExporter.template_file == str(feedback.FEEDBACK_TEMPLATE)
    assert "template_file" not in config.HTMLExporter, "the formgrader's own pages would lose their templates"


def test_the_formgrader_renders_the_same_feedback_page_as_make_grade() -> None:
    """nbgrader_config.py (which the formgrader reads) sets what make grade's feedback_config sets."""
    from traitlets.config import Config

    from grading.gradebook import course_config

    course = course_config(str(REPO_ROOT))
    wanted = feedback.configure(Config())
    assert course.GenerateFeedback.preprocessors == wanted.GenerateFeedback.preprocessors
    assert course.GenerateFeedback.HTMLExporter.template_file == wanted.GenerateFeedback.HTMLExporter.template_file
    assert Path(wanted.GenerateFeedback.HTMLExporter.template_file).is_file()
    assert not any("exec(" in (GRADING / name).read_text() for name in ("feedback.py", "gradebook.py"))


# --- collect's name matching ---

LMS = list(collect.PATTERNS.values())


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        ("doejane_12345_67890_ex01_ridge.ipynb", ("doejane", "ex01_ridge", "canvas", False)),
        ("doejane_late_12345_67890_ex01_ridge.ipynb", ("doejane", "ex01_ridge", "canvas", True)),
        # Canvas adds "-1" to a resubmitted file's name: it is not part of the file id
        ("jane.doe+x@uni_12345_67890_ex01_ridge-1.ipynb", ("jane.doe+x@uni", "ex01_ridge", "canvas", False)),
        ("Jane Doe_4711_assignsubmission_file_/ex01_ridge.ipynb", ("4711", "ex01_ridge", "moodle", False)),
        ("José Ñ_0815_assignsubmission_file_/sub/ex01.ipynb", ("0815", "sub/ex01", "moodle", False)),
    ],
)
def test_lms_names_are_matched(member: str, expected: tuple) -> None:
    found = collect.match(member, LMS)
    assert found is not None and (found.student_id, found.file_id, found.lms, found.late) == expected


@pytest.mark.parametrize(
    "member",
    [
        "notes.ipynb",
        "doejane_12345_ex01_ridge.ipynb",  # Canvas without a file id
        "Jane Doe_4711_onlinetext_/ex01.ipynb",  # Moodle's other submission plugin
        "doejane_12345_67890_ex01_ridge.py",
    ],
)
def test_other_names_are_not_matched(member: str) -> None:
    assert collect.match(member, LMS) is None


def test_a_custom_pattern_needs_both_groups() -> None:
    pattern = r"^(?P<student_id>[a-z]+)-(?P<file_id>\w+)\.ipynb$"
    found = collect.match("alice-ex01.ipynb", [*LMS, pattern])
    assert found is not None and (found.student_id, found.file_id) == ("alice", "ex01")
    assert collect.match("alice.ipynb", [r"^(?P<student_id>[a-z]+)\.ipynb$"]) is None


def test_sliced_reply_waits_find_a_reply_whose_wake_up_was_missed() -> None:
    """A reply that one long wait would miss is found at the next slice; the overall timeout still holds."""
    import asyncio
    import time
    from queue import Empty
    from types import SimpleNamespace

    from grading.execute import slice_reply_waits

    calls: list[float] = []

    def get_msg(timeout: float | None = None) -> dict:
        calls.append(timeout)
        if len(calls) < 3:  # the first waits see nothing (the missed wake-up)
            raise Empty
        return {"reply": True}

    kc = SimpleNamespace(shell_channel=SimpleNamespace(get_msg=get_msg))
    slice_reply_waits(kc, step=0.01)
    assert asyncio.run(kc.shell_channel.get_msg(timeout=60)) == {"reply": True}
    assert len(calls) == 3 and all(t <= 0.01 for t in calls)

    never = SimpleNamespace(shell_channel=SimpleNamespace(get_msg=lambda timeout=None: (_ for _ in ()).throw(Empty)))
    slice_reply_waits(never, step=0.01)
    start = time.monotonic()
    with pytest.raises(Empty):
        asyncio.run(never.shell_channel.get_msg(timeout=0.05))
    assert 0.04 <= time.monotonic() - start < 1


# --- the grading wing's spine ---


def test_the_grading_wing_keeps_its_shape() -> None:
    """pipeline.py only orchestrates; no module is a monolith, none imports one that imports it back,
    and neither grading/ nor benchmarks/ imports from tests/."""
    import ast

    graph: dict[str, set[str]] = {}
    for path in GRADING.glob("*.py"):
        lines = path.read_text().count("\n")
        assert lines < (400 if path.name == "pipeline.py" else 500), f"{path.name} has {lines} lines"
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "grading":
                    deps |= {alias.name for alias in node.names}
                elif node.module.startswith("grading."):
                    deps.add(node.module.split(".")[1])
        graph[path.stem] = deps

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(graph.get(start, ()))
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo += graph.get(name, ())
        return seen

    assert [name for name in graph if name in reachable(name)] == []
    for path in [*GRADING.glob("*.py"), *(REPO_ROOT / "benchmarks").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            assert not any(n == "tests" or n.startswith("tests.") for n in names), f"{path} imports from tests"
