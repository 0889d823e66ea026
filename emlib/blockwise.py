"""EM on a Dask array: the E-step's sufficient statistics computed block by block and reduced.

A Gaussian mixture's M-step reads the responsibilities only through N_k, x̄_k, S_k and W
(``emlib.sufficient``), and these add exactly across disjoint sets of rows. So an E-step on a
Dask array X of shape (N, D) is, for each block of rows b, one task that computes

    (ℓ_b, s_b) = (Σ_{n∈b} w_n log p(x_n | θ),  N_k, x̄_k, S_k, W of the block's rows)

with the in-memory E-step (:meth:`emlib.GaussianMixtureModel.posterior`) and
:meth:`~emlib.GaussianMixtureModel.summarize`, followed by a tree of tasks that adds them
pairwise, (ℓ_a + ℓ_b, s_a + s_b). Only one block of rows (and its (rows, K) responsibilities) is
in memory per worker thread, and only the reduced (K, D, D) statistics reach the caller. On a
``dask.distributed`` cluster the same graph runs on the workers: ``fit_gmm`` on a Dask array is
then EM across machines. The M-step is :meth:`emlib.GaussianMixtureModel.maximize_summary`, so
every iterate is the in-memory EM's up to the order of the floating-point sums; SQUAREM extrapolates
in fit_gmm's internal units (``emlib._units``), so its steps are the in-memory SQUAREM's too.

Two things are not materialised: the responsibilities (N, K), which the fit does not return
(``predict_proba`` on blocks gives them), and the row weights. The drivers (``emlib.drivers``)
read the weights only through their total, ``weights.sum()`` (``_History``), so they receive a
:class:`WeightTotal` holding that number; the weights themselves travel with the data
(:class:`BlockwiseData`), as a Dask array chunked like X's rows, or as nothing when every row
has weight one.

Dask is an optional dependency (``pip install emlib[dask]``): nothing here imports it until a
Dask array is given. Not available blockwise: hard EM and ECG (they need per-row assignments or
gradients), the conjugate ``prior`` (resolved from the data themselves) and ``missing="em"``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import reduce
from operator import add
from typing import Any

import numpy as np

from ._bayes import total_log_likelihood
from ._regularisation import Regulariser
from ._units import _power_of_two_below, _power_of_two_near
from ._validation import check_count, check_random_state
from .gaussian_mixture import GaussianMixtureModel
from .model import EStep, LatentVariableModel
from .params import GMMParams
from .sufficient import GaussianStatistics, statistics_regulariser

__all__ = [
    "REDUCTION_FAN_IN",
    "BlockwiseData",
    "BlockwiseGaussianMixture",
    "WeightTotal",
    "check_blockwise_data",
    "is_dask_array",
    "subsample_rows",
]

#: How many partial results each task of the reduction tree adds (a block's statistics are a few kB).
REDUCTION_FAN_IN = 8


def is_dask_array(X) -> bool:
    """Whether X is a ``dask.array.Array``, without importing Dask unless X's own module already has."""
    if not type(X).__module__.startswith("dask.") or "dask.array" not in sys.modules:
        return False
    import dask.array

    return isinstance(X, dask.array.Array)


@dataclass(frozen=True)
class WeightTotal:
    """What the EM drivers read of the row weights: their total W = Σ_n w_n, as ``weights.sum()``.

    The drivers' bookkeeping (``emlib.drivers._History``: the stopping rule per unit of weight)
    calls only ``weights.sum()``; the blockwise model reads the weights themselves from its data
    (``BlockwiseData.weights``), block by block. So no (N,) array is formed on the caller.
    """

    total: float

    def sum(self) -> float:
        return self.total


@dataclass(frozen=True, eq=False)
class BlockwiseData:
    """A Dask array X (N, D) whose chunks span every column, and its row weights.

    Attributes
    ----------
    array : dask.array.Array of shape (N, D)
        The data, chunked along rows only (any dtype of real numbers: each block is converted
        to float64 in its task).
    weights : dask.array.Array of shape (N,) or None
        Non-negative row weights chunked like ``array``'s rows; None: every row has weight one.
    total_weight : float
        W = Σ_n w_n.
    n_positive : int
        The number of rows of positive weight.
    """

    array: Any
    weights: Any
    total_weight: float
    n_positive: int

    @property
    def shape(self) -> tuple[int, int]:
        return self.array.shape

    def __len__(self) -> int:
        return self.array.shape[0]

    @property
    def weight_total(self) -> WeightTotal:
        """The weights as the drivers see them (:class:`WeightTotal`)."""
        return WeightTotal(self.total_weight)

    def row_blocks(self) -> list[tuple[Any, Any, int]]:
        """(block of X, block of weights or None, index of its first row) for each block of rows, as Dask delayed."""
        blocks = self.array.to_delayed().ravel()
        weights = [None] * len(blocks) if self.weights is None else list(self.weights.to_delayed().ravel())
        starts = np.concatenate([[0], np.cumsum(self.array.chunks[0])[:-1]])
        return list(zip(blocks, weights, (int(start) for start in starts)))


