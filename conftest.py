"""pytest at the repository root: nbval's run of every notebook is also its time and memory budget.

The plugin (tests/nbval_budget.py) is loaded here, at the root, because the
notebooks it measures live in lectures/ and solutions/, outside tests/. The
students' copy of the course (classroom/, the hub's image) has no tests/: there
pytest runs nbval without the budget.
"""

from pathlib import Path

pytest_plugins = ["tests.nbval_budget"] if (Path(__file__).parent / "tests" / "nbval_budget.py").is_file() else []
