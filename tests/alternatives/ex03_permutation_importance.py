"""Correct answers to ex03_permutation_importance, written differently from the reference."""

CHECK = (
    "    X = np.asarray(X, dtype=float)\n    y = np.asarray(y)\n"
    "    if len(X) != len(y):\n        raise ValueError(f'X has {len(X)} rows, y has {len(y)}')\n"
)

ALTERNATIVES = {
    "repeats in the outer loop, features inside": {
        "permutation_importance": "def permutation_importance(predict, X, y, loss, n_repeats=5, seed=0):\n"
        + CHECK
        + "    rng = np.random.default_rng(seed)\n"
        "    n, d = X.shape\n    base = loss(y, predict(X))\n"
        "    out = np.zeros((d, n_repeats))\n"
        "    for r in range(n_repeats):\n"
        "        for j in range(d):\n"
        "            Z = X.copy()\n            Z[:, j] = Z[rng.permutation(n), j]\n"
        "            out[j, r] = loss(y, predict(Z)) - base\n"
        "    return out\n",
    },
    "one generator per feature from SeedSequence(seed).spawn(d)": {
        "permutation_importance": "def permutation_importance(predict, X, y, loss, n_repeats=5, seed=0):\n"
        + CHECK
        + "    n, d = X.shape\n"
        "    generators = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(d)]\n"
        "    base = loss(y, predict(X))\n"
        "    table = []\n"
        "    for j, g in enumerate(generators):\n"
        "        row = []\n"
        "        for _ in range(n_repeats):\n"
        "            Z = np.array(X)\n            Z[:, j] = X[g.permutation(n), j]\n"
        "            row.append(loss(y, predict(Z)) - base)\n"
        "        table.append(row)\n"
        "    return np.array(table)\n",
    },
    "one working copy, the column shuffled in place and restored": {
        "permutation_importance": "def permutation_importance(predict, X, y, loss, n_repeats=5, seed=0):\n"
        + CHECK
        + "    rng = np.random.default_rng(seed)\n"
        "    work = X.copy()\n    base = loss(y, predict(work))\n"
        "    out = np.empty((X.shape[1], n_repeats))\n"
        "    for j in range(X.shape[1]):\n"
        "        for r in range(n_repeats):\n"
        "            idx = np.arange(len(X))\n            rng.shuffle(idx)\n"
        "            work[:, j] = np.take(X[:, j], idx)\n"
        "            out[j, r] = loss(y, predict(work)) - base\n"
        "        work[:, j] = X[:, j]\n"
        "    return out\n",
    },
    "all repeats of a feature stacked into one call of the model": {
        "permutation_importance": "def permutation_importance(predict, X, y, loss, n_repeats=5, seed=0):\n"
        + CHECK
        + "    rng = np.random.default_rng(seed)\n"
        "    n, d = X.shape\n    base = loss(y, predict(X))\n"
        "    out = np.empty((d, n_repeats))\n"
        "    for j in range(d):\n"
        "        copies = np.repeat(X[None], n_repeats, axis=0)\n"
        "        for r in range(n_repeats):\n"
        "            copies[r, :, j] = X[rng.permutation(n), j]\n"
        "        pred = np.asarray(predict(copies.reshape(n_repeats * n, d))).reshape(n_repeats, n)\n"
        "        out[j] = [loss(y, p) - base for p in pred]\n"
        "    return out\n",
    },
    "list of lists, permuted rows taken with rng.permuted, top feature by max over pairs": {
        "permutation_importance": "def permutation_importance(predict, X, y, loss, n_repeats=5, seed=0):\n"
        "    X = np.array(X, dtype=float, copy=True)\n"
        "    if X.shape[0] != np.shape(y)[0]:\n        raise ValueError('X and y must have the same number of rows')\n"
        "    rng = np.random.default_rng(seed)\n"
        "    reference = float(loss(y, predict(X)))\n"
        "    rows = []\n"
        "    for j in range(X.shape[1]):\n"
        "        rows.append([])\n"
        "        for r in range(n_repeats):\n"
        "            order = rng.permuted(np.arange(X.shape[0]))\n"
        "            shuffled = X.copy()\n            shuffled[:, j] = X[:, j][order]\n"
        "            rows[-1].append(float(loss(y, predict(shuffled))) - reference)\n"
        "    return np.asarray(rows)\n",
        "solubility_importance": "importances = permutation_importance(model.predict, X_test, y_test, mean_squared_error, n_repeats=10, seed=SEED)\n"
        "top_feature = max(zip(importances.mean(axis=1), DESCRIPTORS))[1]\n",
    },
    "grouped importance in float32 with np.take (the forest works in float32 anyway)": {
        "duplicate_importance": "importances_dup = permutation_importance(model_dup.predict, X_test_dup, y_test, mean_squared_error, n_repeats=10, seed=SEED)\n"
        "rng = np.random.default_rng(SEED)\n"
        "X32 = X_test_dup.astype(np.float32)\n"
        "base32 = mean_squared_error(y_test, model_dup.predict(X32))\n"
        "gains = np.zeros(10, dtype=np.float32)\n"
        "for r in range(10):\n"
        "    Z = X32.copy()\n"
        "    Z[:, GROUP] = np.take(X32[:, GROUP], rng.permutation(len(X32)), axis=0)\n"
        "    gains[r] = mean_squared_error(y_test, model_dup.predict(Z)) - base32\n"
        "grouped_importance = gains.mean()\n",
    },
}
