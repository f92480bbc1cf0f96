"""utils.interpretation: arranging importances, RAC names, clusters of correlated features."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from utils.featurise import rac_features
from utils.interpretation import correlation_clusters, importance_frame, rac_name_parts
from utils.plotting import importance_barh


def test_importance_frame_sorts_and_summarises() -> None:
    values = np.array([[0.0, 0.2], [3.0, 5.0], [1.0, 1.0]])
    frame = importance_frame(["a", "b", "c"], values)
    assert list(frame.index) == ["b", "c", "a"]
    np.testing.assert_allclose(frame.loc["b"], [4.0, 1.0])
    np.testing.assert_allclose(frame.loc["a", "std"], 0.1)


def test_importance_frame_rejects_mismatched_names() -> None:
    with pytest.raises(ValueError, match="2 names for 3 rows"):
        importance_frame(["a", "b"], np.zeros((3, 4)))


def test_rac_name_parts_reads_every_name_rac_features_writes() -> None:
    names = list(rac_features("OCCN"))
    parts = rac_name_parts(names)
    assert len(parts) == len(names) == 90
    assert set(parts["property"]) == {"chi", "Z", "I", "T", "S"}
    assert set(parts["depth"]) == {0, 1, 2, 3}
    assert set(parts.loc[parts["start"] == "all", "scope"]) == {"global"}
    assert set(parts.loc[parts["start"] != "all", "scope"]) == {"local"}
    assert not ((parts["kind"] == "difference") & (parts["depth"] == 0)).any()


@pytest.mark.parametrize("bad", ["product-chi-2", "product-chi-x-all", "a-b-1-c-d"])
def test_rac_name_parts_rejects_other_names(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a RAC name"):
        rac_name_parts([bad])


def _features(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a, b, c = rng.normal(size=(3, 200))
    return np.column_stack([a, b, np.exp(a) + 1e-3 * rng.normal(size=200), c, -3 * b])


def test_correlation_clusters_groups_monotone_relatives() -> None:
    labels = correlation_clusters(_features())
    assert labels[0] == labels[2] and labels[1] == labels[4]
    assert len(set(labels)) == 3


def test_correlation_clusters_ignore_row_order_and_monotone_rescaling() -> None:
    X = _features()
    labels = correlation_clusters(X)
    rng = np.random.default_rng(1)
    shuffled = X[rng.permutation(len(X))]
    rescaled = X * [2.0, 1.0, 1.0, 10.0, 1.0] + [5.0, 0.0, -1.0, 0.0, 3.0]
    for other in (shuffled, rescaled, np.column_stack([X[:, 0] ** 3, X[:, 1:]])):
        assert np.array_equal(correlation_clusters(other), labels)


def test_correlation_clusters_threshold_and_constant_columns() -> None:
    X = _features()
    assert len(set(correlation_clusters(X, threshold=1.5))) == 1  # everything within distance <= 1
    with_constant = np.column_stack([X, np.ones(len(X))])
    labels = correlation_clusters(with_constant)
    assert np.sum(labels == labels[-1]) == 1  # a constant column joins nothing


@pytest.mark.parametrize("shape", [(10,), (1, 3), (5, 1)])
def test_correlation_clusters_rejects_bad_shapes(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="X must be"):
        correlation_clusters(np.zeros(shape))


def test_importance_barh_draws_one_bar_per_feature_largest_on_top() -> None:
    frame = importance_frame(["a", "b", "c"], [[0.1], [0.5], [0.3]])
    fig, ax = plt.subplots()
    assert importance_barh(frame, ax=ax) is ax
    bars = ax.patches
    assert len(bars) == 3
    top = max(bars, key=lambda p: p.get_y())
    assert top.get_width() == pytest.approx(0.5)
    labels = {round(t.get_position()[1]): t.get_text() for t in ax.get_yticklabels()}
    assert labels == {2: "b", 1: "c", 0: "a"}
    plt.close(fig)
