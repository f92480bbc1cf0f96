"""Wrong answers a student might hand in for ex05_pca."""

FIT = "def pca_fit(X, n_components):\n    X = np.asarray(X, dtype=float)\n{body}\n"
CHECK_K = "    if not 1 <= n_components <= min(X.shape):\n        raise ValueError('n_components out of range')\n"
TRANSFORM = "def pca_transform(X_new, mean, components):\n    X_new = np.asarray(X_new, dtype=float)\n{body}\n"
COUNT = "def n_components_for(ratio, share):\n{body}\n"
CHECK_SHARE = "    if not 0 < share < 1:\n        raise ValueError('share must be between 0 and 1')\n"

MUTANTS = {
    "no centring": {
        "pca_fit": FIT.format(
            body=CHECK_K + "    _, s, vt = np.linalg.svd(X, full_matrices=False)\n"
            "    return X.mean(axis=0), vt[:n_components], (s**2)[:n_components] / (s**2).sum()"
        )
    },
    "components taken as columns of V^T": {
        "pca_fit": FIT.format(
            body=CHECK_K + "    mean = X.mean(axis=0)\n    _, s, vt = np.linalg.svd(X - mean, full_matrices=False)\n"
            "    return mean, vt.T[:n_components], (s**2)[:n_components] / (s**2).sum()"
        )
    },
    "left singular vectors (U) instead of V": {
        "pca_fit": FIT.format(
            body=CHECK_K + "    mean = X.mean(axis=0)\n    u, s, vt = np.linalg.svd(X - mean, full_matrices=False)\n"
            "    return mean, u.T[:n_components], (s**2)[:n_components] / (s**2).sum()"
        )
    },
    "ratio from singular values, not their squares": {
        "pca_fit": FIT.format(
            body=CHECK_K + "    mean = X.mean(axis=0)\n    _, s, vt = np.linalg.svd(X - mean, full_matrices=False)\n"
            "    return mean, vt[:n_components], s[:n_components] / s.sum()"
        )
    },
    "ratio normalised by the kept components only": {
        "pca_fit": FIT.format(
            body=CHECK_K + "    mean = X.mean(axis=0)\n    _, s, vt = np.linalg.svd(X - mean, full_matrices=False)\n"
            "    v = s[:n_components] ** 2\n    return mean, vt[:n_components], v / v.sum()"
        )
    },
    "eigenvectors in eigh's ascending order": {
        "pca_fit": FIT.format(
            body=CHECK_K + "    mean = X.mean(axis=0)\n    Xc = X - mean\n"
            "    vals, vecs = np.linalg.eigh(Xc.T @ Xc)\n"
            "    return mean, vecs[:, :n_components].T, vals[:n_components] / vals.sum()"
        )
    },
    "ValueError only against the number of features": {
        "pca_fit": FIT.format(
            body="    if not 1 <= n_components <= X.shape[1]:\n        raise ValueError('too many components')\n"
            "    mean = X.mean(axis=0)\n    _, s, vt = np.linalg.svd(X - mean, full_matrices=False)\n"
            "    return mean, vt[:n_components], (s**2)[:n_components] / (s**2).sum()"
        )
    },
    "no ValueError for zero components": {
        "pca_fit": FIT.format(
            body="    if n_components > min(X.shape):\n        raise ValueError('too many components')\n"
            "    mean = X.mean(axis=0)\n    _, s, vt = np.linalg.svd(X - mean, full_matrices=False)\n"
            "    return mean, vt[:n_components], (s**2)[:n_components] / (s**2).sum()"
        )
    },
    "centres X in place": {
        "pca_fit": FIT.format(
            body=CHECK_K
            + "    mean = X.mean(axis=0)\n    X -= mean\n    _, s, vt = np.linalg.svd(X, full_matrices=False)\n"
            "    return mean, vt[:n_components], (s**2)[:n_components] / (s**2).sum()"
        )
    },
    "new data centred on its own mean": {
        "pca_transform": TRANSFORM.format(body="    return (X_new - X_new.mean(axis=0)) @ np.asarray(components).T")
    },
    "training mean ignored in the projection": {
        "pca_transform": TRANSFORM.format(body="    return X_new @ np.asarray(components).T")
    },
    "components not transposed": {
        "pca_transform": TRANSFORM.format(body="    return (X_new - mean) @ np.asarray(components)")
    },
    "centres X_new in place": {
        "pca_transform": TRANSFORM.format(body="    X_new -= mean\n    return X_new @ np.asarray(components).T")
    },
    "strict inequality (> instead of >=)": {
        "n_components_for": COUNT.format(
            body=CHECK_SHARE
            + "    c = np.cumsum(ratio)\n    if c[-1] < share:\n        raise ValueError('never reached')\n"
            "    return int(np.argmax(c > share)) + 1"
        )
    },
    "index instead of count": {
        "n_components_for": COUNT.format(
            body=CHECK_SHARE
            + "    c = np.cumsum(ratio)\n    if c[-1] < share:\n        raise ValueError('never reached')\n"
            "    return int(np.argmax(c >= share))"
        )
    },
    "share not validated": {
        "n_components_for": COUNT.format(
            body="    c = np.cumsum(ratio)\n    if c[-1] < share:\n        raise ValueError('never reached')\n"
            "    return int(np.argmax(c >= share)) + 1"
        )
    },
    "all components when the share is never reached": {
        "n_components_for": COUNT.format(
            body=CHECK_SHARE + "    c = np.cumsum(ratio)\n    if c[-1] < share:\n        return len(c)\n"
            "    return int(np.argmax(c >= share)) + 1"
        )
    },
    "PCA fitted on the test set": {
        "solubility_pca": "mean_train, components_train, ratio_all = pca_fit(Z_train, 10)\n"
        "k90 = n_components_for(ratio_all, 0.9)\n"
        "mean_test, components_test, _ = pca_fit(Z_test, 10)\n"
        "T_test = pca_transform(Z_test, mean_test, components_test[:k90])\n"
    },
    "95 % of the variance instead of 90 %": {
        "solubility_pca": "mean_train, components_train, ratio_all = pca_fit(Z_train, 10)\n"
        "k90 = n_components_for(ratio_all, 0.95)\n"
        "T_test = pca_transform(Z_test, mean_train, components_train[:k90])\n"
    },
    "raw descriptors instead of standardised ones": {
        "solubility_pca": "mean_train, components_train, ratio_all = pca_fit(X_train, 10)\n"
        "k90 = n_components_for(ratio_all, 0.9)\n"
        "T_test = pca_transform(X_test, mean_train, components_train[:k90])\n"
    },
    "all ten components kept for the test scores": {
        "solubility_pca": "mean_train, components_train, ratio_all = pca_fit(Z_train, 10)\n"
        "k90 = n_components_for(ratio_all, 0.9)\n"
        "T_test = pca_transform(Z_test, mean_train, components_train)\n"
    },
}

# The mutants only hidden tests catch, and the input the visible tests lack (CONTRIBUTING.md,
# "Validate checks every stated rule"): the battery holds every other mutant to a visible failure.
HIDDEN_ONLY = {
    "ValueError only against the number of features": "wide data (n < d) with min(n, d) < n_components <= d",
}
