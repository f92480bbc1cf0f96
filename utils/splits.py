"""Scaffold splits: the group labels that keep related molecules on one side of a split (lecture 02).

:func:`murcko_scaffolds` gives each molecule its Bemis–Murcko scaffold, the
group label of a scaffold split (pass it to
:class:`sklearn.model_selection.GroupKFold` or ``GroupShuffleSplit``). The
diagram of a train/validation/test split is
:func:`utils.plotting.split_scheme_plot`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from utils._inputs import as_mols

if TYPE_CHECKING:  # pragma: no cover
    from rdkit import Chem

__all__ = ["murcko_scaffolds"]


def murcko_scaffolds(smiles: Sequence[str | Chem.Mol]) -> list[str]:
    """Bemis–Murcko scaffold (canonical SMILES) of each molecule.

    The scaffold keeps the ring systems and the chains that link them, and
    drops every side chain (Bemis & Murcko, *J. Med. Chem.* 39, 2887, 1996).
    Acyclic molecules have the empty scaffold ``""``.

    Parameters
    ----------
    smiles
        The molecules, as SMILES strings or RDKit molecules.

    Returns
    -------
    list of str
        One scaffold SMILES per molecule, in input order.

    Raises
    ------
    ValueError
        If ``smiles`` is a single string or holds a SMILES RDKit cannot parse
        (the message quotes it and names its entry, ``smiles[1]``).

    Examples
    --------
    >>> murcko_scaffolds(["Cc1ccccc1O", "CCO", "OC(=O)C1CCCCC1"])
    ['c1ccccc1', '', 'C1CCCCC1']
    """
    from rdkit.Chem.Scaffolds import MurckoScaffold

    return [MurckoScaffold.MurckoScaffoldSmiles(mol=mol) for mol in as_mols(smiles)]
