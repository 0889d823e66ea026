"""The interface between a latent-variable model and the EM drivers.

EM needs two things of a model p(x, z | θ) (book eqs. :eq:`elbo-kl-decomposition` and :eq:`soft-em-q`):

- an **E-step**, :meth:`LatentVariableModel.expectation`: from θ_old, the expected sufficient
  statistics of the complete data under q(z) = p(z | x, θ_old) — whatever the M-step reads —
  together with the log-likelihood log p(X | θ_old), which the same computation yields;
- an **M-step**, :meth:`LatentVariableModel.maximization`: from those statistics (and the row
  weights), the θ that maximises Q(θ, θ_old) (plus a log-prior, for MAP-EM).

A driver needs a few optional pieces: the hard E-step (:meth:`~LatentVariableModel.classification`)
for classification EM, a flat parameter vector (:meth:`~LatentVariableModel.flatten`,
:meth:`~LatentVariableModel.unflatten`) for SQUAREM, and with it the gradient of the
log-likelihood in those coordinates (:meth:`~LatentVariableModel.score`, and
:meth:`~LatentVariableModel.log_parameter_prior_score` for MAP-EM) for ECG and the EM–ECG hybrid
(book :prf:ref:`em-gradient-alg-ecg`); additive statistics (:meth:`~LatentVariableModel.summarize`,
:meth:`~LatentVariableModel.maximize_summary`) for the drivers that see the data a block at a time
(incremental and online EM, a Dask array), and draws of the latent variables
(:meth:`~LatentVariableModel.simulated_statistics`) for stochastic and Monte Carlo EM
(``emlib.variants``). The statistics are opaque to the drivers: a
mixture's are its responsibilities, an HMM's its single and pairwise state marginals, a factor
model's the posterior moments of its factors.

:class:`MixtureModel` fills in the E-step for every model whose latent variable is one of K labels
per row: Bayes' theorem in log space (``emlib._bayes``) from log p(z = k) and log p(x_n | z_n = k).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._bayes import bayes, map_labels, total_log_likelihood
from ._validation import check_count, check_sample_weight, check_seed

__all__ = ["EStep", "LatentVariableModel", "MixtureModel"]


@dataclass(frozen=True, eq=False)
class EStep:
    """What an E-step returns.

    Attributes
    ----------
    statistics : object
        What the M-step reads: the expected sufficient statistics, or the posterior they are
        computed from (for a mixture, the responsibilities, shape (N, K)).
    log_likelihood : float
        log p(X | θ) = Σ_n w_n log p(x_n | θ) at the parameters the E-step used.
    classification_log_likelihood : float or None
        For a hard E-step only: log p(X, z* | θ) at the assignment z* it chose.
    assignment : ndarray or None
        For a hard E-step only: z*, first axis indexing rows; handed back to the next hard
        E-step, so that ties keep their assignment.
    """

    statistics: Any
    log_likelihood: float
    classification_log_likelihood: float | None = None
    assignment: np.ndarray | None = None


class LatentVariableModel(ABC):
    """A latent-variable model p(x, z | θ), as the EM drivers (``emlib.drivers``) see it.

    Subclasses implement the input checks, :meth:`expectation` and :meth:`maximization`;
    :func:`emlib.fit_em` then runs EM on them. The optional methods enable more drivers and
    MAP-EM. Every method whose name does not start with ``check`` receives validated inputs.
    """

    @abstractmethod
    def check_data(self, X):
        """Validate and convert the data; return an object whose first axis indexes rows."""

    @abstractmethod
    def check_params(self, data, params, name: str = "params") -> None:
        """Raise TypeError/ValueError, naming ``name``, unless ``params`` are parameters of this model for ``data``."""

    @abstractmethod
    def expectation(self, data, weights: np.ndarray, params) -> EStep:
        """The E-step at ``params``: expected sufficient statistics and the log-likelihood."""

    @abstractmethod
    def maximization(self, data, weights: np.ndarray, statistics, previous):
        """The M-step: argmax_θ of Q(θ, θ_old) (+ log p(θ)) given the E-step's ``statistics``.

        ``previous`` are the parameters the statistics were computed from; a model may keep
        parts of them where the statistics say nothing (a mixture component with no
        responsibility keeps its mean and covariance, with weight zero).
        """

    # --- optional pieces -------------------------------------------------------------------

    def log_parameter_prior(self, data, weights: np.ndarray, params) -> float:
        """log p(θ) up to a constant, for MAP-EM; 0 for maximum likelihood (the default).

        EM then increases the log-posterior ℓ(θ) + log p(θ) (book eq. :eq:`soft-em-map-objective`).
        """
        return 0.0

    def objective_is_monotone(self) -> bool:
        """Whether the M-step maximises ℓ + log p(θ) exactly, so that EM can never lower it.

        A regularisation that is not the M-step of any prior (an absolute ``reg_covar``) returns
        False: the drivers then stop only when the objective stops changing, not when it falls.
        """
        return True

    def classification(self, data, weights: np.ndarray, params, previous=None) -> EStep:
        """The hard E-step of classification EM: the most probable z* and log p(X, z* | θ).

        Returns an :class:`EStep` whose statistics are those of the complete data (X, z*), with
        ``classification_log_likelihood`` and ``assignment`` set. ``previous`` is the last
        assignment (ties keep it).
        """
        raise NotImplementedError(f"{type(self).__name__} has no hard E-step, so it cannot run classification EM")

    def flatten(self, params) -> np.ndarray:
        """θ as one vector of floats (SQUAREM extrapolates in these coordinates)."""
        raise NotImplementedError(f"{type(self).__name__} has no flat parametrisation, so it cannot run SQUAREM")

    def unflatten(self, vector: np.ndarray, like):
        """The parameters with coordinates ``vector`` (shaped like ``like``), or None if they are invalid."""
        raise NotImplementedError(f"{type(self).__name__} has no flat parametrisation, so it cannot run SQUAREM")

    def score(self, data, weights: np.ndarray, params, statistics=None) -> np.ndarray:
        """∇ℓ(θ): the gradient of ℓ(θ) = Σ_n w_n log p(x_n | θ) in the :meth:`flatten` coordinates.

        ECG's gradient (book :prf:ref:`em-gradient-alg-ecg`). With v = flatten(θ), the
        score is the vector s, of the shape of v, with

            sᵀu = d/dh ℓ(unflatten(v + h u)) at h = 0

        for every direction u along which ``unflatten`` stays valid: the derivative of the
        log-likelihood *as the flat coordinates see it*, so that a line search along any such u
        can use sᵀu as its slope. Where ``unflatten`` renormalises (mixture weights π divided by
        their sum), s is the gradient of that renormalised function, ∂ℓ/∂π_k − Σ_j π_j ∂ℓ/∂π_j;
        it is orthogonal to π, so it never moves the scale that the renormalisation ignores.

        Parameters
        ----------
        data, weights :
            Validated data and row weights, as the E-step receives them.
        params : object
            The point θ.
        statistics : object, optional
            The E-step's statistics at ``params`` if the caller has them (the drivers pass them,
            so that the score costs no extra E-step); a model may ignore them.

        Returns
        -------
        ndarray of shape (n_coordinates,)
            n_coordinates = ``flatten(params).size``.
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no score (gradient of the log-likelihood), so it cannot run ECG"
        )

    def log_parameter_prior_score(self, data, weights: np.ndarray, params) -> np.ndarray:
        """∇ log p(θ), the gradient of :meth:`log_parameter_prior` in the :meth:`flatten` coordinates.

        In the sense of :meth:`score`, shape (n_coordinates,). ECG ascends ℓ(θ) + log p(θ), whose
        gradient is ``score + log_parameter_prior_score``. The default is zero for a model
        without a prior (one that keeps the default :meth:`log_parameter_prior`); a model with a
        prior must supply it.
        """
        if type(self).log_parameter_prior is LatentVariableModel.log_parameter_prior:
            return np.zeros(np.shape(self.flatten(params)))
        raise NotImplementedError(
            f"{type(self).__name__} has a parameter prior but no log_parameter_prior_score, so it cannot run ECG"
        )

    def summarize(self, data, weights: np.ndarray, statistics):
        """The E-step's ``statistics`` of these rows reduced to expected sufficient statistics that add.

        For the drivers that see the data a block at a time (``emlib.variants``: incremental and
        online EM, and fits on a Dask array): the object returned supports ``a + b``, the
        statistics of the union of two disjoint sets of rows, and ``c * a``, the same rows with
        every weight multiplied by c ≥ 0; :meth:`maximize_summary` reads it.
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no additive sufficient statistics, so it cannot run incremental or online EM"
        )

    def maximize_summary(self, summary, previous):
        """The M-step from :meth:`summarize`'s statistics: the θ that :meth:`maximization` gives on those rows."""
        raise NotImplementedError(
            f"{type(self).__name__} has no additive sufficient statistics, so it cannot run incremental or online EM"
        )

    def simulated_statistics(self, data, weights: np.ndarray, statistics, n_draws: int, rng: np.random.Generator):
        """The statistics of the complete data with z drawn ``n_draws`` times from p(z | x, θ), averaged.

        Stochastic EM (one draw) and Monte Carlo EM (``emlib.variants.fit_monte_carlo_em``) run the
        ordinary M-step on these instead of the E-step's expectations.
        """
        raise NotImplementedError(
            f"{type(self).__name__} cannot draw its latent variables, so it cannot run stochastic or Monte Carlo EM"
        )

    def degenerate(self, data, weights: np.ndarray, params) -> np.ndarray | None:
        """Which parts of a fit are degenerate (for a mixture: which components), or None if not judged."""
        return None

    def n_parameters(self, params) -> int:
        """Number of free parameters, for :meth:`~emlib.LatentVariableModel.bic` and :meth:`~emlib.LatentVariableModel.aic`."""
        raise NotImplementedError(f"{type(self).__name__} does not count its parameters")

    # --- on raw inputs -------------------------------------------------------------------

    def log_likelihood(self, X, params, *, sample_weight=None) -> float:
        """The incomplete-data log-likelihood Σ_n w_n log p(x_n | θ)."""
        data = self.check_data(X)
        self.check_params(data, params)
        weights = check_sample_weight(sample_weight, len(data))
        return self.expectation(data, weights, params).log_likelihood

    def bic(self, X, params, *, sample_weight=None) -> float:
        """The Bayesian information criterion −2 ℓ(θ) + p log W (W = Σ_n w_n, the number of rows without weights)."""
        data = self.check_data(X)
        self.check_params(data, params)
        weights = check_sample_weight(sample_weight, len(data))
        log_likelihood = self.expectation(data, weights, params).log_likelihood
        return -2.0 * log_likelihood + self.n_parameters(params) * np.log(weights.sum())

    def aic(self, X, params, *, sample_weight=None) -> float:
        """Akaike's information criterion −2 ℓ(θ) + 2p."""
        return -2.0 * self.log_likelihood(X, params, sample_weight=sample_weight) + 2.0 * self.n_parameters(params)


