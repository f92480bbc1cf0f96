"""pytest at the repository root: nbval's run of every notebook is also its time and memory budget.

The plugin (tests/nbval_budget.py) is loaded here, at the root, because the
notebooks it measures live in lectures/ and solutions/, outside tests/.
"""

pytest_plugins = ["tests.nbval_budget"]
