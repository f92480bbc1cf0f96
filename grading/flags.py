"""Every flag a graded submission can carry: what it means and what it does to the grade.

A flag is a short code in the grades CSV, the ``make grade`` table and the
formgrader's "Flagged?" mark. It is one of three kinds:

``note``
    The submission was graded; something about it deserves a look (a renamed
    file, an edited test cell, a cell that hit its time limit).
``fatal``
    The student's file could not be read or run at all: the submission scores
    zero and its feedback page says why.
``grader``
    The *grader* failed, not the student (a kernel that could not start
    before any of the student's code ran, an internal error). Such a
    submission is never scored: ``make grade`` tries it once more, then keeps
    the previous grade, says so loudly and exits non-zero.

>>> Flag.MISSING.kind, Flag("kernel-error").kind
('fatal', 'grader')
>>> Flag.MISSING == "missing"
True
>>> [str(f) for f in grader_faults(["renamed", "grading-error"])]
['grading-error']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

NOTE, FATAL, GRADER = "note", "fatal", "grader"


class Flag(StrEnum):
    """A flag's code (the string itself), its :attr:`kind` and how it :attr:`reads` to an instructor."""

    kind: str
    reads: str

    def __new__(cls, code: str, kind: str, reads: str) -> Flag:
        member = str.__new__(cls, code)
        member._value_ = code
        member.kind = kind
        member.reads = reads
        return member

    # The file (grading.notebook): fatal ones score zero.
    MISSING = "missing", FATAL, "no notebook submitted, or several to choose from"
    TOO_LARGE = "too-large", FATAL, "the notebook file is larger than the limit"
    UNDECODABLE = "undecodable", FATAL, "the notebook is not UTF-8 text"
    INVALID_JSON = "invalid-json", FATAL, "the notebook file is not valid JSON"
    INVALID_NOTEBOOK = "invalid-notebook", FATAL, "the file is JSON but not a readable notebook"
    RENAMED = "renamed", NOTE, "the only notebook in the submission had another name"
    OLD_NBFORMAT = "old-nbformat", NOTE, "an nbformat 3 notebook, converted"
    # Rebuilding on the instructor's notebook (grading.notebook).
    KERNELSPEC = "kernelspec", NOTE, "the notebook's kernel was changed; the course kernel was used"
    INVALID_CELL = "invalid-cell", NOTE, "a cell that is not a notebook cell was ignored"
    UNKNOWN_GRADE_ID = "unknown-grade-id", NOTE, "a cell claims a grade id the assignment does not have"
    DUPLICATE_CELL = "duplicate-cell", NOTE, "an answer cell appears twice; the first was graded"
    EDITED_TEST_CELL = "edited-test-cell", NOTE, "a test cell was edited; the instructor's was graded"
    EDITED_LOCKED_CELL = "edited-locked-cell", NOTE, "a locked cell was edited; the instructor's was graded"
    METADATA_CHANGED = "metadata-changed", NOTE, "grading metadata was changed; the instructor's was used"
    RESTORED_CELL = "restored-cell", NOTE, "a deleted cell was restored (an answer as unanswered)"
    # Running it (grading.execute): limits cost only the cell that hit them.
    TIMEOUT = "timeout", NOTE, "a cell hit its time limit"
    NOTEBOOK_TIMEOUT = "notebook-timeout", NOTE, "the notebook hit its total time limit; later cells did not run"
    MEMORY_LIMIT = "memory-limit", NOTE, "a cell hit the memory limit"
    KERNEL_DIED = "kernel-died", NOTE, "the kernel died in a cell (os._exit or a crash)"
    KERNEL_RESTART_ERROR = (
        "kernel-restart-error",
        NOTE,
        ("after the student's code ended a kernel, the next one could not start"),
    )
    OUTPUT_TRUNCATED = "output-truncated", NOTE, "very long output was cut"
    # Judging the recorded checks (grading.verdicts).
    CHECKS_BYPASSED = "checks-bypassed", NOTE, "a test cell ran without error but its checks did not run"
    RECORDS_TAMPERED = "records-tampered", NOTE, "something other than the checks wrote check records"
    # Afterwards.
    NO_FEEDBACK = "no-feedback", NOTE, "the feedback page could not be rendered"
    # The grader's own failures: never scored.
    KERNEL_ERROR = "kernel-error", GRADER, "the first kernel could not start (before any of the student's code ran)"
    GRADING_ERROR = "grading-error", GRADER, "an internal error of the grader"


def fatal(flags: Iterable[str]) -> bool:
    """Whether ``flags`` say the submission could not be read or run at all (it scores zero)."""
    return any(Flag(f).kind == FATAL for f in flags)


def grader_faults(flags: Iterable[str]) -> list[Flag]:
    """The flags among ``flags`` that say the grader failed (the submission must not be scored)."""
    return [Flag(f) for f in flags if Flag(f).kind == GRADER]


@dataclass(kw_only=True)
class Notes:
    """Flags, messages and phase times of one submission, gathered from reading it to its feedback.

    Reading and rebuilding (:class:`grading.notebook.Rebuilt`), executing
    (:class:`grading.execute.Execution`) and the worker's record of the
    submission (:class:`grading.worker.Outcome`) each note what they find;
    :meth:`absorb` carries one step's notes into the next.

    >>> a = Notes(); a.note(Flag.RENAMED, "renamed"); a.add_time("read", 0.5)
    >>> b = Notes(); b.absorb(a); b.absorb(a)
    >>> b.flags, b.messages, b.phases
    (['renamed'], ['renamed', 'renamed'], {'read': 1.0})
    """

    flags: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    #: Seconds per phase (see :data:`grading.pipeline.PHASES`) and kernel CPU seconds.
    phases: dict[str, float] = field(default_factory=dict)

    def note(self, flag: str, message: str | None = None) -> None:
        """Add ``flag`` (once) and ``message`` (if any)."""
        code = str(Flag(flag))  # an unknown flag is a bug of the grader, not a note
        if code not in self.flags:
            self.flags.append(code)
        if message:
            self.messages.append(message)

    def add_time(self, phase: str, seconds: float) -> None:
        self.phases[phase] = self.phases.get(phase, 0.0) + seconds

    def absorb(self, other: Notes) -> None:
        """Take ``other``'s flags (once each), messages and phase times."""
        for flag in other.flags:
            self.note(flag)
        self.messages += other.messages
        for phase, seconds in other.phases.items():
            self.add_time(phase, seconds)
