"""Wrong answers a student might hand in for ex03_permutation_importance."""

HEAD = (
    "def permutation_importance(predict, X, y, loss, n_repeats=5, seed=0):\n"
    "    X = np.asarray(X, dtype=float)\n    y = np.asarray(y)\n"
    "    if X.shape[0] != y.shape[0]:\n        raise ValueError('X and y differ in length')\n"
)
LOOP = (
    "    rng = np.random.default_rng(seed)\n    baseline = loss(y, predict(X))\n"
    "    out = np.empty((X.shape[1], n_repeats))\n"
    "    for j in range(X.shape[1]):\n        for r in range(n_repeats):\n"
)
GOOD_BODY = (
    "            Z = X.copy()\n            Z[:, j] = X[rng.permutation(len(X)), j]\n"
    "            out[j, r] = loss(y, predict(Z)) - baseline\n"
)


def _pi(body: str = GOOD_BODY, loop: str = LOOP, tail: str = "    return out\n") -> str:
    return HEAD + loop + body + tail


MUTANTS = {
    "ratio instead of difference": {
        "permutation_importance": _pi(
            body="            Z = X.copy()\n            Z[:, j] = X[rng.permutation(len(X)), j]\n"
            "            out[j, r] = loss(y, predict(Z)) / baseline - 1.0 if baseline > 0 else 0.0\n"
        )
    },
    "sign flipped": {
        "permutation_importance": _pi(
            body="            Z = X.copy()\n            Z[:, j] = X[rng.permutation(len(X)), j]\n"
            "            out[j, r] = baseline - loss(y, predict(Z))\n"
        )
    },
    "baseline not subtracted": {
        "permutation_importance": _pi(
            body="            Z = X.copy()\n            Z[:, j] = X[rng.permutation(len(X)), j]\n"
            "            out[j, r] = loss(y, predict(Z))\n"
        )
    },
    "one permutation reused for all repeats": {
        "permutation_importance": _pi(
            body="            Z = X.copy()\n            Z[:, j] = X[np.random.default_rng(seed + j).permutation(len(X)), j]\n"
            "            out[j, r] = loss(y, predict(Z)) - baseline\n"
        )
    },
    "one permutation per repeat shared by all features": {
        "permutation_importance": HEAD + "    rng = np.random.default_rng(seed)\n    baseline = loss(y, predict(X))\n"
        "    perms = [rng.permutation(len(X)) for _ in range(n_repeats)]\n"
        "    out = np.empty((X.shape[1], n_repeats))\n"
        "    for j in range(X.shape[1]):\n        for r in range(n_repeats):\n"
        "            Z = X.copy()\n            Z[:, j] = X[perms[r], j]\n"
        "            out[j, r] = loss(y, predict(Z)) - baseline\n    return out\n"
    },
    "seed ignored (always 0)": {
        "permutation_importance": _pi(loop=LOOP.replace("default_rng(seed)", "default_rng(0)"))
    },
    "unseeded global random state": {
        "permutation_importance": _pi(
            body="            Z = X.copy()\n            Z[:, j] = X[np.random.permutation(len(X)), j]\n"
            "            out[j, r] = loss(y, predict(Z)) - baseline\n"
        )
    },
    "shuffles X in place": {
        "permutation_importance": _pi(
            body="            rng.shuffle(X[:, j])\n            out[j, r] = loss(y, predict(X)) - baseline\n"
        ).replace("    X = np.asarray(X, dtype=float)\n", "    X = np.asarray(X)\n")
    },
    "shuffles whole rows instead of one column": {
        "permutation_importance": _pi(
            body="            Z = X[rng.permutation(len(X))]\n            Z[:, :j] = X[:, :j]\n"
            "            out[j, r] = loss(y, predict(Z)) - baseline\n"
        )
    },
    "shuffles y instead of the column": {
        "permutation_importance": _pi(
            body="            out[j, r] = loss(y[rng.permutation(len(y))], predict(X)) - baseline\n"
        )
    },
    "mean squared error hard-coded": {
        "permutation_importance": _pi(
            body="            Z = X.copy()\n            Z[:, j] = X[rng.permutation(len(X)), j]\n"
            "            out[j, r] = np.mean((y - predict(Z)) ** 2) - np.mean((y - predict(X)) ** 2)\n"
        )
    },
    "table transposed": {"permutation_importance": _pi(tail="    return out.T\n")},
    "sorted column instead of a permutation": {
        "permutation_importance": _pi(
            body="            Z = X.copy()\n            Z[:, j] = np.sort(X[:, j])[::-1]\n"
            "            out[j, r] = loss(y, predict(Z)) - baseline\n"
        )
    },
    "importance measured on the training set": {
        "solubility_importance": "importances = permutation_importance(model.predict, X_train, y_train, mean_squared_error, n_repeats=10, seed=SEED)\n"
        "top_feature = DESCRIPTORS[int(np.argmax(importances.mean(axis=1)))]\n"
    },
    "grouped importance with one permutation per column": {
        "duplicate_importance": "importances_dup = permutation_importance(model_dup.predict, X_test_dup, y_test, mean_squared_error, n_repeats=10, seed=SEED)\n"
        "rng = np.random.default_rng(SEED)\nbaseline = mean_squared_error(y_test, model_dup.predict(X_test_dup))\n"
        "increases = []\nfor _ in range(10):\n    shuffled = X_test_dup.copy()\n"
        "    for g in GROUP:\n        shuffled[:, g] = X_test_dup[rng.permutation(len(X_test_dup)), g]\n"
        "    increases.append(mean_squared_error(y_test, model_dup.predict(shuffled)) - baseline)\n"
        "grouped_importance = float(np.mean(increases))\n"
    },
    "grouped importance as the sum of the single ones": {
        "duplicate_importance": "importances_dup = permutation_importance(model_dup.predict, X_test_dup, y_test, mean_squared_error, n_repeats=10, seed=SEED)\n"
        "grouped_importance = float(importances_dup[0].mean() + importances_dup[10].mean())\n"
    },
}

# The mutants Validate may pass, and why (CONTRIBUTING.md: Validate checks every stated rule).
HIDDEN_ONLY = {
    "mean squared error hard-coded": "the visible tests pass the mean squared error; the hidden ones another loss",
}
