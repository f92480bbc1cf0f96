"""Unit tests of the utils skeleton (the doctests run too, via --doctest-modules)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

import utils
from utils import paths, plotting


def test_import_has_no_side_effects(tmp_path: Path) -> None:
    """Importing utils from another folder neither prints, warns, writes nor touches matplotlib."""
    code = (
        "import sys, warnings, numpy, numpy.typing  # numpy adds its own filters\n"
        "filters = list(warnings.filters)\n"
        "import utils, utils.paths, utils.plotting\n"
        "assert warnings.filters == filters, 'warning filters changed'\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported (and maybe restyled)'\n"
        "print(utils.REPO_ROOT)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()) == paths.REPO_ROOT
    assert out.stderr == ""
    assert list(tmp_path.iterdir()) == []


def test_all_names_exist() -> None:
    assert sorted(utils.__all__) == utils.__all__
    for name in utils.__all__:
        assert hasattr(utils, name)


def test_repo_root_is_found_from_any_start(tmp_path: Path) -> None:
    assert paths.repo_root(paths.REPO_ROOT / "lectures") == paths.REPO_ROOT
    with pytest.raises(FileNotFoundError, match="could not find the course repository"):
        paths.repo_root(tmp_path)


def test_data_path_rejects_escapes_and_missing_files() -> None:
    with pytest.raises(ValueError, match="outside the data folder"):
        paths.data_path("../pyproject.toml")
    with pytest.raises(FileNotFoundError, match="no file 'missing.csv'"):
        paths.data_path("missing.csv")


def test_palette_is_distinct_hex() -> None:
    values = list(plotting.COLORS.values())
    assert len(set(values)) == len(values)
    assert all(len(v) == 7 and v.startswith("#") for v in values)


def test_course_style_is_scoped() -> None:
    before = plt.rcParams["axes.grid"]
    with plotting.course_style():
        assert plt.rcParams["axes.prop_cycle"].by_key()["color"][0] == plotting.COLORS["blue"]
    assert plt.rcParams["axes.grid"] == before


def test_parity_plot_draws_points_and_diagonal() -> None:
    fig, ax = plt.subplots()
    y = np.array([0.0, 1.0, 2.0, 4.0])
    returned = plotting.parity_plot(y, y + 0.5, ax=ax, unit="kcal/mol", quantity="energy")
    assert returned is ax
    offsets = ax.collections[0].get_offsets()
    np.testing.assert_allclose(offsets[:, 1] - offsets[:, 0], 0.5)
    assert "MAE = 0.5 kcal/mol" in ax.get_legend().get_texts()[0].get_text()
    assert ax.get_xlabel() == "reference energy / kcal/mol"
    plt.close(fig)


def test_parity_plot_uses_current_axes_without_ax() -> None:
    fig, ax = plt.subplots()
    assert plotting.parity_plot([1, 2], [1, 2]) is ax
    plt.close(fig)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "message"),
    [
        ([1, 2, 3], [1, 2], "same length"),
        ([[1, 2]], [[1, 2]], "one-dimensional"),
        ([], [], "empty"),
        ([1, np.nan], [1, 2], "NaN"),
    ],
)
def test_parity_plot_rejects_bad_input(y_true, y_pred, message) -> None:
    with pytest.raises(ValueError, match=message):
        plotting.parity_plot(y_true, y_pred)
    plt.close("all")


def test_learning_curve_plot_shows_mean_and_spread() -> None:
    fig, ax = plt.subplots()
    sizes = [10, 30, 100]
    train = np.array([[0.1, 0.3], [0.2, 0.2], [0.25, 0.35]])
    val = np.array([[1.0, 2.0], [0.8, 1.0], [0.5, 0.5]])
    plotting.learning_curve_plot(sizes, train, val, ax=ax, ylabel="MAE / eV")
    lines = ax.get_lines()
    np.testing.assert_allclose(lines[0].get_ydata(), [0.2, 0.2, 0.3])
    np.testing.assert_allclose(lines[1].get_ydata(), [1.5, 0.9, 0.5])
    assert len(ax.collections) == 2  # one band per curve
    # told apart without colour: different markers and line styles
    assert lines[0].get_marker() != lines[1].get_marker() and lines[0].get_linestyle() != lines[1].get_linestyle()
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "MAE / eV"
    with pytest.raises(ValueError, match="one row per training size"):
        plotting.learning_curve_plot(sizes, train[:2], val, ax=ax)
    plt.close(fig)


def test_split_scheme_has_one_validation_fold_per_round() -> None:
    fig, ax = plt.subplots()
    plotting.split_scheme_plot(n_folds=4, test_fraction=0.25, ax=ax)
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("validation") == 4
    assert texts.count("not used") == 4
    assert texts.count("test set") == 1
    plt.close(fig)


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"n_folds": 1}, "at least 2"), ({"test_fraction": 1.0}, "between 0 and 1")]
)
def test_split_scheme_rejects_bad_arguments(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        plotting.split_scheme_plot(**kwargs)