def check_blockwise_data(X, sample_weight=None) -> BlockwiseData:
    """Validate a Dask array X (N, D) and its weights; rechunk X so that every chunk spans all columns.

    ``sample_weight`` is None (every weight one), a numpy array of shape (N,) or a Dask array of
    shape (N,): it is rechunked like X's rows and checked (finite, non-negative, positive and
    finite total) by one pass over the weights. The entries of X are checked inside the E-step's
    tasks, block by block (a NaN or an infinity is a ValueError naming X).
    """
    import dask.array as da

    if not is_dask_array(X):
        raise TypeError(f"X must be a dask.array.Array; got {type(X).__name__}")
    if X.ndim != 2:
        raise ValueError(
            f"X must be a 2-D array of shape (n_samples, n_features); got {X.ndim}-D with shape {X.shape}"
            " (reshape a single feature with X.reshape(-1, 1))"
        )
    if any(np.isnan(size) for sizes in X.chunks for size in sizes):
        raise ValueError("X has unknown chunk sizes (NaN); call X.compute_chunk_sizes() first")
    if X.dtype.kind not in "iuf":
        raise TypeError(f"X must hold real numbers (integer or float); got an array of dtype {X.dtype}")
    n_samples, n_features = X.shape
    if n_samples < 1 or n_features < 1:
        raise ValueError(f"X must have at least one row and one column; got shape {X.shape}")
    X = X.rechunk({1: -1})  # a no-op when the chunks already span the columns
    if sample_weight is None:
        return BlockwiseData(X, None, float(n_samples), n_samples)
    weights = sample_weight if is_dask_array(sample_weight) else da.from_array(np.asarray(sample_weight))
    if weights.ndim != 1:
        raise ValueError(f"sample_weight must be a 1-D array; got {weights.ndim}-D with shape {weights.shape}")
    if weights.dtype.kind not in "iuf":
        raise TypeError(f"sample_weight must hold real numbers (integer or float); got dtype {weights.dtype}")
    if weights.shape[0] != n_samples:
        raise ValueError(f"sample_weight must have one entry per row of X ({n_samples}); got {weights.shape[0]}")
    weights = weights.astype(np.float64).rechunk((X.chunks[0],))
    with np.errstate(over="ignore"):
        smallest, total, finite, positive = da.compute(
            weights.min(), weights.sum(), da.isfinite(weights).all(), (weights > 0).sum()
        )
    if not finite:
        raise ValueError("sample_weight contains NaN or infinite values")
    if smallest < 0:
        raise ValueError("sample_weight must be non-negative")
    if not total > 0:
        raise ValueError("sample_weight must have a positive sum (all weights are zero)")
    if not np.isfinite(total):
        raise ValueError("sample_weight sums beyond the range of float64; rescale sample_weight")
    return BlockwiseData(X, weights, float(total), int(positive))


def subsample_rows(data: BlockwiseData, n_rows: int, rng) -> tuple[np.ndarray, np.ndarray | None]:
    """A uniform sample of ``min(n_rows, N)`` distinct rows of X (in their order) and their weights, in memory.

    The rows are drawn without replacement from ``rng`` (a seed or a numpy Generator), so the
    sample is reproducible; only the blocks holding them are read.
    """
    n_rows = check_count(n_rows, "n_rows", minimum=1)
    rng = check_random_state(rng, "rng")
    n_total = len(data)
    if n_rows >= n_total:
        rows = np.arange(n_total)
    else:
        rows = np.sort(rng.choice(n_total, size=n_rows, replace=False))
    X = np.asarray(data.array[rows].compute(), dtype=np.float64)
    weights = None if data.weights is None else np.asarray(data.weights[rows].compute())
    return X, weights


