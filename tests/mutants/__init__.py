"""Plausible wrong answers for each assignment, used by tests/test_exercises.py.

Each module ``<assignment>.py`` defines ``MUTANTS``: a mapping from a short
description to ``{answer grade_id: replacement source}``. The other answer
cells keep the instructor's solution, so each mutant isolates one mistake.
"""
