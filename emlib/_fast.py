"""emlib's speed-ups, all in one place: the same numbers as the book's formulas, computed faster.

Each function here has a reference in the module that calls it, written as the book writes the
formula; ``tests/test_fast.py`` checks that the two agree (and ``tests/test_accuracy.py`` that
both are accurate against mpmath):

- :func:`row_maxima` — ``values[:, columns].max(axis=1)`` (``emlib._bayes``);
- :class:`GaussianDensities`, :func:`gaussian_log_densities`, :func:`gaussian_posterior` — the
  Gaussian log densities and the E-step (``emlib.expectation.log_density_formula``), chunk by
  chunk with reused buffers, and for diagonal covariances an expanded form with a rounding guard;
- :func:`centred_moments`, :func:`diagonal_moments` — each component's mean and scatter
  (``emlib.maximization.moments_formula``), chunk by chunk, and for diagonal covariances one
  pass of matrix products with a cancellation guard;
- :func:`scaled_recursions` — the scaled forward–backward recursions of a hidden Markov model
  (``emlib.hmm.scaled_forward_backward``), compiled with numba when the optional extra
  ``emlib[numba]`` is installed (a loop over time cannot be vectorised; numpy's per-step
  overhead is then the cost), else that numpy reference itself.
"""

from __future__ import annotations

import numpy as np

try:  # the optional extra emlib[numba]: a compiled loop over time for the HMM recursions
    import numba
except ImportError:  # pragma: no cover - exercised where numba is absent
    numba = None

__all__ = [
    "HAVE_NUMBA",
    "CANCELLATION_LIMIT",
    "CHUNK_ELEMENTS",
    "GaussianDensities",
    "centred_moments",
    "chunk_size",
    "chunks",
    "diagonal_moments",
    "gaussian_log_densities",
    "gaussian_posterior",
    "is_diagonal",
    "row_maxima",
    "scaled_recursions",
]

#: Whether the compiled HMM recursions are available (numba importable).
HAVE_NUMBA = numba is not None

LOG_2PI = np.log(2.0 * np.pi)

#: Rows are processed in chunks of about this many numbers per component, so that every
#: temporary stays in cache and no (N, D) temporary is ever allocated.
CHUNK_ELEMENTS = 1 << 13


