"""Tests of utils.descriptors: the RDKit descriptor table."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import Crippen, Descriptors

from utils.descriptors import DEFAULT_EXCLUDED, descriptor_names, rdkit_descriptors


def test_values_match_rdkit() -> None:
    smiles = ["CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O"]
    table = rdkit_descriptors(smiles, names=["MolWt", "MolLogP", "TPSA"])
    for i, smi in enumerate(smiles):
        mol = Chem.MolFromSmiles(smi)
        np.testing.assert_allclose(
            table.iloc[i].to_numpy(), [Descriptors.MolWt(mol), Crippen.MolLogP(mol), Descriptors.TPSA(mol)]
        )


def test_default_set_and_order() -> None:
    names = descriptor_names()
    assert not set(DEFAULT_EXCLUDED) & set(names)
    assert len(names) > 150
    table = rdkit_descriptors(["C", "CCN"])
    assert table.columns.tolist() == names
    assert table.shape == (2, len(names))


def test_same_molecule_different_smiles() -> None:
    table = rdkit_descriptors(["OCC", "CCO", "C(O)C"])
    assert np.allclose(table.iloc[0], table.iloc[1], equal_nan=True)
    assert np.allclose(table.iloc[0], table.iloc[2], equal_nan=True)


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match=r"smiles\[1\] must be a SMILES that RDKit can parse, got 'C1CC'"):
        rdkit_descriptors(["CC", "C1CC"], names=["MolWt"])
    with pytest.raises(ValueError, match="unknown RDKit descriptor"):
        rdkit_descriptors(["CC"], names=["NotADescriptor"])
    with pytest.raises(ValueError, match="got one string"):
        rdkit_descriptors("CCO", names=["MolWt"])
