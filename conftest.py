"""pytest at the repository root: nbval's run of every notebook is also its time and memory budget.

The plugins (tests/nbval_budget.py, and tests/scheduling.py, which groups the
tests for pytest-xdist) are loaded here, at the root, because the notebooks
they handle live in lectures/ and solutions/, outside tests/. The students'
copy of the course (classroom/, the hub's image) has no tests/: there pytest
runs nbval without them.
"""

from pathlib import Path

HAS_TESTS = (Path(__file__).parent / "tests" / "nbval_budget.py").is_file()
pytest_plugins = ["tests.nbval_budget", "tests.scheduling"] if HAS_TESTS else []
