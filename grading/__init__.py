"""The course's grading pipeline, built on nbgrader.

``make collect`` and ``make grade`` call :mod:`grading.__main__`. Grading keeps
nbgrader's gradebook, autograded notebooks and feedback formats, but:

* every submission is read defensively and rebuilt on the instructor's
  notebook (:mod:`grading.notebook`), so a broken or tampered file costs only
  its own student points, with a flag and a message;
* submissions execute in parallel worker processes with per-cell and
  per-notebook time limits and an output cap (:mod:`grading.execute`);
* only the main process writes the SQLite gradebook (:mod:`grading.pipeline`);
* feedback never shows hidden tests or their tracebacks.
"""

__all__: list[str] = []
