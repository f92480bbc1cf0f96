#!/usr/bin/env python
"""Benchmark: the course's grading pipeline against stock ``nbgrader autograde`` on the real exercises.

For each exercise (default: every one in ``solutions/``) it builds two
identical scratch courses holding N submissions made as a student makes them
(the released notebook with answers typed in): the instructor's answers, the
correct alternatives of ``tests/alternatives/`` and the wrong answers of
``tests/mutants/``, in turn. It grades one course with stock ``nbgrader
autograde`` followed by ``nbgrader generate_feedback`` and the other with
``grading.pipeline`` (WORKERS parallel workers, sandboxed kernels, feedback),
in the same run on the same machine, and prints the seconds per submission,
their ratio, the pipeline's seconds per phase, and the time a class of
``--class-size`` submissions would take.

Not a test: run it by hand, e.g.::

    .venv/bin/python benchmarks/grading.py                      # every exercise, a few submissions each
    .venv/bin/python benchmarks/grading.py --assignment ex03_permutation_importance --n 30
    .venv/bin/python benchmarks/grading.py --assignment ex03_permutation_importance --n 300 --no-stock
    .venv/bin/python benchmarks/grading.py --no-pool-too        # also the pipeline without its kernel pool
    .venv/bin/python benchmarks/grading.py --no-fork-too        # also with kernels started one by one
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.courses import copy_helpers, filled_in, graded_cases  # noqa: E402
from grading.gradebook import tool_env  # noqa: E402
from grading.limits import Limits  # noqa: E402
from grading.pipeline import CPU_PHASES, Summary, grade_assignment, print_profile  # noqa: E402

ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
#: Grading limits of the benchmark: the real exercises' cells need more than the toy's.
LIMITS = Limits(cell_timeout=120, notebook_timeout=400)


@dataclass
class Timing:
    """Wall seconds of one way of grading ``n`` submissions."""

    label: str
    seconds: float
    n: int
    summary: Summary | None = None

    @property
    def per_submission(self) -> float:
        return self.seconds / self.n


def answers(assignment: str) -> list[tuple[str, dict[str, str]]]:
    """(kind, answers replacing the instructor's) for every prepared submission of ``assignment``."""
    cases: list[tuple[str, dict[str, str]]] = [("correct", {})]
    for kind, label in (("alternatives", "correct"), ("mutants", "wrong")):
        cases += [(label, replace) for replace in graded_cases(assignment, kind).values()]
    return cases


def submissions(assignment: str, n: int) -> list[tuple[str, nbformat.NotebookNode]]:
    """``n`` submissions, correct and wrong interleaved (the cases in turn: a class is mostly right)."""
    cases = answers(assignment)
    correct = [c for c in cases if c[0] == "correct"]
    wrong = [c for c in cases if c[0] == "wrong"]
    out = []
    for i in range(n):
        # Two in three submissions correct, one wrong, as in a real class.
        pool = wrong if (i % 3 == 2 and wrong) else correct
        kind, replace = pool[(i // 3) % len(pool)]
        out.append((kind, filled_in(assignment, replace)))
    return out


def make_course(path: Path, assignment: str, subs: list[tuple[str, nbformat.NotebookNode]]) -> Path:
    """A scratch course with the repository's configuration, helpers, data and one assignment."""
    path.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", path / "nbgrader_config.py")
    shutil.copytree(ROOT / "solutions" / assignment, path / "solutions" / assignment)
    copy_helpers(path)
    for i, (_kind, nb) in enumerate(subs):
        folder = path / "submitted" / f"s{i:03d}" / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{assignment}.ipynb")
    return path


def stock_env() -> dict[str, str]:
    """The pipeline's tool environment with one BLAS thread, as the sandboxed kernels have."""
    return {**tool_env(), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def nbgrader(course: Path, *args: str) -> None:
    """Stock ``nbgrader <args> --force --quiet`` in ``course``."""
    subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--force", "--quiet"],
        cwd=course,
        env=stock_env(),
        check=True,
        capture_output=True,
    )


def grade_stock(course: Path, assignment: str, n: int) -> tuple[Timing, Timing]:
    """Stock nbgrader: autograde alone, and autograde plus feedback."""
    nbgrader(course, "generate_assignment", assignment, f"--CourseDirectory.release_directory={course}/release")
    start = time.monotonic()
    nbgrader(course, "autograde", assignment)
    autograde = time.monotonic() - start
    start = time.monotonic()
    nbgrader(course, "generate_feedback", assignment)
    total = autograde + time.monotonic() - start
    return Timing("stock nbgrader autograde", autograde, n), Timing("stock autograde + feedback", total, n)


def grade_pipeline(course: Path, assignment: str, n: int, workers: int, use_pool: bool, fork: bool = True) -> Timing:
    """The course's pipeline (grade, save, feedback), with or without its kernel pool and forked kernels."""
    start = time.monotonic()
    before = os.environ.get("MLCHEM_FORK_KERNELS")
    os.environ["MLCHEM_FORK_KERNELS"] = "1" if fork else "0"  # read by the workers (grading.pool)
    try:
        summary = grade_assignment(
            course, assignment, workers=workers, limits=LIMITS, out=io.StringIO(), use_pool=use_pool
        )
    finally:
        os.environ.pop("MLCHEM_FORK_KERNELS")
        if before is not None:
            os.environ["MLCHEM_FORK_KERNELS"] = before
    if not use_pool:
        label = "this pipeline, no kernel pool"
    else:
        label = "this pipeline (grade + feedback)" if fork else "this pipeline, kernels not forked"
    return Timing(label, time.monotonic() - start, n, summary)


def report(assignment: str, timings: list[Timing], workers: int, class_size: int, scores: str) -> None:
    """Print one exercise's table, the pipeline's phases and the projected class time."""
    n = timings[0].n
    print(f"\n{assignment}: {n} submissions ({scores}), {workers} worker(s), {os.cpu_count()} core(s)")
    print(f"  {'':36} {'per submission':>15} {'total':>9}")
    for t in timings:
        print(f"  {t.label:36} {t.per_submission:13.2f} s {t.seconds:8.1f} s")
    ours = next(t for t in timings if t.label == "this pipeline (grade + feedback)")
    stock = [t for t in timings if t.label == "stock autograde + feedback"]
    if stock:
        print(f"  ratio (stock autograde + feedback) / pipeline: {stock[0].seconds / ours.seconds:.2f}x")
    unforked = [t for t in timings if t.label == "this pipeline, kernels not forked"]
    if unforked:
        print(f"  ratio (kernels not forked) / pipeline: {unforked[0].seconds / ours.seconds:.2f}x")
    for t in timings:
        if t.summary is not None:
            print(f"  '{t.label}':")
            print_profile(t.summary)
    projected = ours.per_submission * class_size
    print(
        f"  a class of {class_size}: {projected / 60:.1f} min with this pipeline "
        f"({'measured' if n == class_size else f'{n} submissions scaled up, fixed costs included'})"
    )
    if n != class_size and ours.summary is not None:
        print(f"  a class of {class_size}, steady state: {steady(ours.summary, n, workers, class_size) / 60:.1f} min")


def steady(summary: Summary, n: int, workers: int, class_size: int) -> float:
    """Seconds for ``class_size`` submissions: the reference run once, then the workers' busy time per submission.

    The main process saves while the workers run; its time is not added.
    """
    busy = sum(v for k, v in summary.phases.items() if k not in ("save", "reference", *CPU_PHASES)) / n
    return summary.phases.get("reference", 0.0) + class_size * busy / workers


def bench(assignment: str, args: argparse.Namespace, tmp: Path) -> None:
    subs = submissions(assignment, args.n)
    timings: list[Timing] = []
    if not args.no_stock:
        timings += grade_stock(make_course(tmp / assignment / "stock", assignment, subs), assignment, args.n)
    if args.no_pool_too:
        course = make_course(tmp / assignment / "no-pool", assignment, subs)
        timings.append(grade_pipeline(course, assignment, args.n, args.workers, use_pool=False))
    if args.no_fork_too:
        course = make_course(tmp / assignment / "no-fork", assignment, subs)
        timings.append(grade_pipeline(course, assignment, args.n, args.workers, use_pool=True, fork=False))
    course = make_course(tmp / assignment / "ours", assignment, subs)
    ours = grade_pipeline(course, assignment, args.n, args.workers, use_pool=True)
    timings.append(ours)
    assert ours.summary is not None
    correct = sum(kind == "correct" for kind, _ in subs)
    scores = f"{correct} correct; scores {sorted({r['score'] for r in ours.summary.rows})}"
    report(assignment, timings, args.workers, args.class_size, scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--assignment", action="append", choices=ASSIGNMENTS, help="exercise to grade (repeatable; default: all)"
    )
    parser.add_argument("--n", type=int, default=6, help="submissions per exercise (default 6)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--class-size", type=int, default=300, help="class size to project the time for (default 300)")
    parser.add_argument("--no-stock", action="store_true", help="skip stock nbgrader (e.g. for --n 300)")
    parser.add_argument("--no-pool-too", action="store_true", help="also time the pipeline without its kernel pool")
    parser.add_argument(
        "--no-fork-too", action="store_true", help="also time the pipeline with kernels started one by one, not forked"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlchem-bench-") as tmp:
        for assignment in args.assignment or ASSIGNMENTS:
            bench(assignment, args, Path(tmp))


if __name__ == "__main__":
    main()
