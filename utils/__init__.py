"""Helper package of the course *Machine learning for chemistry and materials science*.

Importing it does nothing but define functions: no downloads, no seeding, no
warning filters, no change to matplotlib's global state. Import submodules
explicitly, e.g. ``from utils.plotting import parity_plot``.

Graded functions (the ones students write in ``exercises/``) are never here.
"""

from utils.paths import DATA_DIR, REPO_ROOT, data_path, repo_root
from utils.plotting import COLORS, course_style, learning_curve_plot, parity_plot

__all__ = [
    "COLORS",
    "DATA_DIR",
    "REPO_ROOT",
    "course_style",
    "data_path",
    "learning_curve_plot",
    "parity_plot",
    "repo_root",
]
