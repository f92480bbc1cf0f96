"""Wrong answers a student might hand in for ex07_nested_cv."""

SPLIT_HEAD = (
    "def group_train_test_split(groups, test_size=0.2, seed=0):\n"
    "    groups = np.asarray(groups)\n"
    "    if not 0 < test_size < 1:\n        raise ValueError('test_size must be between 0 and 1')\n"
    "    labels = np.unique(groups)\n"
)
ENOUGH = "    if n_test >= len(labels):\n        raise ValueError('no group left for training')\n"
DRAW = (
    "    in_test = np.isin(groups, rng.permutation(labels)[:n_test])\n"
    "    return np.flatnonzero(~in_test), np.flatnonzero(in_test)\n"
)


def _split(
    count: str = "    n_test = int(np.ceil(test_size * len(labels)))\n", check: str = ENOUGH, rng: str = ""
) -> str:
    return SPLIT_HEAD + count + check + (rng or "    rng = np.random.default_rng(seed)\n") + DRAW


SEARCH_HEAD = (
    "def grouped_cv_search(make_model, X, y, groups, alphas, n_folds=5):\n"
    "    X, y, groups = np.asarray(X), np.asarray(y), np.asarray(groups)\n"
)


def _search(
    folds: str = "GroupKFold(n_splits=n_folds).split(X, y, groups)",
    model: str = "make_model(alpha)",
    score: str = "np.sqrt(np.mean((m.predict(X[val]) - y[val]) ** 2))",
    reduce: str = "scores.mean(axis=1)",
    pick: str = "alphas[int(np.argmin(cv))]",
    fit: str = "X[fit], y[fit]",
) -> str:
    return (
        SEARCH_HEAD + f"    splits = list({folds})\n"
        "    scores = np.zeros((len(alphas), len(splits)))\n"
        "    for f, (fit, val) in enumerate(splits):\n"
        "        for i, alpha in enumerate(alphas):\n"
        f"            m = {model}.fit({fit})\n"
        f"            scores[i, f] = {score}\n"
        f"    cv = {reduce}\n"
        f"    return cv, {pick}\n"
    )


NESTED_HEAD = (
    "def nested_cv_rmse(make_model, X, y, groups, alphas, n_outer=5, n_inner=5):\n"
    "    X, y, groups = np.asarray(X), np.asarray(y), np.asarray(groups)\n"
    "    outer_rmse, chosen = [], []\n"
)
CHOOSE = "        _, alpha = grouped_cv_search(make_model, X[train], y[train], groups[train], alphas, n_inner)\n"
SCORE = (
    "        m = make_model(alpha).fit(X[train], y[train])\n"
    "        outer_rmse.append(np.sqrt(np.mean((m.predict(X[test]) - y[test]) ** 2)))\n"
)


def _nested(
    folds: str = "GroupKFold(n_splits=n_outer).split(X, y, groups)",
    choose: str = CHOOSE,
    score: str = SCORE,
    pre: str = "",
) -> str:
    return (
        NESTED_HEAD
        + pre
        + f"    for train, test in {folds}:\n"
        + choose
        + score
        + "        chosen.append(alpha)\n    return np.array(outer_rmse), np.array(chosen)\n"
    )


SOLUBILITY = (
    "cv_rmse, alpha_best = grouped_cv_search(make_model, X, y, scaffolds, ALPHAS, n_folds=5)\n"
    "non_nested = {non_nested}\n"
    "outer_rmse, alphas_chosen = nested_cv_rmse(make_model, X, y, scaffolds, ALPHAS, n_outer=5, n_inner=5)\n"
    "nested = {nested}\n"
    "optimism = {optimism}\n"
)


def _solubility(
    non_nested: str = "float(cv_rmse.min())",
    nested: str = "float(outer_rmse.mean())",
    optimism: str = "nested - non_nested",
) -> str:
    return SOLUBILITY.format(non_nested=non_nested, nested=nested, optimism=optimism)


