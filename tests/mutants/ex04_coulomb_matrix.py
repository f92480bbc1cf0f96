"""Wrong answers a student might hand in for ex04_coulomb_matrix."""

MATRIX = "def coulomb_matrix(Z, R):\n    Z = np.asarray(Z, dtype=float)\n{body}\n"
CHECK_SHAPE = (
    "    R = np.asarray(R, dtype=float)\n"
    "    if R.shape != (len(Z), 3):\n"
    "        raise ValueError('R must have shape (len(Z), 3)')\n"
)
DISTANCES = "    D = np.linalg.norm(R[:, None, :] - R[None, :, :], axis=-1) / BOHR\n"
CHECK_SAME = (
    "    off = ~np.eye(len(Z), dtype=bool)\n"
    "    if np.any(D[off] == 0):\n"
    "        raise ValueError('two atoms are at the same position')\n"
)
FILL = "    M = np.outer(Z, Z) / np.where(off, D, 1.0)\n    M[~off] = 0.5 * Z**2.4\n    return M"

EIGENVALUES = "def coulomb_eigenvalues(Z, R, size):\n    M = coulomb_matrix(Z, R)\n    n = len(M)\n{body}\n"
CHECK_SIZE = "    if n > size:\n        raise ValueError('more atoms than size')\n"

MOVE = "def move(Z, R, Q, t, order):\n    Z, R, Q, t = np.asarray(Z), np.asarray(R, dtype=float), np.asarray(Q), np.asarray(t)\n{body}\n"

NEIGHBOURS = "def nearest_neighbours(X, i, k):\n    X = np.asarray(X, dtype=float)\n{body}\n"
CHECK_K = "    if not 1 <= k <= len(X) - 1:\n        raise ValueError('k out of range')\n"
DISTANCE_TO_I = "    d = np.linalg.norm(X - X[i], axis=1)\n"

QM9 = (
    "size = {size}\n"
    "spectra = np.array([coulomb_eigenvalues(z, r, size) for z, r in zip(qm9['atomic_numbers'], qm9['positions'])])\n"
    "query_row = {row}\n"
    "query_neighbours = nearest_neighbours(spectra, query_row, K)\n"
    "query_distances = {distances}\n"
)

