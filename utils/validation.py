"""Helpers for honest model validation (lecture 02).

:func:`murcko_scaffolds` gives each molecule its Bemis–Murcko scaffold, the
group label of a scaffold split (pass it to
:class:`sklearn.model_selection.GroupKFold` or ``GroupShuffleSplit``).
:func:`split_scheme_plot` draws the train/validation/test partition and the
folds of k-fold cross-validation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["murcko_scaffolds", "split_scheme_plot"]


def murcko_scaffolds(smiles: Sequence[str]) -> list[str]:
    """Bemis–Murcko scaffold (canonical SMILES) of each molecule.

    The scaffold keeps the ring systems and the chains that link them, and
    drops every side chain (Bemis & Murcko, *J. Med. Chem.* 39, 2887, 1996).
    Acyclic molecules have the empty scaffold ``""``.

    Parameters
    ----------
    smiles
        The molecules, as SMILES strings.

    Returns
    -------
    list of str
        One scaffold SMILES per molecule, in input order.

    Raises
    ------
    ValueError
        If ``smiles`` is a single string or holds a SMILES RDKit cannot parse
        (the message quotes it and gives its position).

    Examples
    --------
    >>> murcko_scaffolds(["Cc1ccccc1O", "CCO", "OC(=O)C1CCCCC1"])
    ['c1ccccc1', '', 'C1CCCCC1']
    """
    from rdkit import Chem, RDLogger
    from rdkit.Chem.Scaffolds import MurckoScaffold

    if isinstance(smiles, str):
        raise ValueError("smiles must be a sequence of SMILES strings, not one string")
    scaffolds = []
    RDLogger.DisableLog("rdApp.*")
    try:
        for i, smi in enumerate(smiles):
            mol = Chem.MolFromSmiles(smi) if isinstance(smi, str) else None
            if mol is None:
                raise ValueError(f"invalid SMILES {smi!r} at position {i}")
            scaffolds.append(MurckoScaffold.MurckoScaffoldSmiles(mol=mol))
    finally:
        RDLogger.EnableLog("rdApp.*")
    return scaffolds


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

    from utils.plotting import COLORS, _axes

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
            box(j * fold, y, fold, COLORS["orange"] if is_val else COLORS["sky"],
                "validation" if is_val else "train")
        box(train_width, y, test_fraction, "#dddddd", "not used")
        ax.text(-0.01, y + 0.4, f"round {k + 1}", ha="right", va="center", fontsize=9)
    ax.text(-0.01, top + 0.4, "all data", ha="right", va="center", fontsize=9)
    ax.set_xlim(-0.15, 1.0)
    ax.set_ylim(-0.1, top + 0.9)
    ax.set_axis_off()
    return ax
