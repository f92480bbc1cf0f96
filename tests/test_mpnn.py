"""Tests of utils.mpnn: graphs from SMILES, the network's symmetries, gradients, weights on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from autograd import grad
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import train_test_split

from utils.data import load_qm9
from utils.mpnn import (
    WEIGHTS_SHA256,
    count_features,
    featurise_graphs,
    init_params,
    load_weights,
    loss,
    predict,
    save_weights,
)


def test_graph_of_ethanol() -> None:
    g = featurise_graphs(["CCO"])
    assert g.nodes.shape == (1, 3, 11)
    assert np.array_equal(g.adjacency[0, 0], [[0, 1, 0], [1, 0, 1], [0, 1, 0]])  # single bonds, symmetric
    assert g.adjacency[0, 1:].sum() == 0
    assert g.nodes[0, :, 4:9].argmax(axis=1).tolist() == [3, 2, 1]  # CH3, CH2, OH


def test_aromatic_bonds_and_charges() -> None:
    g = featurise_graphs(["c1ccoc1", "C[NH3+]"])
    assert g.adjacency[0, 3].sum() / 2 == 5 and g.nodes[0, :, 9].sum() == 5
    assert g.nodes[1, 1, 10] == 1.0


@pytest.mark.parametrize("smiles, message", [(["C1CC"], "RDKit can parse"), (["CCl"], "Z=17")])
def test_bad_molecules_are_refused(smiles: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        featurise_graphs(smiles)


def test_too_small_padding_is_refused() -> None:
    with pytest.raises(ValueError, match="n_max=2"):
        featurise_graphs(["CCO"], n_max=2)


def test_prediction_ignores_atom_order_and_padding() -> None:
    params = init_params(width=16, seed=1)
    a = predict(params, featurise_graphs(["OCC(=O)N"]), scale=10.0, offset=-100.0)
    b = predict(params, featurise_graphs(["NC(=O)CO"], n_max=7), scale=10.0, offset=-100.0)
    assert a == pytest.approx(b, abs=1e-9)


def test_messages_pass_along_bonds() -> None:
    """With zero message weights, an atom's energy depends only on its own features."""
    params = init_params(width=8, seed=0)
    silent = {k: (np.zeros_like(v) if k.startswith("msg_") else v) for k, v in params.items()}
    g = featurise_graphs(["CC", "CC=O"])
    assert predict(silent, g)[0] != pytest.approx(predict(params, g)[0])
    methyl = predict(silent, featurise_graphs(["C"]))[0]  # not the same atom type: CH4 vs CH3
    assert count_features(g)[:, -4:].tolist() == [[1, 0, 0, 0], [1, 1, 0, 0]]
    assert np.isfinite(methyl)


def test_autograd_gradient_matches_finite_differences() -> None:
    g = featurise_graphs(["CCO", "C#N", "c1ccoc1"])
    y = np.array([-700.0, -300.0, -1000.0])
    params = init_params(width=6, seed=2)
    analytic = grad(loss)(params, g, y, 50.0, -150.0)
    for name, index in [("embed_W", (0, 1)), ("msg_W1", (3, 2, 4)), ("out_w2", (5,)), ("upd_b2", (0,))]:
        h = 1e-6
        plus = {k: v.copy() for k, v in params.items()}
        minus = {k: v.copy() for k, v in params.items()}
        plus[name][index] += h
        minus[name][index] -= h
        numeric = (loss(plus, g, y, 50.0, -150.0) - loss(minus, g, y, 50.0, -150.0)) / (2 * h)
        assert analytic[name][index] == pytest.approx(numeric, rel=1e-5, abs=1e-8), name


def test_weights_round_trip_deterministically(tmp_path: Path) -> None:
    params = init_params(width=4, seed=0)
    first = save_weights(tmp_path / "a.npz", params, scale=2.0, offset=-1.0)
    second = save_weights(tmp_path / "b.npz", params, scale=2.0, offset=-1.0)
    assert first == second and (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    loaded, meta = load_weights(tmp_path / "a.npz", sha256=first)
    assert meta == {"scale": 2.0, "offset": -1.0}
    assert all(np.array_equal(loaded[k], params[k]) for k in params)


def test_modified_or_missing_weights_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.npz"
    save_weights(path, init_params(width=4))
    with pytest.raises(ValueError, match="SHA-256"):
        load_weights(path, sha256="0" * 64)
    with pytest.raises(FileNotFoundError, match="train_mpnn.py"):
        load_weights(tmp_path / "missing.npz")


def test_shipped_weights_reproduce_their_test_mae() -> None:
    """The weights in data/ pass their checksum and give the MAE recorded when they were trained."""
    params, meta = load_weights()
    assert len(WEIGHTS_SHA256) == 64
    qm9 = load_qm9()
    y = qm9["atomization_energy"].to_numpy()
    _, idx_test = train_test_split(np.arange(len(y)), test_size=0.2, random_state=0)
    pred = predict(params, featurise_graphs(qm9["smiles"].iloc[idx_test]), meta["scale"], meta["offset"])
    assert mean_absolute_error(y[idx_test], pred) == pytest.approx(meta["test_mae"], abs=1e-6)
