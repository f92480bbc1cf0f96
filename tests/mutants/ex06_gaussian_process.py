"""Wrong answers a student might hand in for ex06_gaussian_process."""

POSTERIOR = (
    "def gp_posterior(kernel, X_train, y_train, X_test, noise):\n"
    "    X_train = np.asarray(X_train, dtype=float)\n"
    "    y_train = np.asarray(y_train, dtype=float)\n"
    "    X_test = np.asarray(X_test, dtype=float)\n"
    "{checks}"
    "{body}\n"
)
CHECKS = (
    "    if X_train.shape[0] != y_train.shape[0]:\n        raise ValueError('rows differ')\n"
    "    if noise < 0:\n        raise ValueError('negative noise')\n"
)
K = "    K = kernel(X_train, X_train) + noise * np.eye(len(X_train))\n    k_star = kernel(X_train, X_test)\n"
MEAN = "    mean = k_star.T @ np.linalg.solve(K, y_train)\n"
PRIOR = "    prior = np.diag(kernel(X_test, X_test))\n"
VAR = "    var = prior - np.sum(k_star * np.linalg.solve(K, k_star), axis=0)\n"
EI = "def expected_improvement(mean, std, best):\n    mean = np.asarray(mean, dtype=float)\n    std = np.asarray(std, dtype=float)\n{body}\n"
NEXT = (
    "offset = y_labelled.mean()\n"
    "m, var_pool = gp_posterior(kernel, X_labelled, y_labelled - offset, X_pool, NOISE)\n"
    "mean_pool = m + offset\n"
    "std_pool = np.sqrt(np.clip(var_pool, 0.0, None))\n"
)

