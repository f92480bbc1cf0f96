"""Chemical formulas as features (lecture 07, materials).

A crystal's composition is known before anything else about it, so the first
descriptors of materials informatics are statistics of element properties
weighted by composition (the "Magpie" features of Ward et al., *npj Comput.
Mater.* 2, 16028 (2016), DOI 10.1038/npjcompumats.2016.28):

* :func:`parse_formula`: a formula such as ``"Ca(OH)2"`` or ``"Li0.5CoO2"``
  to ``{element: amount}``, with parentheses, brackets and fractional amounts;
* :func:`element_fractions`: the same normalised to atomic fractions;
* :func:`composition_key`: one label per composition, so that polymorphs
  (and Fe2O3 written as Fe4O6) fall in the same group of a grouped split;
* :func:`composition_features`: for each element property, the
  fraction-weighted mean, the mean absolute deviation from it, the minimum,
  the maximum and the range, plus the number of elements;
* :func:`composition_dataset`: features, targets and group labels in one
  step, refusing missing targets.

Element properties come from the course's element table,
:func:`utils.data.load_elements` (hydrogen to radon). Every function raises a
:class:`ValueError` that names the offending formula.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_PROPERTIES",
    "ELEMENT_SYMBOLS",
    "STATISTICS",
    "composition_dataset",
    "composition_features",
    "composition_key",
    "element_fractions",
    "parse_formula",
]

#: The symbols of the 118 elements, in order of atomic number.
ELEMENT_SYMBOLS: tuple[str, ...] = tuple(
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr "
    "Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm "
    "Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No "
    "Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og".split()
)
_KNOWN = frozenset(ELEMENT_SYMBOLS)

#: Element properties used by default: columns of :func:`utils.data.load_elements`.
DEFAULT_PROPERTIES: tuple[str, ...] = (
    "Z",
    "atomic_mass",
    "pauling_electronegativity",
    "covalent_radius",
    "first_ionisation_energy",
    "period",
    "group",
)

#: The statistics computed for each property, in column order.
STATISTICS: tuple[str, ...] = ("mean", "avg_dev", "min", "max", "range")

_TOKEN = re.compile(r"([A-Z][a-z]?)|([(\[])|([)\]])|(\d+(?:\.\d+)?|\.\d+)")
_CLOSING = {"(": ")", "[": "]"}


def parse_formula(formula: str) -> dict[str, float]:
    """Amount of each element in a chemical formula.

    Parameters
    ----------
    formula
        Element symbols with optional amounts (integers or decimals), groups in
        parentheses or brackets with a multiplier, nested to any depth; no
        spaces, charges or hydrate dots.

    Returns
    -------
    dict
        ``{symbol: amount}`` in order of first appearance; repeated elements
        are added up.

    Raises
    ------
    ValueError
        If the formula is empty, holds a character or symbol that is not an
        element, has unbalanced brackets, or gives an element a zero amount.

    Examples
    --------
    >>> parse_formula("NaCl")
    {'Na': 1.0, 'Cl': 1.0}
    >>> parse_formula("Fe2O3")
    {'Fe': 2.0, 'O': 3.0}
    >>> parse_formula("Ca(OH)2")
    {'Ca': 1.0, 'O': 2.0, 'H': 2.0}
    >>> parse_formula("Li0.5CoO2")
    {'Li': 0.5, 'Co': 1.0, 'O': 2.0}
    >>> parse_formula("Xx2O")
    Traceback (most recent call last):
    ...
    ValueError: formula 'Xx2O': 'Xx' is not an element symbol
    """
    if not isinstance(formula, str) or not formula.strip():
        raise ValueError(f"formula {formula!r}: empty composition")
    stack: list[tuple[str, dict[str, float]]] = [("", {})]
    pos = 0
    while pos < len(formula):
        match = _TOKEN.match(formula, pos)
        if match is None:
            raise ValueError(f"formula {formula!r}: unexpected character {formula[pos]!r} at position {pos}")
        symbol, opening, closing, _ = match.groups()
        pos = match.end()
        amount_match = _TOKEN.match(formula, pos)
        amount = 1.0
        if (symbol or closing) and amount_match is not None and amount_match.group(4) is not None:
            amount = float(amount_match.group(4))
            pos = amount_match.end()
            if amount == 0:
                raise ValueError(f"formula {formula!r}: an amount of zero")
        if symbol:
            if symbol not in _KNOWN:
                raise ValueError(f"formula {formula!r}: {symbol!r} is not an element symbol")
            counts = stack[-1][1]
            counts[symbol] = counts.get(symbol, 0.0) + amount
        elif opening:
            stack.append((opening, {}))
        elif closing:
            bracket, inner = stack.pop() if len(stack) > 1 else ("", {})
            if _CLOSING.get(bracket) != closing:
                raise ValueError(f"formula {formula!r}: unbalanced {closing!r}")
            if not inner:
                raise ValueError(f"formula {formula!r}: empty brackets")
            counts = stack[-1][1]
            for element, n in inner.items():
                counts[element] = counts.get(element, 0.0) + n * amount
        else:  # a number with nothing before it
            raise ValueError(f"formula {formula!r}: a number must follow an element or a bracket")
    if len(stack) > 1:
        raise ValueError(f"formula {formula!r}: unclosed {stack[-1][0]!r}")
    counts = stack[0][1]
    if not counts:
        raise ValueError(f"formula {formula!r}: empty composition")
    return counts


def element_fractions(formula: str) -> dict[str, float]:
    """Atomic fraction of each element: amounts from :func:`parse_formula`, normalised to sum 1.

    Examples
    --------
    >>> element_fractions("Fe2O3")
    {'Fe': 0.4, 'O': 0.6}
    """
    counts = parse_formula(formula)
    total = math.fsum(counts.values())
    return {element: n / total for element, n in counts.items()}


def composition_key(formula: str, decimals: int = 6) -> str:
    """A label shared by every formula of the same composition.

    Elements in alphabetical order with their atomic fractions, rounded.

    Examples
    --------
    >>> composition_key("Fe2O3") == composition_key("Fe4O6") == composition_key("O3Fe2")
    True
    >>> composition_key("Fe2O3")
    'Fe0.4 O0.6'
    """
    fractions = element_fractions(formula)
    return " ".join(f"{e}{round(fractions[e], decimals):g}" for e in sorted(fractions))


def composition_features(
    formulas: Iterable[str],
    elements: pd.DataFrame | None = None,
    properties: Sequence[str] = DEFAULT_PROPERTIES,
) -> pd.DataFrame:
    r"""Element-property statistics weighted by composition, one row per formula.

    For a compound with atomic fractions :math:`x_i` of elements with property
    values :math:`p_i`, the features of that property are the weighted mean
    :math:`\bar p = \sum_i x_i p_i`, the average deviation
    :math:`\sum_i x_i |p_i - \bar p|`, the minimum, the maximum and the range
    (max − min) over the elements present, as in Ward et al. (2016). A last
    column counts the elements.

    Parameters
    ----------
    formulas
        Chemical formulas (see :func:`parse_formula`).
    elements
        Element table indexed by atomic number with a ``symbol`` column and
        one column per property; :func:`utils.data.load_elements` by default.
    properties
        Columns of ``elements`` to use (``"Z"`` means the atomic number).

    Returns
    -------
    pandas.DataFrame
        Columns ``{property}_{statistic}`` for each property and each of
        :data:`STATISTICS`, then ``n_elements``. A property the table lacks
        for an element present (e.g. the electronegativity of argon) gives NaN
        in that property's columns only.

    Raises
    ------
    ValueError
        If a formula does not parse, an element is not in the table, or a
        property is not a column of the table; the message names the formula.

    Examples
    --------
    >>> f = composition_features(["NaCl", "Fe2O3"], properties=["Z"])
    >>> f.round(2).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'Z_mean': 14.0, 'Z_avg_dev': 3.0, 'Z_min': 11.0, 'Z_max': 17.0, 'Z_range': 6.0, 'n_elements': 2.0},
     {'Z_mean': 15.2, 'Z_avg_dev': 8.64, 'Z_min': 8.0, 'Z_max': 26.0, 'Z_range': 18.0, 'n_elements': 2.0}]
    """
    if elements is None:
        from utils.data import load_elements

        elements = load_elements()
    table = elements.assign(Z=elements.index.to_numpy()).set_index("symbol")
    missing_columns = [p for p in properties if p not in table.columns]
    if missing_columns:
        raise ValueError(f"unknown element properties {missing_columns}; known: {sorted(table.columns)}")
    values = table[list(properties)].to_numpy(dtype=float)
    row_of = {symbol: k for k, symbol in enumerate(table.index)}
    columns = [f"{p}_{s}" for p in properties for s in STATISTICS] + ["n_elements"]
    rows = []
    for formula in formulas:
        fractions = element_fractions(formula)
        absent = [e for e in fractions if e not in row_of]
        if absent:
            raise ValueError(f"formula {formula!r}: no properties for {absent} in the element table")
        x = np.array(list(fractions.values()))
        p = values[[row_of[e] for e in fractions]]  # (n_elements, n_properties)
        mean = x @ p
        stats = np.stack([mean, x @ np.abs(p - mean), p.min(axis=0), p.max(axis=0), np.ptp(p, axis=0)], axis=1)
        rows.append(np.append(stats.ravel(), len(fractions)))
    return pd.DataFrame(np.array(rows, dtype=float).reshape(-1, len(columns)), columns=columns)


def composition_dataset(
    formulas: Sequence[str],
    targets: Sequence[float] | np.ndarray,
    elements: pd.DataFrame | None = None,
    properties: Sequence[str] = DEFAULT_PROPERTIES,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Features, targets and group labels of compounds, ready for a grouped cross-validation.

    Parameters
    ----------
    formulas
        Chemical formulas (see :func:`parse_formula`).
    targets
        One finite number per formula.
    elements, properties
        As for :func:`composition_features`.

    Returns
    -------
    X : pandas.DataFrame
        :func:`composition_features` of the formulas.
    y : numpy.ndarray
        The targets as floats.
    groups : numpy.ndarray
        :func:`composition_key` of each formula, for ``GroupKFold`` and friends.

    Raises
    ------
    ValueError
        If the lengths differ, a target is NaN or infinite, or a formula is
        malformed; the message names the formula.

    Examples
    --------
    >>> X, y, groups = composition_dataset(["NaCl", "Fe2O3", "Fe4O6"], [1.0, 2.0, 2.5], properties=["Z"])
    >>> X.shape, y.tolist(), groups.tolist()
    ((3, 6), [1.0, 2.0, 2.5], ['Cl0.5 Na0.5', 'Fe0.4 O0.6', 'Fe0.4 O0.6'])
    >>> composition_dataset(["NaCl", "KBr"], [1.0, float("nan")])
    Traceback (most recent call last):
    ...
    ValueError: formula 'KBr': the target is nan
    """
    formulas = list(formulas)
    y = np.asarray(targets, dtype=float).ravel()
    if len(y) != len(formulas):
        raise ValueError(f"{len(formulas)} formulas but {len(y)} targets")
    for formula, value in zip(formulas, y, strict=True):
        if not np.isfinite(value):
            raise ValueError(f"formula {formula!r}: the target is {value}")
    X = composition_features(formulas, elements=elements, properties=properties)
    groups = np.array([composition_key(f) for f in formulas])
    return X, y, groups