class MixtureModel(LatentVariableModel):
    """A model whose latent variable z_n is one of K labels, independently for each row.

    p(x_n, z_n = k | θ) = p(z = k | θ) p(x_n | z_n = k, θ). Subclasses implement the input checks,
    :meth:`log_prior`, :meth:`log_conditional` and :meth:`~emlib.LatentVariableModel.maximization` (whose statistics are the
    responsibilities, shape (N, K)); the E-step, the hard E-step and the per-row scores follow.
    """

    @abstractmethod
    def log_prior(self, params) -> np.ndarray:
        """log p(z = k | θ), shape (K,) (−inf for a label of probability zero)."""

    @abstractmethod
    def log_conditional(self, data, params) -> np.ndarray:
        """log p(x_n | z_n = k, θ), shape (N, K)."""

    def log_joint(self, data, params) -> np.ndarray:
        """log p(x_n, z_n = k | θ) = log p(z = k | θ) + log p(x_n | z_n = k, θ), shape (N, K)."""
        return self.log_conditional(data, params) + self.log_prior(params)

    def posterior(self, data, params) -> tuple[np.ndarray, np.ndarray]:
        """log p(x_n | θ), shape (N,), and p(z_n = k | x_n, θ), shape (N, K), by Bayes' theorem.

        Book eq. :eq:`soft-em-responsibilities`; a model may override it with a faster path
        that computes the same numbers.
        """
        return bayes(self.log_conditional(data, params), self.log_prior(params), overwrite=True)

    def expectation(self, data, weights: np.ndarray, params) -> EStep:
        log_marginals, responsibilities = self.posterior(data, params)
        return EStep(responsibilities, total_log_likelihood(weights, log_marginals))

    def classification(self, data, weights: np.ndarray, params, previous=None) -> EStep:
        """Each row to its most probable label (book eq. :eq:`hard-em-e-step`); one-hot statistics."""
        # the E-step's pass: log p(x_n, z_n = k) = log p(x_n) + log p(z_n = k | x_n), whose argmax is the
        # posterior's; at the chosen label the posterior is at least 1/K, so its logarithm is accurate
        log_marginals, posterior = self.posterior(data, params)
        labels = map_labels(posterior, previous)
        rows = np.arange(len(labels))
        at_labels = log_marginals + np.log(posterior[rows, labels])
        one_hot = np.zeros_like(posterior)
        one_hot[rows, labels] = 1.0
        return EStep(
            one_hot,
            total_log_likelihood(weights, log_marginals),
            total_log_likelihood(weights, at_labels, "the classification log-likelihood of X"),
            labels,
        )

    def simulated_statistics(self, data, weights: np.ndarray, statistics, n_draws: int, rng: np.random.Generator):
        """Labels drawn from the responsibilities, ``n_draws`` per row: the share of draws of each label, shape (N, K).

        One draw gives one-hot rows (stochastic EM, Celeux and Diebolt 1985); as ``n_draws`` grows the
        shares tend to the responsibilities themselves (Monte Carlo EM, Wei and Tanner 1990).
        """
        n_rows, n_labels = statistics.shape
        cumulative = np.cumsum(statistics, axis=1)
        cumulative[:, -1] = np.inf  # a draw always lands on some label, whatever the rounding of the sum
        uniforms = rng.random((n_rows, n_draws))
        labels = np.empty((n_rows, n_draws), dtype=np.intp)
        for draw in range(n_draws):
            labels[:, draw] = np.argmax(cumulative > uniforms[:, draw : draw + 1], axis=1)
        shares = np.zeros((n_rows, n_labels))
        np.add.at(shares, (np.repeat(np.arange(n_rows), n_draws), labels.ravel()), 1.0 / n_draws)
        return shares

    def draw(self, params, n: int, rng: np.random.Generator):
        """n rows drawn from the model and their labels (validated n and rng)."""
        raise NotImplementedError(f"{type(self).__name__} cannot draw samples")

    # --- on raw inputs -------------------------------------------------------------------

    def _checked(self, X, params):
        data = self.check_data(X)
        self.check_params(data, params)
        return data

    def e_step(self, X, params) -> np.ndarray:
        """Posterior p(z_n = k | x_n, θ) of every label, shape (N, K) (book eq. :eq:`soft-em-responsibilities`)."""
        return self.posterior(self._checked(X, params), params)[1]

    def predict_proba(self, X, params) -> np.ndarray:
        """The responsibilities, shape (N, K): the same as :meth:`e_step`."""
        return self.e_step(X, params)

    def predict(self, X, params) -> np.ndarray:
        """The most probable label of each row, shape (N,)."""
        data = self._checked(X, params)
        return map_labels(self.log_joint(data, params))

    def score_samples(self, X, params) -> np.ndarray:
        """log p(x_n | θ) of each row, shape (N,)."""
        return self.posterior(self._checked(X, params), params)[0]

    def sample(self, params, n_samples: int, rng):
        """Draw ``n_samples`` rows and the label of each, from a generator or an integer seed."""
        self.check_params(None, params)
        n_samples = check_count(n_samples, "n_samples", minimum=0)
        return self.draw(params, n_samples, check_seed(rng, "rng"))  # reproducible: no silent fresh entropy
