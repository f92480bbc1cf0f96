"""Correct answers written differently from the reference solution, one module per exercise.

Each module's ``ALTERNATIVES`` maps a description to ``{answer cell grade id: source}``;
answer cells not named keep the instructor's answer. Every alternative is right by
the exercise's own text and must score exactly what the reference scores.
"""
