"""A class's week on the classroom hub, in Chromium, with real Linux accounts.

The instructor releases ex01 in the formgrader; three students log in with
their Linux passwords (the hub pulls the course into their homes with
nbgitpuller), fetch ex01 from the Assignments panel, answer it (one correctly,
one wrongly, one who also deletes a test cell), validate and submit. The
instructor collects in the formgrader and runs ``make grade`` in the course
directory, as the README says; the grades are checked in the CSV and in the
formgrader; the instructor releases feedback and a student fetches it and
sees their score.
"""

from __future__ import annotations

import csv
import json
import os
import re
import time
from pathlib import Path

import nbformat
import pytest

from tests.classroom.conftest import Classroom
from tests.e2e.conftest import CHROMIUM, save_screenshot, solution_answers, type_answers

pytestmark = pytest.mark.timeout(900)

ASSIGNMENT = "ex01_ridge"
#: The test cell the third student deletes (2 of the 10 points).
DELETED_TEST = "test_ridge_dual"


def answers() -> dict[str, str]:
    return solution_answers(ASSIGNMENT)


def wrong_answers() -> dict[str, str]:
    right = answers()
    wrong = right["ridge_closed_form"].replace("X.T @ X + lam", "X.T @ X - lam")
    assert wrong != right["ridge_closed_form"]
    return {**right, "ridge_closed_form": wrong}


def log_in(browser, hub: str, user: str, password: str):
    """A new browser context logged in as ``user``; the page once the server's Lab has loaded."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{hub}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url(re.compile(r".*/user/[^/]+/lab.*"), timeout=120_000)
    page.wait_for_selector(".jp-LabShell", timeout=60_000)
    return page


def nbgrader_menu(page) -> list[str]:
    """The items of Lab's Nbgrader menu."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$")).click()
    labels = [t for t in page.locator(".lm-Menu-itemLabel").all_text_contents() if t.strip()]
    page.keyboard.press("Escape")
    return labels


def open_assignments(page) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Assignment List$")).click()
    page.wait_for_selector("#released_assignments_list")


def item(page, listing: str, name: str):
    """The row of ``name`` in one of the Assignments panel's lists."""
    return page.locator(f"#{listing} .list_item", has=page.locator(".item_name", has_text=name)).first


def validate(page) -> str:
    page.locator(".jp-NotebookPanel:visible .validate-button").click()
    message = page.locator("#validation-message")
    message.wait_for(timeout=120_000)
    text = message.inner_text()
    page.keyboard.press("Escape")
    page.locator("#validation-message").wait_for(state="detached", timeout=10_000)
    return text


def formgrader_row(page, assignment: str):
    return page.locator("tr", has=page.locator(f"td.name[data-order='{assignment}']"))


def click_and_confirm(page, target) -> None:
    """Click a formgrader button and accept its confirmation dialog, if it shows one."""
    target.click()
    dialog = page.locator(".modal-dialog:visible")
    try:
        dialog.wait_for(timeout=5_000)
    except Exception:
        return
    dialog.locator("button.btn-primary, button:has-text('Release'), button:has-text('OK')").first.click()


