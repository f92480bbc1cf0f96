"""Wrong answers a student might hand in for ex02_krr.

Forgetting to centre the labels is not among them: with the lam that cross-validation picks here
(1e-8) the uncentred model's test MAE differs from the centred one's by 1e-5 relative, so a test
that failed it would fail correct work too. Choosing the hyperparameters on the test set is not
either: on this split it picks the same (gamma, lam) as honest cross-validation, so no output differs; neither does
centring with the test-set mean instead of the training mean (the kernel reproduces the constant).
"""

KERNEL = (
    "def gaussian_kernel(A, B, gamma):\n    A = np.atleast_2d(np.asarray(A, dtype=float))\n"
    "    B = np.atleast_2d(np.asarray(B, dtype=float))\n{body}\n"
)
SQ = "    sq = (A**2).sum(axis=1)[:, None] + (B**2).sum(axis=1)[None, :] - 2.0 * A @ B.T\n"
FIT = "def krr_fit(K, y, lam):\n    K = np.asarray(K, float)\n{fit}\n\ndef krr_predict(K_new, alpha):\n{predict}\n"
GOOD_FIT = "    return np.linalg.solve(K + lam * np.eye(K.shape[0]), np.asarray(y, float))"
GOOD_PREDICT = "    return np.asarray(K_new, float) @ np.asarray(alpha, float)"
ESTIMATOR = (
    "from sklearn.base import BaseEstimator, RegressorMixin\n"
    "from sklearn.utils.validation import check_is_fitted\n"
    "class KernelRidgeRegression(RegressorMixin, BaseEstimator):\n"
    "    def __init__(self, gamma=1.0, lam=1.0):\n        self.gamma = gamma\n        self.lam = lam\n"
    "    def fit(self, X, y):\n        X = np.asarray(X, float); y = np.asarray(y, float)\n{fit}\n        return self\n"
    "    def predict(self, X):\n        check_is_fitted(self, 'dual_coef_')\n{predict}\n"
)

