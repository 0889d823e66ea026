"""emlib's speed-ups, all in one place: the same numbers as the book's formulas, computed faster.

Each function here has a reference in the module that calls it, written as the book writes the
formula; ``tests/test_fast.py`` checks that the two agree (and ``tests/test_accuracy.py`` that
both are accurate against mpmath):

- :func:`row_maxima` — ``values[:, columns].max(axis=1)`` (``emlib._bayes``);
- :class:`GaussianDensities`, :func:`gaussian_log_densities`, :func:`gaussian_posterior` — the
  Gaussian log densities and the E-step (``emlib.expectation.log_density_formula``), chunk by
  chunk with reused buffers, and for diagonal and tied covariances an expanded form about the
  mixture mean with a rounding guard;
- :func:`centred_moments`, :func:`diagonal_moments`, :func:`expanded_moments`,
  :func:`pooled_moments` — each component's mean and scatter
  (``emlib.maximization.moments_formula``): centred, chunk by chunk; and, for diagonal, full
  and tied covariances, matrix products for all components at once about the data's centre,
  with a cancellation guard that falls back to the centred sums;
- :func:`component_moments` — the M-step's entry: :func:`diagonal_moments` or
  :func:`expanded_moments`, or, with numba, compiled loops for the diagonal sums and for small
  full problems;
- :func:`compiled_posterior` — with numba, the E-step in one compiled pass over blocks of rows
  (the centred formula itself, for diagonal and full covariances), or, for a covariance shared
  in many dimensions, BLAS's whitening followed by a compiled pass; the exponentials of Bayes'
  theorem go four at a time through glibc's vector exp (libmvec) where it is available
  (:data:`HAVE_VECTOR_EXP`);
- :func:`scaled_recursions` — the scaled forward–backward recursions of a hidden Markov model
  (``emlib.hmm.scaled_forward_backward``), compiled with numba when the optional extra
  ``emlib[numba]`` is installed (a loop over time cannot be vectorised; numpy's per-step
  overhead is then the cost), else that numpy reference itself.

The compiled loops run when numba is importable (:data:`HAVE_NUMBA`) and :data:`USE_COMPILED` is
true; where they do not, the numpy code runs, and ``tests/test_fast.py`` runs both.
"""

from __future__ import annotations

import ctypes
import platform
import sys

import numpy as np

try:  # the optional extra emlib[numba]: compiled loops for the E-step, the moments and the HMM recursions
    import numba
except ImportError:  # pragma: no cover - exercised where numba is absent
    numba = None

__all__ = [
    "HAVE_NUMBA",
    "HAVE_VECTOR_EXP",
    "ROW_BLOCK",
    "CANCELLATION_LIMIT",
    "CHUNK_ELEMENTS",
    "EXPANDED_CHUNK_ENTRIES",
    "expanded_chunk_size",
    "COMPILED_MAX_FEATURES",
    "COMPILED_SCATTER_MAX_ENTRIES",
    "COMPILED_DIAGONAL_MAX_FEATURES",
    "GaussianDensities",
    "SUM_BLOCK",
    "USE_COMPILED",
    "centred_moments",
    "chunk_size",
    "chunks",
    "compiled_posterior",
    "component_moments",
    "diagonal_moments",
    "expanded_moments",
    "gaussian_log_densities",
    "gaussian_posterior",
    "is_diagonal",
    "pooled_moments",
    "row_maxima",
    "shares_one_covariance",
    "scaled_recursions",
]

#: Whether the compiled HMM recursions are available (numba importable).
HAVE_NUMBA = numba is not None

LOG_2PI = np.log(2.0 * np.pi)

#: Whether the E-step and the moments take the compiled loops (numba importable); tests and
#: ``benchmarks/performance.py`` set it to False to run the numpy path.
USE_COMPILED = HAVE_NUMBA

#: A covariance shared by every component (tied) in more than this many dimensions takes the
#: expanded E-step, which whitens each row once for all components (BLAS) before a compiled pass;
#: in fewer, the compiled centred pass is as fast (``benchmarks/performance_phases.py``: equal at
#: D = 4, the expanded form 1.2x faster at D = 8 and 4x at D = 32).
COMPILED_MAX_FEATURES = 4

#: Full scatters of at most this many (row, component) pairs, in at most 8 dimensions, take the
#: compiled moments: it has no fixed cost, where :func:`expanded_moments` spends some 0.2 ms on
#: its set-up (4x faster for 1000 rows and 2 components); on more rows the matrix products win.
COMPILED_SCATTER_MAX_ENTRIES = 1 << 14

#: Diagonal moments in at most this many dimensions take the compiled sums (1.2x faster than the
#: matrix products at (10⁵, 8, 8), equal at (2·10⁵, 16, 16)); in more, BLAS's products are faster
#: (1.2x at (2·10⁵, 32, 16)).
COMPILED_DIAGONAL_MAX_FEATURES = 16

#: Rows are processed in chunks of about this many numbers per component, so that every
#: temporary stays in cache and no (N, D) temporary is ever allocated.
CHUNK_ELEMENTS = 1 << 13


