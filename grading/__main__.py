"""Command line of the grading pipeline: ``python -m grading grade|collect|feedback-zip|grades-lms ...``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from grading.limits import Limits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="course root (default: current folder)")
    sub = parser.add_subparsers(dest="command", required=True)

    grade = sub.add_parser("grade", help="grade every submission of an assignment")
    grade.add_argument("assignment")
    grade.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS") or 0) or os.cpu_count())
    grade.add_argument(
        "--student",
        action="append",
        help='grade only this student (repeatable; make grade STUDENT="a b"); '
        "the grades CSV keeps the other students' rows",
    )
    defaults = Limits()
    grade.add_argument(
        "--cell-timeout", type=float, default=defaults.cell_timeout, help="seconds per cell (default %(default)g)"
    )
    grade.add_argument(
        "--notebook-timeout",
        type=float,
        default=defaults.notebook_timeout,
        help="seconds per notebook (default %(default)g)",
    )
    grade.add_argument(
        "--output-limit",
        type=int,
        default=defaults.output_bytes_per_cell,
        help="bytes of output kept per cell (default %(default)d)",
    )
    grade.add_argument(
        "--startup-timeout",
        type=float,
        default=defaults.startup_timeout,
        help="seconds a kernel may take to start (default %(default)g)",
    )
    grade.add_argument("--profile", action="store_true", help="print the seconds per submission in each phase")
    grade.add_argument(
        "--no-pool",
        dest="pool",
        action="store_false",
        help="start each kernel when its submission comes, without preloading (slower; for comparison)",
    )

    collect = sub.add_parser("collect", help="import an LMS download archive into submitted/")
    collect.add_argument("assignment")
    collect.add_argument("zip", type=Path)
    collect.add_argument(
        "--pattern", action="append", help="extra regular expression with student_id and file_id groups"
    )
    collect.add_argument(
        "--worksheet",
        type=Path,
        help="Moodle's grading worksheet of the assignment: e-mail, submission times, lateness",
    )

    fzip = sub.add_parser("feedback-zip", help="the feedback pages in one zip named for the LMS's bulk upload")
    fzip.add_argument("assignment")
    fzip.add_argument("--lms", choices=["canvas", "moodle"], help="default: the LMS make collect read")

    lms = sub.add_parser("grades-lms", help="the grades as a file the LMS imports (Canvas gradebook, Moodle worksheet)")
    lms.add_argument("assignment")
    lms.add_argument("--lms", choices=["canvas", "moodle"], help="default: the LMS make collect read")
    lms.add_argument(
        "--template",
        type=Path,
        help="the LMS's own export to fill in (Canvas gradebook export, Moodle grading worksheet)",
    )
    lms.add_argument("--column", help="Canvas: the assignment column's header (default: the assignment name)")

    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.command == "grade":
        from grading.pipeline import grade_assignment

        limits = Limits(
            cell_timeout=args.cell_timeout,
            notebook_timeout=args.notebook_timeout,
            output_bytes_per_cell=args.output_limit,
            startup_timeout=args.startup_timeout,
        )
        summary = grade_assignment(
            root, args.assignment, args.workers, limits, args.student, use_pool=args.pool, profile=args.profile
        )
        # Not graded because the grader failed: a non-zero status, so no script carries on as if all were well.
        return 1 if summary.ungraded or not summary.graded + summary.failed else 0
    if args.command == "feedback-zip":
        from grading.lms import feedback_zip

        written = feedback_zip(root, args.assignment, args.lms)
        print(written.text())
        return 0
    if args.command == "grades-lms":
        from grading.lms import grades_file

        written = grades_file(root, args.assignment, args.lms, template=args.template, column=args.column)
        print(written.text())
        return 0
    from grading.collect import collect_zip

    report = collect_zip(root, args.assignment, args.zip, extra_patterns=args.pattern or [], worksheet=args.worksheet)
    print(report.text())
    return 0 if report.collected else 1


if __name__ == "__main__":
    sys.exit(main())