MUTANTS = {
    # Part 1: the split
    "rows split at random, groups ignored": {
        "group_train_test_split": "from sklearn.model_selection import train_test_split\n\n\n"
        "def group_train_test_split(groups, test_size=0.2, seed=0):\n"
        "    if not 0 < test_size < 1:\n        raise ValueError('test_size must be between 0 and 1')\n"
        "    if len(np.unique(groups)) < 2:\n        raise ValueError('need two groups')\n"
        "    return train_test_split(np.arange(len(groups)), test_size=test_size, random_state=seed)\n"
    },
    "number of test groups rounded to nearest": {
        "group_train_test_split": _split(count="    n_test = max(1, int(round(test_size * len(labels))))\n")
    },
    "number of test groups rounded down": {
        "group_train_test_split": _split(count="    n_test = max(1, int(test_size * len(labels)))\n")
    },
    "test_size taken as a share of the rows": {
        "group_train_test_split": SPLIT_HEAD + "    if len(labels) < 2:\n        raise ValueError('need two groups')\n"
        "    rng = np.random.default_rng(seed)\n"
        "    test_labels = []\n"
        "    for label in rng.permutation(labels)[:-1]:\n"
        "        if np.isin(groups, test_labels).sum() >= test_size * len(groups):\n            break\n"
        "        test_labels.append(label)\n"
        "    in_test = np.isin(groups, test_labels)\n"
        "    return np.flatnonzero(~in_test), np.flatnonzero(in_test)\n"
    },
    "training and test sets swapped": {
        "group_train_test_split": _split().replace(
            "return np.flatnonzero(~in_test), np.flatnonzero(in_test)",
            "return np.flatnonzero(in_test), np.flatnonzero(~in_test)",
        )
    },
    "unseeded global random state": {"group_train_test_split": _split(rng="    rng = np.random\n")},
    "seed ignored (always 0)": {"group_train_test_split": _split(rng="    rng = np.random.default_rng(0)\n")},
    "no ValueError when no group is left for training": {"group_train_test_split": _split(check="")},
    "test_size not validated": {
        "group_train_test_split": _split().replace(
            "    if not 0 < test_size < 1:\n        raise ValueError('test_size must be between 0 and 1')\n", ""
        )
    },
    # Part 2: the non-nested search
    "folds by KFold: groups ignored": {
        "grouped_cv_search": "from sklearn.model_selection import KFold\n\n\n"
        + _search(folds="KFold(n_splits=n_folds).split(X, y)")
    },
    "shuffled GroupKFold": {
        "grouped_cv_search": _search(
            folds="GroupKFold(n_splits=n_folds, shuffle=True, random_state=0).split(X, y, groups)"
        )
    },
    "mean squared error instead of its root": {
        "grouped_cv_search": _search(score="np.mean((m.predict(X[val]) - y[val]) ** 2)")
    },
    "validation predictions pooled before the root": {
        "grouped_cv_search": _search(
            score="np.sum((m.predict(X[val]) - y[val]) ** 2)",
            reduce="np.sqrt(scores.sum(axis=1) / len(y))",
        )
    },
    "training RMSE instead of validation RMSE": {
        "grouped_cv_search": _search(score="np.sqrt(np.mean((m.predict(X[fit]) - y[fit]) ** 2))")
    },
    "largest CV score chosen": {"grouped_cv_search": _search(pick="alphas[int(np.argmax(cv))]")},
    "index of the best value returned instead of the value": {"grouped_cv_search": _search(pick="int(np.argmin(cv))")},
    "the course's scaled ridge built in, make_model ignored": {
        "grouped_cv_search": _search(model="make_pipeline(StandardScaler(), Ridge(alpha=alpha))")
    },
    # Part 3: nested cross-validation
    "one value chosen on all rows, used in every outer fold": {
        "nested_cv_rmse": _nested(
            pre="    _, alpha = grouped_cv_search(make_model, X, y, groups, alphas, n_inner)\n", choose=""
        )
    },
    "inner search on the outer test fold": {
        "nested_cv_rmse": _nested(
            choose="        _, alpha = grouped_cv_search(make_model, X[test], y[test], groups[test], alphas, n_inner)\n"
        )
    },
    "value chosen by its RMSE on the outer test fold": {
        "nested_cv_rmse": _nested(
            choose="        errors = [np.sqrt(np.mean((make_model(a).fit(X[train], y[train]).predict(X[test]) - y[test]) ** 2)) "
            "for a in alphas]\n"
            "        alpha = alphas[int(np.argmin(errors))]\n"
        )
    },
    "inner CV score reported as the outer RMSE": {
        "nested_cv_rmse": _nested(
            choose="        inner, alpha = grouped_cv_search(make_model, X[train], y[train], groups[train], alphas, n_inner)\n",
            score="        outer_rmse.append(float(np.min(inner)))\n",
        )
    },
    "inner folds ignore the groups": {
        "nested_cv_rmse": "from sklearn.model_selection import KFold\n\n\n"
        + _nested(
            choose="        inner = []\n"
            "        for a in alphas:\n"
            "            fold = []\n"
            "            for fit, val in KFold(n_splits=n_inner).split(X[train]):\n"
            "                m = make_model(a).fit(X[train][fit], y[train][fit])\n"
            "                fold.append(np.sqrt(np.mean((m.predict(X[train][val]) - y[train][val]) ** 2)))\n"
            "            inner.append(np.mean(fold))\n"
            "        alpha = alphas[int(np.argmin(inner))]\n"
        )
    },
    "inner search with n_outer folds": {
        "nested_cv_rmse": _nested(choose=CHOOSE.replace("alphas, n_inner)", "alphas, n_outer)"))
    },
    "outer folds ignore the groups": {
        "nested_cv_rmse": "from sklearn.model_selection import KFold\n\n\n"
        + _nested(folds="KFold(n_splits=n_outer).split(X)")
    },
    # Part 4: solubility
    "optimism with the wrong sign": {"solubility_nested": _solubility(optimism="non_nested - nested")},
    "non-nested estimate: CV scores averaged over the grid": {
        "solubility_nested": _solubility(non_nested="float(cv_rmse.mean())")
    },
    "nested estimate: root of the mean squared fold RMSEs": {
        "solubility_nested": _solubility(nested="float(np.sqrt(np.mean(outer_rmse**2)))")
    },
    "every molecule its own group": {
        "solubility_nested": _solubility().replace("scaffolds, ALPHAS", "np.arange(len(y)), ALPHAS")
    },
}

# The mutants only hidden tests catch, and the input the visible tests lack (CONTRIBUTING.md,
# "Validate checks every stated rule"): the battery holds every other mutant to a visible failure.
HIDDEN_ONLY = {
    "the course's scaled ridge built in, make_model ignored": "the visible tests pass the setup cell's make_model; "
    "the hidden ones other models (unscaled ridge, a kernel width)",
}
