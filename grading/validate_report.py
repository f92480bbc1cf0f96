"""Validate's report in JupyterLab with the failing check in view: a Jupyter server extension.

nbgrader's Validate button shows, for each failed test cell, the cell's whole source and then
the error. A test cell of the course holds a dozen checks, so the check that failed and its
hint sat below the fold of the dialog. This extension keeps the first line of each failed
cell's source (its docstring names the part and its points) and says how many lines follow,
so the message and the hint come right after it. What is judged is unchanged: only the text
of the report is shortened. ``nbgrader validate`` in a terminal prints the whole cell as before.

Enabled wherever students work: ``jupyter-config/jupyter_server_config.d/`` (``make lab``,
Binder and the Kubernetes chart's pods, which start through ``binder/start``) and the classroom's
students' configuration (``classroom/deploy.py``).
"""

from __future__ import annotations

from typing import Any

#: Lines of a failed cell's source the report keeps.
KEPT_LINES = 1


def shorten(source: str, kept: int = KEPT_LINES) -> str:
    """The first ``kept`` lines of a failed cell's source, and how many more the notebook holds.

    Examples
    --------
    >>> shorten('\"\"\"ridge: the closed form (3 points).\"\"\"\\ncheck_close("w", w, w_ref)\\ncheck_equal("n", n, 3)')
    '\"\"\"ridge: the closed form (3 points).\"\"\"\\n... (2 more lines of this test cell in the notebook)'
    >>> shorten("check_close('w', w, w_ref)")
    "check_close('w', w, w_ref)"
    """
    lines = source.splitlines()
    if len(lines) <= kept + 1:
        return source
    more = len(lines) - kept
    return "\n".join(lines[:kept]) + f"\n... ({more} more lines of this test cell in the notebook)"


def shorten_report(results: dict[str, Any]) -> dict[str, Any]:
    """``results`` of :meth:`nbgrader.validator.Validator.validate` with each failed cell's source shortened.

    Examples
    --------
    >>> shorten_report({"failed": [{"source": "a\\nb\\nc", "error": "E"}]})
    {'failed': [{'source': 'a\\n... (2 more lines of this test cell in the notebook)', 'error': 'E'}]}
    >>> shorten_report({})
    {}
    """
    for cell in results.get("failed", []):
        cell["source"] = shorten(cell.get("source", ""))
    return results


def _course_validator() -> type:
    from nbgrader.validator import Validator

    class CourseValidator(Validator):
        """nbgrader's validator whose report keeps the failing check in view (see the module docstring)."""

        def validate(self, filename: str) -> dict[str, Any]:
            return shorten_report(super().validate(filename))

    return CourseValidator


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "grading.validate_report"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Make the Validate button's handler use :func:`_course_validator`'s class."""
    from nbgrader.server_extensions.validate_assignment import handlers

    handlers.Validator = _course_validator()
    serverapp.log.info("grading.validate_report: Validate's report shows the failing check first")
