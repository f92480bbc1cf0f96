"""Correct answers to ex02_krr, written differently from the reference."""

ESTIMATOR_HEAD = (
    "from sklearn.base import BaseEstimator, RegressorMixin\n"
    "from sklearn.utils.validation import check_array, check_is_fitted, check_X_y\n\n\n"
    "class KernelRidgeRegression(RegressorMixin, BaseEstimator):\n"
    "    def __init__(self, gamma=1.0, lam=1.0):\n        self.gamma = gamma\n        self.lam = lam\n\n"
)

ALTERNATIVES = {
    "kernel from scipy's cdist, fit with scipy.linalg.solve": {
        "gaussian_kernel": "from scipy.spatial.distance import cdist\n\n"
        "def gaussian_kernel(A, B, gamma):\n"
        "    return np.exp(-gamma * cdist(np.atleast_2d(A), np.atleast_2d(B), 'sqeuclidean'))\n",
        "krr_fit_predict": "import scipy.linalg\n\n"
        "def krr_fit(K, y, lam):\n"
        "    K = np.asarray(K, dtype=float)\n"
        "    return scipy.linalg.solve(K + lam * np.eye(len(K)), np.asarray(y, dtype=float), assume_a='sym')\n\n\n"
        "def krr_predict(K_new, alpha):\n    return np.dot(K_new, alpha)\n",
    },
    "kernel by broadcasting differences, fit through an explicit inverse": {
        "gaussian_kernel": "def gaussian_kernel(A, B, gamma):\n"
        "    A = np.asarray(A, dtype=float).reshape(-1, np.shape(A)[-1])\n"
        "    B = np.asarray(B, dtype=float).reshape(-1, np.shape(B)[-1])\n"
        "    diff = A[:, None, :] - B[None, :, :]\n"
        "    return np.exp(-gamma * np.sum(diff * diff, axis=-1))\n",
        "krr_fit_predict": "def krr_fit(K, y, lam):\n"
        "    K = np.array(K, dtype=float)  # a copy: the diagonal is changed in place below\n"
        "    K[np.diag_indices_from(K)] += lam\n"
        "    return np.linalg.inv(K) @ y\n\n\n"
        "def krr_predict(K_new, alpha):\n    return np.einsum('ij,j->i', K_new, alpha)\n",
    },
    "kernel with einsum norms, estimator keeping a view of X": {
        "gaussian_kernel": "def gaussian_kernel(A, B, gamma):\n"
        "    A = np.atleast_2d(A).astype(float)\n    B = np.atleast_2d(B).astype(float)\n"
        "    sq = np.einsum('ij,ij->i', A, A)[:, None] + np.einsum('ij,ij->i', B, B)[None, :] - 2 * A @ B.T\n"
        "    return np.exp(-gamma * sq.clip(min=0))\n",
        "krr_estimator": ESTIMATOR_HEAD + "    def fit(self, X, y):\n"
        "        X, y = check_X_y(X, y, dtype=float)\n"
        "        self.X_fit_ = X  # no copy: check_X_y already gave a float array and nothing changes it\n"
        "        self.dual_coef_ = krr_fit(gaussian_kernel(X, X, self.gamma), y, self.lam)\n"
        "        self.n_features_in_ = X.shape[1]\n"
        "        return self\n\n"
        "    def predict(self, X):\n"
        "        check_is_fitted(self)\n"
        "        return gaussian_kernel(check_array(X, dtype=float), self.X_fit_, self.gamma) @ self.dual_coef_\n",
    },
    "estimator with its own kernel code and sklearn's rbf_kernel": {
        "krr_estimator": ESTIMATOR_HEAD + "    def fit(self, X, y):\n"
        "        from sklearn.metrics.pairwise import rbf_kernel\n"
        "        X, y = check_X_y(X, y, dtype=np.float64, y_numeric=True)\n"
        "        K = rbf_kernel(X, X, gamma=self.gamma)\n"
        "        self.dual_coef_ = np.linalg.solve(K + self.lam * np.identity(len(X)), y)\n"
        "        self.X_fit_ = X.copy()\n        self.n_features_in_ = X.shape[1]\n"
        "        return self\n\n"
        "    def predict(self, X):\n"
        "        from sklearn.metrics.pairwise import rbf_kernel\n"
        "        check_is_fitted(self, ['dual_coef_', 'X_fit_'])\n"
        "        return rbf_kernel(check_array(X), self.X_fit_, gamma=self.gamma).dot(self.dual_coef_)\n",
    },
    "grid search by hand with KFold (same folds as cv=5)": {
        "qm9_krr": "from sklearn.model_selection import KFold\n"
        "X_cv, y_mean = X_train[cv_index], y_train.mean()\n"
        "y_cv = y_train[cv_index] - y_mean\n"
        "results = {}\n"
        "for gamma in GAMMAS:\n"
        "    for lam in LAMS:\n"
        "        maes = []\n"
        "        for a, b in KFold(5).split(X_cv):\n"
        "            m = KernelRidgeRegression(gamma=gamma, lam=lam).fit(X_cv[a], y_cv[a])\n"
        "            maes.append(np.mean(np.abs(m.predict(X_cv[b]) - y_cv[b])))\n"
        "        results[(gamma, lam)] = np.mean(maes)\n"
        "best_gamma, best_lam = min(results, key=results.get)\n"
        "model = KernelRidgeRegression(gamma=best_gamma, lam=best_lam).fit(X_train, y_train - y_mean)\n"
        "test_mae = np.abs(model.predict(X_test) + y_mean - y_test).mean()\n",
    },
    "GridSearchCV, centring stored as an offset, numpy scalars": {
        "qm9_krr": "offset = np.mean(y_train)\n"
        "search = GridSearchCV(KernelRidgeRegression(), param_grid=[{'lam': list(LAMS), 'gamma': list(GAMMAS)}], cv=5,\n"
        "                      scoring='neg_mean_absolute_error')\n"
        "search.fit(X_train[cv_index], y_train[cv_index] - offset)\n"
        "best = search.best_params_\n"
        "best_gamma, best_lam = best['gamma'], best['lam']\n"
        "final = KernelRidgeRegression(gamma=best_gamma, lam=best_lam).fit(X_train, y_train - offset)\n"
        "test_mae = np.mean(np.abs(y_test - (final.predict(X_test) + offset)))\n",
    },
    "fit with a diagonal matrix, predict by broadcasting, estimator with validate_data": {
        "krr_fit_predict": "def krr_fit(K, y, lam):\n"
        "    return np.linalg.solve(np.asarray(K, dtype=float) + np.diag(np.full(len(K), float(lam))), y)\n\n\n"
        "def krr_predict(K_new, alpha):\n    return (np.asarray(K_new) * np.asarray(alpha)[None, :]).sum(axis=1)\n",
        "krr_estimator": ESTIMATOR_HEAD.replace("check_X_y", "validate_data") + "    def fit(self, X, y):\n"
        "        X, y = validate_data(self, X, y, y_numeric=True)\n"
        "        self.X_fit_ = np.array(X, dtype=float)\n"
        "        self.dual_coef_ = krr_fit(gaussian_kernel(self.X_fit_, self.X_fit_, self.gamma), y, self.lam)\n"
        "        return self\n\n"
        "    def predict(self, X):\n"
        "        check_is_fitted(self, 'X_fit_')\n"
        "        X = validate_data(self, X, reset=False)\n"
        "        return krr_predict(gaussian_kernel(X, self.X_fit_, self.gamma), self.dual_coef_)\n",
    },
}
