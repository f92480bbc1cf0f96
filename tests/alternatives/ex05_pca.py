"""Correct answers to ex05_pca, written differently from the reference."""

CHECK_K = (
    "    X = np.asarray(X, dtype=float)\n"
    "    if not 1 <= n_components <= min(X.shape):\n"
    "        raise ValueError(f'n_components must be in 1..{min(X.shape)}, got {n_components}')\n"
)

ALTERNATIVES = {
    "eigendecomposition of the covariance matrix, sorted by hand": {
        "pca_fit": "def pca_fit(X, n_components):\n" + CHECK_K + "    mean = np.mean(X, axis=0)\n"
        "    Xc = X - mean\n"
        "    vals, vecs = np.linalg.eigh(Xc.T @ Xc / (len(X) - 1))\n"
        "    order = np.argsort(vals)[::-1]\n"
        "    vals, vecs = vals[order], vecs[:, order]\n"
        "    return mean, vecs[:, :n_components].T, vals[:n_components] / vals.sum()\n",
    },
    "scikit-learn's PCA, with the range checked first": {
        "pca_fit": "from sklearn.decomposition import PCA\n\n\ndef pca_fit(X, n_components):\n"
        + CHECK_K
        + "    p = PCA(n_components=n_components, svd_solver='full').fit(X)\n"
        "    return p.mean_, p.components_, p.explained_variance_ratio_\n",
    },
    "SVD of the transposed data (components from U), full matrices": {
        "pca_fit": "def pca_fit(X, n_components):\n" + CHECK_K + "    mean = X.sum(axis=0) / X.shape[0]\n"
        "    u, s, _ = np.linalg.svd((X - mean).T, full_matrices=True)\n"
        "    var = s * s\n"
        "    return mean, u[:, :n_components].T.copy(), var[:n_components] / np.sum(var)\n",
    },
    "largest entry of each component made positive; loops everywhere else": {
        "pca_fit": "def pca_fit(X, n_components):\n" + CHECK_K + "    mean = X.mean(axis=0)\n"
        "    _, s, vt = np.linalg.svd(X - mean, full_matrices=False)\n"
        "    comps = vt[:n_components].copy()\n"
        "    for i in range(n_components):\n"
        "        if comps[i, np.argmax(np.abs(comps[i]))] < 0:\n"
        "            comps[i] = -comps[i]\n"
        "    total = 0.0\n"
        "    for value in s:\n"
        "        total += value**2\n"
        "    return mean, comps, np.array([s[i] ** 2 / total for i in range(n_components)])\n",
        "pca_transform": "def pca_transform(X_new, mean, components):\n"
        "    X_new = np.asarray(X_new, dtype=float)\n"
        "    components = np.asarray(components, dtype=float)\n"
        "    scores = np.zeros((X_new.shape[0], components.shape[0]))\n"
        "    for i in range(X_new.shape[0]):\n"
        "        for k in range(components.shape[0]):\n"
        "            scores[i, k] = np.dot(X_new[i] - mean, components[k])\n"
        "    return scores\n",
        "n_components_for": "def n_components_for(ratio, share):\n"
        "    if share <= 0 or share >= 1:\n"
        "        raise ValueError('share must lie strictly between 0 and 1')\n"
        "    total = 0.0\n"
        "    for k, r in enumerate(ratio, start=1):\n"
        "        total += r\n"
        "        if total >= share:\n"
        "            return k\n"
        "    raise ValueError(f'the ratios only add up to {total}')\n",
    },
    "dual: eigendecomposition of the Gram matrix X_c X_c^T": {
        "pca_fit": "def pca_fit(X, n_components):\n" + CHECK_K + "    mean = X.mean(axis=0)\n"
        "    Xc = X - mean\n"
        "    vals, u = np.linalg.eigh(Xc @ Xc.T)\n"
        "    vals, u = vals[::-1], u[:, ::-1]\n"
        "    comps = (Xc.T @ u[:, :n_components]) / np.sqrt(vals[:n_components])\n"
        "    return mean, comps.T, vals[:n_components] / vals.sum()\n",
    },
    "einsum projection, searchsorted count, the solubility part spelled out": {
        "pca_transform": "def pca_transform(X_new, mean, components):\n"
        "    return np.einsum('ij,kj->ik', np.asarray(X_new, dtype=float) - mean, np.asarray(components, dtype=float))\n",
        "n_components_for": "def n_components_for(ratio, share):\n"
        "    if not (share > 0 and share < 1):\n"
        "        raise ValueError('share out of range')\n"
        "    cumulative = np.cumsum(ratio)\n"
        "    k = int(np.searchsorted(cumulative, share, side='left')) + 1\n"
        "    if k > len(cumulative):\n"
        "        raise ValueError('the ratios never reach the share')\n"
        "    return k\n",
        "solubility_pca": "mean_train, components_train, ratio_all = pca_fit(Z_train, 10)\n"
        "k90 = n_components_for(list(ratio_all), 0.90)\n"
        "V_k = components_train[:k90]\n"
        "T_test = (Z_test - mean_train) @ V_k.T\n",
    },
    "count from the first index of a mask, test scores sliced after projecting on every component": {
        "n_components_for": "def n_components_for(ratio, share):\n"
        "    if not 0.0 < float(share) < 1.0:\n"
        "        raise ValueError('share must be in (0, 1)')\n"
        "    reached = np.cumsum(np.asarray(ratio, dtype=float)) >= share\n"
        "    if not reached.any():\n"
        "        raise ValueError('not enough variance in these components')\n"
        "    return int(np.flatnonzero(reached)[0] + 1)\n",
        "solubility_pca": "mean_train, components_train, ratio_all = pca_fit(Z_train, Z_train.shape[1])\n"
        "k90 = n_components_for(ratio_all, 0.9)\n"
        "T_test = np.dot(Z_test - mean_train, components_train.T)[:, :k90]\n",
    },
}