MUTANTS = {
    "noise left out of K": {
        "gp_posterior": POSTERIOR.format(
            checks=CHECKS,
            body="    K = kernel(X_train, X_train)\n    k_star = kernel(X_train, X_test)\n"
            + MEAN
            + PRIOR
            + VAR
            + "    return mean, var",
        )
    },
    "noise added to the variance": {
        "gp_posterior": POSTERIOR.format(checks=CHECKS, body=K + MEAN + PRIOR + VAR + "    return mean, var + noise")
    },
    "prior variance assumed to be 1": {
        "gp_posterior": POSTERIOR.format(
            checks=CHECKS, body=K + MEAN + "    prior = np.ones(len(X_test))\n" + VAR + "    return mean, var"
        )
    },
    "labels centred inside (prior mean = label mean)": {
        "gp_posterior": POSTERIOR.format(
            checks=CHECKS,
            body=K
            + "    mean = k_star.T @ np.linalg.solve(K, y_train - y_train.mean()) + y_train.mean()\n"
            + PRIOR
            + VAR
            + "    return mean, var",
        )
    },
    "variance plus the quadratic form (sign)": {
        "gp_posterior": POSTERIOR.format(
            checks=CHECKS,
            body=K
            + MEAN
            + PRIOR
            + "    var = prior + np.sum(k_star * np.linalg.solve(K, k_star), axis=0)\n"
            + "    return mean, var",
        )
    },
    "whole covariance matrix instead of its diagonal": {
        "gp_posterior": POSTERIOR.format(
            checks=CHECKS,
            body=K
            + MEAN
            + "    var = kernel(X_test, X_test) - k_star.T @ np.linalg.solve(K, k_star)\n"
            + "    return mean, var",
        )
    },
    "standard deviation returned as the variance": {
        "gp_posterior": POSTERIOR.format(
            checks=CHECKS, body=K + MEAN + PRIOR + VAR + "    return mean, np.sqrt(np.clip(var, 0, None))"
        )
    },
    "no ValueError for negative noise": {
        "gp_posterior": POSTERIOR.format(
            checks="    if X_train.shape[0] != y_train.shape[0]:\n        raise ValueError('rows differ')\n",
            body=K + MEAN + PRIOR + VAR + "    return mean, var",
        )
    },
    "rows silently dropped when X_train and y_train differ": {
        "gp_posterior": POSTERIOR.format(
            checks="    if noise < 0:\n        raise ValueError('negative noise')\n"
            "    n = min(len(X_train), len(y_train))\n    X_train, y_train = X_train[:n], y_train[:n]\n",
            body=K + MEAN + PRIOR + VAR + "    return mean, var",
        )
    },
    "labels centred in place": {
        "gp_posterior": POSTERIOR.format(
            checks=CHECKS, body="    y_train -= y_train.mean()\n" + K + MEAN + PRIOR + VAR + "    return mean, var"
        )
    },
    "kernel matrices squeezed (a single test point breaks)": {
        "gp_posterior": POSTERIOR.format(
            checks=CHECKS,
            body="    K = kernel(X_train, X_train) + noise * np.eye(len(X_train))\n"
            "    k_star = np.squeeze(kernel(X_train, X_test))\n"
            + MEAN
            + "    prior = np.squeeze(np.diag(kernel(X_test, X_test)))\n"
            + VAR
            + "    return mean, var",
        )
    },
    "improvement for maximisation (mean - best)": {
        "expected_improvement": EI.format(
            body="    imp = mean - best\n    z = np.divide(imp, std, out=np.zeros_like(imp), where=std > 0)\n"
            "    return np.where(std > 0, imp * norm.cdf(z) + std * norm.pdf(z), np.maximum(imp, 0))"
        )
    },
    "exploration term forgotten": {
        "expected_improvement": EI.format(
            body="    imp = best - mean\n    z = np.divide(imp, std, out=np.zeros_like(imp), where=std > 0)\n"
            "    return np.where(std > 0, imp * norm.cdf(z), np.maximum(imp, 0))"
        )
    },
    "cdf and pdf swapped": {
        "expected_improvement": EI.format(
            body="    imp = best - mean\n    z = np.divide(imp, std, out=np.zeros_like(imp), where=std > 0)\n"
            "    return np.where(std > 0, imp * norm.pdf(z) + std * norm.cdf(z), np.maximum(imp, 0))"
        )
    },
    "nan where std is 0": {
        "expected_improvement": EI.format(
            body="    with np.errstate(divide='ignore', invalid='ignore'):\n        z = (best - mean) / std\n"
            "        return (best - mean) * norm.cdf(z) + std * norm.pdf(z)"
        )
    },
    "zero where std is 0": {
        "expected_improvement": EI.format(
            body="    imp = best - mean\n    z = np.divide(imp, std, out=np.zeros_like(imp), where=std > 0)\n"
            "    return np.where(std > 0, imp * norm.cdf(z) + std * norm.pdf(z), 0.0)"
        )
    },
    "z not divided by std": {
        "expected_improvement": EI.format(
            body="    imp = best - mean\n"
            "    return np.where(std > 0, imp * norm.cdf(imp) + std * norm.pdf(imp), np.maximum(imp, 0))"
        )
    },
    "labels not centred in Part 3": {
        "qm9_next": "mean_pool, var_pool = gp_posterior(kernel, X_labelled, y_labelled, X_pool, NOISE)\n"
        "std_pool = np.sqrt(np.clip(var_pool, 0.0, None))\n"
        "next_by_variance = int(np.argmax(var_pool))\n"
        "next_by_ei = int(np.argmax(expected_improvement(mean_pool, std_pool, y_labelled.min())))\n"
    },
    "smallest variance chosen": {
        "qm9_next": NEXT + "next_by_variance = int(np.argmin(var_pool))\n"
        "next_by_ei = int(np.argmax(expected_improvement(mean_pool, std_pool, y_labelled.min())))\n"
    },
    "best taken as the largest labelled gap": {
        "qm9_next": NEXT + "next_by_variance = int(np.argmax(var_pool))\n"
        "next_by_ei = int(np.argmax(expected_improvement(mean_pool, std_pool, y_labelled.max())))\n"
    },
    "expected improvement fed the variance as std": {
        "qm9_next": NEXT + "next_by_variance = int(np.argmax(var_pool))\n"
        "next_by_ei = int(np.argmax(expected_improvement(mean_pool, var_pool, y_labelled.min())))\n"
    },
    "index into the 300 molecules instead of the pool": {
        "qm9_next": NEXT + "next_by_variance = 20 + int(np.argmax(var_pool))\n"
        "next_by_ei = 20 + int(np.argmax(expected_improvement(mean_pool, std_pool, y_labelled.min())))\n"
    },
}

# The mutants only hidden tests catch, and the input the visible tests lack (CONTRIBUTING.md,
# "Validate checks every stated rule"): the battery holds every other mutant to a visible failure.
HIDDEN_ONLY = {
    "kernel matrices squeezed (a single test point breaks)": "a single test point (the visible checks use 9 and 280)",
}
