"""Tests of utils.splits (scaffold groups of a scaffold split)."""

from __future__ import annotations

import pytest

from utils.splits import murcko_scaffolds


def test_scaffolds_drop_side_chains_and_keep_linkers() -> None:
    scaffolds = murcko_scaffolds(["CCc1ccccc1", "Oc1ccccc1", "c1ccccc1Cc1ccncc1", "CCCC"])
    assert scaffolds[0] == scaffolds[1] == "c1ccccc1"
    assert scaffolds[2] == "c1ccc(Cc2ccncc2)cc1"
    assert scaffolds[3] == ""


def test_scaffolds_reject_bad_input() -> None:
    with pytest.raises(ValueError, match=r"smiles\[1\] must be a SMILES that RDKit can parse, got 'C1CC'"):
        murcko_scaffolds(["CCO", "C1CC"])
    with pytest.raises(ValueError, match="got one string"):
        murcko_scaffolds("CCO")