def chunk_size(n_features: int) -> int:
    """Rows per chunk: about CHUNK_ELEMENTS numbers per component."""
    return max(64, CHUNK_ELEMENTS // n_features)


def chunks(n_rows: int, n_features: int, step: int | None = None):
    """Consecutive row slices of ``step`` rows (default chunk_size(n_features))."""
    step = chunk_size(n_features) if step is None else step
    return (slice(start, min(start + step, n_rows)) for start in range(0, n_rows, step))


#: The expanded (diagonal and tied) densities allocate no (K, m, D) temporary, only (K, m) ones:
#: their chunks hold about this many entries, so that numpy's per-call overhead is amortised.
EXPANDED_CHUNK_ENTRIES = 1 << 14


def expanded_chunk_size(n_features: int) -> int:
    """Rows per chunk for the M-step's (m, D) passes: about EXPANDED_CHUNK_ENTRIES numbers, at least chunk_size's rows."""
    return max(chunk_size(n_features), EXPANDED_CHUNK_ENTRIES // n_features)


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
    entry whose rounding bound is not negligible recomputed from the centred deviations. For one
    covariance shared by every component (tied), the same expanded form in whitened coordinates:
    each row is whitened once, y' = (x − c)ᵀP, for all components.
    """

    def __init__(self, params):
        self.params = params
        self.diagonal = is_diagonal(params.covariances)
        shape = (params.n_components, chunk_size(params.n_features), params.n_features)
        self._buffers = None  # the centred path's (K, m, D) buffers, allocated when it first runs
        diagonals = np.diagonal(params.covariance_cholesky, axis1=1, axis2=2)
        self.constants = -0.5 * (params.n_features * LOG_2PI + 2.0 * np.sum(np.log(diagonals), axis=1))
        self.ones = np.ones((params.n_features, 1))
        self.expanded = False
        self.tied = not self.diagonal and shares_one_covariance(params.covariances)
        if self.tied:
            self._prepare_tied()
        self.rows_per_chunk = shape[1]
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
        if self.expanded or self.tied:
            self.rows_per_chunk = max(shape[1], EXPANDED_CHUNK_ENTRIES // params.n_components)
            # Rounding bound of the expanded sum: |error| ≤ γ (x'² · w_k + 2|x' · μ'_k w_k| + μ'_k² · w_k)
            # ≤ 2γ (x'² · w_k + μ'_k² · w_k), with γ = (D + 3) eps for D-term dot products.
            self.rounding = 2.0 * (params.n_features + 3) * np.finfo(np.float64).eps

    def _prepare_tied(self) -> None:
        """The whitened means b'_k = (μ_k − c)ᵀP about the mixture mean c, and the rounding guard's terms."""
        params = self.params
        factor = params.precision_cholesky[0]
        eps = np.finfo(np.float64).eps
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            self.reference = params.weights @ params.means
            centred_means = params.means - self.reference
            self.whitened_means = centred_means @ factor  # b'_k, (K, D)
            self.mean_terms = np.sum(self.whitened_means * self.whitened_means, axis=1)  # ‖b'_k‖², (K,)
            self.mean_norms = np.sqrt(np.sum(centred_means * centred_means, axis=1))  # ‖μ'_k‖, (K,)
            self.factor_rounding = (params.n_features + 2) * eps * np.sqrt(np.sum(factor * factor))  # γ ‖P‖_F
        self.rounding = 2.0 * (params.n_features + 3) * eps
        parts = (self.whitened_means, self.mean_terms, self.mean_norms, self.factor_rounding)
        self.tied = all(np.all(np.isfinite(a)) for a in parts)  # extreme scales leave only the centred path

    def chunks(self, n_rows: int):
        """The row slices that :meth:`block` takes, in order."""
        return chunks(n_rows, self.params.n_features, self.rows_per_chunk)

    def block(self, rows: np.ndarray, first_row: int = 0) -> np.ndarray:
        """Log densities of a chunk of validated rows (at most ``rows_per_chunk``), shape (m, K).

        The squared distances are computed component-major, shape (K, m): numpy's elementwise
        passes are then over rows of m entries, not K.
        """
        params = self.params
        size = rows.shape[0]
        with np.errstate(over="ignore", invalid="ignore"):  # inf/NaN are caught below, with the row named
            if self.expanded:
                mahalanobis = self._diagonal_mahalanobis(rows)
            elif self.tied:
                mahalanobis = self._tied_mahalanobis(rows)
            else:  # ‖(x_n − μ_k)ᵀ P_k‖², rows centred at μ_k first
                centred, whitened = (buffer[:, :size] for buffer in self._centred_buffers())
                np.subtract(rows[np.newaxis], params.means[:, np.newaxis, :], out=centred)
                if self.diagonal:
                    np.multiply(centred, self.inverse_deviations, out=whitened)
                else:
                    np.matmul(centred, params.precision_cholesky, out=whitened)
                whitened *= whitened
                mahalanobis = np.matmul(whitened, self.ones)[:, :, 0]
        if not np.all(np.isfinite(mahalanobis)):
            row, k = (int(index[0]) for index in np.nonzero(~np.isfinite(mahalanobis.T)))
            raise ValueError(
                f"X[{first_row + row}] is too far from component {k}: its squared Mahalanobis"
                " distance overflows float64, so its density cannot be represented even in log space"
            )
        mahalanobis *= -0.5
        mahalanobis += self.constants[:, np.newaxis]
        return np.ascontiguousarray(mahalanobis.T)

    def _centred_buffers(self) -> tuple[np.ndarray, np.ndarray]:
        """Two (K, rows_per_chunk, D) buffers, reused for every chunk (fresh ones would cost more than the arithmetic)."""
        if self._buffers is None:
            shape = (self.params.n_components, self.rows_per_chunk, self.params.n_features)
            self._buffers = (np.empty(shape), np.empty(shape))
        return self._buffers

    def _diagonal_mahalanobis(self, rows: np.ndarray) -> np.ndarray:
        """Σ_d (x_nd − μ_kd)² / σ_kd², shape (K, m): expanded products, exact where they could cancel.

        The expanded form cancels when a point and a component are both far from the reference
        point in units of the component's width (a thin component far from the others). Every
        entry whose rounding bound exceeds 1e-12 (1 + value) is recomputed from the centred
        deviations, so the result keeps the accuracy of the centred formula.
        """
        params = self.params
        shifted = rows - self.reference
        squares = self.inverse_variances @ (shifted * shifted).T  # x'² · w_k, (K, m)
        mahalanobis = self.scaled_means @ shifted.T
        mahalanobis *= -2.0
        mahalanobis += squares
        mahalanobis += self.mean_terms[:, np.newaxis]
        np.maximum(mahalanobis, 0.0, out=mahalanobis)
        squares += self.mean_terms[:, np.newaxis]
        squares *= self.rounding
        suspect = squares > 1e-12 * (1.0 + mahalanobis)
        if np.any(suspect):
            k, row = np.nonzero(suspect)
            deviations = rows[row] - params.means[k]
            mahalanobis[k, row] = np.sum(deviations * deviations * self.inverse_variances[k], axis=1)
        return mahalanobis

    def _tied_mahalanobis(self, rows: np.ndarray) -> np.ndarray:
        """‖y'_n − b'_k‖² with y'_n = (x_n − c)ᵀP, shape (K, m): expanded, exact where it could cancel.

        One whitening per row serves every component: ‖y'‖² − 2 y' · b'_k + ‖b'_k‖² (two matrix
        products for all components, no (K, m, D) work). Two roundings are bounded. The
        expanded sum's, 2γ (‖y'‖² + ‖b'_k‖²) as in :meth:`_diagonal_mahalanobis`; and the
        whitening's: y'_n − b'_k differs from (x_n − μ_k)ᵀP by at most
        ε_nk = γ ‖P‖_F (‖x'_n‖ + ‖μ'_k‖), so the squared norm r² by at most ε_nk (2r + ε_nk).
        Every entry whose bound exceeds 1e-12 (1 + r²), a point and a component both far from
        the mixture mean in units of the shared width, is recomputed from x_n − μ_k.
        """
        params = self.params
        shifted = rows - self.reference
        whitened = shifted @ params.precision_cholesky[0]  # y'_n, (m, D)
        squares = np.einsum("md,md->m", whitened, whitened)  # ‖y'_n‖², (m,)
        mahalanobis = self.whitened_means @ whitened.T  # (K, m)
        mahalanobis *= -2.0
        mahalanobis += squares
        mahalanobis += self.mean_terms[:, np.newaxis]
        np.maximum(mahalanobis, 0.0, out=mahalanobis)
        errors = np.sqrt(np.einsum("md,md->m", shifted, shifted)) + self.mean_norms[:, np.newaxis]
        errors *= self.factor_rounding  # ε_nk, (K, m)
        bound = np.sqrt(mahalanobis)
        bound *= 2.0
        bound += errors
        bound *= errors
        bound += self.rounding * (squares + self.mean_terms[:, np.newaxis])
        suspect = bound > 1e-12 * (1.0 + mahalanobis)
        for k in np.flatnonzero(np.any(suspect, axis=1)):  # recomputed from x_n − μ_k, centred
            row = np.flatnonzero(suspect[k])
            mahalanobis[k, row] = _centred_tied_mahalanobis(rows[row], params, k)
        return mahalanobis


def _centred_tied_mahalanobis(rows: np.ndarray, params, k: int) -> np.ndarray:
    """‖(x_n − μ_k)ᵀP‖² for the shared factor P, rows centred at μ_k first: what the tied guards fall back to."""
    whitened = (rows - params.means[k]) @ params.precision_cholesky[0]
    return np.einsum("md,md->m", whitened, whitened)


def shares_one_covariance(covariances: np.ndarray) -> bool:
    """Whether every component has the same covariance (tied), so one whitening serves them all."""
    return bool(np.all(covariances == covariances[0]))


def gaussian_log_densities(X: np.ndarray, params) -> np.ndarray:
    """log N(x_n | μ_k, Σ_k) for validated inputs, shape (N, K), chunk by chunk."""
    densities = GaussianDensities(params)
    log_densities = np.empty((X.shape[0], params.n_components))
    for rows in densities.chunks(X.shape[0]):
        log_densities[rows] = densities.block(X[rows], rows.start)
    return log_densities


def gaussian_posterior(X: np.ndarray, params, log_weights: np.ndarray, bayes) -> tuple[np.ndarray, np.ndarray]:
    """The E-step, chunk by chunk: log p(x_n | θ), shape (N,), and γ(z_nk), shape (N, K).

    With numba (:data:`USE_COMPILED`), one compiled pass over the rows (:func:`compiled_posterior`).
    Otherwise the densities of a chunk go through Bayes' theorem (``bayes``,
    ``emlib._bayes.bayes``) while the chunk is in cache; the responsibilities are the only
    (N, K) array allocated.
    """
    if USE_COMPILED:
        result = compiled_posterior(X, params, log_weights)
        if result is not None:
            return result  # else a row the compiled pass could not represent: the numpy pass names it
    densities = GaussianDensities(params)
    log_marginals = np.empty(X.shape[0])
    responsibilities = np.empty((X.shape[0], params.n_components))
    for rows in densities.chunks(X.shape[0]):
        block = densities.block(X[rows], rows.start)
        log_marginals[rows], responsibilities[rows] = bayes(block, log_weights, overwrite=True, first_row=rows.start)
    return log_marginals, responsibilities


def compiled_posterior(X: np.ndarray, params, log_weights: np.ndarray):
    """The E-step of :func:`gaussian_posterior` by the compiled loops, or None if a row's density overflows.

    One compiled pass over blocks of ROW_BLOCK rows (centre, whiten, square, Bayes' theorem):
    :func:`_diagonal_posterior_loop` for diagonal covariances, :func:`_triangular_posterior_loop`
    for full ones. A covariance shared by every component in more than COMPILED_MAX_FEATURES
    dimensions is whitened once per row by BLAS instead (:func:`_compiled_tied_posterior`).
    """
    n_rows, n_components = X.shape[0], params.n_components
    X = np.ascontiguousarray(X)
    diagonals = np.diagonal(params.covariance_cholesky, axis1=1, axis2=2)
    constants = -0.5 * (params.n_features * LOG_2PI + 2.0 * np.sum(np.log(diagonals), axis=1))
    possible = ~np.isneginf(log_weights)
    log_marginals = np.empty(n_rows)
    posterior = np.empty((n_rows, n_components))
    arguments = (constants, log_weights, possible, posterior, log_marginals)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if is_diagonal(params.covariances):
            inverse_deviations = np.ascontiguousarray(1.0 / diagonals)
            bad = _compiled["diagonal posterior"](X, params.means, inverse_deviations, *arguments)
        elif params.n_features > COMPILED_MAX_FEATURES and GaussianDensities(params).tied:
            return _compiled_tied_posterior(X, GaussianDensities(params), *arguments)
        else:
            bad = _compiled["triangular posterior"](X, params.means, params.precision_cholesky, *arguments)
    return None if bad >= 0 else (log_marginals, posterior)


def _compiled_tied_posterior(X, densities, constants, log_weights, possible, posterior, log_marginals):
    """The tied E-step: BLAS whitens each chunk once, a compiled pass does the rest (:func:`_expanded_posterior_loop`).

    The expanded form and rounding guard of :meth:`GaussianDensities._tied_mahalanobis`; the rows
    with an entry the guard flags are recomputed from x_n − μ_k, centred, then go through Bayes.
    """
    params = densities.params
    factor = params.precision_cholesky[0]
    suspect = np.zeros(X.shape[0], dtype=np.bool_)
    for rows in densities.chunks(X.shape[0]):
        shifted = X[rows] - densities.reference
        whitened = shifted @ factor  # y'_n, (m, D)
        bad = _compiled["expanded posterior"](
            np.einsum("md,md->m", whitened, whitened),
            densities.whitened_means @ whitened.T,
            densities.mean_terms,
            np.sqrt(np.einsum("md,md->m", shifted, shifted)),
            densities.mean_norms,
            float(densities.factor_rounding),
            densities.rounding,
            constants,
            log_weights,
            possible,
            posterior[rows],
            log_marginals[rows],
            suspect[rows],
        )
        if bad >= 0:
            return None
    flagged = np.flatnonzero(suspect)
    if flagged.size:
        rows = X[flagged]
        block = np.empty((flagged.size, params.n_components))
        for k in range(params.n_components):
            block[:, k] = constants[k] - 0.5 * _centred_tied_mahalanobis(rows, params, k)
        flagged_marginals = np.empty(flagged.size)
        if _compiled["bayes"](block, log_weights, possible, flagged_marginals) >= 0:
            return None
        posterior[flagged], log_marginals[flagged] = block, flagged_marginals
    return log_marginals, posterior


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
    for rows in chunks(*X.shape, step=expanded_chunk_size(X.shape[1])):
        weighted, shifted = weighted_block(rows), X[rows] - centre
        sums += weighted.T @ shifted
        squares += weighted.T @ (shifted * shifted)
    return _diagonal_moments_from_sums(X, weighted_block, counts, centre, sums, squares)


def _diagonal_moments_from_sums(X, weighted_block, counts, centre, sums, squares):
    """:func:`diagonal_moments` from its sums about the centre c: the means, the scatters, and the cancellation guard."""
    offsets = sums / counts[:, np.newaxis]
    scatter = squares - counts[:, np.newaxis] * offsets**2
    means = centre + offsets
    cancelled = np.flatnonzero(np.any(~(scatter >= CANCELLATION_LIMIT * squares), axis=1))
    if cancelled.size:
        means[cancelled], scatter[cancelled] = centred_moments(
            X, lambda rows: weighted_block(rows)[:, cancelled], counts[cancelled], diagonal=True
        )
    return means, scatter


def expanded_moments(X, weighted_block, counts, sample_weight):
    """Means, shape (K, D), and full scatters, shape (K, D, D): matrix products for all components, exact where needed.

    The full-covariance counterpart of :func:`diagonal_moments`. About the weighted data centre c,
    Σ_n r_nk (x_n − c) and the upper triangle of Σ_n r_nk (x_n − c)(x_n − c)ᵀ are products of the
    responsibilities with the D and the D(D+1)/2 products of coordinates of each row, for all
    components at once (no (K, N, D) work); S_k = Σ r (x − c)(x − c)ᵀ − N_k (μ_k − c)(μ_k − c)ᵀ.
    A component whose variance in some feature is below CANCELLATION_LIMIT times its mean square
    there is recomputed by :func:`centred_moments`; its off-diagonal entries, bounded by the
    diagonal ones (Cauchy–Schwarz), then need no test of their own.
    """
    n_components, n_features = len(counts), X.shape[1]
    upper_rows, upper_columns = np.triu_indices(n_features)
    starts = np.concatenate([[0], np.cumsum(np.arange(n_features, 0, -1))])  # row i of the triangle
    step = max(512, 2 * EXPANDED_CHUNK_ENTRIES // len(upper_rows))
    products = np.empty((len(upper_rows), step))  # (x_i − c_i)(x_j − c_j), i ≤ j, one column per row
    centre = (sample_weight @ X) / sample_weight.sum()
    sums = np.zeros((n_features, n_components))
    second = np.zeros((len(upper_rows), n_components))
    for rows in chunks(X.shape[0], n_features, step):
        weighted = weighted_block(rows)
        shifted = np.ascontiguousarray((X[rows] - centre).T)  # (D, m): each product is a long row
        size = shifted.shape[1]
        for i in range(n_features):
            np.multiply(shifted[i], shifted[i:], out=products[starts[i] : starts[i + 1], :size])
        sums += shifted @ weighted
        second += products[:, :size] @ weighted
    offsets = (sums / counts).T  # μ_k − c, (K, D)
    upper = second.T - counts[:, np.newaxis] * offsets[:, upper_rows] * offsets[:, upper_columns]
    scatter = np.empty((n_components, n_features, n_features))
    scatter[:, upper_rows, upper_columns] = upper
    scatter[:, upper_columns, upper_rows] = upper
    means = centre + offsets
    diagonal = starts[:-1]  # where (i, i) sits in the triangle
    cancelled = np.flatnonzero(np.any(~(upper[:, diagonal] >= CANCELLATION_LIMIT * second.T[:, diagonal]), axis=1))
    if cancelled.size:
        means[cancelled], scatter[cancelled] = centred_moments(
            X, lambda rows: weighted_block(rows)[:, cancelled], counts[cancelled], diagonal=False
        )
    return means, scatter


def component_moments(X, responsibilities, sample_weight, counts, diagonal, columns=None):
    """Means and centred scatters of the components ``columns`` (all if None), compiled or in numpy.

    The numbers of ``emlib.maximization.moments_formula`` with r_nk = w_n γ(z_nk):
    :func:`diagonal_moments` (``diagonal``: the scatters' diagonals, shape (K, D)) or
    :func:`expanded_moments` (shape (K, D, D)); ``counts`` are the N_k of ``columns``. With numba
    (:data:`USE_COMPILED`), the diagonal sums about the centre in few dimensions
    (COMPILED_DIAGONAL_MAX_FEATURES) are one compiled pass (:func:`_diagonal_sums_loop`) before
    the same guard, and small full problems (COMPILED_SCATTER_MAX_ENTRIES)
    take one compiled pass per pass of the formula (:func:`_full_moments_loop`).
    """
    columns = np.arange(responsibilities.shape[1]) if columns is None else np.asarray(columns, dtype=np.int64)
    if USE_COMPILED and not diagonal and X.shape[0] * len(columns) <= COMPILED_SCATTER_MAX_ENTRIES and X.shape[1] <= 8:
        means, scatter = np.empty((len(columns), X.shape[1])), np.empty((len(columns), X.shape[1], X.shape[1]))
        _compiled["full moments"](
            np.ascontiguousarray(X), responsibilities, sample_weight, columns, counts, means, scatter
        )
        return means, scatter
    unit_weights = bool(np.all(sample_weight == 1.0))
    every_column = len(columns) == responsibilities.shape[1]

    def weighted_block(rows):  # r_nk = w_n γ(z_nk) for a chunk of rows
        block = responsibilities[rows] if every_column else responsibilities[rows][:, columns]
        return block if unit_weights else block * sample_weight[rows, np.newaxis]

    if diagonal and USE_COMPILED and X.shape[1] <= COMPILED_DIAGONAL_MAX_FEATURES:
        X = np.ascontiguousarray(X)
        centre = (sample_weight @ X) / sample_weight.sum()
        sums, squares = np.empty((len(columns), X.shape[1])), np.empty((len(columns), X.shape[1]))
        _compiled["diagonal sums"](X, responsibilities, sample_weight, columns, centre, sums, squares)
        return _diagonal_moments_from_sums(X, weighted_block, counts, centre, sums, squares)
    if diagonal:
        return diagonal_moments(X, weighted_block, counts, sample_weight)
    return expanded_moments(X, weighted_block, counts, sample_weight)


def pooled_moments(X, responsibilities, sample_weight, counts):
    """The means, shape (K, D), and the pooled scatter Σ_k S_k, shape (1, D, D), for a tied covariance.

    Σ_k S_k = Σ_n t_n (x_n − c)(x_n − c)ᵀ − Σ_k N_k (μ_k − c)(μ_k − c)ᵀ with t_n = w_n Σ_k γ(z_nk)
    and c the data's weighted mean: one matrix product over the data for every component at once
    (the scatter within the components is the total scatter less the scatter between them). The
    difference cancels when the components are narrow compared with their spread: if, in some
    feature, the pooled variance is below CANCELLATION_LIMIT times the total mean square, the
    scatters are summed from :func:`component_moments` instead.
    """
    centre = (sample_weight @ X) / sample_weight.sum()
    sums = np.zeros((len(counts), X.shape[1]))
    total_scatter = np.zeros((X.shape[1], X.shape[1]))
    ones = np.ones(responsibilities.shape[1])
    for rows in chunks(*X.shape, step=expanded_chunk_size(X.shape[1])):
        shifted = X[rows] - centre
        weighted = shifted * sample_weight[rows, np.newaxis]
        sums += responsibilities[rows].T @ weighted
        total_scatter += weighted.T @ (shifted * (responsibilities[rows] @ ones)[:, np.newaxis])  # t_n = w_n Σ_k γ_nk
    offsets = sums / counts[:, np.newaxis]  # μ_k − c
    pooled = total_scatter - (offsets.T * counts) @ offsets
    pooled = 0.5 * (pooled + pooled.T)
    if np.all(np.diag(pooled) >= CANCELLATION_LIMIT * np.diag(total_scatter)):
        return centre + offsets, pooled[np.newaxis]
    means, scatter = component_moments(X, responsibilities, sample_weight, counts, diagonal=False)
    return means, scatter.sum(axis=0, keepdims=True)


# --- compiled kernels (the optional extra emlib[numba]) ------------------------------------------
#
# Each loop below computes, a block of rows at a time and in one pass, what the numpy code above
# computes in passes over chunks: the centred formulas themselves (no expanded form, so no
# rounding guard; the tied pass excepted, which takes BLAS's expanded products and their guard),
# with every temporary in L1 cache. Rows are summed in blocks (SUM_BLOCK or ROW_BLOCK), then the
# blocks, so that rounding grows with the block's length + N / that length rather than with N.

#: Rows per block of the compiled full moments.
SUM_BLOCK = 256

#: Rows per block of the compiled E-step and diagonal sums: the block, transposed to (D, ROW_BLOCK),
#: and its (K, ROW_BLOCK) log densities stay in L1 cache, and the loops over its rows vectorise.
ROW_BLOCK = 64


def _load_vector_exp() -> bool:
    """Whether the compiled loops can call glibc's vector exp (libmvec), which this then loads for numba.

    libmvec's ``_ZGVdN4v_exp`` takes four doubles in an AVX2 register and returns their
    exponentials, within 4 ulp (glibc's documented bound for its vector functions); numpy and
    numba otherwise call libm's exp once per number, some 5 ns each, which is most of the
    E-step's time. It is used only on x86-64 Linux, on a CPU with AVX2, with numba compiling for
    this host (NUMBA_CPU_NAME unset: the register convention then holds); elsewhere libm's exp runs.
    """
    if numba is None or sys.platform != "linux" or platform.machine() != "x86_64":
        return False
    if numba.config.CPU_NAME is not None or numba.config.CPU_FEATURES is not None:
        return False
    import llvmlite.binding

    if not llvmlite.binding.get_host_cpu_features().get("avx2", False):
        return False
    try:
        ctypes.CDLL("libmvec.so.1")._ZGVdN4v_exp  # noqa: B018 - raises AttributeError if absent
    except (OSError, AttributeError):
        return False
    llvmlite.binding.load_library_permanently("libmvec.so.1")
    return True


#: Whether the compiled loops' exponentials go four at a time through glibc's libmvec (:func:`_load_vector_exp`).
HAVE_VECTOR_EXP = _load_vector_exp()


def _exp4_intrinsic(typing_context, values, start):
    """values[start : start + 4] ← exp(values[start : start + 4]), one call of libmvec's ``_ZGVdN4v_exp``."""
    from llvmlite import ir
    from numba.core import cgutils

    if not (isinstance(values, numba.types.Array) and values.ndim == 1 and values.layout == "C"):
        return None
    quad = ir.VectorType(ir.DoubleType(), 4)

    def codegen(context, builder, signature, arguments):
        array = context.make_array(signature.args[0])(context, builder, arguments[0])
        pointer = cgutils.get_item_pointer(context, builder, signature.args[0], array, [arguments[1]])
        pointer = builder.bitcast(pointer, quad.as_pointer())
        function = cgutils.get_or_insert_function(builder.module, ir.FunctionType(quad, [quad]), "_ZGVdN4v_exp")
        builder.store(builder.call(function, [builder.load(pointer, align=8)]), pointer, align=8)
        return context.get_dummy_value()

    return numba.types.void(values, numba.types.intp), codegen


def _scalar_exp_in_place(values):
    """values ← exp(values) for a 1-D array, by libm, one number at a time."""
    for i in range(values.shape[0]):
        values[i] = np.exp(values[i])


def _vector_exp_in_place(values):
    """values ← exp(values) for a C-contiguous 1-D array: four at a time by libmvec, the last few by libm.

    numba refuses any other layout when it compiles the caller (the intrinsic loads four
    neighbouring numbers at once).
    """
    size = values.shape[0]
    start = 0
    while start + 4 <= size:
        _exp4(values, start)
        start += 4
    for i in range(start, size):
        values[i] = np.exp(values[i])


def _bayes_row(log_conditional, log_prior, possible, posterior, n):
    """Bayes' theorem for row n in place, as ``emlib._bayes.bayes``: returns log p(x_n), or NaN if undefined.

    NaN (the caller then lets the numpy path name the row) if a log density is not finite.
    """
    n_components = log_conditional.shape[1]
    largest = -np.inf
    check = 0.0  # finite if and only if every log density is (they are far below float64's range)
    for k in range(n_components):
        value = log_conditional[n, k]
        check += value
        if possible[k] and value > largest:
            largest = value
    if not abs(check) < np.inf:
        return np.nan
    row = posterior[n]
    for k in range(n_components):
        row[k] = (log_conditional[n, k] - largest) + log_prior[k]
    _exp_in_place(row)
    total = 0.0
    for k in range(n_components):
        total += row[k]
    scale = 1.0 / total  # total is in [max_k π_k, K]: the largest term is π_k > 0
    for k in range(n_components):
        row[k] *= scale
    return largest + np.log(total)


def _bayes_columns(log_conditional, size, log_prior, possible, posterior, log_marginals, first):
    """Bayes' theorem for a block of rows stored component-major, as ``emlib._bayes.bayes``; −1, or ``first`` if undefined.

    ``log_conditional`` is (K, m), C-contiguous (its rows go to :func:`_exp_in_place`), one
    column per row, and is overwritten; its first ``size``
    columns are rows ``first``, ``first + 1``, … of ``posterior`` (N, K) and ``log_marginals``
    (N,). Every loop runs along a row of m entries (it vectorises, and the exponentials go four
    at a time through :func:`_exp_in_place`). Returns ``first`` if a log density of the block is
    not finite: the caller then lets the numpy path name the row.
    """
    n_components, width = log_conditional.shape
    checks = np.zeros(width)  # stay 0 unless some log density is ±inf or NaN (then x · 0 is NaN)
    largest = np.full(width, -np.inf)
    for k in range(n_components):
        row = log_conditional[k]
        for i in range(width):
            checks[i] += row[i] * 0.0
        if possible[k]:
            for i in range(width):
                largest[i] = max(largest[i], row[i])
    check = 0.0
    for i in range(size):
        check += checks[i]
    if check != 0.0:
        return first
    totals = np.zeros(width)
    for k in range(n_components):
        row = log_conditional[k]
        log_weight = log_prior[k]
        for i in range(width):
            row[i] = (row[i] - largest[i]) + log_weight
        _exp_in_place(row)
        for i in range(width):
            totals[i] += row[i]
    for i in range(size):  # each total is in [max_k π_k, K]: the largest term is π_k > 0
        scale = 1.0 / totals[i]
        log_marginals[first + i] = largest[i] + np.log(totals[i])
        out = posterior[first + i]
        for k in range(n_components):
            out[k] = log_conditional[k, i] * scale
    return -1


def _transposed_rows(X, first, size, rows):
    """rows[:, i] = X[first + i] for i < size: a block of rows, one feature per row of ``rows`` (D, ROW_BLOCK)."""
    for i in range(size):
        for d in range(X.shape[1]):
            rows[d, i] = X[first + i, d]


def _bayes_loop(log_conditional, log_prior, possible, log_marginals):
    """Bayes' theorem for every row, overwriting ``log_conditional`` with the posterior; −1, or the first bad row."""
    for n in range(log_conditional.shape[0]):
        log_marginals[n] = _bayes_row(log_conditional, log_prior, possible, log_conditional, n)
        if np.isnan(log_marginals[n]):
            return n
    return -1


def _diagonal_posterior_loop(X, means, inverse_deviations, constants, log_prior, possible, posterior, log_marginals):
    """The E-step for diagonal covariances: Σ_d ((x_nd − μ_kd)/σ_kd)², then Bayes; −1, or the first row of a bad block.

    ROW_BLOCK rows at a time, transposed, so that every inner loop runs over the block's rows
    (contiguously, without a reduction: it vectorises); ``inverse_deviations`` is 1/σ_kd, (K, D).
    """
    n_rows, n_features = X.shape
    n_components = means.shape[0]
    rows = np.zeros((n_features, ROW_BLOCK))  # zeros: a last, partial block computes on harmless values
    log_conditional = np.empty((n_components, ROW_BLOCK))
    for first in range(0, n_rows, ROW_BLOCK):
        size = min(ROW_BLOCK, n_rows - first)
        _transposed_rows(X, first, size, rows)
        for k in range(n_components):
            distances = log_conditional[k]
            distances[:] = 0.0
            for d in range(n_features):
                mean, scale, values = means[k, d], inverse_deviations[k, d], rows[d]
                for i in range(ROW_BLOCK):
                    whitened = (values[i] - mean) * scale
                    distances[i] += whitened * whitened
            for i in range(ROW_BLOCK):
                distances[i] = constants[k] - 0.5 * distances[i]
        bad = _bayes_columns(log_conditional, size, log_prior, possible, posterior, log_marginals, first)
        if bad >= 0:
            return bad
    return -1


def _expanded_posterior_loop(
    quadratic,
    cross,
    mean_terms,
    row_norms,
    mean_norms,
    factor_rounding,
    rounding,
    constants,
    log_prior,
    possible,
    posterior,
    log_marginals,
    suspect,
):
    """The tied E-step from BLAS's products: M = ‖y'‖² − 2 y'·b'_k + ‖b'_k‖², the rounding guard, Bayes.

    ``quadratic`` ‖y'_n‖² (m,), ``cross`` y'_n · b'_k (K, m), overwritten; the guard of
    ``GaussianDensities._tied_mahalanobis``. A row with an entry whose bound exceeds
    1e-12 (1 + M) is marked in ``suspect`` for the caller to recompute; −1, or 0 if a log
    density is not finite.
    """
    n_components, n_rows = cross.shape
    suspect[:] = False
    for k in range(n_components):
        log_conditional = cross[k]
        for i in range(n_rows):
            mahalanobis = max(quadratic[i] - 2.0 * log_conditional[i] + mean_terms[k], 0.0)
            error = factor_rounding * (row_norms[i] + mean_norms[k])
            bound = rounding * (quadratic[i] + mean_terms[k]) + error * (2.0 * np.sqrt(mahalanobis) + error)
            suspect[i] = suspect[i] or bound > 1e-12 * (1.0 + mahalanobis)
            log_conditional[i] = constants[k] - 0.5 * mahalanobis
    return _bayes_columns(cross, n_rows, log_prior, possible, posterior, log_marginals, 0)


def _triangular_posterior_loop(X, means, precision_cholesky, constants, log_prior, possible, posterior, log_marginals):
    """The E-step for full covariances: ‖(x_n − μ_k)ᵀ P_k‖² with P_k upper-triangular, then Bayes; −1, or the first row of a bad block.

    ROW_BLOCK rows at a time, transposed, as in :func:`_diagonal_posterior_loop`: whitened
    coordinate j is Σ_{i ≤ j} (x_i − μ_ki) P_k,ij, computed for all the block's rows at once.
    """
    n_rows, n_features = X.shape
    n_components = means.shape[0]
    rows = np.zeros((n_features, ROW_BLOCK))  # zeros: a last, partial block computes on harmless values
    centred = np.empty((n_features, ROW_BLOCK))
    whitened = np.empty(ROW_BLOCK)
    log_conditional = np.empty((n_components, ROW_BLOCK))
    for first in range(0, n_rows, ROW_BLOCK):
        size = min(ROW_BLOCK, n_rows - first)
        _transposed_rows(X, first, size, rows)
        for k in range(n_components):
            for d in range(n_features):
                mean = means[k, d]
                for i in range(ROW_BLOCK):
                    centred[d, i] = rows[d, i] - mean
            distances = log_conditional[k]
            distances[:] = 0.0
            for j in range(n_features):
                whitened[:] = 0.0
                for d in range(j + 1):
                    factor = precision_cholesky[k, d, j]
                    for i in range(ROW_BLOCK):
                        whitened[i] += centred[d, i] * factor
                for i in range(ROW_BLOCK):
                    distances[i] += whitened[i] * whitened[i]
            for i in range(ROW_BLOCK):
                distances[i] = constants[k] - 0.5 * distances[i]
        bad = _bayes_columns(log_conditional, size, log_prior, possible, posterior, log_marginals, first)
        if bad >= 0:
            return bad
    return -1


def _diagonal_sums_loop(X, responsibilities, sample_weight, columns, centre, sums, squares):
    """The sums of :func:`diagonal_moments`, Σ_n r_nk (x_n − c) and Σ_n r_nk (x_n − c)², (K, D) each, r_nk = w_n γ(z_nk).

    ROW_BLOCK rows at a time, transposed: each sum over a block is a dot product along its rows
    (it vectorises); the blocks' sums are then added.
    """
    n_rows, n_features = X.shape
    n_components = len(columns)
    shifted = np.zeros((n_features, ROW_BLOCK))  # zeros: a last, partial block adds nothing
    shifted_squares = np.zeros((n_features, ROW_BLOCK))
    weighted = np.zeros((n_components, ROW_BLOCK))
    sums[:] = 0.0
    squares[:] = 0.0
    for first in range(0, n_rows, ROW_BLOCK):
        size = min(ROW_BLOCK, n_rows - first)
        for i in range(size):
            for d in range(n_features):
                value = X[first + i, d] - centre[d]
                shifted[d, i] = value
                shifted_squares[d, i] = value * value
            for k in range(n_components):
                weighted[k, i] = sample_weight[first + i] * responsibilities[first + i, columns[k]]
        for i in range(size, ROW_BLOCK):
            shifted[:, i] = 0.0
            shifted_squares[:, i] = 0.0
            weighted[:, i] = 0.0
        for k in range(n_components):
            weights = weighted[k]
            for d in range(n_features):
                values, values_squared = shifted[d], shifted_squares[d]
                first_sum, second_sum = 0.0, 0.0
                for i in range(ROW_BLOCK):
                    first_sum += weights[i] * values[i]
                    second_sum += weights[i] * values_squared[i]
                sums[k, d] += first_sum
                squares[k, d] += second_sum


def _first_means(X, responsibilities, sample_weight, columns, counts):
    """Pass 1 of the moments: m_k = Σ_n r_nk x_n / N_k, shape (K, D), summed in blocks of rows."""
    n_rows, n_features = X.shape
    n_components = len(columns)
    first = np.zeros((n_components, n_features))
    block = np.empty((n_components, n_features))
    for start in range(0, n_rows, SUM_BLOCK):
        block[:] = 0.0
        for n in range(start, min(start + SUM_BLOCK, n_rows)):
            for k in range(n_components):
                weight = sample_weight[n] * responsibilities[n, columns[k]]
                for d in range(n_features):
                    block[k, d] += weight * X[n, d]
        first += block
    for k in range(n_components):
        for d in range(n_features):
            first[k, d] /= counts[k]
    return first


def _full_moments_loop(X, responsibilities, sample_weight, columns, counts, means, scatter):
    """The corrected two-pass means and scatters of ``moments_formula``, into ``means`` (K, D) and ``scatter`` (K, D, D)."""
    n_rows, n_features = X.shape
    n_components = len(columns)
    first = _first_means(X, responsibilities, sample_weight, columns, counts)
    deviations = np.zeros((n_components, n_features))
    deviation_block = np.empty((n_components, n_features))
    scatter[:] = 0.0
    scatter_block = np.empty((n_components, n_features, n_features))
    centred = np.empty(n_features)
    for start in range(0, n_rows, SUM_BLOCK):  # pass 2: Σ r (x − m_k) and the upper triangle of Σ r (x − m_k)(x − m_k)ᵀ
        deviation_block[:] = 0.0
        scatter_block[:] = 0.0
        for n in range(start, min(start + SUM_BLOCK, n_rows)):
            for k in range(n_components):
                weight = sample_weight[n] * responsibilities[n, columns[k]]
                for d in range(n_features):
                    centred[d] = X[n, d] - first[k, d]
                    deviation_block[k, d] += weight * centred[d]
                for i in range(n_features):
                    value = weight * centred[i]
                    for j in range(i, n_features):
                        scatter_block[k, i, j] += value * centred[j]
        deviations += deviation_block
        scatter += scatter_block
    for k in range(n_components):  # μ_k = m_k + d_k, S_k = Σ r (x − m_k)(x − m_k)ᵀ − N_k d_k d_kᵀ
        for i in range(n_features):
            means[k, i] = first[k, i] + deviations[k, i] / counts[k]
        for i in range(n_features):
            for j in range(i, n_features):
                scatter[k, i, j] -= deviations[k, i] * (deviations[k, j] / counts[k])
                scatter[k, j, i] = scatter[k, i, j]


def _compile(function):
    """``function`` compiled by numba (cached on disk), allowing reassociation and fused multiply-adds only."""
    return numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})(function)


if HAVE_NUMBA:
    _scalar_exp_in_place = _compile(_scalar_exp_in_place)
    if HAVE_VECTOR_EXP:
        import numba.extending

        _exp4 = numba.extending.intrinsic(_exp4_intrinsic)
        _vector_exp_in_place = _compile(_vector_exp_in_place)
    _exp_in_place = _vector_exp_in_place if HAVE_VECTOR_EXP else _scalar_exp_in_place
    _bayes_row = _compile(_bayes_row)
    _bayes_columns = _compile(_bayes_columns)
    _transposed_rows = _compile(_transposed_rows)
    _first_means = _compile(_first_means)
    _compiled = {
        "bayes": _compile(_bayes_loop),
        "diagonal posterior": _compile(_diagonal_posterior_loop),
        "triangular posterior": _compile(_triangular_posterior_loop),
        "expanded posterior": _compile(_expanded_posterior_loop),
        "full moments": _compile(_full_moments_loop),
        "diagonal sums": _compile(_diagonal_sums_loop),
    }
else:  # pragma: no cover - exercised where numba is absent
    _compiled = {}


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