MUTANTS = {
    "kernel sign flipped": {
        "gaussian_kernel": KERNEL.format(body=SQ + "    return np.exp(gamma * np.maximum(sq, 0.0))")
    },
    "distance not squared": {
        "gaussian_kernel": KERNEL.format(body=SQ + "    return np.exp(-gamma * np.sqrt(np.maximum(sq, 0.0)))")
    },
    "cross term forgotten": {
        "gaussian_kernel": KERNEL.format(
            body="    sq = (A**2).sum(axis=1)[:, None] + (B**2).sum(axis=1)[None, :]\n    return np.exp(-gamma * sq)"
        )
    },
    "gamma as a width (divides)": {
        "gaussian_kernel": KERNEL.format(body=SQ + "    return np.exp(-np.maximum(sq, 0.0) / gamma)")
    },
    # Correct values, but a loop, which the exercise rules out. A loop over rows, not over pairs: a double
    # loop takes about 160 s in the QM9 part, and its verdict there would depend on the grader's
    # per-cell time limit rather than on the answer (make grade's 60 s would end it, a student's kernel
    # would not).
    "python loop over rows": {
        "gaussian_kernel": KERNEL.format(
            body="    K = np.empty((len(A), len(B)))\n    for i in range(len(A)):\n"
            "        K[i] = np.exp(-gamma * ((A[i] - B) ** 2).sum(axis=1))\n    return K"
        )
    },
    "lam forgotten": {
        "krr_fit_predict": FIT.format(
            fit="    return np.linalg.lstsq(K, np.asarray(y, float), rcond=None)[0]", predict=GOOD_PREDICT
        )
    },
    "lam added to every entry": {
        "krr_fit_predict": FIT.format(
            fit="    return np.linalg.solve(K + lam, np.asarray(y, float))", predict=GOOD_PREDICT
        )
    },
    "lam doubled": {
        "krr_fit_predict": FIT.format(
            fit="    return np.linalg.solve(K + 2 * lam * np.eye(len(K)), np.asarray(y, float))", predict=GOOD_PREDICT
        )
    },
    # Wrong only for lam = 0, which the text allows (lambda >= 0) and only the hidden tests use. (A fit that
    # raised on lam = 0 would be no hidden-only mutant for the battery: it counts any error as visible.)
    "lam = 0 replaced by a small ridge": {
        "krr_fit_predict": FIT.format(
            fit="    if lam == 0:\n        lam = 1e-6  # K alone may be singular\n" + GOOD_FIT, predict=GOOD_PREDICT
        )
    },
    # Accepts K_new either way round, guessing from its shape: wrong only when K_new is square and not
    # symmetric (as many new points as training points), which only the hidden tests use.
    "K_new transposed when it is square": {
        "krr_fit_predict": FIT.format(
            fit=GOOD_FIT,
            predict="    K_new = np.asarray(K_new, float)\n"
            "    if K_new.shape[0] == len(alpha):  # given as (n_train, n_new)?\n        K_new = K_new.T\n"
            "    return K_new @ np.asarray(alpha, float)",
        )
    },
    "predict with the kernel the wrong way round": {
        "krr_fit_predict": FIT.format(fit=GOOD_FIT, predict="    return np.dot(alpha, K_new)")
    },
    "intercept added to KRR": {
        "krr_estimator": ESTIMATOR.format(
            fit="        self.X_fit_ = X.copy()\n        self.y_mean_ = y.mean()\n"
            "        self.dual_coef_ = krr_fit(gaussian_kernel(X, X, self.gamma), y - self.y_mean_, self.lam)",
            predict="        return krr_predict(gaussian_kernel(np.asarray(X, float), self.X_fit_, self.gamma), self.dual_coef_) + self.y_mean_",
        )
    },
    "lam ignored by the estimator": {
        "krr_estimator": ESTIMATOR.format(
            fit="        self.X_fit_ = X.copy()\n        self.dual_coef_ = krr_fit(gaussian_kernel(X, X, self.gamma), y, 1e-10)",
            predict="        return krr_predict(gaussian_kernel(np.asarray(X, float), self.X_fit_, self.gamma), self.dual_coef_)",
        )
    },
    "final model fitted on the CV subset only": {
        "qm9_krr": "y_mean = y_train.mean()\n"
        "search = GridSearchCV(KernelRidgeRegression(), {'gamma': GAMMAS, 'lam': LAMS}, cv=5,\n"
        "                      scoring='neg_mean_absolute_error').fit(X_train[cv_index], y_train[cv_index] - y_mean)\n"
        "best_gamma = float(search.best_params_['gamma'])\nbest_lam = float(search.best_params_['lam'])\n"
        "model = search.best_estimator_\n"
        "test_mae = float(np.mean(np.abs(model.predict(X_test) + y_mean - y_test)))\n"
    },
    "root-mean-square error reported as the MAE": {
        "qm9_krr": "y_mean = y_train.mean()\n"
        "search = GridSearchCV(KernelRidgeRegression(), {'gamma': GAMMAS, 'lam': LAMS}, cv=5,\n"
        "                      scoring='neg_mean_absolute_error').fit(X_train[cv_index], y_train[cv_index] - y_mean)\n"
        "best_gamma = float(search.best_params_['gamma'])\nbest_lam = float(search.best_params_['lam'])\n"
        "model = KernelRidgeRegression(gamma=best_gamma, lam=best_lam).fit(X_train, y_train - y_mean)\n"
        "test_mae = float(np.sqrt(np.mean((model.predict(X_test) + y_mean - y_test) ** 2)))\n"
    },
    "hard-coded answers": {"qm9_krr": "best_gamma, best_lam, test_mae = 1e-05, 1e-08, 12.0\n"},
}

# The mutants Validate may pass, and why (CONTRIBUTING.md: Validate checks every stated rule).
HIDDEN_ONLY = {
    "lam = 0 replaced by a small ridge": "the visible tests use lam > 0; the hidden ones also lam = 0 (text: lam >= 0)",
    "K_new transposed when it is square": "the visible square K_new is symmetric; a hidden one is square and not",
}
