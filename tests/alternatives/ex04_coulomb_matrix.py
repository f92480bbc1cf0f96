"""Correct answers to ex04_coulomb_matrix, written differently from the reference."""

ALTERNATIVES = {
    "loops everywhere: math.dist, sorted with a key, a list padded by hand": {
        "coulomb_matrix": "import math\n\n\ndef coulomb_matrix(Z, R):\n"
        "    Z = [float(z) for z in Z]\n"
        "    R = np.asarray(R, dtype=float)\n"
        "    if R.ndim != 2 or R.shape[0] != len(Z) or R.shape[1] != 3:\n"
        "        raise ValueError(f'R has shape {R.shape}, expected ({len(Z)}, 3)')\n"
        "    n = len(Z)\n"
        "    M = np.empty((n, n))\n"
        "    for a in range(n):\n"
        "        M[a, a] = 0.5 * Z[a] ** 2.4\n"
        "        for b in range(a + 1, n):\n"
        "            d = math.dist(R[a], R[b])\n"
        "            if d == 0.0:\n"
        "                raise ValueError(f'atoms {a} and {b} are at the same position')\n"
        "            M[a, b] = M[b, a] = Z[a] * Z[b] / (d / BOHR)\n"
        "    return M\n",
        "coulomb_eigenvalues": "def coulomb_eigenvalues(Z, R, size):\n"
        "    M = coulomb_matrix(Z, R)\n"
        "    if len(M) > size:\n"
        "        raise ValueError(f'{len(M)} atoms do not fit into size={size}')\n"
        "    values = sorted(np.linalg.eigvalsh(M).tolist(), key=abs, reverse=True)\n"
        "    while len(values) < size:\n"
        "        values.append(0.0)\n"
        "    return np.array(values)\n",
        "move": "def move(Z, R, Q, t, order):\n"
        "    Z_new, R_new = [], []\n"
        "    for k in order:\n"
        "        Z_new.append(Z[k])\n"
        "        R_new.append([sum(Q[a][b] * R[k][b] for b in range(3)) + t[a] for a in range(3)])\n"
        "    return np.array(Z_new), np.array(R_new)\n",
        "nearest_neighbours": "def nearest_neighbours(X, i, k):\n"
        "    m = len(X)\n"
        "    if k < 1 or k > m - 1:\n"
        "        raise ValueError(f'k must be in 1..{m - 1}')\n"
        "    d = {j: math.sqrt(sum((x - y) ** 2 for x, y in zip(X[j], X[i]))) for j in range(m) if j != i}\n"
        "    return np.array(sorted(d, key=lambda j: (d[j], j))[:k])\n",
    },
    "scipy's cdist, eigh with the eigenvectors dropped, lexsort": {
        "coulomb_matrix": "from scipy.spatial.distance import cdist\n\n\ndef coulomb_matrix(Z, R):\n"
        "    Z = np.asarray(Z, dtype=float)\n"
        "    R = np.asarray(R, dtype=float)\n"
        "    if R.shape != (Z.size, 3):\n"
        "        raise ValueError('R must be (n, 3) with n = len(Z)')\n"
        "    D = cdist(R, R) / BOHR\n"
        "    np.fill_diagonal(D, np.inf)\n"
        "    if (D == 0).any():\n"
        "        raise ValueError('coincident atoms')\n"
        "    M = Z[:, None] * Z[None, :] / D\n"
        "    M[np.diag_indices_from(M)] = Z**2.4 / 2\n"
        "    return M\n",
        "coulomb_eigenvalues": "def coulomb_eigenvalues(Z, R, size):\n"
        "    M = coulomb_matrix(Z, R)\n"
        "    if M.shape[0] > size:\n"
        "        raise ValueError('molecule larger than size')\n"
        "    values, _ = np.linalg.eigh(M)\n"
        "    values = values[np.lexsort((np.arange(len(values)), -np.abs(values)))]\n"
        "    out = np.zeros(size)\n"
        "    out[: len(values)] = values\n"
        "    return out\n",
        "nearest_neighbours": "def nearest_neighbours(X, i, k):\n"
        "    X = np.asarray(X, dtype=float)\n"
        "    if not 0 < k < len(X):\n"
        "        raise ValueError('need 1 <= k <= m - 1')\n"
        "    others = np.delete(np.arange(len(X)), i)\n"
        "    d = cdist(X[others], X[i : i + 1])[:, 0]\n"
        "    return others[np.lexsort((others, d))][:k]\n",
    },
    "pdist and squareform, eig with real parts, an argsort of -|eigenvalue|": {
        "coulomb_matrix": "from scipy.spatial.distance import pdist, squareform\n\n\ndef coulomb_matrix(Z, R):\n"
        "    Z = np.array(Z, dtype=float)\n"
        "    R = np.array(R, dtype=float)\n"
        "    if R.shape != (len(Z), 3):\n"
        "        raise ValueError('shape mismatch')\n"
        "    pairs = pdist(R)\n"
        "    if np.any(pairs == 0):\n"
        "        raise ValueError('two atoms share a position')\n"
        "    R /= BOHR  # a copy: np.array copied it\n"
        "    with np.errstate(divide='ignore'):\n"
        "        M = np.outer(Z, Z) / squareform(pdist(R))\n"
        "    np.fill_diagonal(M, 0.5 * np.power(Z, 2.4))\n"
        "    return M\n",
        "coulomb_eigenvalues": "def coulomb_eigenvalues(Z, R, size):\n"
        "    M = coulomb_matrix(Z, R)\n"
        "    n = M.shape[0]\n"
        "    if size < n:\n"
        "        raise ValueError('size too small')\n"
        "    values = np.linalg.eig(M)[0].real\n"
        "    return np.pad(values[np.argsort(-np.abs(values))], (0, size - n))\n",
    },
    "scikit-learn's NearestNeighbors (k-d tree) over all rows, then sorted by distance and index": {
        "nearest_neighbours": "from sklearn.neighbors import NearestNeighbors\n\n\ndef nearest_neighbours(X, i, k):\n"
        "    X = np.asarray(X, dtype=float)\n"
        "    if k < 1 or k >= len(X):\n"
        "        raise ValueError('k must be between 1 and m - 1')\n"
        "    tree = NearestNeighbors(n_neighbors=len(X), algorithm='kd_tree').fit(X)\n"
        "    d, idx = tree.kneighbors(X[[i]])\n"
        "    d, idx = d[0], idx[0]\n"
        "    keep = idx != i\n"
        "    d, idx = d[keep], idx[keep]\n"
        "    return idx[np.lexsort((idx, d))][:k]\n",
    },
    "scipy.linalg.eigvalsh, scipy's Rotation, the QM9 row through the pandas index and cdist": {
        "coulomb_eigenvalues": "import scipy.linalg\n\n\ndef coulomb_eigenvalues(Z, R, size):\n"
        "    M = coulomb_matrix(Z, R)\n"
        "    if len(M) > size:\n"
        "        raise ValueError('too many atoms for size')\n"
        "    e = scipy.linalg.eigvalsh(M)\n"
        "    e = e[np.argsort(np.abs(e), kind='stable')[::-1]]\n"
        "    return np.concatenate((e, np.zeros(size - len(e))))\n",
        "move": "from scipy.spatial.transform import Rotation\n\n\ndef move(Z, R, Q, t, order):\n"
        "    rotated = Rotation.from_matrix(Q).apply(np.atleast_2d(np.asarray(R, dtype=float)))\n"
        "    return np.asarray(Z)[list(order)], rotated[list(order)] + t\n",
        "qm9_neighbours": "from scipy.spatial.distance import cdist\n\n"
        "largest = qm9['n_atoms'].max()\n"
        "spectra = np.vstack([coulomb_eigenvalues(row.atomic_numbers, row.positions, largest)"
        " for row in qm9.itertuples()])\n"
        "query_row = int(qm9.index[qm9['mol_id'] == QUERY_ID][0])\n"
        "query_neighbours = nearest_neighbours(spectra, query_row, K)\n"
        "query_distances = cdist(spectra[query_neighbours], spectra[[query_row]]).ravel()\n",
    },
    "einsum and np.take, the query row masked with infinity, squared distances for the ranking": {
        "coulomb_matrix": "def coulomb_matrix(Z, R):\n"
        "    Z = np.asarray(Z, dtype=float)\n"
        "    R = np.asarray(R, dtype=float)\n"
        "    if R.ndim != 2 or R.shape != (len(Z), 3):\n"
        "        raise ValueError('bad positions')\n"
        "    diff = R[:, None, :] - R[None, :, :]\n"
        "    D = np.sqrt(np.einsum('ijk,ijk->ij', diff, diff)) * (1.0 / BOHR)\n"
        "    iu = np.triu_indices(len(Z), 1)\n"
        "    if np.any(D[iu] == 0):\n"
        "        raise ValueError('atoms on top of each other')\n"
        "    M = np.diag(0.5 * Z**2.4)\n"
        "    M[iu] = Z[iu[0]] * Z[iu[1]] / D[iu]\n"
        "    M[iu[1], iu[0]] = M[iu]\n"
        "    return M\n",
        "move": "def move(Z, R, Q, t, order):\n"
        "    picked = np.take(np.asarray(R, dtype=float), order, axis=0)\n"
        "    return np.take(Z, order), np.einsum('ab,kb->ka', Q, picked) + np.asarray(t)\n",
        "nearest_neighbours": "def nearest_neighbours(X, i, k):\n"
        "    X = np.array(X, dtype=float)\n"
        "    if k < 1 or k > X.shape[0] - 1:\n"
        "        raise ValueError(f'k={k} outside 1..{X.shape[0] - 1}')\n"
        "    d2 = ((X - X[i]) ** 2).sum(axis=1)\n"
        "    d2[i] = np.inf\n"
        "    return np.argsort(d2, kind='mergesort')[:k]\n",
    },
    "a preallocated QM9 table, the row from a list, distances from the squared sum": {
        "coulomb_eigenvalues": "def coulomb_eigenvalues(Z, R, size):\n"
        "    M = coulomb_matrix(Z, R)\n"
        "    n = len(M)\n"
        "    if n > size:\n"
        "        raise ValueError(f'{n} atoms > size {size}')\n"
        "    out = np.zeros(size)\n"
        "    e = np.linalg.eigvalsh(M)\n"
        "    out[:n] = e[np.argsort(-np.abs(e), kind='stable')]\n"
        "    return out\n",
        "qm9_neighbours": "spectra = np.zeros((len(qm9), int(qm9['n_atoms'].max())))\n"
        "for j in range(len(qm9)):\n"
        "    spectra[j] = coulomb_eigenvalues(qm9['atomic_numbers'].iloc[j], qm9['positions'].iloc[j], spectra.shape[1])\n"
        "query_row = qm9['mol_id'].tolist().index(QUERY_ID)\n"
        "query_neighbours = nearest_neighbours(spectra, query_row, K)\n"
        "query_distances = np.sqrt(((spectra[query_neighbours] - spectra[query_row]) ** 2).sum(axis=1))\n",
    },
}