class BlockwiseGaussianMixture(LatentVariableModel):
    """A :class:`emlib.GaussianMixtureModel` on a Dask array: the E-step by blocks, the M-step from their sum.

    The data are a :class:`BlockwiseData` (:meth:`check_data` makes one from a Dask array) and
    the drivers' ``weights`` a :class:`WeightTotal` (``data.weight_total``). Run it with
    ``emlib.drivers.run(model, data, data.weight_total, init, method="em" or "squarem", ...)``;
    :func:`emlib.fit_gmm` does so when given a Dask array.

    The default prior's Ψ = 10⁻⁶ W T (book eq. :eq:`soft-em-data-prior`) needs the data scale T,
    which the pooled statistics of any E-step give (the responsibilities of a row sum to one): the
    regulariser that the objective's log-prior and the degeneracy test use is taken from the first
    E-step on the data, and each M-step (``maximize_summary``) computes the same Ψ from its own
    statistics, equal to rounding.

    Parameters
    ----------
    model : GaussianMixtureModel
        The mixture: its ``covariance_type`` and ``reg_covar`` or ``covariance_prior`` are used;
        a conjugate ``prior`` is refused.
    """

    def __init__(self, model: GaussianMixtureModel):
        if type(model) is not GaussianMixtureModel:
            raise TypeError(
                f"model must be an emlib.GaussianMixtureModel; got {type(model).__name__} (missing='em' and other"
                " models are not available on a Dask array)"
            )
        if model.prior is not None:
            raise ValueError(
                "prior (the conjugate prior) is not available on a Dask array: its hyper-parameters are resolved"
                " from the data themselves; use prior=None (the default data-scaled prior) or reg_covar"
            )
        self.model = model
        self._cache = None  # (data, its regulariser, its length unit s): see _remember

    @property
    def covariance_type(self) -> str:
        return self.model.covariance_type

    # --- the model interface -------------------------------------------------------------------

    def check_data(self, X) -> BlockwiseData:
        return X if isinstance(X, BlockwiseData) else check_blockwise_data(X)

    def check_params(self, data, params, name: str = "params") -> None:
        self.model.check_params(data, params, name=name)

    def expectation(self, data: BlockwiseData, weights: WeightTotal, params: GMMParams) -> EStep:
        """One task per block of rows, (ℓ_b, s_b), then a tree of additions; the pooled statistics and Σ_b ℓ_b."""
        log_likelihood, statistics = _reduced(data, _block_expectation, self.model, params)
        if self._cache is None or self._cache[0] is not data:
            self._remember(data, statistics)
        return EStep(statistics, log_likelihood)

    def maximization(self, data, weights, statistics: GaussianStatistics, previous) -> GMMParams:
        """The M-step from the pooled statistics: :meth:`emlib.GaussianMixtureModel.maximize_summary`."""
        return self.model.maximize_summary(statistics, previous)

    def regulariser(self, data: BlockwiseData) -> Regulariser:
        """The regulariser for these data: from the first E-step's statistics, or else from one pass over X."""
        if self._cache is None or self._cache[0] is not data:
            self._remember(data, _reduced(data, _block_moments)[1])
        return self._cache[1]

    def _remember(self, data: BlockwiseData, statistics: GaussianStatistics) -> None:
        """Keep what the data's pooled moments decide: the regulariser, and the length unit s of SQUAREM's coordinates."""
        regulariser = statistics_regulariser(
            statistics, self.covariance_type, self.model.reg_covar, self.model.covariance_prior
        )
        self._cache = (data, regulariser, _length_unit(statistics))

    def log_parameter_prior(self, data, weights, params: GMMParams) -> float:
        """−½ Σ_k tr(Ψ Σ_k⁻¹) under the default prior (0 with an absolute ``reg_covar``)."""
        return self.regulariser(data).log_prior(params, self.covariance_type)

    def objective_is_monotone(self) -> bool:
        return self.model.objective_is_monotone()

    def flatten(self, params: GMMParams) -> np.ndarray:
        """SQUAREM's coordinates (π, μ / s, Σ / s²): those of fit_gmm, which extrapolates in its internal units.

        s is the power of two near X's spread that ``emlib._units.Units`` chooses (from the
        data seen by the last E-step; 1 before any), so that SQUAREM's steps, which depend on the
        relative scale of π, μ and Σ, are those of the in-memory fit, whatever the units of X.
        """
        return self.model.flatten(self._in_length_unit(params, 1.0 / self._length()))

    def unflatten(self, vector: np.ndarray, like: GMMParams) -> GMMParams | None:
        internal = self.model.unflatten(vector, like)
        return None if internal is None else self._in_length_unit(internal, self._length())

    def _length(self) -> float:
        return 1.0 if self._cache is None else self._cache[2]

    @staticmethod
    def _in_length_unit(params: GMMParams, factor: float) -> GMMParams | None:
        """μ·factor, Σ·factor² (exact: factor is a power of two)."""
        if factor == 1.0:
            return params
        try:
            return GMMParams(params.weights, params.means * factor, params.covariances * (factor * factor))
        except ValueError:  # beyond float64 in the other unit: not a valid point
            return None

    def degenerate(self, data, weights, params: GMMParams) -> np.ndarray:
        """As :meth:`emlib.GaussianMixtureModel.degenerate`, with the regulariser of these data."""
        return self.regulariser(data).degenerate(params, data.total_weight, self.covariance_type)

    def n_parameters(self, params: GMMParams) -> int:
        return self.model.n_parameters(params)

    def fitted_model(self, data: BlockwiseData) -> GaussianMixtureModel:
        """The in-memory model with the regularisation used: Ψ as ``covariance_prior``, or the absolute ``reg_covar``.

        ``emlib.fit_em(fitted_model, X_in_memory, params)`` continues a blockwise fit.
        """
        prior_scale = self.regulariser(data).prior_scale
        return GaussianMixtureModel(self.covariance_type, self.model.reg_covar, covariance_prior=prior_scale)

    # --- refused: they need per-row results that a blockwise E-step does not keep ---------------

    def classification(self, data, weights, params, previous=None):
        """Refused: classification EM needs each row's hard assignment, an (N,) array that is not materialised."""
        raise ValueError(
            "method='hard' (classification EM) is not available on a Dask array: its assignment is an (N,) array"
            " that is not materialised; use method='em' or 'squarem'"
        )

    def score(self, data, weights, params, statistics=None):
        raise ValueError("method='ecg' and 'hybrid' are not available on a Dask array; use method='em' or 'squarem'")

    def log_parameter_prior_score(self, data, weights, params):
        raise ValueError("method='ecg' and 'hybrid' are not available on a Dask array; use method='em' or 'squarem'")

    def __repr__(self) -> str:
        return f"BlockwiseGaussianMixture({self.model!r})"


