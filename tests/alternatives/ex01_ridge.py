"""Correct answers to ex01_ridge, written differently from the reference."""

CHECKED = (
    "    X = np.asarray(X, dtype=float)\n    y = np.asarray(y, dtype=float)\n"
    "    if X.ndim != 2 or y.shape != (X.shape[0],):\n"
    "        raise ValueError(f'X has {len(X)} rows but y has {len(y)} labels')\n"
)

ALTERNATIVES = {
    "primal by least squares on the augmented system, dual with an explicit inverse": {
        "ridge_closed_form": "def ridge_closed_form(X, y, lam):\n" + CHECKED + "    d = X.shape[1]\n"
        "    A = np.vstack([X, np.sqrt(lam) * np.eye(d)])\n"
        "    b = np.concatenate([y, np.zeros(d)])\n"
        "    return np.linalg.lstsq(A, b, rcond=None)[0]\n",
        "ridge_dual": "def ridge_dual(X, y, lam):\n"
        + CHECKED
        + "    return X.T @ np.linalg.inv(X @ X.T + lam * np.eye(len(X))) @ y\n",
    },
    "primal and dual through the SVD": {
        "ridge_closed_form": "def ridge_closed_form(X, y, lam):\n"
        + CHECKED
        + "    U, s, Vt = np.linalg.svd(X, full_matrices=False)\n"
        "    return Vt.T @ (s / (s**2 + lam) * (U.T @ y))\n",
        "ridge_dual": "import scipy.linalg\n\ndef ridge_dual(X, y, lam):\n"
        + CHECKED
        + "    alpha = scipy.linalg.solve(X @ X.T + lam * np.eye(X.shape[0]), y, assume_a='sym')\n"
        "    return X.T.dot(alpha)\n",
    },
    "in-place diagonal on a fresh matrix, scipy's Cholesky-free solver, estimator with an unpenalised ones column": {
        "ridge_closed_form": "import scipy.linalg\n\ndef ridge_closed_form(X, y, lam):\n"
        + CHECKED
        + "    A = X.T.dot(X)\n    A[np.diag_indices_from(A)] += lam\n"
        "    return scipy.linalg.solve(A, X.T.dot(y))\n",
        "ridge_estimator": "from sklearn.base import BaseEstimator, RegressorMixin\n"
        "from sklearn.utils.validation import check_X_y, check_array, check_is_fitted\n\n\n"
        "class RidgeRegression(RegressorMixin, BaseEstimator):\n"
        "    def __init__(self, lam=1.0, fit_intercept=True):\n        self.lam = lam\n        self.fit_intercept = fit_intercept\n\n"
        "    def fit(self, X, y):\n"
        "        X, y = check_X_y(X, y, y_numeric=True)\n"
        "        X = X.astype(float)\n"
        "        if self.fit_intercept:\n"
        "            # centre on the column means so the ones column is orthogonal to the rest\n"
        "            mu = X.mean(axis=0)\n"
        "            Z = np.column_stack([np.ones(len(X)), X - mu])\n"
        "            P = np.eye(Z.shape[1]) * self.lam\n            P[0, 0] = 0.0\n"
        "            theta = np.linalg.solve(Z.T @ Z + P, Z.T @ y)\n"
        "            self.coef_ = theta[1:]\n            self.intercept_ = float(theta[0] - mu @ theta[1:])\n"
        "        else:\n"
        "            self.coef_ = np.linalg.solve(X.T @ X + self.lam * np.eye(X.shape[1]), X.T @ y)\n"
        "            self.intercept_ = 0.0\n"
        "        self.n_features_in_ = X.shape[1]\n        return self\n\n"
        "    def predict(self, X):\n        check_is_fitted(self)\n"
        "        return np.dot(check_array(X), self.coef_) + self.intercept_\n",
    },
    "estimator reusing ridge_closed_form on centred copies, is_fitted via an attribute check": {
        "ridge_estimator": "from sklearn.base import BaseEstimator, RegressorMixin\n"
        "from sklearn.exceptions import NotFittedError\n"
        "from sklearn.utils.validation import check_X_y, check_array\n\n\n"
        "class RidgeRegression(RegressorMixin, BaseEstimator):\n"
        "    def __init__(self, lam=1.0, fit_intercept=True):\n        self.lam = lam\n        self.fit_intercept = fit_intercept\n\n"
        "    def fit(self, X, y):\n"
        "        X, y = check_X_y(X, y, dtype=np.float64)\n"
        "        x_bar = X.mean(0) if self.fit_intercept else np.zeros(X.shape[1])\n"
        "        y_bar = y.mean() if self.fit_intercept else 0.0\n"
        "        self.coef_ = ridge_closed_form(X - x_bar, y - y_bar, self.lam)\n"
        "        self.intercept_ = float(y_bar - x_bar.dot(self.coef_))\n"
        "        self.n_features_in_ = X.shape[1]\n        return self\n\n"
        "    def predict(self, X):\n"
        "        if not hasattr(self, 'coef_'):\n            raise NotFittedError('call fit first')\n"
        "        return check_array(X, dtype=np.float64) @ self.coef_ + self.intercept_\n",
    },
    "cross-validation by hand with KFold (same folds as cv=5), then one fit": {
        "solubility_cv": "from sklearn.model_selection import KFold\n"
        "scores = []\n"
        "for lam in LAM_GRID:\n"
        "    errors = []\n"
        "    for fit_idx, val_idx in KFold(n_splits=5).split(X_train):\n"
        "        pipe = make_pipeline(StandardScaler(), RidgeRegression(lam=lam)).fit(X_train[fit_idx], y_train[fit_idx])\n"
        "        errors.append(np.sqrt(np.mean((pipe.predict(X_train[val_idx]) - y_train[val_idx]) ** 2)))\n"
        "    scores.append(np.mean(errors))\n"
        "best_lam = LAM_GRID[int(np.argmin(scores))]\n"
        "final = make_pipeline(StandardScaler(), RidgeRegression(lam=best_lam)).fit(X_train, y_train)\n"
        "test_rmse = np.sqrt(np.mean((final.predict(X_test) - y_test) ** 2))\n",
    },
    "GridSearchCV with an explicit Pipeline, numpy scalars kept, sklearn's RMSE": {
        "solubility_cv": "from sklearn.metrics import root_mean_squared_error\nfrom sklearn.pipeline import Pipeline\n"
        "search = GridSearchCV(Pipeline([('scale', StandardScaler()), ('ridge', RidgeRegression())]),\n"
        "                      param_grid={'ridge__lam': list(LAM_GRID)}, cv=5, scoring='neg_root_mean_squared_error')\n"
        "search.fit(X_train, y_train)\n"
        "best_lam = search.best_params_['ridge__lam']\n"
        "test_rmse = root_mean_squared_error(y_test, search.best_estimator_.predict(X_test))\n",
    },
}
