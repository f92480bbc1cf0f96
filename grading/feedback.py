"""The course's feedback page, for ``make grade`` and the formgrader's *Generate Feedback* alike.

nbgrader's feedback converter renders it from the gradebook, with
:class:`GetGradesAndStatus` and the course's template
(``grading/templates/feedback.html.j2``), which says "not graded yet" where
nbgrader's stock page shows an ungraded answer as 0. ``nbgrader_config.py``
sets the same for the formgrader (:func:`configure`).
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
from nbgrader.preprocessors import GetGrades
from traitlets.config import Config

from grading.gradebook import course_config

#: The course's feedback page: nbgrader's, saying "not graded yet" for answers awaiting a grader.
FEEDBACK_TEMPLATE = Path(__file__).resolve().parent / "templates" / "feedback.html.j2"


class GetGradesAndStatus(GetGrades):
    """nbgrader's GetGrades, also telling the template which answers nobody has graded yet.

    nbgrader shows such an answer as "Score: 0.0 / 2.0"; the course's template
    (:data:`FEEDBACK_TEMPLATE`) says "not graded yet" where ``graded`` is false.
    """

    def _get_score(self, cell: nbformat.NotebookNode, resources: dict) -> None:
        super()._get_score(cell, resources)
        grade = self.gradebook.find_grade(
            cell.metadata["nbgrader"]["grade_id"], self.notebook_id, self.assignment_id, self.student_id
        )
        cell.metadata.nbgrader["graded"] = grade.auto_score is not None or grade.manual_score is not None


#: The formgrader's *Generate Feedback* and ``make grade`` render the page with these (import names,
#: so ``nbgrader_config.py`` can name them without importing this module).
PREPROCESSORS = ["grading.feedback.GetGradesAndStatus", "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]


def configure(config: Config) -> Config:
    """Set ``config`` up for the course's feedback pages (``nbgrader_config.py`` sets the same).

    Scoped to nbgrader's feedback converter (``GenerateFeedback.HTMLExporter``),
    so the formgrader's own pages keep their templates. The template is an
    absolute file: nbconvert adds its folder to the search path, and it extends
    nbgrader's feedback template (template name "feedback", which nbgrader's
    converter sets).
    """
    config.GenerateFeedback.preprocessors = list(PREPROCESSORS)
    config.GenerateFeedback.HTMLExporter.template_file = str(FEEDBACK_TEMPLATE)
    return config


def feedback_config(root: str) -> Config:
    """nbgrader's configuration of the course at ``root``, set up for the course's feedback pages."""
    return configure(course_config(root))


_API: dict[str, object] = {}  # course root -> NbGraderAPI, made once per worker


def feedback_one(root: str, assignment: str, student: str) -> str | None:
    """Worker: render nbgrader's feedback HTML for one student (reads the gradebook only)."""
    try:
        if root not in _API:
            from nbgrader.apps import NbGraderAPI

            _API[root] = NbGraderAPI(config=feedback_config(root))
        result = _API[root].generate_feedback(assignment, student, force=True)
        if not result.get("success"):
            return (result.get("error") or "unknown error").strip().splitlines()[-1]
    except Exception as err:
        return f"{type(err).__name__}: {err}"
    return None


def feedback_timed(root: str, assignment: str, student: str) -> tuple[str | None, float]:
    """Worker: :func:`feedback_one` and how long it took."""
    start = time.monotonic()
    return feedback_one(root, assignment, student), time.monotonic() - start