def _reduced(data: BlockwiseData, task, *args):
    """(Σ_b ℓ_b, Σ_b s_b) of ``task(block, block_weights, start, *args)`` over the blocks of rows, by a tree of tasks."""
    import dask

    parts = [dask.delayed(task)(block, weights, start, *args) for block, weights, start in data.row_blocks()]
    while len(parts) > 1:
        parts = [
            dask.delayed(_add_parts)(*parts[i : i + REDUCTION_FAN_IN]) for i in range(0, len(parts), REDUCTION_FAN_IN)
        ]
    return dask.compute(parts[0])[0]


def _block_expectation(block, block_weights, start: int, model: GaussianMixtureModel, params: GMMParams):
    """One task: (Σ_n w_n log p(x_n | θ), GaussianStatistics) of a block of rows starting at row ``start``."""
    block, block_weights = _checked_block(block, block_weights, start)
    log_marginals, responsibilities = model.posterior(block, params)
    log_likelihood = total_log_likelihood(block_weights, log_marginals)
    return log_likelihood, model.summarize(block, block_weights, responsibilities)


def _block_moments(block, block_weights, start: int):
    """One task: (0, the block's W, weighted mean and scatter as one-component GaussianStatistics)."""
    block, block_weights = _checked_block(block, block_weights, start)
    return 0.0, GaussianStatistics.from_responsibilities(block, np.ones((len(block), 1)), block_weights)


def _checked_block(block, block_weights, start: int) -> tuple[np.ndarray, np.ndarray]:
    """A block of X as float64 and its weights (ones if None), its rows of weight zero dropped (as in fit_gmm).

    A ValueError naming X and the row if the block holds a NaN or an infinity.
    """
    block = np.ascontiguousarray(block, dtype=np.float64)
    finite = np.isfinite(block)
    if not np.all(finite):
        row = start + int(np.flatnonzero(~np.all(finite, axis=1))[0])
        raise ValueError(
            f"X contains NaN or infinite values (row {row}); on a Dask array a NaN is an error (missing='em'"
            " is not available there): drop or fill those rows"
        )
    if block_weights is None:
        return block, np.ones(len(block))
    block_weights = np.asarray(block_weights, dtype=np.float64)
    counted = block_weights > 0
    if np.all(counted):
        return block, block_weights
    return np.ascontiguousarray(block[counted]), block_weights[counted]


def _length_unit(statistics: GaussianStatistics) -> float:
    """s of :meth:`emlib._units.Units.of` from pooled statistics: the power of two near the root mean variance of X.

    Units.of divides X by a power of two below max |x| before measuring its spread, which changes
    nothing but the range (both are powers of two); with no spread (every row alike) s is that
    power of two, the rows being their mean.
    """
    _, mean, covariance = statistics.pooled()
    spread = float(np.sqrt(np.mean(np.diagonal(covariance))))
    if spread > 0 and np.isfinite(spread):
        return _power_of_two_near(spread)
    largest = float(np.max(np.abs(mean)))
    return _power_of_two_below(largest) if largest > 0 else 1.0


def _add_parts(*parts):
    """(Σ ℓ, Σ s) of several blocks' (ℓ, s): one node of the reduction tree."""
    return sum(part[0] for part in parts), reduce(add, (part[1] for part in parts))
