"""Wrong answers a student might hand in for ex08_roc_threshold."""

ROC = "def roc_curve_points(y_true, scores):\n{body}\n"
AUC = "def auc_by_ranking(y_true, scores):\n{body}\n"
THRESHOLD = "def threshold_for_recall(y_true, scores, target):\n{body}\n"

INPUTS = (
    "    y = np.asarray(y_true).astype(bool)\n"
    "    s = np.asarray(scores, dtype=float)\n"
    "    if y.shape != s.shape:\n"
    "        raise ValueError('y_true and scores differ in length')\n"
)
CLASSES = (
    "    n_pos = int(y.sum())\n"
    "    n_neg = len(y) - n_pos\n"
    "    if n_pos == 0 or n_neg == 0:\n"
    "        raise ValueError('both classes are needed')\n"
)
CUMULATIVE = (
    "    order = np.argsort(-s, kind='stable')\n"
    "    s_sorted, y_sorted = s[order], y[order]\n"
    "    tp, fp = np.cumsum(y_sorted), np.cumsum(~y_sorted)\n"
    "    last = np.r_[s_sorted[1:] != s_sorted[:-1], True]\n"
)
PAIRS = "    pos, neg = s[y], s[~y]\n"
PAIRS_CHECKED = PAIRS + "    if len(pos) == 0 or len(neg) == 0:\n        raise ValueError('both classes are needed')\n"
TARGET = "    if not 0 < target <= 1:\n        raise ValueError('target must lie in (0, 1]')\n"
POSITIVES = "    pos = s[y]\n    if len(pos) == 0:\n        raise ValueError('no positive')\n"
SCAN = "    candidates = np.unique(pos)[::-1]\n"

SCREENING = (
    "score_oof = {oof}\n"
    "auc_oof = auc_by_ranking(y_train, score_oof)\n"
    "threshold = {threshold}\n"
    "score_test = make_classifier().fit(X_train, y_train).predict_proba(X_test)[:, {column}]\n"
    "kept = score_test >= {cut}\n"
    "tp = np.sum(kept & (y_test == 1))\n"
    "fp = np.sum(kept & (y_test == 0))\n"
    "recall_test = {recall}\n"
    "precision_test = {precision}\n"
    "fpr_test = {fpr}\n"
)
RIGHT = {
    "oof": "cross_val_predict(make_classifier(), X_train, y_train, groups=g_train, cv=CV, method='predict_proba')[:, 1]",
    "threshold": "threshold_for_recall(y_train, score_oof, RECALL_TARGET)",
    "column": "1",
    "cut": "threshold",
    "recall": "float(tp / np.sum(y_test == 1))",
    "precision": "float(tp / (tp + fp))",
    "fpr": "float(fp / np.sum(y_test == 0))",
}


def screening(**changes: str) -> str:
    return SCREENING.format(**{**RIGHT, **changes})


