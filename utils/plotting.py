"""The course's one plotting style and its recurring figures.

Colours are the Okabe–Ito palette, distinguishable with the common forms of
colour blindness (Okabe & Ito, *Color Universal Design*, 2008). Nothing here
changes matplotlib's global state on import: use :func:`course_style` as a
context manager (or call ``plt.style.use(course_style_rc())``) to apply the style.
Every figure helper takes ``ax=None`` and returns the axes it drew on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from utils._inputs import as_1d

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = [
    "COLORS",
    "course_style",
    "course_style_rc",
    "importance_barh",
    "learning_curve_plot",
    "parity_plot",
    "split_scheme_plot",
]

#: Okabe–Ito colours, in the order plots use them.
COLORS: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}


def course_style_rc() -> dict[str, Any]:
    """Return the matplotlib rc settings of the course style.

    Returns
    -------
    dict
        rcParams: the colour-blind-safe colour cycle, readable font sizes, light grid.

    Examples
    --------
    >>> rc = course_style_rc()
    >>> rc["axes.prop_cycle"].by_key()["color"][0]
    '#0072B2'
    """
    from cycler import cycler

    return {
        "axes.prop_cycle": cycler(color=list(COLORS.values())),
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "font.size": 11,
        "axes.titlesize": 12,
        "axes.labelsize": 11,
        "legend.frameon": False,
        "figure.figsize": (5.0, 3.75),
        "figure.dpi": 100,
        "savefig.bbox": "tight",
        "image.cmap": "viridis",
    }


@contextlib.contextmanager
def course_style() -> Iterator[None]:
    """Apply the course style inside a ``with`` block only.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> with course_style():
    ...     plt.rcParams["axes.grid"]
    True
    """
    import matplotlib.pyplot as plt

    with plt.rc_context(course_style_rc()):
        yield


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.gca()


def parity_plot(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    ax: Axes | None = None,
    *,
    label: str | None = None,
    unit: str = "",
    quantity: str = "y",
    color: str = COLORS["blue"],
    show_mae: bool = True,
) -> Axes:
    """Scatter predictions against reference values, with the identity line.

    Parameters
    ----------
    y_true, y_pred
        Reference and predicted values, one-dimensional and of equal length.
    ax
        Axes to draw on; the current axes when ``None``.
    label
        Legend label of the points; the mean absolute error is appended when
        ``show_mae`` is true.
    unit
        Unit of the quantity, shown in the axis labels and the MAE.
    quantity
        Name of the quantity, for the axis labels.
    color
        Colour of the points.
    show_mae
        Whether to put the mean absolute error in the legend.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    ValueError
        If the inputs are not one-dimensional, differ in length, are empty or
        hold NaN or infinite values.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> ax = parity_plot([1.0, 2.0, 3.0], [1.1, 1.9, 3.2], ax=ax, unit="eV")
    >>> ax.get_legend().get_texts()[0].get_text()
    'MAE = 0.133 eV'
    >>> plt.close(fig)
    """
    yt = as_1d(y_true, "y_true")
    yp = as_1d(y_pred, "y_pred")
    if yt.shape != yp.shape:
        raise ValueError(f"y_true and y_pred must have the same length, got {yt.size} and {yp.size}")
    ax = _axes(ax)
    mae = float(np.mean(np.abs(yt - yp)))
    suffix = f" {unit}" if unit else ""
    text = f"MAE = {mae:.3g}{suffix}" if show_mae else None
    if label and text:
        text = f"{label} ({text})"
    elif label:
        text = label
    ax.scatter(yt, yp, s=12, alpha=0.6, color=color, edgecolors="none", label=text)
    lo = float(min(yt.min(), yp.min()))
    hi = float(max(yt.max(), yp.max()))
    pad = 0.05 * (hi - lo or 1.0)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color=COLORS["black"], lw=1, ls="--")
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_aspect("equal")
    unit_label = f" / {unit}" if unit else ""
    ax.set_xlabel(f"reference {quantity}{unit_label}")
    ax.set_ylabel(f"predicted {quantity}{unit_label}")
    if text:
        ax.legend(loc="upper left")
    return ax


def learning_curve_plot(
    train_sizes: ArrayLike,
    train_scores: ArrayLike,
    test_scores: ArrayLike,
    ax: Axes | None = None,
    *,
    ylabel: str = "error",
    log: bool = True,
    labels: Sequence[str] = ("training", "validation"),
) -> Axes:
    """Plot training and validation error against training-set size.

    Accepts the output of :func:`sklearn.model_selection.learning_curve`:
    scores of shape ``(n_sizes, n_folds)`` are drawn as mean ± standard deviation
    across folds; one-dimensional scores as plain lines. Pass errors (e.g. MAE),
    not scikit-learn's negated scores.

    Parameters
    ----------
    train_sizes
        Number of training points at each step, shape ``(n_sizes,)``.
    train_scores, test_scores
        Errors on the training and validation folds, shape ``(n_sizes,)`` or
        ``(n_sizes, n_folds)``.
    ax
        Axes to draw on; the current axes when ``None``.
    ylabel
        Label of the error axis.
    log
        Whether both axes are logarithmic (learning curves are usually straight
        lines on a log–log plot).
    labels
        Legend labels of the two curves.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    ValueError
        If the score arrays do not have one row per training size.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> ax = learning_curve_plot([10, 100], [[0.1, 0.2], [0.3, 0.3]], [[1.0, 1.2], [0.5, 0.6]], ax=ax)
    >>> [line.get_label() for line in ax.get_lines()]
    ['training', 'validation']
    >>> plt.close(fig)
    """
    sizes = as_1d(train_sizes, "train_sizes")
    ax = _axes(ax)
    # Marker and line style tell the curves apart without colour (greyscale prints, colour blindness).
    for scores, name, label, color, marker, linestyle in (
        (train_scores, "train_scores", labels[0], COLORS["blue"], "o", "-"),
        (test_scores, "test_scores", labels[1], COLORS["orange"], "s", "--"),
    ):
        arr = np.asarray(scores, dtype=float)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or arr.shape[0] != sizes.size:
            raise ValueError(f"{name} must have one row per training size ({sizes.size}), got shape {np.shape(scores)}")
        mean, std = arr.mean(axis=1), arr.std(axis=1)
        ax.plot(sizes, mean, marker=marker, ls=linestyle, color=color, label=label)
        if arr.shape[1] > 1:
            ax.fill_between(sizes, mean - std, mean + std, color=color, alpha=0.2, lw=0)
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel("training set size")
    ax.set_ylabel(ylabel)
    ax.legend()
    return ax


def importance_barh(
    frame: pd.DataFrame,
    ax: Axes | None = None,
    *,
    color: str | None = None,
    label: str | None = None,
    offset: float = 0.0,
    height: float = 0.8,
) -> Axes:
    """Horizontal bars of ``frame["mean"]`` with ``frame["std"]`` as error bars, largest on top.

    Parameters
    ----------
    frame
        Output of :func:`utils.interpretation.importance_frame` (or any frame
        with ``mean`` and ``std`` columns), one row per feature, in drawing order.
    ax
        Axes to draw on; the current axes when ``None``.
    color, label
        Bar colour and legend label.
    offset, height
        Vertical shift and height of the bars, to draw two sets side by side.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> fig, ax = plt.subplots()
    >>> frame = pd.DataFrame({"mean": [0.5, 0.1], "std": [0.05, 0.02]}, index=["b", "a"])
    >>> ax = importance_barh(frame, ax=ax)
    >>> len(ax.patches), [(t.get_text(), float(t.get_position()[1])) for t in ax.get_yticklabels()]  # first row on top
    (2, [('b', 1.0), ('a', 0.0)])
    >>> plt.close(fig)
    """
    ax = _axes(ax)
    positions = np.arange(len(frame))[::-1] + offset
    ax.barh(
        positions,
        frame["mean"],
        height=height,
        xerr=frame["std"],
        color=color,
        label=label,
        error_kw={"elinewidth": 1, "capsize": 2},
    )
    ax.set_yticks(np.arange(len(frame))[::-1], list(frame.index))
    ax.axvline(0, color="0.3", lw=0.8)
    return ax


def split_scheme_plot(
    n_folds: int = 5,
    test_fraction: float = 0.2,
    ax: Axes | None = None,
) -> Axes:
    """Draw a dataset split into training and test, and k-fold CV on the training part.

    The top bar is the whole dataset; each row below is one round of
    cross-validation, in which one fold of the training part is the validation
    set. The test part stays untouched in every row.

    Parameters
    ----------
    n_folds
        Number of cross-validation folds (at least 2).
    test_fraction
        Fraction of the data held out as the test set, between 0 and 1.
    ax
        Axes to draw on; the current axes when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    ValueError
        If ``n_folds`` is below 2 or ``test_fraction`` is not in (0, 1).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> ax = split_scheme_plot(n_folds=3, ax=ax)
    >>> len(ax.patches)  # the whole-data bar (2 parts) and 3 rows of (3 folds + test)
    14
    >>> plt.close(fig)
    """
    from matplotlib.patches import Rectangle

    if n_folds < 2:
        raise ValueError(f"n_folds must be at least 2, got {n_folds}")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    ax = _axes(ax)
    train_width = 1.0 - test_fraction
    fold = train_width / n_folds

    def box(x: float, y: float, w: float, color: str, text: str) -> None:
        ax.add_patch(Rectangle((x, y), w, 0.8, facecolor=color, edgecolor="white", lw=2))
        ax.text(x + w / 2, y + 0.4, text, ha="center", va="center", fontsize=9)

    top = n_folds + 0.5
    box(0.0, top, train_width, COLORS["sky"], "training set")
    box(train_width, top, test_fraction, COLORS["vermillion"], "test set")
    for k in range(n_folds):
        y = n_folds - 1 - k
        for j in range(n_folds):
            is_val = j == k
            box(j * fold, y, fold, COLORS["orange"] if is_val else COLORS["sky"], "validation" if is_val else "train")
        box(train_width, y, test_fraction, "#dddddd", "not used")
        ax.text(-0.01, y + 0.4, f"round {k + 1}", ha="right", va="center", fontsize=9)
    ax.text(-0.01, top + 0.4, "all data", ha="right", va="center", fontsize=9)
    ax.set_xlim(-0.15, 1.0)
    ax.set_ylim(-0.1, top + 0.9)
    ax.set_axis_off()
    return ax
