"""What students and instructors do, in a real browser: open Lab, run a lecture, validate an exercise, grade.

Each scenario asserts what the page shows and saves a screenshot (``make
screenshots`` copies them to ``docs/images/`` for the README).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from tests.e2e.conftest import Lab, save_screenshot, solution_answers, type_answers
from utils.paths import REPO_ROOT

#: Each scenario must finish within 90 s (the shared server's start-up is not counted).
pytestmark = pytest.mark.timeout(90, func_only=True)

ERROR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


def _open(page, lab: Lab, path: str) -> None:
    page.goto(lab.url(f"lab/tree/{path}"))
    page.wait_for_selector(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_selector(
        ".jp-NotebookPanel:visible .jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000
    )
    news = page.locator(".jp-Notification-Toast-Close")  # "get notified about Jupyter news?"
    if news.count():
        news.first.click()


def _menu(page, menu: str, item: str) -> None:
    # Commands act on the active notebook: activate it by clicking its first cell's prompt area.
    page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell").first.locator(
        ".jp-InputPrompt, .jp-Cell-inputCollapser"
    ).first.click()
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).first.click()


def _wait_until_all_ran(page, n_code: int, timeout: float) -> None:
    """Wait until every code cell shows an execution count and the kernel is idle."""
    deadline = time.monotonic() + timeout
    prompts = page.locator(".jp-NotebookPanel:visible .jp-CodeCell .jp-InputPrompt")
    while time.monotonic() < deadline:
        texts = prompts.all_text_contents()
        if len(texts) == n_code and all(re.match(r"\[\d+\]:", t.strip()) for t in texts):
            return
        time.sleep(0.5)
    pytest.fail(f"not every cell ran within {timeout} s: {prompts.all_text_contents()}")


def test_lab_opens_with_the_nbgrader_tools(lab: Lab, page, tmp_path: Path) -> None:
    page.goto(f"{lab.base}/?token={lab.token}")  # where `make lab` sends the browser
    page.wait_for_selector(".jp-NotebookPanel:visible .jp-Cell", timeout=60_000)
    # The start page `make lab` opens: the template lecture.
    assert "00_template.ipynb" in page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current").inner_text()
    menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
    assert "Nbgrader" in menus, menus
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Course List$")).wait_for()
    items = page.locator(".lm-Menu-itemLabel").all_inner_texts()
    assert {"Assignment List", "Course List"} <= set(items), items
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Assignment List$")).click()
    page.wait_for_selector("text=Released assignments", timeout=30_000)
    assert page.locator("text=Downloaded assignments").count() >= 1
    assert page.locator("text=Submitted assignments").count() >= 1
    save_screenshot(page, tmp_path, "student-assignment-list")
    # The course panel: the course of nbgrader_config.py, with a link to its formgrader.
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Course List$")).click()
    page.wait_for_selector("text=Available formgraders", timeout=30_000)
    page.locator("#formgrader_list", has_text="mlchem").wait_for(timeout=30_000)
    save_screenshot(page, tmp_path, "student-course-list")
    _open(page, lab, "exercises/ex01_ridge/ex01_ridge.ipynb")
    button = page.locator(".jp-NotebookPanel:visible .validate-button")
    assert button.is_visible() and "Validate" in button.inner_text()
    page.get_by_text(re.compile(r"\| Idle$")).first.wait_for(timeout=30_000)  # the status bar's kernel
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Course List$")).wait_for()
    save_screenshot(page, tmp_path, "student-lab")
    page.keyboard.press("Escape")
    assert page.locator("text=get notified about official Jupyter news").count() == 0, "the news prompt is back"


def test_a_lecture_runs_and_its_slider_moves_the_figure(lab: Lab, page, tmp_path: Path) -> None:
    path = "lectures/00_template.ipynb"
    n_code = sum(c.cell_type == "code" for c in nbformat.read(lab.root / path, as_version=4).cells)
    _open(page, lab, path)
    _menu(page, "Edit", "Clear Outputs of All Cells")
    notebook = page.locator(".jp-NotebookPanel:visible .jp-Notebook")
    assert notebook.locator(".jp-OutputArea-output img").count() == 0
    _menu(page, "Run", "Run All Cells")
    _wait_until_all_ran(page, n_code, timeout=85)
    errors = [t for t in notebook.locator(ERROR_OUTPUT).all_text_contents() if "Traceback" in t or "Error" in t]
    assert not errors, errors[:2]
    # An RDKit grid drawing and matplotlib figures were drawn by this run.
    assert notebook.locator(".jp-RenderedImage img").count() >= 3
    drawing = notebook.locator(".jp-RenderedImage img").first
    drawing.scroll_into_view_if_needed()
    assert drawing.is_visible() and drawing.bounding_box()["width"] > 300  # four molecules side by side
    slider_box = notebook.locator(".widget-slider", has_text="slope a").first
    slider_box.scroll_into_view_if_needed()
    output = notebook.locator(".widget-output .jp-RenderedImage img").first
    output.wait_for(timeout=30_000)
    before = output.get_attribute("src")
    save_screenshot(page, tmp_path, "student-lecture")
    slider_box.locator(".noUi-handle").focus()
    before_value = slider_box.locator(".widget-readout").inner_text()
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        "([sel, old]) => { const i = document.querySelector(sel); return i && i.src !== old; }",
        arg=[".jp-NotebookPanel:not(.lm-mod-hidden) .widget-output .jp-RenderedImage img", before],
        timeout=30_000,
    )
    assert float(slider_box.locator(".widget-readout").inner_text()) == float(before_value) - 2.0  # 4 steps of 0.5
    page.wait_for_selector(
        ".jp-NotebookPanel:visible .jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=30_000
    )
    page.wait_for_timeout(500)  # the last redraw reaches the page
    save_screenshot(page, tmp_path, "student-lecture-slider")


def _fill_answers(page, lab: Lab, replace: dict[str, str]) -> None:
    path = lab.root / "exercises" / "ex01_ridge" / "ex01_ridge.ipynb"
    type_answers(page, path, {**solution_answers("ex01_ridge"), **replace})


def _validate(page) -> object:
    page.locator(".jp-NotebookPanel:visible .validate-button").click()
    message = page.locator("#validation-message")
    message.wait_for(timeout=85_000)
    return message


def test_an_exercise_is_answered_and_validated(lab: Lab, page, tmp_path: Path) -> None:
    _open(page, lab, "exercises/ex01_ridge/ex01_ridge.ipynb")
    _fill_answers(page, lab, {})
    message = _validate(page)
    assert "Success! Your notebook passes all the tests." in message.inner_text()
    assert "validation-success" in (message.get_attribute("class") or "")
    save_screenshot(page, tmp_path, "student-validate")


def test_a_wrong_answer_fails_validation(lab: Lab, page, tmp_path: Path) -> None:
    _open(page, lab, "exercises/ex01_ridge/ex01_ridge.ipynb")
    wrong = solution_answers("ex01_ridge")["ridge_closed_form"].replace("X.T @ X + lam", "X.T @ X - lam")
    assert wrong != solution_answers("ex01_ridge")["ridge_closed_form"]
    _fill_answers(page, lab, {"ridge_closed_form": wrong})
    message = _validate(page)
    shown = message.inner_text()
    assert "The following cell failed" in shown and "primal_lam1_gradient" in shown, shown[:2000]
    assert "validation-failed" in (message.get_attribute("class") or "")
    # The failed check and its hint are in view without scrolling: the report keeps one line of the
    # test cell's source (grading/validate_report.py), then the error.
    assert "more lines of this test cell in the notebook" in shown, shown[:2000]
    error = message.locator("pre", has_text="primal_lam1_gradient").first
    dialog = page.locator(".jp-Dialog-body").first
    box, view = error.bounding_box(), dialog.bounding_box()
    assert box is not None and view is not None
    assert box["y"] + 60 <= view["y"] + view["height"], ("the error starts below the fold", box, view)
    save_screenshot(page, tmp_path, "student-validate-failed")


def test_the_formgrader_shows_a_graded_submission(lab: Lab, page, tmp_path: Path) -> None:
    nb = nbformat.read(REPO_ROOT / "exercises" / "ex01_ridge" / "ex01_ridge.ipynb", as_version=4)
    answers = solution_answers("ex01_ridge")
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    folder = lab.root / "submitted" / "alice" / "ex01_ridge"
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "ex01_ridge.ipynb")
    # The student in the gradebook with a name (`nbgrader db student add`), then `make grade`.
    bin_dir = str(Path(sys.executable).parent)  # nbgrader runs alembic from PATH, as under make
    added = subprocess.run(
        ["nbgrader", "db", "student", "add", "alice", "--first-name=Alice", "--last-name=Liddell"],
        cwd=lab.root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")},
    )
    assert added.returncode == 0, added.stdout[-2000:] + added.stderr[-2000:]
    # BIN: the environment's real folder, not the copy's .venv link, which the grading
    # sandbox (bubblewrap) does not see.
    graded = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-o",
            ".venv/.installed",
            "grade",
            "ASSIGNMENT=ex01_ridge",
            "WORKERS=1",
            f"BIN={bin_dir}",
        ],
        cwd=lab.root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")},
    )
    assert graded.returncode == 0, graded.stdout[-2000:] + graded.stderr[-2000:]
    assert re.search(r"alice\s+10\s*/\s*10", graded.stdout), graded.stdout[-2000:]
    page.goto(lab.url("formgrader", reset=False))
    page.wait_for_selector("text=ex01_ridge", timeout=30_000)
    for name in ("ex01_ridge", "ex02_krr", "ex03_permutation_importance"):
        assert page.locator(f"text={name}").count() >= 1, f"{name} is not listed"
    save_screenshot(page, tmp_path, "instructor-assignments")
    page.goto(lab.url("formgrader/manage_submissions/ex01_ridge", reset=False))
    row = page.locator("tr", has_text="alice")
    row.wait_for(timeout=30_000)
    assert "Liddell, Alice" in row.inner_text() and "graded" in row.inner_text(), row.inner_text()
    assert re.search(r"10(\.0)?\s*/\s*10", row.inner_text()), row.inner_text()
    save_screenshot(page, tmp_path, "instructor-submissions")


def test_the_formgraders_feedback_button_gives_the_page_make_grade_gives(lab: Lab, page, tmp_path: Path) -> None:
    """An answer awaiting a grader reads "not graded yet" on both, not "Score: 0.0" as on nbgrader's stock page."""
    from tests.grading.course import source_notebook, student_notebook

    (lab.root / "solutions" / "toy").mkdir(parents=True)
    nbformat.write(source_notebook(), lab.root / "solutions" / "toy" / "toy.ipynb")
    (lab.root / "submitted" / "bob" / "toy").mkdir(parents=True)
    nbformat.write(student_notebook(), lab.root / "submitted" / "bob" / "toy" / "toy.ipynb")
    bin_dir = str(Path(sys.executable).parent)
    graded = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "grade", "ASSIGNMENT=toy", "WORKERS=1"]
        + [f"BIN={bin_dir}"],
        cwd=lab.root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")},
    )
    assert graded.returncode == 0, graded.stdout[-2000:] + graded.stderr[-2000:]
    page_path = lab.root / "feedback" / "bob" / "toy" / "toy.html"
    by_make_grade = page_path.read_text()
    assert "not graded yet" in by_make_grade and "Score: 0.0 / 1.0" not in by_make_grade
    page_path.unlink()
    page.goto(lab.url("formgrader", reset=False))  # logs in (the token becomes a cookie the page's API calls carry)
    page.wait_for_selector("text=toy", timeout=30_000)
    page.goto(lab.url("formgrader/manage_submissions/toy", reset=False))
    row = page.locator("tr", has_text="bob")
    try:
        row.wait_for(timeout=30_000)
    except Exception:
        save_screenshot(page, tmp_path, "instructor-generate-feedback-missing")
        raise AssertionError(page.inner_text("body")[:3000]) from None
    row.locator(".generate-feedback a").click()
    page.wait_for_selector("text=Successfully generated feedback for 'toy' for student 'bob'", timeout=60_000)
    save_screenshot(page, tmp_path, "instructor-generate-feedback")
    assert page_path.read_text() == by_make_grade
