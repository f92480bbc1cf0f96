"""Tests of utils.validation (scaffold groups and the split diagram)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from utils.validation import murcko_scaffolds, split_scheme_plot  # noqa: E402


def test_scaffolds_drop_side_chains_and_keep_linkers() -> None:
    scaffolds = murcko_scaffolds(["CCc1ccccc1", "Oc1ccccc1", "c1ccccc1Cc1ccncc1", "CCCC"])
    assert scaffolds[0] == scaffolds[1] == "c1ccccc1"
    assert scaffolds[2] == "c1ccc(Cc2ccncc2)cc1"
    assert scaffolds[3] == ""


def test_scaffolds_reject_bad_input() -> None:
    with pytest.raises(ValueError, match=r"invalid SMILES 'C1CC' at position 1"):
        murcko_scaffolds(["CCO", "C1CC"])
    with pytest.raises(ValueError, match="not one string"):
        murcko_scaffolds("CCO")


def test_split_scheme_has_one_validation_fold_per_round() -> None:
    fig, ax = plt.subplots()
    split_scheme_plot(n_folds=4, test_fraction=0.25, ax=ax)
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("validation") == 4
    assert texts.count("not used") == 4
    assert texts.count("test set") == 1
    plt.close(fig)


@pytest.mark.parametrize(("kwargs", "message"), [({"n_folds": 1}, "at least 2"), ({"test_fraction": 1.0}, "between 0 and 1")])
def test_split_scheme_rejects_bad_arguments(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        split_scheme_plot(**kwargs)
