"""Wrong answers a student might hand in for ex01_ridge."""

PRIMAL = "def ridge_closed_form(X, y, lam):\n    X = np.asarray(X, dtype=float)\n    y = np.asarray(y, dtype=float)\n{body}\n"
DUAL = "def ridge_dual(X, y, lam):\n    X = np.asarray(X, dtype=float)\n    y = np.asarray(y, dtype=float)\n{body}\n"

MUTANTS = {
    "wrong sign of lam": {
        "ridge_closed_form": PRIMAL.format(
            body="    return np.linalg.solve(X.T @ X - lam * np.eye(X.shape[1]), X.T @ y)"
        )
    },
    "lam ignored (plain least squares)": {
        "ridge_closed_form": PRIMAL.format(body="    return np.linalg.lstsq(X, y, rcond=None)[0]")
    },
    "lam added to every entry": {
        "ridge_closed_form": PRIMAL.format(body="    return np.linalg.solve(X.T @ X + lam, X.T @ y)")
    },
    "lam doubled": {
        "ridge_closed_form": PRIMAL.format(
            body="    return np.linalg.solve(X.T @ X + 2 * lam * np.eye(X.shape[1]), X.T @ y)"
        )
    },
    "lam scaled by the number of samples": {
        "ridge_closed_form": PRIMAL.format(
            body="    return np.linalg.solve(X.T @ X + lam * len(y) * np.eye(X.shape[1]), X.T @ y)"
        )
    },
    "modifies X in place": {
        "ridge_closed_form": "def ridge_closed_form(X, y, lam):\n"
        "    X *= 1.0\n    X[:] = np.asarray(X, dtype=float) + 0.0\n"
        "    X -= X.mean(axis=0) * 0\n    X[0] = X[0] * 1.000001\n"
        "    return np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ y)\n"
    },
    "dual without the transpose": {
        "ridge_dual": DUAL.format(
            body="    return np.linalg.solve(X @ X.T + lam * np.eye(X.shape[0]), y)[: X.shape[1]] if X.shape[0] >= X.shape[1] "
            "else np.pad(np.linalg.solve(X @ X.T + lam * np.eye(X.shape[0]), y), (0, X.shape[1] - X.shape[0]))"
        )
    },
    "dual via primal for tall X only": {
        "ridge_dual": DUAL.format(
            body="    if X.shape[0] <= 8:\n        return X.T @ np.linalg.solve(X @ X.T + lam * np.eye(X.shape[0]), y)\n"
            "    return np.linalg.solve(X.T @ X + np.eye(X.shape[1]), X.T @ y)"
        )
    },
    "intercept penalised (ones column)": {
        "ridge_estimator": "from sklearn.base import BaseEstimator, RegressorMixin\n"
        "from sklearn.utils.validation import check_is_fitted\n"
        "class RidgeRegression(RegressorMixin, BaseEstimator):\n"
        "    def __init__(self, lam=1.0, fit_intercept=True):\n        self.lam = lam\n        self.fit_intercept = fit_intercept\n"
        "    def fit(self, X, y):\n        X = np.asarray(X, float); y = np.asarray(y, float)\n"
        "        A = np.column_stack([np.ones(len(X)), X]) if self.fit_intercept else X\n"
        "        w = np.linalg.solve(A.T @ A + self.lam * np.eye(A.shape[1]), A.T @ y)\n"
        "        self.intercept_ = float(w[0]) if self.fit_intercept else 0.0\n"
        "        self.coef_ = w[1:] if self.fit_intercept else w\n        return self\n"
        "    def predict(self, X):\n        check_is_fitted(self, 'coef_')\n        return np.asarray(X, float) @ self.coef_ + self.intercept_\n"
    },
    "centres X in place": {
        "ridge_estimator": "from sklearn.base import BaseEstimator, RegressorMixin\n"
        "from sklearn.utils.validation import check_is_fitted\n"
        "class RidgeRegression(RegressorMixin, BaseEstimator):\n"
        "    def __init__(self, lam=1.0, fit_intercept=True):\n        self.lam = lam\n        self.fit_intercept = fit_intercept\n"
        "    def fit(self, X, y):\n        y = np.asarray(y, float)\n        x_mean = X.mean(axis=0) if self.fit_intercept else np.zeros(X.shape[1])\n"
        "        y_mean = y.mean() if self.fit_intercept else 0.0\n        X -= x_mean\n"
        "        self.coef_ = np.linalg.solve(X.T @ X + self.lam * np.eye(X.shape[1]), X.T @ (y - y_mean))\n"
        "        X += x_mean\n        X[0, 0] += 1e-3\n"
        "        self.intercept_ = float(y_mean - x_mean @ self.coef_)\n        return self\n"
        "    def predict(self, X):\n        check_is_fitted(self, 'coef_')\n        return np.asarray(X, float) @ self.coef_ + self.intercept_\n"
    },
    "fit_intercept ignored": {
        "ridge_estimator": "from sklearn.base import BaseEstimator, RegressorMixin\n"
        "from sklearn.utils.validation import check_is_fitted\n"
        "class RidgeRegression(RegressorMixin, BaseEstimator):\n"
        "    def __init__(self, lam=1.0, fit_intercept=True):\n        self.lam = lam\n        self.fit_intercept = fit_intercept\n"
        "    def fit(self, X, y):\n        X = np.asarray(X, float); y = np.asarray(y, float)\n"
        "        xm, ym = X.mean(axis=0), y.mean()\n"
        "        self.coef_ = np.linalg.solve((X - xm).T @ (X - xm) + self.lam * np.eye(X.shape[1]), (X - xm).T @ (y - ym))\n"
        "        self.intercept_ = float(ym - xm @ self.coef_)\n        return self\n"
        "    def predict(self, X):\n        check_is_fitted(self, 'coef_')\n        return np.asarray(X, float) @ self.coef_ + self.intercept_\n"
    },
    "predict without fit check, fit returns None": {
        "ridge_estimator": "from sklearn.base import BaseEstimator, RegressorMixin\n"
        "class RidgeRegression(RegressorMixin, BaseEstimator):\n"
        "    def __init__(self, lam=1.0, fit_intercept=True):\n        self.lam = lam\n        self.fit_intercept = fit_intercept\n"
        "        self.coef_ = None\n        self.intercept_ = 0.0\n"
        "    def fit(self, X, y):\n        X = np.asarray(X, float); y = np.asarray(y, float)\n"
        "        xm = X.mean(axis=0) if self.fit_intercept else np.zeros(X.shape[1])\n        ym = y.mean() if self.fit_intercept else 0.0\n"
        "        self.coef_ = np.linalg.solve((X - xm).T @ (X - xm) + self.lam * np.eye(X.shape[1]), (X - xm).T @ (y - ym))\n"
        "        self.intercept_ = float(ym - xm @ self.coef_)\n"
        "    def predict(self, X):\n        return np.asarray(X, float) @ self.coef_ + self.intercept_\n"
    },
    "lam chosen on the test set": {
        "solubility_cv": "scaler = StandardScaler().fit(X_train)\n"
        "scores = [np.sqrt(np.mean((RidgeRegression(lam=l).fit(scaler.transform(X_train), y_train).predict(scaler.transform(X_test)) - y_test) ** 2)) for l in LAM_GRID]\n"
        "best_lam = float(LAM_GRID[int(np.argmin(scores))])\ntest_rmse = float(min(scores))\n"
    },
    "hard-coded visible answers": {"solubility_cv": "best_lam = 1.0\ntest_rmse = 0.9\n"},
}

# The mutants Validate may pass, and why (CONTRIBUTING.md: Validate checks every stated rule).
HIDDEN_ONLY = {
    "dual via primal for tall X only": "the visible dual check has 8 rows; the hidden ones have more, and n < d",
}
