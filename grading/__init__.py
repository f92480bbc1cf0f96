"""The course's grading pipeline, built on nbgrader.

``make collect``, ``make grade`` and the LMS exports (:mod:`grading.collect`,
:mod:`grading.lms`) run through :mod:`grading.__main__`. Grading keeps
nbgrader's gradebook, autograded notebooks and feedback formats, but:

* every submission is read defensively and rebuilt on the instructor's
  notebook (:mod:`grading.notebook`), so a broken or tampered file costs only
  its own student points, with a flag and a message;
* submissions execute in parallel worker processes with per-cell and
  per-notebook time limits and an output cap (:mod:`grading.execute`);
* kernels run in a sandbox holding only the course's ``utils/`` and ``data/``
  (:mod:`grading.sandbox`), with recording twins of the check helpers
  (:mod:`grading.recorder`), and the grading process judges what they
  recorded (:mod:`grading.verdict`);
* only the main process writes the SQLite gradebook (:mod:`grading.pipeline`),
  and one run at a time holds the course (:mod:`grading.lock`);
* feedback never shows hidden tests or their tracebacks.

The course root is always an argument: nothing here imports the course's
``utils`` package (only :mod:`grading.recorder` does, inside the sandbox).
"""

__all__: list[str] = []