def test_release_fetch_submit_collect_grade_feedback(classroom: Classroom, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    instructor = classroom.instructors[0]
    right, wrong, deleter = classroom.students[:3]
    course = classroom.layout.course
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                *(["--no-sandbox"] if os.geteuid() == 0 else []),
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            # 1. The instructor releases ex01 in the formgrader.
            teacher = log_in(browser, classroom.url, instructor, classroom.passwords[instructor])
            assert f"/user/{instructor}/lab" in teacher.url
            assert "Formgrader" in nbgrader_menu(teacher)
            fg = f"{classroom.url}/user/{instructor}/formgrader"
            teacher.goto(fg)
            row = formgrader_row(teacher, ASSIGNMENT)
            row.wait_for()
            click_and_confirm(teacher, row.locator("td.release a"))
            teacher.goto(fg)
            formgrader_row(teacher, ASSIGNMENT).locator("td.status", has_text="released").wait_for()
            save_screenshot(teacher, tmp_path, "hub-instructor-released")

            # 2. Each student: log in (the course arrives), fetch, answer, validate, submit.
            plans = {right: answers(), wrong: wrong_answers(), deleter: answers()}
            validations: dict[str, str] = {}
            for student, wanted in plans.items():
                page = log_in(browser, classroom.url, student, classroom.passwords[student])
                home = Path(f"~{student}").expanduser()
                assert (home / "mlchem" / "lectures" / "00_template.ipynb").is_file(), "nbgitpuller did not pull"
                assert not (home / "mlchem" / "solutions").exists(), "students must not get the solutions"
                assert "lectures/00_template.ipynb" in page.url
                # Students get the Assignments panel, not the instructors' tools.
                assert nbgrader_menu(page) == ["Assignment List"]
                assert page.request.get(f"{classroom.url}/user/{student}/formgrader").status == 404
                open_assignments(page)
                item(page, "released_assignments_list", ASSIGNMENT).locator("button", has_text="Fetch").click()
                item(page, "fetched_assignments_list", ASSIGNMENT).wait_for()
                notebook = home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
                assert notebook.is_file()
                page.goto(f"{classroom.url}/user/{student}/lab/tree/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
                page.wait_for_selector(
                    ".jp-NotebookPanel:visible .jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000
                )
                type_answers(page, notebook, wanted)
                validations[student] = validate(page)
                if student == deleter:
                    # The test cell is locked (undeletable) in Lab; this student edits the file in
                    # another editor (written here by root and given back to the student).
                    edited = nbformat.read(notebook, as_version=4)
                    edited.cells = [
                        c for c in edited.cells if c.metadata.get("nbgrader", {}).get("grade_id") != DELETED_TEST
                    ]
                    with open(notebook, "w", encoding="utf-8") as out:
                        nbformat.write(edited, out)
                    os.chown(notebook, *_ids(student))
                open_assignments(page)
                submit = item(page, "fetched_assignments_list", ASSIGNMENT)
                submit.locator("button", has_text="Submit").click()
                item(page, "submitted_assignments_list", ASSIGNMENT).wait_for(timeout=60_000)
                save_screenshot(page, tmp_path, f"hub-{student}-submitted")
                page.context.close()
            assert "Success! Your notebook passes all the tests." in validations[right], validations[right][:2000]
            assert "The following cell failed" in validations[wrong], validations[wrong][:2000]
            # The hub's students get Validate's short report (grading/validate_report.py).
            assert "more lines of this test cell in the notebook" in validations[wrong], validations[wrong][:2000]

            # 3. The instructor collects in the formgrader and grades with `make grade`.
            teacher.goto(fg)
            row = formgrader_row(teacher, ASSIGNMENT)
            click_and_confirm(teacher, row.locator("td.collect a"))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not all(
                (course / "submitted" / s / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file() for s in plans
            ):
                time.sleep(0.5)
            for student in plans:
                assert (course / "submitted" / student / ASSIGNMENT / "timestamp.txt").is_file(), student
            graded = classroom.as_user(
                instructor,
                "make",
                "--no-print-directory",
                "grade",
                f"ASSIGNMENT={ASSIGNMENT}",
                "WORKERS=2",
                cwd=course,
                timeout=600,
            )
            assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
            with open(course / "grades" / f"{ASSIGNMENT}.csv", newline="") as f:
                rows = {r["student_id"]: r for r in csv.DictReader(f)}
            assert float(rows[right]["score"]) == float(rows[right]["max_score"]) == 10, rows[right]
            assert float(rows[wrong]["score"]) < 10, rows[wrong]
            assert float(rows[deleter]["score"]) == 10 and "restored-cell" in rows[deleter]["flags"], rows[deleter]
            teacher.goto(f"{fg}/manage_submissions/{ASSIGNMENT}")
            for student in plans:
                shown = teacher.locator("tr", has_text=student)
                shown.wait_for()
                score = float(rows[student]["score"])
                assert re.search(rf"{score:g}(\.0+)?\s*/\s*10", shown.inner_text()), shown.inner_text()
            save_screenshot(teacher, tmp_path, "hub-instructor-graded")

            # 4. Feedback goes back, and a student sees their score.
            teacher.goto(fg)
            click_and_confirm(teacher, formgrader_row(teacher, ASSIGNMENT).locator("td.release-feedback a"))
            outbound = classroom.layout.exchange / "mlchem" / "feedback"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(list(outbound.glob("*.html"))) < len(plans):
                time.sleep(0.5)
            assert len(list(outbound.glob("*.html"))) == len(plans), list(outbound.iterdir())
            page = log_in(browser, classroom.url, wrong, classroom.passwords[wrong])
            open_assignments(page)
            submitted = item(page, "submitted_assignments_list", ASSIGNMENT)
            submitted.locator("button", has_text="Fetch Feedback").click()
            submitted.locator("a", has_text=re.compile("view feedback", re.I)).first.wait_for(timeout=60_000)
            feedback = list((Path(f"~{wrong}").expanduser() / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
            assert len(feedback) == 1, feedback
            page.goto(f"{classroom.url}/user/{wrong}/files/{feedback[0].relative_to(Path(f'~{wrong}').expanduser())}")
            score = float(rows[wrong]["score"])
            assert re.search(rf"Score:\s*{score:g}(\.0+)?\s*/\s*10", page.inner_text("body")), page.inner_text("body")[
                :2000
            ]
            save_screenshot(page, tmp_path, "hub-student-feedback")
        finally:
            browser.close()
    (tmp_path / "grades.json").write_text(json.dumps(rows, indent=1))


def _ids(user: str) -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid
