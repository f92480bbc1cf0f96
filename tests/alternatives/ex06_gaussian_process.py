"""Correct answers to ex06_gaussian_process, written differently from the reference."""

HEAD = (
    "def gp_posterior(kernel, X_train, y_train, X_test, noise):\n"
    "    X_train, X_test = np.asarray(X_train, dtype=float), np.asarray(X_test, dtype=float)\n"
    "    y_train = np.asarray(y_train, dtype=float)\n"
    "    if len(X_train) != len(y_train) or noise < 0:\n"
    "        raise ValueError(f'need one label per row and noise >= 0, got {len(X_train)}, {len(y_train)}, {noise}')\n"
)

ALTERNATIVES = {
    "Cholesky factorisation (scipy), triangular solves": {
        "gp_posterior": "import scipy.linalg\n\n\n"
        + HEAD
        + "    K = kernel(X_train, X_train) + noise * np.eye(len(X_train))\n"
        "    L = scipy.linalg.cholesky(K, lower=True)\n"
        "    alpha = scipy.linalg.cho_solve((L, True), y_train)\n"
        "    k_star = kernel(X_train, X_test)\n"
        "    v = scipy.linalg.solve_triangular(L, k_star, lower=True)\n"
        "    prior = np.diag(kernel(X_test, X_test))\n"
        "    return k_star.T @ alpha, prior - np.sum(v**2, axis=0)\n",
    },
    "explicit inverse, einsum for the diagonal": {
        "gp_posterior": HEAD
        + "    K_inv = np.linalg.inv(kernel(X_train, X_train) + noise * np.eye(X_train.shape[0]))\n"
        "    k_star = kernel(X_test, X_train)\n"
        "    mean = k_star @ K_inv @ y_train\n"
        "    var = np.array([kernel(x[np.newaxis], x[np.newaxis]).item() for x in X_test])\n"
        "    return mean, var - np.einsum('ij,jk,ik->i', k_star, K_inv, k_star)\n",
    },
    "one test point at a time": {
        "gp_posterior": HEAD + "    K = kernel(X_train, X_train) + noise * np.identity(len(X_train))\n"
        "    weights = np.linalg.solve(K, y_train)\n"
        "    means, variances = [], []\n"
        "    for x in X_test:\n"
        "        k = kernel(X_train, x.reshape(1, -1))[:, 0]\n"
        "        means.append(k @ weights)\n"
        "        variances.append(kernel(x.reshape(1, -1), x.reshape(1, -1))[0, 0] - k @ np.linalg.solve(K, k))\n"
        "    return np.array(means), np.array(variances)\n",
    },
    "scipy's cho_factor, EI with scipy.special.ndtr and an explicit density": {
        "gp_posterior": "from scipy.linalg import cho_factor, cho_solve\n\n\n"
        + HEAD
        + "    c = cho_factor(kernel(X_train, X_train) + noise * np.eye(len(X_train)))\n"
        "    k_star = kernel(X_train, X_test)\n"
        "    return k_star.T @ cho_solve(c, y_train), np.diag(kernel(X_test, X_test)) - np.sum(k_star * cho_solve(c, k_star), axis=0)\n",
        "expected_improvement": "from scipy.special import ndtr\n\n\ndef expected_improvement(mean, std, best):\n"
        "    mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)\n"
        "    out = np.empty_like(mean)\n"
        "    zero = std == 0\n"
        "    out[zero] = np.clip(best - mean[zero], 0, None)\n"
        "    d, s = best - mean[~zero], std[~zero]\n"
        "    z = d / s\n"
        "    out[~zero] = d * ndtr(z) + s * np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)\n"
        "    return out\n",
    },
    "EI element by element with math.erf": {
        "expected_improvement": "import math\n\n\ndef expected_improvement(mean, std, best):\n"
        "    result = []\n"
        "    for m, s in zip(np.ravel(mean), np.ravel(std)):\n"
        "        if s == 0:\n"
        "            result.append(max(best - m, 0.0))\n"
        "            continue\n"
        "        z = (best - m) / s\n"
        "        cdf = 0.5 * (1 + math.erf(z / math.sqrt(2)))\n"
        "        pdf = math.exp(-z * z / 2) / math.sqrt(2 * math.pi)\n"
        "        result.append((best - m) * cdf + s * pdf)\n"
        "    return np.array(result).reshape(np.shape(mean))\n",
    },
    "EI with np.divide(where=) and np.where; Part 3 with argsort": {
        "expected_improvement": "def expected_improvement(mean, std, best):\n"
        "    mean = np.asarray(mean, dtype=float)\n    std = np.asarray(std, dtype=float)\n"
        "    gain = best - mean\n"
        "    z = np.divide(gain, std, out=np.zeros_like(gain), where=std > 0)\n"
        "    return np.where(std > 0, gain * norm.cdf(z) + std * norm.pdf(z), np.maximum(gain, 0.0))\n",
        "qm9_next": "y_mean = float(np.mean(y_labelled))\n"
        "mu, v = gp_posterior(kernel, X_labelled, y_labelled - y_mean, X_pool, NOISE)\n"
        "mean_pool = mu + y_mean\n"
        "std_pool = np.sqrt(np.maximum(v, 0))\n"
        "next_by_variance = int(np.argsort(v)[-1])\n"
        "ei_pool = expected_improvement(mean_pool, std_pool, float(np.min(y_labelled)))\n"
        "next_by_ei = int(np.argsort(-ei_pool, kind='stable')[0])\n",
    },
    "Part 3 choosing by the standard deviation, numpy integers": {
        "qm9_next": "centre = y_labelled.mean()\n"
        "mean_c, variance = gp_posterior(kernel, X_labelled, y_labelled - centre, X_pool, NOISE)\n"
        "mean_pool = np.asarray(mean_c) + centre\n"
        "std_pool = np.sqrt(variance.clip(min=0))\n"
        "next_by_variance = np.argmax(std_pool)\n"
        "next_by_ei = np.argmax(expected_improvement(mean_pool, std_pool, best=y_labelled.min()))\n",
    },
}
