"""A small message-passing neural network (MPNN) in plain NumPy + ``autograd``.

Lecture 06 trains it on the QM9 molecules with up to seven heavy atoms. The
code is written to be read: a molecule is a graph whose nodes are its heavy
atoms (element, attached hydrogens, aromaticity, charge) and whose edges are
its bonds (single, double, triple, aromatic), both taken from RDKit on the
SMILES. The network follows the scheme of Gilmer *et al.* (2017):

1. **embed** every atom's features into a hidden vector ``h_i``;
2. **message passing**, ``n_steps`` times: each atom sums messages from its
   bonded neighbours, one learned matrix per bond type,
   ``m_i = Σ_t Σ_j A^t_ij W^t h_j``, and updates its state,
   ``h_i ← h_i + tanh(U h_i + m_i + b)``;
3. **readout**: a small network turns each final ``h_i`` into an atomic energy
   contribution, and the molecule's energy is their sum (as in SchNet, which
   makes the prediction extensive and independent of the atom order).

Molecules are zero-padded to the same number of atoms so a whole batch is a
few ``matmul`` calls; ``autograd`` differentiates the NumPy code, and
:func:`adam_step` does the optimisation. :func:`save_weights` writes a
byte-for-byte reproducible ``.npz`` and :func:`load_weights` verifies it
against a SHA-256 before use (the shipped weights are documented in
``data/README.md``).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import autograd.numpy as anp
import numpy as np
from autograd import grad
from numpy.typing import ArrayLike

from utils._inputs import as_mols

__all__ = [
    "ATOM_TYPES",
    "BOND_TYPES",
    "N_ATOM_FEATURES",
    "WEIGHTS_FILE",
    "WEIGHTS_SHA256",
    "Graphs",
    "adam_step",
    "atom_features",
    "count_features",
    "featurise_graphs",
    "init_params",
    "load_weights",
    "loss",
    "predict",
    "save_weights",
    "train",
]

#: Elements of the heavy atoms, in the order of the one-hot columns.
ATOM_TYPES: tuple[int, ...] = (6, 7, 8, 9)
#: Bond types (RDKit names), one adjacency matrix and one message matrix each.
BOND_TYPES: tuple[str, ...] = ("SINGLE", "DOUBLE", "TRIPLE", "AROMATIC")
#: Length of an atom's feature vector: 4 elements, 0–4 hydrogens, aromatic, charge.
N_ATOM_FEATURES: int = len(ATOM_TYPES) + 5 + 2

#: The shipped weights in ``data/`` and their SHA-256 (also in data/README.md).
WEIGHTS_FILE: str = "mpnn_qm9_heavy7.npz"
WEIGHTS_SHA256: str = "a9b4f8af65ebf6ae4ce05826a0461093dd41cbc48c2ae5fa8a403fa885aee212"


@dataclass(frozen=True)
class Graphs:
    """A batch of molecular graphs, zero-padded to ``n_max`` atoms.

    Attributes
    ----------
    nodes
        Atom features, shape ``(n_molecules, n_max, N_ATOM_FEATURES)``.
    adjacency
        One 0/1 adjacency matrix per bond type, shape ``(n_molecules, 4, n_max, n_max)``.
    mask
        1 for a real atom, 0 for padding, shape ``(n_molecules, n_max)``.
    """

    nodes: np.ndarray
    adjacency: np.ndarray
    mask: np.ndarray

    def __len__(self) -> int:
        return len(self.nodes)

    def __getitem__(self, index: ArrayLike) -> Graphs:
        """The graphs selected by an index array (or slice)."""
        return Graphs(self.nodes[index], self.adjacency[index], self.mask[index])


def atom_features(atom: object) -> list[float]:
    """Feature vector of one RDKit heavy atom (length :data:`N_ATOM_FEATURES`).

    One-hot element (C, N, O, F), one-hot number of attached hydrogens (0–4),
    aromatic flag, formal charge.

    Examples
    --------
    >>> from rdkit import Chem
    >>> atom_features(Chem.MolFromSmiles("C").GetAtomWithIdx(0))
    [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    """
    z, n_h = atom.GetAtomicNum(), atom.GetTotalNumHs()  # type: ignore[attr-defined]
    if z not in ATOM_TYPES:
        raise ValueError(f"element Z={z} is not one of the MPNN's atom types {ATOM_TYPES}")
    if n_h > 4:
        raise ValueError(f"an atom with {n_h} hydrogens is outside the MPNN's features (0-4)")
    element = [float(z == t) for t in ATOM_TYPES]
    hydrogens = [float(n_h == k) for k in range(5)]
    return element + hydrogens + [float(atom.GetIsAromatic()), float(atom.GetFormalCharge())]  # type: ignore[attr-defined]


def featurise_graphs(smiles: Sequence[str], n_max: int | None = None) -> Graphs:
    """Graphs of many molecules from their SMILES (heavy atoms and bonds, via RDKit).

    Parameters
    ----------
    smiles
        One SMILES per molecule (elements C, N, O, F and H only).
    n_max
        Number of atoms to pad to; the largest molecule's heavy-atom count by default.

    Returns
    -------
    Graphs

    Raises
    ------
    ValueError
        For a SMILES RDKit cannot parse, an unsupported element, or a molecule
        with more than ``n_max`` heavy atoms.

    Examples
    --------
    >>> g = featurise_graphs(["CCO", "C#N"])
    >>> g.nodes.shape, g.adjacency.shape, g.mask.tolist()
    ((2, 3, 11), (2, 4, 3, 3), [[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])
    >>> int(g.adjacency[1, 2, 0, 1])  # the C#N triple bond
    1
    """
    mols = as_mols(smiles)
    largest = max((m.GetNumAtoms() for m in mols), default=0)
    n_max = largest if n_max is None else int(n_max)
    if largest > n_max:
        raise ValueError(f"a molecule has {largest} heavy atoms, more than n_max={n_max}")
    nodes = np.zeros((len(mols), n_max, N_ATOM_FEATURES))
    adjacency = np.zeros((len(mols), len(BOND_TYPES), n_max, n_max))
    mask = np.zeros((len(mols), n_max))
    for k, mol in enumerate(mols):
        for atom in mol.GetAtoms():
            nodes[k, atom.GetIdx()] = atom_features(atom)
            mask[k, atom.GetIdx()] = 1.0
        for bond in mol.GetBonds():
            t = BOND_TYPES.index(str(bond.GetBondType()))
            i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
            adjacency[k, t, i, j] = adjacency[k, t, j, i] = 1.0
    return Graphs(nodes, adjacency, mask)


def count_features(graphs: Graphs) -> np.ndarray:
    """What the graph holds without any message passing: counts per molecule.

    Sums of the atom features (atoms of each element, atoms with 0–4 hydrogens,
    aromatic atoms, charges) and the number of bonds of each type; the input of
    the linear baseline the MPNN must beat.

    Examples
    --------
    >>> count_features(featurise_graphs(["CCO"])).tolist()
    [[2.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0]]
    """
    atoms = graphs.nodes.sum(axis=1)
    bonds = graphs.adjacency.sum(axis=(2, 3)) / 2
    return np.hstack([atoms, bonds])


Params = dict[str, np.ndarray]


def init_params(width: int = 32, n_steps: int = 3, seed: int = 0) -> Params:
    """Random initial weights (scaled so that activations start near unit size).

    Parameters
    ----------
    width
        Length of the hidden vector of each atom.
    n_steps
        Number of message-passing steps (each with its own weights).
    seed
        Seed of the random generator.

    Returns
    -------
    dict
        Arrays by name: ``embed_W``, ``embed_b``, ``msg_W<k>`` (one matrix per
        bond type), ``upd_W<k>``, ``upd_b<k>``, ``out_W1``, ``out_b1``, ``out_w2``, ``out_b2``.

    Examples
    --------
    >>> p = init_params(width=8, n_steps=2)
    >>> p["msg_W1"].shape, sum(v.size for v in p.values())
    ((4, 8, 8), 833)
    """
    rng = np.random.default_rng(seed)

    def dense(n_in: int, n_out: int) -> np.ndarray:
        return rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_in, n_out))

    p: Params = {"embed_W": dense(N_ATOM_FEATURES, width), "embed_b": np.zeros(width)}
    for k in range(n_steps):
        p[f"msg_W{k}"] = np.stack([dense(width, width) * 0.5 for _ in BOND_TYPES])
        p[f"upd_W{k}"] = dense(width, width) * 0.5
        p[f"upd_b{k}"] = np.zeros(width)
    p.update(out_W1=dense(width, width), out_b1=np.zeros(width), out_w2=dense(width, 1)[:, 0], out_b2=np.zeros(1))
    return p


def _n_steps(params: Params) -> int:
    return sum(1 for name in params if name.startswith("upd_W"))


def predict(params: Params, graphs: Graphs, scale: float = 1.0, offset: float = 0.0) -> np.ndarray:
    """Energies of a batch of molecules (differentiable by ``autograd``).

    Parameters
    ----------
    params
        Weights from :func:`init_params` (or training).
    graphs
        The molecules.
    scale, offset
        Each atom contributes ``offset + scale * e_i``; set them to the label's
        mean per heavy atom and spread so that the network learns numbers near 1.

    Returns
    -------
    numpy.ndarray
        One energy per molecule, in the label's unit.

    Examples
    --------
    >>> g = featurise_graphs(["C", "CC"])
    >>> e = predict(init_params(width=8), g, offset=-400.0)
    >>> e.shape, bool(abs(e[1] - 2 * e[0]) > 0)
    ((2,), True)
    """
    mask = graphs.mask[:, :, None]
    h = anp.tanh(anp.matmul(graphs.nodes, params["embed_W"]) + params["embed_b"]) * mask
    for k in range(_n_steps(params)):
        messages = 0.0
        for t in range(len(BOND_TYPES)):  # neighbours over bonds of type t send W^t h_j
            messages = messages + anp.matmul(graphs.adjacency[:, t], anp.matmul(h, params[f"msg_W{k}"][t]))
        h = h + anp.tanh(anp.matmul(h, params[f"upd_W{k}"]) + messages + params[f"upd_b{k}"]) * mask
    hidden = anp.tanh(anp.matmul(h, params["out_W1"]) + params["out_b1"])
    atom_energy = anp.matmul(hidden, params["out_w2"]) + params["out_b2"]
    return anp.sum((offset + scale * atom_energy) * graphs.mask, axis=1)


def loss(params: Params, graphs: Graphs, y: np.ndarray, scale: float, offset: float) -> float:
    """Mean squared error in units of ``scale`` (what training minimises)."""
    residual = (predict(params, graphs, scale, offset) - y) / scale
    return anp.mean(residual**2)


_loss_grad = grad(loss)


def adam_step(
    params: Params,
    grads: Params,
    state: dict[str, Params],
    step: int,
    lr: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> Params:
    """One Adam update (Kingma & Ba, 2015) of every array in ``params``.

    ``state`` holds the running first and second moments (``"m"``, ``"v"``)
    and is updated in place; ``step`` counts from 1.

    Examples
    --------
    >>> p, g = {"w": np.array([1.0])}, {"w": np.array([2.0])}
    >>> state = {"m": {"w": np.zeros(1)}, "v": {"w": np.zeros(1)}}
    >>> adam_step(p, g, state, step=1, lr=0.1)["w"].round(6).tolist()  # the first step moves by lr
    [0.9]
    """
    new = {}
    for name, value in params.items():
        state["m"][name] = beta1 * state["m"][name] + (1 - beta1) * grads[name]
        state["v"][name] = beta2 * state["v"][name] + (1 - beta2) * grads[name] ** 2
        m_hat = state["m"][name] / (1 - beta1**step)
        v_hat = state["v"][name] / (1 - beta2**step)
        new[name] = value - lr * m_hat / (np.sqrt(v_hat) + eps)
    return new


def train(
    params: Params,
    graphs: Graphs,
    y: ArrayLike,
    epochs: int,
    scale: float,
    offset: float,
    lr: float | Callable[[int], float] = 1e-3,
    batch_size: int = 32,
    seed: int = 0,
    callback: Callable[[int, Params], None] | None = None,
) -> Params:
    """Train by minibatch Adam on the mean squared error.

    Parameters
    ----------
    params
        Starting weights (not modified).
    graphs, y
        Training molecules and their labels.
    epochs
        Passes over the training set.
    scale, offset
        As in :func:`predict`.
    lr
        Learning rate, or a function of the epoch (0, 1, ...) giving it.
    batch_size
        Molecules per gradient step.
    seed
        Seed of the generator that shuffles the molecules each epoch.
    callback
        Called as ``callback(epoch, params)`` after each epoch.

    Returns
    -------
    dict
        The trained weights.

    Examples
    --------
    >>> g, y = featurise_graphs(["C", "CC", "CCC", "O", "CO"]), np.array([-420.0, -710.0, -1000.0, -230.0, -510.0])
    >>> p0 = init_params(width=8)
    >>> p1 = train(p0, g, y, epochs=100, scale=30.0, offset=-300.0, lr=1e-2, batch_size=5)
    >>> bool(loss(p1, g, y, 30.0, -300.0) < 0.1 * loss(p0, g, y, 30.0, -300.0))
    True
    """
    y = np.asarray(y, dtype=float)
    if len(y) != len(graphs):
        raise ValueError(f"{len(graphs)} graphs but {len(y)} labels")
    rng = np.random.default_rng(seed)
    state = {
        "m": {k: np.zeros_like(v) for k, v in params.items()},
        "v": {k: np.zeros_like(v) for k, v in params.items()},
    }
    step = 0
    for epoch in range(epochs):
        rate = lr(epoch) if callable(lr) else lr
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch_size):
            batch = order[start : start + batch_size]
            grads = _loss_grad(params, graphs[batch], y[batch], scale, offset)
            step += 1
            params = adam_step(params, grads, state, step, rate)
        if callback is not None:
            callback(epoch, params)
    return params


def save_weights(path: Path | str, params: Params, **metadata: float) -> str:
    """Write weights (and scalar metadata) to a reproducible ``.npz``; return its SHA-256.

    The zip entries get a fixed timestamp and order, so the same weights give
    the same bytes on every machine and day (``np.savez`` stamps the current time).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     a = save_weights(Path(tmp) / "a.npz", {"w": np.ones(2)}, scale=2.0)
    ...     b = save_weights(Path(tmp) / "b.npz", {"w": np.ones(2)}, scale=2.0)
    >>> a == b
    True
    """
    arrays = {
        **{k: np.asarray(v, dtype=np.float64) for k, v in params.items()},
        **{f"meta_{k}": np.asarray(v, dtype=np.float64) for k, v in metadata.items()},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            entry = io.BytesIO()
            np.lib.format.write_array(entry, arrays[name], allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, entry.getvalue())
    data = buffer.getvalue()
    Path(path).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def load_weights(
    path: Path | str | None = None, sha256: str | None = WEIGHTS_SHA256
) -> tuple[Params, dict[str, float]]:
    """Read weights written by :func:`save_weights`, after checking their SHA-256.

    Parameters
    ----------
    path
        The ``.npz`` file; the shipped ``data/mpnn_qm9_heavy7.npz`` by default.
    sha256
        Expected checksum (the shipped file's by default); ``None`` skips the check.

    Returns
    -------
    params, metadata
        The weights, and the scalar metadata (e.g. ``scale``, ``offset``, ``test_mae``).

    Raises
    ------
    FileNotFoundError
        If the file is missing.
    ValueError
        If its checksum differs from ``sha256``.
    """
    from utils.paths import DATA_DIR

    path = DATA_DIR / WEIGHTS_FILE if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no weights file {path}. Restore the shipped one with `git checkout -- data/{WEIGHTS_FILE}` "
            "or retrain with `python scripts/train_mpnn.py`."
        )
    data = path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if sha256 is not None and actual != sha256:
        raise ValueError(
            f"the weights file {path} has SHA-256 {actual}, expected {sha256}. Restore it with "
            f"`git checkout -- data/{WEIGHTS_FILE}`, or pass sha256=None to load your own retrained file."
        )
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        params = {k: npz[k] for k in npz.files if not k.startswith("meta_")}
        meta = {k[len("meta_") :]: float(npz[k]) for k in npz.files if k.startswith("meta_")}
    return params, meta