MUTANTS = {
    # Part 1: the ROC curve
    "FPR and TPR swapped": {
        "roc_curve_points": ROC.format(
            body=INPUTS + CLASSES + CUMULATIVE + "    return np.r_[0.0, tp[last] / n_pos], np.r_[0.0, fp[last] / n_neg]"
        )
    },
    "one point per entry (ties not merged)": {
        "roc_curve_points": ROC.format(
            body=INPUTS + CLASSES + CUMULATIVE + "    return np.r_[0.0, fp / n_neg], np.r_[0.0, tp / n_pos]"
        )
    },
    "curve without the (0, 0) start": {
        "roc_curve_points": ROC.format(
            body=INPUTS + CLASSES + CUMULATIVE + "    return fp[last] / n_neg, tp[last] / n_pos"
        )
    },
    "strict > at the threshold": {
        "roc_curve_points": ROC.format(
            body=INPUTS + CLASSES + "    fpr, tpr = [0.0], [0.0]\n"
            "    for u in np.unique(s)[::-1]:\n"
            "        fpr.append(np.sum(~y & (s > u)) / n_neg)\n"
            "        tpr.append(np.sum(y & (s > u)) / n_pos)\n"
            "    return np.array(fpr), np.array(tpr)"
        )
    },
    "rates divided by the number of entries": {
        "roc_curve_points": ROC.format(
            body=INPUTS
            + CLASSES
            + CUMULATIVE
            + "    return np.r_[0.0, fp[last] / len(y)], np.r_[0.0, tp[last] / len(y)]"
        )
    },
    "no ValueError for a single class in the ROC": {
        "roc_curve_points": ROC.format(
            body=INPUTS
            + "    n_pos = int(y.sum())\n    n_neg = len(y) - n_pos\n"
            + CUMULATIVE
            + "    return np.r_[0.0, fp[last] / n_neg], np.r_[0.0, tp[last] / n_pos]"
        )
    },
    "inputs sorted in place": {
        "roc_curve_points": ROC.format(
            body="    y_in = np.asarray(y_true)\n    s = np.asarray(scores, dtype=float)\n"
            "    if y_in.shape != s.shape:\n        raise ValueError('y_true and scores differ in length')\n"
            "    order = np.argsort(-s, kind='stable')\n"
            "    s[:] = s[order]\n    y_in[:] = y_in[order]\n"
            "    y = y_in.astype(bool)\n" + CLASSES + "    tp, fp = np.cumsum(y), np.cumsum(~y)\n"
            "    last = np.r_[s[1:] != s[:-1], True]\n"
            "    return np.r_[0.0, fp[last] / n_neg], np.r_[0.0, tp[last] / n_pos]"
        )
    },
    "scores rounded to six decimals before ranking": {
        "roc_curve_points": ROC.format(
            body=INPUTS
            + "    s = np.round(s, 6)  # to catch ties that floating point hides\n"
            + CLASSES
            + CUMULATIVE
            + "    return np.r_[0.0, fp[last] / n_neg], np.r_[0.0, tp[last] / n_pos]"
        )
    },
    "negatives as ~y_true (wrong for 0/1 integers)": {
        "roc_curve_points": ROC.format(
            body="    y = np.asarray(y_true)\n    s = np.asarray(scores, dtype=float)\n"
            "    if y.shape != s.shape:\n        raise ValueError('y_true and scores differ in length')\n"
            "    n_pos, n_neg = int(np.sum(y)), int(np.sum(~y))\n"
            "    if n_pos == 0 or n_neg == 0:\n        raise ValueError('both classes are needed')\n"
            "    order = np.argsort(-s, kind='stable')\n"
            "    tp, fp = np.cumsum(y[order]), np.cumsum(~y[order])\n"
            "    s_sorted = s[order]\n"
            "    last = np.r_[s_sorted[1:] != s_sorted[:-1], True]\n"
            "    return np.r_[0.0, fp[last] / n_neg], np.r_[0.0, tp[last] / n_pos]"
        )
    },
    "lists used as given": {
        "roc_curve_points": ROC.format(
            body="    if len(y_true) != len(scores):\n        raise ValueError('y_true and scores differ in length')\n"
            "    n_pos = int(y_true.sum())\n    n_neg = len(y_true) - n_pos\n"
            "    if n_pos == 0 or n_neg == 0:\n        raise ValueError('both classes are needed')\n"
            "    order = np.argsort(-scores, kind='stable')\n"
            "    s_sorted, y_sorted = scores[order], y_true[order] == 1\n"
            "    tp, fp = np.cumsum(y_sorted), np.cumsum(~y_sorted)\n"
            "    last = np.r_[s_sorted[1:] != s_sorted[:-1], True]\n"
            "    return np.r_[0.0, fp[last] / n_neg], np.r_[0.0, tp[last] / n_pos]"
        )
    },
    # Part 2: the AUC
    "ties counted as wins": {
        "auc_by_ranking": AUC.format(
            body=INPUTS + PAIRS_CHECKED + "    return float(np.mean(pos[:, None] >= neg[None, :]))"
        )
    },
    "ties counted as losses": {
        "auc_by_ranking": AUC.format(
            body=INPUTS + PAIRS_CHECKED + "    return float(np.mean(pos[:, None] > neg[None, :]))"
        )
    },
    "negatives outranking positives (1 - AUC)": {
        "auc_by_ranking": AUC.format(
            body=INPUTS
            + PAIRS_CHECKED
            + "    return float(np.mean(neg[None, :] > pos[:, None]) + 0.5 * np.mean(pos[:, None] == neg[None, :]))"
        )
    },
    "ordinal ranks (ties broken by position)": {
        "auc_by_ranking": AUC.format(
            body="    from scipy.stats import rankdata\n\n"
            + INPUTS
            + CLASSES
            + "    ranks = rankdata(s, method='ordinal')\n"
            "    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))"
        )
    },
    "rank sum without subtracting n+(n+ + 1)/2": {
        "auc_by_ranking": AUC.format(
            body="    from scipy.stats import rankdata\n\n"
            + INPUTS
            + CLASSES
            + "    return float(rankdata(s)[y].sum() / (n_pos * n_neg))"
        )
    },
    "no ValueError for a single class in the AUC": {
        "auc_by_ranking": AUC.format(
            body=INPUTS
            + PAIRS
            + "    wins = np.sum(pos[:, None] > neg[None, :]) + 0.5 * np.sum(pos[:, None] == neg[None, :])\n"
            "    return float(np.divide(wins, len(pos) * len(neg)))"
        )
    },
    "lengths not checked (an IndexError instead of a ValueError)": {
        "auc_by_ranking": AUC.format(
            body="    y = np.asarray(y_true).astype(bool)\n    s = np.asarray(scores, dtype=float)\n"
            + PAIRS_CHECKED
            + "    wins = np.sum(pos[:, None] > neg[None, :]) + 0.5 * np.sum(pos[:, None] == neg[None, :])\n"
            "    return float(wins / (len(pos) * len(neg)))"
        )
    },
    # Part 3: the threshold
    "entries tied at the threshold not counted (s > t)": {
        "threshold_for_recall": THRESHOLD.format(
            body=TARGET
            + INPUTS
            + POSITIVES
            + SCAN
            + "    recall = np.array([np.sum(pos > t) for t in candidates]) / len(pos)\n"
            "    return float(candidates[np.argmax(recall >= target)])"
        )
    },
    "recall must exceed the target (> instead of >=)": {
        "threshold_for_recall": THRESHOLD.format(
            body=TARGET
            + INPUTS
            + POSITIVES
            + SCAN
            + "    recall = np.array([np.sum(pos >= t) for t in candidates]) / len(pos)\n"
            "    return float(candidates[np.argmax(recall > target)])"
        )
    },
    "the lecture's quantile of the positive scores": {
        "threshold_for_recall": THRESHOLD.format(
            body=TARGET + INPUTS + POSITIVES + "    return float(np.quantile(pos, 1 - target, method='lower'))"
        )
    },
    "quantile of all scores, positives and negatives together": {
        "threshold_for_recall": THRESHOLD.format(
            body=TARGET + INPUTS + POSITIVES + "    return float(np.quantile(s, 1 - target, method='lower'))"
        )
    },
    "target not validated": {
        "threshold_for_recall": THRESHOLD.format(
            body=INPUTS
            + POSITIVES
            + SCAN
            + "    recall = np.array([np.sum(pos >= t) for t in candidates]) / len(pos)\n"
            "    return float(candidates[np.argmax(recall >= target)])"
        )
    },
    # Part 4: the screening
    "random folds instead of folds grouped by composition": {
        "screening": "from sklearn.model_selection import KFold\n\n"
        + screening(
            oof="cross_val_predict(make_classifier(), X_train, y_train, "
            "cv=KFold(5, shuffle=True, random_state=SEED), method='predict_proba')[:, 1]"
        )
    },
    "groups left out (cv=5)": {
        "screening": screening(
            oof="cross_val_predict(make_classifier(), X_train, y_train, cv=5, method='predict_proba')[:, 1]"
        )
    },
    "in-fold scores of the model fitted on all training entries": {
        "screening": screening(oof="make_classifier().fit(X_train, y_train).predict_proba(X_train)[:, 1]")
    },
    "threshold chosen on the test set": {
        "screening": "score_test = make_classifier().fit(X_train, y_train).predict_proba(X_test)[:, 1]\n"
        + screening(threshold="threshold_for_recall(y_test, score_test, RECALL_TARGET)")
    },
    "probability of class 0": {
        "screening": screening(
            oof="cross_val_predict(make_classifier(), X_train, y_train, groups=g_train, cv=CV, "
            "method='predict_proba')[:, 0]",
            column="0",
        )
    },
    "recall and precision swapped": {
        "screening": screening(recall="float(tp / (tp + fp))", precision="float(tp / np.sum(y_test == 1))")
    },
    "false-positive rate as FP / (TP + FP)": {"screening": screening(fpr="float(fp / (tp + fp))")},
    "default threshold 0.5 on the test set": {"screening": screening(cut="0.5")},
}

# The mutants only hidden tests catch, and the input the visible tests lack (CONTRIBUTING.md,
# "Validate checks every stated rule"): the battery holds every other mutant to a visible failure.
HIDDEN_ONLY = {
    "scores rounded to six decimals before ranking": "scores that differ by less than 1e-6 (hidden close_scores)",
}
