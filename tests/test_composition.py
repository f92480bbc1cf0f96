"""Tests of utils.composition: formulas parsed by hand, Magpie-style statistics checked by hand, bad input named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from utils.composition import (
    ELEMENT_SYMBOLS,
    STATISTICS,
    composition_dataset,
    composition_features,
    composition_key,
    element_fractions,
    parse_formula,
)
from utils.data import load_elements


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("NaCl", {"Na": 1, "Cl": 1}),
        ("Fe2O3", {"Fe": 2, "O": 3}),
        ("Ca(OH)2", {"Ca": 1, "O": 2, "H": 2}),
        ("Mg3(PO4)2", {"Mg": 3, "P": 2, "O": 8}),
        ("K4[Fe(CN)6]", {"K": 4, "Fe": 1, "C": 6, "N": 6}),
        ("Ca10(PO4)6(OH)2", {"Ca": 10, "P": 6, "O": 26, "H": 2}),
        ("Li0.5CoO2", {"Li": 0.5, "Co": 1, "O": 2}),
        ("(Ba0.5Sr0.5)TiO3", {"Ba": 0.5, "Sr": 0.5, "Ti": 1, "O": 3}),
        ("CH3COOH", {"C": 2, "H": 4, "O": 2}),
        ("U3O8", {"U": 3, "O": 8}),
    ],
)
def test_formulas_parse_as_by_hand(formula: str, expected: dict[str, float]) -> None:
    assert parse_formula(formula) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("", "empty composition"),
        ("   ", "empty composition"),
        ("Xx2O", "'Xx' is not an element symbol"),
        ("Ca(OH", "unclosed '\\('"),
        ("CaOH)2", "unbalanced '\\)'"),
        ("Ca(OH]2", "unbalanced '\\]'"),
        ("Ca()2", "empty brackets"),
        ("2NaCl", "a number must follow"),
        ("Na Cl", "unexpected character ' '"),
        ("nacl", "unexpected character 'n'"),
        ("Fe0O", "an amount of zero"),
    ],
)
def test_bad_formulas_are_named_in_the_error(formula: str, message: str) -> None:
    with pytest.raises(
        ValueError,
        match=f"formula {formula!r}".replace("(", "\\(").replace(")", "\\)").replace("[", "\\[").replace("]", "\\]")
        + ".*"
        + message,
    ):
        parse_formula(formula)


def test_fractions_and_keys() -> None:
    assert element_fractions("Ca(OH)2") == pytest.approx({"Ca": 0.2, "O": 0.4, "H": 0.4})
    assert composition_key("TiO2") == composition_key("Ti2O4") != composition_key("Ti2O3")


def test_magpie_statistics_by_hand_for_nacl_and_fe2o3() -> None:
    elements = load_elements()
    f = composition_features(["NaCl", "Fe2O3"], properties=["pauling_electronegativity", "atomic_mass"])
    assert list(f.columns) == [f"{p}_{s}" for p in ("pauling_electronegativity", "atomic_mass") for s in STATISTICS] + [
        "n_elements"
    ]
    chi = elements.set_index("symbol")["pauling_electronegativity"]
    mean = 0.4 * chi["Fe"] + 0.6 * chi["O"]
    assert f.loc[1, "pauling_electronegativity_mean"] == pytest.approx(mean)
    assert f.loc[1, "pauling_electronegativity_avg_dev"] == pytest.approx(
        0.4 * abs(chi["Fe"] - mean) + 0.6 * abs(chi["O"] - mean)
    )
    assert f.loc[0, "pauling_electronegativity_range"] == pytest.approx(chi["Cl"] - chi["Na"])
    assert f.loc[0, "atomic_mass_mean"] == pytest.approx(58.44 / 2, abs=0.01)  # NaCl: 58.44 g/mol over two atoms
    assert f["n_elements"].tolist() == [2.0, 2.0]


def test_missing_property_gives_nan_only_in_its_columns() -> None:
    f = composition_features(["ArH"], properties=["pauling_electronegativity", "Z"])
    assert f.filter(like="pauling").isna().all(axis=None)
    assert f["Z_mean"].item() == pytest.approx(9.5)


def test_features_refuse_what_they_cannot_describe() -> None:
    with pytest.raises(ValueError, match=r"formula 'UO2': no properties for \['U'\]"):
        composition_features(["NaCl", "UO2"])
    with pytest.raises(ValueError, match="unknown element properties"):
        composition_features(["NaCl"], properties=["melting_point"])
    with pytest.raises(ValueError, match="formula 'Q2'"):
        composition_features(["Q2"])


def test_dataset_refuses_missing_targets_and_groups_polymorphs() -> None:
    X, y, groups = composition_dataset(["TiO2", "TiO2", "Ti2O3"], [3.0, 3.2, 1.5], properties=["Z"])
    assert isinstance(X, pd.DataFrame) and X.shape == (3, 6)
    assert groups[0] == groups[1] != groups[2]
    with pytest.raises(ValueError, match="formula 'Ti2O3': the target is inf"):
        composition_dataset(["TiO2", "Ti2O3"], [1.0, np.inf])
    with pytest.raises(ValueError, match="2 formulas but 1 targets"):
        composition_dataset(["TiO2", "Ti2O3"], [1.0])


@settings(max_examples=60, deadline=None, database=None)
@given(
    st.lists(st.tuples(st.sampled_from(ELEMENT_SYMBOLS[:86]), st.integers(1, 12)), min_size=1, max_size=5),
    st.integers(1, 4),
)
def test_a_written_formula_parses_back_and_scaling_keeps_the_key(parts: list[tuple[str, int]], k: int) -> None:
    formula = "".join(f"{e}{n}" for e, n in parts)
    expected: dict[str, float] = {}
    for e, n in parts:
        expected[e] = expected.get(e, 0) + n
    assert parse_formula(formula) == pytest.approx(expected)
    scaled = "".join(f"{e}{n * k}" for e, n in parts)
    assert composition_key(scaled) == composition_key(formula)