MUTANTS = {
    # Part 1: coulomb_matrix
    "distances left in ångström": {
        "coulomb_matrix": MATRIX.format(body=CHECK_SHAPE + DISTANCES.replace(" / BOHR", "") + CHECK_SAME + FILL)
    },
    "ångström multiplied by BOHR instead of divided": {
        "coulomb_matrix": MATRIX.format(body=CHECK_SHAPE + DISTANCES.replace(" / BOHR", " * BOHR") + CHECK_SAME + FILL)
    },
    "diagonal Z^2.4 without the factor 0.5": {
        "coulomb_matrix": MATRIX.format(
            body=CHECK_SHAPE + DISTANCES + CHECK_SAME + FILL.replace("0.5 * Z**2.4", "Z**2.4")
        )
    },
    "diagonal left at zero": {
        "coulomb_matrix": MATRIX.format(body=CHECK_SHAPE + DISTANCES + CHECK_SAME + FILL.replace("0.5 * Z**2.4", "0.0"))
    },
    "squared distances": {
        "coulomb_matrix": MATRIX.format(
            body=CHECK_SHAPE
            + DISTANCES
            + CHECK_SAME
            + FILL.replace("np.where(off, D, 1.0)", "np.where(off, D**2, 1.0)")
        )
    },
    "Z_i + Z_j instead of Z_i Z_j": {
        "coulomb_matrix": MATRIX.format(
            body=CHECK_SHAPE + DISTANCES + CHECK_SAME + FILL.replace("np.outer(Z, Z)", "(Z[:, None] + Z[None, :])")
        )
    },
    "only the upper triangle filled": {
        "coulomb_matrix": MATRIX.format(
            body=CHECK_SHAPE + DISTANCES + CHECK_SAME + "    n = len(Z)\n"
            "    M = np.zeros((n, n))\n"
            "    for a in range(n):\n"
            "        M[a, a] = 0.5 * Z[a] ** 2.4\n"
            "        for b in range(a + 1, n):\n"
            "            M[a, b] = Z[a] * Z[b] / D[a, b]\n"
            "    return M"
        )
    },
    "no ValueError for two atoms at the same position": {
        "coulomb_matrix": MATRIX.format(body=CHECK_SHAPE + DISTANCES + "    off = ~np.eye(len(Z), dtype=bool)\n" + FILL)
    },
    "shape of R not checked": {
        "coulomb_matrix": MATRIX.format(body="    R = np.asarray(R, dtype=float)\n" + DISTANCES + CHECK_SAME + FILL)
    },
    "positions converted to bohr in place": {
        "coulomb_matrix": MATRIX.format(
            body=CHECK_SHAPE + "    R /= BOHR\n" + DISTANCES.replace(" / BOHR", "") + CHECK_SAME + FILL
        )
    },
    "wraps the course's utils.featurise": {
        "coulomb_matrix": "def coulomb_matrix(Z, R):\n"
        "    from utils.featurise import coulomb_matrix as course_matrix\n\n"
        "    return course_matrix(Z, R)\n"
    },
    # Part 2: coulomb_eigenvalues
    "eigenvalues sorted by value, not by absolute value": {
        "coulomb_eigenvalues": EIGENVALUES.format(
            body=CHECK_SIZE
            + "    e = np.sort(np.linalg.eigvalsh(M))[::-1]\n    return np.concatenate([e, np.zeros(size - n)])"
        )
    },
    "singular values instead of eigenvalues": {
        "coulomb_eigenvalues": EIGENVALUES.format(
            body=CHECK_SIZE
            + "    e = np.linalg.svd(M, compute_uv=False)\n    return np.concatenate([e, np.zeros(size - n)])"
        )
    },
    "ascending absolute value": {
        "coulomb_eigenvalues": EIGENVALUES.format(
            body=CHECK_SIZE + "    e = np.linalg.eigvalsh(M)\n    e = e[np.argsort(np.abs(e), kind='stable')]\n"
            "    return np.concatenate([e, np.zeros(size - n)])"
        )
    },
    "zero padding at the front": {
        "coulomb_eigenvalues": EIGENVALUES.format(
            body=CHECK_SIZE + "    e = np.linalg.eigvalsh(M)\n    e = e[np.argsort(-np.abs(e), kind='stable')]\n"
            "    return np.concatenate([np.zeros(size - n), e])"
        )
    },
    "eigenvalues cut off at size instead of a ValueError": {
        "coulomb_eigenvalues": EIGENVALUES.format(
            body="    e = np.linalg.eigvalsh(M)\n    e = e[np.argsort(-np.abs(e), kind='stable')]\n"
            "    out = np.zeros(size)\n    m = min(n, size)\n    out[:m] = e[:m]\n    return out"
        )
    },
    # Part 3: move
    "rotation by Q transposed (R @ Q)": {"move": MOVE.format(body="    return Z[order], R[order] @ Q + t")},
    "translated before rotating": {"move": MOVE.format(body="    return Z[order], (R[order] + t) @ Q.T")},
    "inverse permutation": {
        "move": MOVE.format(body="    back = np.argsort(order)\n    return Z[back], R[back] @ Q.T + t")
    },
    # Part 4: nearest_neighbours
    "the query among its own neighbours": {
        "nearest_neighbours": NEIGHBOURS.format(
            body=CHECK_K + DISTANCE_TO_I + "    return np.argsort(d, kind='stable')[:k]"
        )
    },
    "one neighbour too few": {
        "nearest_neighbours": NEIGHBOURS.format(
            body=CHECK_K + DISTANCE_TO_I + "    return np.argsort(d, kind='stable')[1:k]"
        )
    },
    "ties broken by the larger index": {
        "nearest_neighbours": NEIGHBOURS.format(
            body=CHECK_K + DISTANCE_TO_I + "    by = np.argsort(-d, kind='stable')[::-1]\n    return by[by != i][:k]"
        )
    },
    "Manhattan distance": {
        "nearest_neighbours": NEIGHBOURS.format(
            body=CHECK_K
            + "    d = np.abs(X - X[i]).sum(axis=1)\n    by = np.argsort(d, kind='stable')\n    return by[by != i][:k]"
        )
    },
    "no ValueError for k larger than m - 1": {
        "nearest_neighbours": NEIGHBOURS.format(
            body="    if k < 1:\n        raise ValueError('k must be positive')\n"
            + DISTANCE_TO_I
            + "    by = np.argsort(d, kind='stable')\n    return by[by != i][:k]"
        )
    },
    "X centred on the query in place": {
        "nearest_neighbours": NEIGHBOURS.format(
            body=CHECK_K + "    X -= X[i]\n    d = np.linalg.norm(X, axis=1)\n    by = np.argsort(d, kind='stable')\n"
            "    return by[by != i][:k]"
        )
    },
    "the query dropped as the first of the sorted rows": {
        "nearest_neighbours": NEIGHBOURS.format(
            body=CHECK_K + DISTANCE_TO_I + "    return np.argsort(d, kind='stable')[1 : k + 1]"
        )
    },
    "every row at distance zero left out": {
        "nearest_neighbours": NEIGHBOURS.format(
            body=CHECK_K + DISTANCE_TO_I + "    candidates = np.flatnonzero(d > 0)\n"
            "    return candidates[np.argsort(d[candidates], kind='stable')][:k]"
        )
    },
    # Part 5: QM9
    "mol_id used as the row number": {
        "qm9_neighbours": QM9.format(
            size="int(qm9['n_atoms'].max())",
            row="QUERY_ID",
            distances="np.linalg.norm(spectra[query_neighbours] - spectra[query_row], axis=1)",
        )
    },
    "padded to 29 atoms, the largest molecule of the full QM9": {
        "qm9_neighbours": QM9.format(
            size="29",
            row="int(np.flatnonzero(qm9['mol_id'] == QUERY_ID)[0])",
            distances="np.linalg.norm(spectra[query_neighbours] - spectra[query_row], axis=1)",
        )
    },
    "squared distances reported": {
        "qm9_neighbours": QM9.format(
            size="int(qm9['n_atoms'].max())",
            row="int(np.flatnonzero(qm9['mol_id'] == QUERY_ID)[0])",
            distances="np.sum((spectra[query_neighbours] - spectra[query_row]) ** 2, axis=1)",
        )
    },
}

# The mutants only hidden tests catch, and the input the visible tests lack (CONTRIBUTING.md,
# "Validate checks every stated rule"): the battery holds every other mutant to a visible failure.
HIDDEN_ONLY = {
    "the query dropped as the first of the sorted rows": "a row equal to the query's, at a smaller index",
    "every row at distance zero left out": "a row equal to the query's (another row at distance zero)",
}