def chunk_size(n_features: int) -> int:
    """Rows per chunk: about CHUNK_ELEMENTS numbers per component."""
    return max(64, CHUNK_ELEMENTS // n_features)


def chunks(n_rows: int, n_features: int):
    """Consecutive row slices of chunk_size(n_features) rows."""
    step = chunk_size(n_features)
    return (slice(start, min(start + step, n_rows)) for start in range(0, n_rows, step))


def row_maxima(values: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``values[:, columns].max(axis=1)``, by elementwise maxima of whole columns.

    numpy's row-wise reduction over a short last axis (K components) is several times slower
    than K elementwise passes.
    """
    largest = values[:, columns[0]].copy()
    for column in columns[1:]:
        np.maximum(largest, values[:, column], out=largest)
    return largest


def is_diagonal(covariances: np.ndarray) -> bool:
    """Whether every covariance is diagonal (then no matrix product is needed for the densities)."""
    return not np.any(covariances * (1.0 - np.eye(covariances.shape[1])))


class GaussianDensities:
    """log N(x_n | μ_k, Σ_k) for all components, a chunk of rows at a time.

    The formula is that of ``emlib.expectation.log_density_formula``: each row is centred at μ_k
    and multiplied by the precision's Cholesky factor P_k = L_k⁻ᵀ. What is faster here: all K
    components of a chunk in one batched matrix product, into buffers allocated once; and, for
    diagonal covariances, the expanded form Σ_d (x'_d − μ'_kd)² / σ²_kd = x'² · w_k − 2 x' · (μ'_k w_k)
    + μ'_k² · w_k about the mixture mean (two matrix products for all components), with every
    entry whose rounding bound is not negligible recomputed from the centred deviations.
    """

    def __init__(self, params):
        self.params = params
        self.diagonal = is_diagonal(params.covariances)
        # Reused for every chunk: allocating fresh (K, m, D) temporaries costs more than the arithmetic.
        shape = (params.n_components, chunk_size(params.n_features), params.n_features)
        self.centred, self.whitened = np.empty(shape), np.empty(shape)
        diagonals = np.diagonal(params.covariance_cholesky, axis1=1, axis2=2)
        self.constants = -0.5 * (params.n_features * LOG_2PI + 2.0 * np.sum(np.log(diagonals), axis=1))
        self.ones = np.ones((params.n_features, 1))
        self.expanded = False
        if self.diagonal:
            self.inverse_deviations = (1.0 / diagonals)[:, np.newaxis, :]  # 1/σ_kd, (K, 1, D)
            # Expanded around a reference point c near the data (the mixture mean), with x' = x − c
            # and μ'_k = μ_k − c, w_kd = 1/σ_kd².
            with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
                self.inverse_variances = 1.0 / diagonals**2  # (K, D)
                self.reference = params.weights @ params.means
                centred_means = params.means - self.reference
                self.scaled_means = centred_means * self.inverse_variances  # μ'_k w_k, (K, D)
                self.mean_terms = np.sum(centred_means * self.scaled_means, axis=1)  # μ'_k² · w_k, (K,)
            # Extreme scales (1/σ² or μ'² w beyond float64) leave only the centred path.
            parts = (self.inverse_variances, self.scaled_means, self.mean_terms)
            self.expanded = all(np.all(np.isfinite(a)) for a in parts)
            # Rounding bound of the expanded sum: |error| ≤ γ (x'² · w_k + 2|x' · μ'_k w_k| + μ'_k² · w_k)
            # ≤ 2γ (x'² · w_k + μ'_k² · w_k), with γ = (D + 3) eps for D-term dot products.
            self.rounding = 2.0 * (params.n_features + 3) * np.finfo(np.float64).eps

    def block(self, rows: np.ndarray, first_row: int = 0) -> np.ndarray:
        """Log densities of a chunk of validated rows, shape (m, K)."""
        params = self.params
        size = rows.shape[0]
        centred, whitened = self.centred[:, :size], self.whitened[:, :size]
        with np.errstate(over="ignore", invalid="ignore"):  # inf/NaN are caught below, with the row named
            if self.expanded:
                mahalanobis = self._diagonal_mahalanobis(rows)
            else:  # ‖(x_n − μ_k)ᵀ P_k‖², rows centred at μ_k first
                np.subtract(rows[np.newaxis], params.means[:, np.newaxis, :], out=centred)
                if self.diagonal:
                    np.multiply(centred, self.inverse_deviations, out=whitened)
                else:
                    np.matmul(centred, params.precision_cholesky, out=whitened)
                whitened *= whitened
                mahalanobis = np.matmul(whitened, self.ones)[:, :, 0].T
        if not np.all(np.isfinite(mahalanobis)):
            row, k = (int(index[0]) for index in np.nonzero(~np.isfinite(mahalanobis)))
            raise ValueError(
                f"X[{first_row + row}] is too far from component {k}: its squared Mahalanobis"
                " distance overflows float64, so its density cannot be represented even in log space"
            )
        return self.constants - 0.5 * mahalanobis

    def _diagonal_mahalanobis(self, rows: np.ndarray) -> np.ndarray:
        """Σ_d (x_nd − μ_kd)² / σ_kd², shape (m, K): expanded products, exact where they could cancel.

        The expanded form cancels when a point and a component are both far from the reference
        point in units of the component's width (a thin component far from the others). Every
        entry whose rounding bound exceeds 1e-12 (1 + value) is recomputed from the centred
        deviations, so the result keeps the accuracy of the centred formula.
        """
        params = self.params
        shifted = rows - self.reference
        squares = (shifted * shifted) @ self.inverse_variances.T
        mahalanobis = squares - 2.0 * (shifted @ self.scaled_means.T) + self.mean_terms
        np.maximum(mahalanobis, 0.0, out=mahalanobis)
        suspect = self.rounding * (squares + self.mean_terms) > 1e-12 * (1.0 + mahalanobis)
        if np.any(suspect):
            row, k = np.nonzero(suspect)
            deviations = rows[row] - params.means[k]
            mahalanobis[row, k] = np.sum(deviations * deviations * self.inverse_variances[k], axis=1)
        return mahalanobis


def gaussian_log_densities(X: np.ndarray, params) -> np.ndarray:
    """log N(x_n | μ_k, Σ_k) for validated inputs, shape (N, K), chunk by chunk."""
    densities = GaussianDensities(params)
    log_densities = np.empty((X.shape[0], params.n_components))
    for rows in chunks(*X.shape):
        log_densities[rows] = densities.block(X[rows], rows.start)
    return log_densities


def gaussian_posterior(X: np.ndarray, params, log_weights: np.ndarray, bayes) -> tuple[np.ndarray, np.ndarray]:
    """The E-step, chunk by chunk: log p(x_n | θ), shape (N,), and γ(z_nk), shape (N, K).

    The densities of a chunk go through Bayes' theorem (``bayes``, ``emlib._bayes.bayes``) while
    the chunk is in cache; the responsibilities are the only (N, K) array allocated.
    """
    densities = GaussianDensities(params)
    log_marginals = np.empty(X.shape[0])
    responsibilities = np.empty((X.shape[0], params.n_components))
    for rows in chunks(*X.shape):
        block = densities.block(X[rows], rows.start)
        log_marginals[rows], responsibilities[rows] = bayes(block, log_weights, overwrite=True, first_row=rows.start)
    return log_marginals, responsibilities


def centred_moments(X, weighted_block, counts, diagonal):
    """Each component's mean μ_k and scatter about it, from data centred on the component, chunk by chunk.

    The corrected two-pass formula of ``emlib.maximization.moments_formula``: with a first mean
    m_k and d_k = Σ_n r_nk (x_n − m_k) / N_k, μ_k = m_k + d_k and
    S_k = Σ_n r_nk (x_n − m_k)(x_n − m_k)ᵀ − N_k d_k d_kᵀ; only the diagonal, shape (K, D), when
    ``diagonal``. ``weighted_block(rows)`` gives r_nk = w_n γ(z_nk) for a chunk of rows.
    """
    n_components, n_features = len(counts), X.shape[1]
    sums = np.zeros((n_components, n_features))
    for rows in chunks(*X.shape):
        sums += weighted_block(rows).T @ X[rows]
    first_means = sums / counts[:, np.newaxis]

    deviations = np.zeros((n_components, 1, n_features))
    scatter = np.zeros((n_components, n_features) if diagonal else (n_components, n_features, n_features))
    buffer = np.empty((n_components, chunk_size(n_features), n_features))
    for rows in chunks(*X.shape):
        block = X[rows]
        scaled = np.subtract(block[np.newaxis], first_means[:, np.newaxis, :], out=buffer[:, : block.shape[0]])
        roots = np.sqrt(weighted_block(rows)).T[:, np.newaxis, :]  # √r_nk, (K, 1, m)
        scaled *= np.swapaxes(roots, 1, 2)  # √r_nk (x_n − m_k): its products are r_nk-weighted
        deviations += np.matmul(roots, scaled)  # Σ_n r_nk (x_n − m_k)
        if diagonal:
            scatter += np.einsum("kmd,kmd->kd", scaled, scaled)
        else:
            scatter += np.matmul(np.swapaxes(scaled, 1, 2), scaled)
    corrections = deviations[:, 0, :] / counts[:, np.newaxis]  # d_k
    if diagonal:
        scatter -= counts[:, np.newaxis] * corrections**2
    else:
        scatter -= counts[:, np.newaxis, np.newaxis] * (corrections[:, :, np.newaxis] * corrections[:, np.newaxis, :])
    return first_means + corrections, scatter


#: The shortcut of :func:`diagonal_moments` is kept for a component only if, in every feature, its
#: variance is at least this share of its mean square about the data's centre (at most four of the
#: sixteen digits cancelled); other components are recomputed from data centred on them.
CANCELLATION_LIMIT = 1e-4


def diagonal_moments(X, weighted_block, counts, sample_weight):
    """Means and diagonal scatters, shapes (K, D): one pass of matrix products, exact where needed.

    About the weighted data centre c, Σ_n r_nk (x_n − c) and Σ_n r_nk (x_n − c)² are two matrix
    products for all components at once (no (K, N, D) work), and S_kd = Σ r (x − c)² − N_k (μ_k − c)².
    That difference cancels when a component is narrow compared with its distance from c: such
    components are recomputed by :func:`centred_moments`.
    """
    centre = (sample_weight @ X) / sample_weight.sum()  # the data's weighted mean: rows of r sum to one
    sums = np.zeros((len(counts), X.shape[1]))
    squares = np.zeros_like(sums)
    for rows in chunks(*X.shape):
        weighted, shifted = weighted_block(rows), X[rows] - centre
        sums += weighted.T @ shifted
        squares += weighted.T @ (shifted * shifted)
    offsets = sums / counts[:, np.newaxis]
    scatter = squares - counts[:, np.newaxis] * offsets**2
    means = centre + offsets
    cancelled = np.flatnonzero(np.any(~(scatter >= CANCELLATION_LIMIT * squares), axis=1))
    if cancelled.size:
        means[cancelled], scatter[cancelled] = centred_moments(
            X, lambda rows: weighted_block(rows)[:, cancelled], counts[cancelled], diagonal=True
        )
    return means, scatter


# --- hidden Markov models ---------------------------------------------------------------------


def _scaled_recursions_loop(emissions, start, transition, alpha, beta, normalisers):
    """The loops of ``emlib.hmm.scaled_forward_backward`` written out, for numba; False if a normaliser underflows."""
    T, K = emissions.shape
    tiny = np.finfo(np.float64).tiny
    total = 0.0
    for k in range(K):
        alpha[0, k] = start[k] * emissions[0, k]
        total += alpha[0, k]
    if not total > tiny:
        return False
    normalisers[0] = total
    for k in range(K):
        alpha[0, k] /= total
    for t in range(1, T):
        total = 0.0
        for k in range(K):
            value = 0.0
            for j in range(K):
                value += alpha[t - 1, j] * transition[j, k]
            value *= emissions[t, k]
            alpha[t, k] = value
            total += value
        if not total > tiny:
            return False
        normalisers[t] = total
        for k in range(K):
            alpha[t, k] /= total
    for k in range(K):
        beta[T - 1, k] = 1.0
    ahead = np.empty(K)
    for t in range(T - 2, -1, -1):
        for k in range(K):
            ahead[k] = emissions[t + 1, k] * beta[t + 1, k]
        for j in range(K):
            value = 0.0
            for k in range(K):
                value += transition[j, k] * ahead[k]
            beta[t, j] = value / normalisers[t + 1]
    return True


_compiled_recursions = numba.njit(cache=True, nogil=True)(_scaled_recursions_loop) if HAVE_NUMBA else None


def scaled_recursions(emissions: np.ndarray, start: np.ndarray, transition: np.ndarray):
    """α̂, β̂ and the normalisers c̃ of ``emlib.hmm.scaled_forward_backward``, or None if a normaliser underflows.

    Compiled when numba is installed; without it, the caller's numpy reference runs instead
    (this function is then not called: see ``HAVE_NUMBA``).
    """
    emissions = np.ascontiguousarray(emissions, dtype=np.float64)
    T, K = emissions.shape
    alpha, beta, normalisers = np.empty((T, K)), np.empty((T, K)), np.empty(T)
    ok = _compiled_recursions(
        emissions,
        np.ascontiguousarray(start, dtype=np.float64),
        np.ascontiguousarray(transition, dtype=np.float64),
        alpha,
        beta,
        normalisers,
    )
    return (alpha, beta, normalisers) if ok else None
