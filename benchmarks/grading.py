#!/usr/bin/env python
"""Benchmark: the course's grading pipeline against stock ``nbgrader autograde``.

Generates N submissions of the test course's toy assignment (two in three
correct, the rest wrong), grades them with ``grading.pipeline`` (WORKERS
parallel workers) and with stock ``nbgrader autograde`` in the same run on the
same machine, and prints per-submission and total wall times and their ratio.
Not a test: run it by hand, ``.venv/bin/python benchmarks/grading.py --n 100``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grading.execute import Limits  # noqa: E402
from grading.pipeline import grade_assignment, tool_env  # noqa: E402
from tests.grading.course import make_course, student_notebook, submit  # noqa: E402

GOOD = "def add(a, b):\n    return a + b\n"
WRONG = "def add(a, b):\n    return a - b\n"


def nbgrader(course: Path, command: str, *options: str, capture_output: bool = True) -> None:
    """Stock ``nbgrader <command> toy --force --quiet <options>`` in ``course``."""
    subprocess.run(
        [sys.executable, "-m", "nbgrader", command, "toy", "--force", "--quiet", *options],
        cwd=course,
        env=tool_env(),
        check=True,
        capture_output=capture_output,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="number of submissions (default 100)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        ours = make_course(Path(tmp) / "ours")
        stock = make_course(Path(tmp) / "stock")
        for i in range(args.n):
            nb = student_notebook(WRONG if i % 3 == 2 else GOOD)
            submit(ours, f"s{i:03d}", nb)
            submit(stock, f"s{i:03d}", nb)

        start = time.monotonic()
        summary = grade_assignment(ours, "toy", workers=args.workers, limits=Limits(), out=open(os.devnull, "w"))
        ours_total = time.monotonic() - start

        nbgrader(stock, "generate_assignment", f"--CourseDirectory.release_directory={tmp}/rel", capture_output=False)
        start = time.monotonic()
        nbgrader(stock, "autograde")
        stock_autograde = time.monotonic() - start
        start = time.monotonic()
        nbgrader(stock, "generate_feedback")
        stock_total = stock_autograde + time.monotonic() - start

    ok = sum(r["score"] == "3" for r in summary.rows)
    print(f"{args.n} submissions ({ok} correct), {args.workers} worker(s), {os.cpu_count()} core(s)")
    print(f"{'':34} {'per submission':>15} {'total':>9}")
    print(f"{'stock nbgrader autograde':34} {stock_autograde / args.n:13.2f} s {stock_autograde:8.1f} s")
    print(f"{'stock autograde + feedback':34} {stock_total / args.n:13.2f} s {stock_total:8.1f} s")
    print(f"{'this pipeline (grade + feedback)':34} {ours_total / args.n:13.2f} s {ours_total:8.1f} s")
    print(f"ratio (stock autograde + feedback) / pipeline: {stock_total / ours_total:.2f}x")


if __name__ == "__main__":
    main()
