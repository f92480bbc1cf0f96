"""Correct answers to ex08_roc_threshold, written differently from the reference."""

INPUTS = (
    "    y = np.array(y_true, dtype=bool)\n"
    "    s = np.array(scores, dtype=float)\n"
    "    if len(y) != len(s):\n"
    "        raise ValueError(f'{len(y)} labels but {len(s)} scores')\n"
)
CLASSES = (
    "    n_pos, n_neg = int(np.count_nonzero(y)), int(np.count_nonzero(~y))\n"
    "    if min(n_pos, n_neg) == 0:\n"
    "        raise ValueError('y_true must hold positives and negatives')\n"
)
TARGET = "    if target <= 0 or target > 1:\n        raise ValueError(f'target {target} is not in (0, 1]')\n"
NO_POSITIVE = "    if not y.any():\n        raise ValueError('no positive in y_true')\n"

ALTERNATIVES = {
    "a loop over the distinct scores; the AUC by pairs, one positive at a time; the threshold as an order statistic": {
        "roc_curve_points": "def roc_curve_points(y_true, scores):\n"
        + INPUTS
        + CLASSES
        + "    fpr, tpr = [0.0], [0.0]\n"
        "    for u in np.unique(s)[::-1]:\n"
        "        kept = s >= u\n"
        "        fpr.append(np.count_nonzero(kept & ~y) / n_neg)\n"
        "        tpr.append(np.count_nonzero(kept & y) / n_pos)\n"
        "    return np.array(fpr), np.array(tpr)\n",
        "auc_by_ranking": "def auc_by_ranking(y_true, scores):\n" + INPUTS + CLASSES + "    neg = s[~y]\n"
        "    total = 0.0\n"
        "    for p in s[y]:\n"
        "        total += np.count_nonzero(neg < p) + 0.5 * np.count_nonzero(neg == p)\n"
        "    return total / (n_pos * n_neg)\n",
        "threshold_for_recall": "import math\n\n\ndef threshold_for_recall(y_true, scores, target):\n"
        + TARGET
        + INPUTS
        + NO_POSITIVE
        + "    pos = np.sort(s[y])[::-1]\n"
        "    # the k-th highest positive score keeps at least k positives; k = ceil(target n_+) is the fewest that do\n"
        "    k = math.ceil(target * len(pos))\n"
        "    return float(pos[k - 1])\n",
    },
    "cumulative counts with np.diff for the ends of ties; the AUC from scipy's average ranks": {
        "roc_curve_points": "def roc_curve_points(y_true, scores):\n"
        + INPUTS
        + CLASSES
        + "    order = np.argsort(s)[::-1]\n"
        "    s_desc, y_desc = s[order], y[order]\n"
        "    ends = np.append(np.flatnonzero(np.diff(s_desc)), len(s_desc) - 1)\n"
        "    tp = np.cumsum(y_desc)[ends]\n"
        "    fp = (ends + 1) - tp\n"
        "    return np.concatenate([[0.0], fp / n_neg]), np.concatenate([[0.0], tp / n_pos])\n",
        "auc_by_ranking": "from scipy.stats import rankdata\n\n\ndef auc_by_ranking(y_true, scores):\n"
        + INPUTS
        + CLASSES
        + "    rank_sum = rankdata(s)[y].sum()\n"
        "    return float((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))\n",
    },
    "the AUC as the trapezoid area under the ROC curve of Part 1": {
        "auc_by_ranking": "def auc_by_ranking(y_true, scores):\n"
        "    fpr, tpr = roc_curve_points(y_true, scores)  # raises the ValueErrors of Part 1\n"
        "    return float(np.trapezoid(tpr, fpr))\n",
    },
    "counts by binary search; the threshold scanned from the top with searchsorted": {
        "roc_curve_points": "def roc_curve_points(y_true, scores):\n"
        + INPUTS
        + CLASSES
        + "    u = np.unique(s)[::-1]\n"
        "    pos, neg = np.sort(s[y]), np.sort(s[~y])\n"
        "    tp = n_pos - np.searchsorted(pos, u, side='left')\n"
        "    fp = n_neg - np.searchsorted(neg, u, side='left')\n"
        "    return np.r_[0, fp] / n_neg, np.r_[0, tp] / n_pos\n",
        "threshold_for_recall": "def threshold_for_recall(y_true, scores, target):\n"
        + TARGET
        + INPUTS
        + NO_POSITIVE
        + "    pos = np.sort(s[y])\n"
        "    candidates = np.unique(pos)[::-1]\n"
        "    recall = (len(pos) - np.searchsorted(pos, candidates, side='left')) / len(pos)\n"
        "    return float(candidates[recall >= target][0])\n",
    },
    "pandas groupby for the ROC; a manual out-of-fold loop and scikit-learn's metrics for the screening": {
        "roc_curve_points": "import pandas as pd\n\n\ndef roc_curve_points(y_true, scores):\n"
        + INPUTS
        + CLASSES
        + "    table = pd.DataFrame({'s': s, 'y': y.astype(int)}).groupby('s')['y'].agg(['sum', 'count'])\n"
        "    table = table.sort_index(ascending=False)\n"
        "    tp = table['sum'].cumsum().to_numpy()\n"
        "    fp = (table['count'] - table['sum']).cumsum().to_numpy()\n"
        "    return np.r_[0.0, fp / n_neg], np.r_[0.0, tp / n_pos]\n",
        "screening": "from sklearn.metrics import precision_score, recall_score\n\n"
        "score_oof = np.zeros(len(y_train))\n"
        "for fit, val in CV.split(X_train, y_train, g_train):\n"
        "    fold_model = make_classifier().fit(X_train[fit], y_train[fit])\n"
        "    score_oof[val] = fold_model.predict_proba(X_train[val])[:, 1]\n"
        "auc_oof = auc_by_ranking(y_train, score_oof)\n"
        "threshold = threshold_for_recall(y_train, score_oof, RECALL_TARGET)\n"
        "final = make_classifier()\n"
        "final.fit(X_train, y_train)\n"
        "score_test = final.predict_proba(X_test)[:, 1]\n"
        "predicted = (score_test >= threshold).astype(int)\n"
        "recall_test = recall_score(y_test, predicted)\n"
        "precision_test = precision_score(y_test, predicted)\n"
        "fpr_test = float(np.mean(predicted[y_test == 0]))\n",
    },
    "plain Python loops for the AUC and the threshold; the confusion matrix for the screening": {
        "auc_by_ranking": "def auc_by_ranking(y_true, scores):\n"
        "    labels, values = list(y_true), [float(v) for v in scores]\n"
        "    if len(labels) != len(values):\n"
        "        raise ValueError('y_true and scores differ in length')\n"
        "    pos = [v for v, label in zip(values, labels) if label]\n"
        "    neg = [v for v, label in zip(values, labels) if not label]\n"
        "    if not pos or not neg:\n"
        "        raise ValueError('both classes are needed')\n"
        "    neg.sort()\n"
        "    import bisect\n"
        "    total = 0.0\n"
        "    for p in pos:\n"
        "        below = bisect.bisect_left(neg, p)\n"
        "        equal = bisect.bisect_right(neg, p) - below\n"
        "        total += below + 0.5 * equal\n"
        "    return total / (len(pos) * len(neg))\n",
        "threshold_for_recall": "def threshold_for_recall(y_true, scores, target):\n"
        "    if not (0 < target <= 1):\n"
        "        raise ValueError('target out of range')\n"
        "    labels, values = list(y_true), [float(v) for v in scores]\n"
        "    if len(labels) != len(values):\n"
        "        raise ValueError('y_true and scores differ in length')\n"
        "    pos = sorted((v for v, label in zip(values, labels) if label), reverse=True)\n"
        "    if not pos:\n"
        "        raise ValueError('no positive')\n"
        "    for i, t in enumerate(pos):\n"
        "        if i + 1 < len(pos) and pos[i + 1] == t:\n"
        "            continue  # the last of a run of tied scores: all of them count\n"
        "        if (i + 1) / len(pos) >= target:\n"
        "            return t\n",
        "screening": "from sklearn.metrics import confusion_matrix\n\n"
        "score_oof = cross_val_predict(\n"
        "    make_classifier(), X_train, y_train, cv=CV, groups=g_train, method='predict_proba'\n"
        ")[:, 1]\n"
        "auc_oof = auc_by_ranking(y_train.tolist(), score_oof.tolist())\n"
        "threshold = threshold_for_recall(y_train, score_oof, RECALL_TARGET)\n"
        "score_test = make_classifier().fit(X_train, y_train).predict_proba(X_test)[:, 1]\n"
        "tn, fp, fn, tp = confusion_matrix(y_test, score_test >= threshold, labels=[False, True]).ravel()\n"
        "recall_test = tp / (tp + fn)\n"
        "precision_test = tp / (tp + fp)\n"
        "fpr_test = fp / (fp + tn)\n",
    },
    "scores through the logistic sigmoid of the decision function": {
        "screening": "from scipy.special import expit\n\n"
        "score_oof = expit(cross_val_predict(make_classifier(), X_train, y_train, groups=g_train, cv=CV, "
        "method='decision_function'))\n"
        "auc_oof = auc_by_ranking(y_train == 1, score_oof)\n"
        "threshold = threshold_for_recall(y_train == 1, score_oof, RECALL_TARGET)\n"
        "score_test = expit(make_classifier().fit(X_train, y_train).decision_function(X_test))\n"
        "positive, kept = y_test == 1, score_test >= threshold\n"
        "recall_test = kept[positive].mean()\n"
        "precision_test = positive[kept].mean()\n"
        "fpr_test = kept[~positive].mean()\n",
    },
}
