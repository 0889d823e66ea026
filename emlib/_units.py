"""Internal units of a fit: X and the row weights divided by powers of two near their own scale.

A fit of X whose spread is 1e-200 would need variances of 1e-400, which float64 cannot hold;
one whose weights are 1e300 would overflow every sum. :func:`emlib.fit_gmm` therefore fits
X / s in internal units, with s the power of two nearest to X's spread, and weights w / u with u
the power of two nearest to their mean. Dividing by a power of two is exact, so for ordinary data
nothing changes, and a fit of 2ʲ·X is bit for bit the 2ʲ-scaled fit of X. The fitted parameters
are mapped back (μ = s μ', Σ = s² Σ'); if they cannot be represented in float64 a ValueError says
so instead of returning zeros or infinities.

A conjugate prior (``emlib.priors``) moves with them: μ_P like the data (μ'_P = μ_P / s), Λ like a
covariance (Λ' = Λ / s²), κ, ν and α unchanged, and its weight c like the inverse of the row
weights (c' = c / u), so that the internal objective ℓ' + c' log p'(θ') is the posterior's up to
the factor u and a constant (:meth:`Units.log_prior_jacobian`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .gaussian_mixture import n_parameters
from .params import GMMParams
from .priors import ResolvedPrior

__all__ = ["Units"]


def _power_of_two_near(value: float) -> float:
    """The power of two nearest to ``value`` > 0 in log scale (multiplying by it is exact)."""
    return float(2.0 ** np.round(np.log2(value)))


def _power_of_two_below(value: float) -> float:
    return float(2.0 ** np.floor(np.log2(value)))


@dataclass(frozen=True)
class Units:
    """s (``length``) and u (``weight``): internal X = X / s, internal w = w / u."""

    length: float
    weight: float

    @classmethod
    def of(cls, X: np.ndarray, weights: np.ndarray) -> Units:
        """Units for the rows X (all of positive weight) and their weights."""
        largest = float(np.max(np.abs(X)))
        if largest == 0.0:
            length = 1.0
        else:
            bound = _power_of_two_below(largest)  # X / bound lies in (−2, 2): no overflow below
            scaled, share = X / bound, weights / weights.sum()
            spread = np.sqrt(np.mean(share @ (scaled - share @ scaled) ** 2))
            length = bound * _power_of_two_near(spread) if spread > 0 else bound
            if length == 0.0:  # the product underflowed (a subnormal spread): keep the bound
                length = bound
        with np.errstate(over="ignore"):
            mean_weight = np.mean(weights)
        return cls(length, _power_of_two_near(mean_weight))

    @classmethod
    def of_observed(cls, X: np.ndarray, weights: np.ndarray) -> Units:
        """:meth:`of` for rows with missing (NaN) entries: the spread of each column over its observed rows.

        With nothing missing it is :meth:`of` itself. Every column must have an observed entry.
        """
        observed = ~np.isnan(X)
        if np.all(observed):
            return cls.of(X, weights)
        largest = float(np.nanmax(np.abs(X)))
        if largest == 0.0:
            length = 1.0
        else:
            bound = _power_of_two_below(largest)
            scaled = np.where(observed, X / bound, 0.0)
            shares = observed * weights[:, np.newaxis]
            shares = shares / shares.sum(axis=0)
            means = np.sum(shares * scaled, axis=0)
            deviations = np.where(observed, scaled - means, 0.0)
            spread = np.sqrt(np.mean(np.sum(shares * deviations**2, axis=0)))
            length = bound * _power_of_two_near(spread) if spread > 0 else bound
            if length == 0.0:
                length = bound
        with np.errstate(over="ignore"):
            mean_weight = np.mean(weights)
        return cls(length, _power_of_two_near(mean_weight))

    def data(self, X: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return X / self.length

    def weights(self, weights: np.ndarray) -> np.ndarray:
        return weights / self.weight

    def absolute_reg_covar(self, reg_covar: float) -> float:
        with np.errstate(over="ignore", under="ignore"):
            internal = reg_covar / self.length / self.length if self.length > 0 else np.inf
        if not np.isfinite(internal):
            raise ValueError(
                f"reg_covar={reg_covar:g} is beyond the range of float64 relative to X's spread"
                f" (about {self.length:.1e}); rescale X or use reg_covar=None"
            )
        return float(internal)

    def params_in(self, params: GMMParams, name: str = "init") -> GMMParams:
        """``params`` in internal units (a ValueError if they cannot be represented there)."""
        return self._scaled(params, 1.0 / self.length, name, "internal units of the fit")

    def params_out(self, params: GMMParams) -> GMMParams:
        """Fitted parameters in the units of X (a ValueError if float64 cannot hold them)."""
        return self._scaled(params, self.length, "the fitted parameters", "the units of X")

    def _scaled(self, params: GMMParams, factor: float, name: str, where: str) -> GMMParams:
        with np.errstate(over="ignore", under="ignore"):
            means = params.means * factor
            covariances = params.covariances * factor * factor
        variances = np.diagonal(covariances, axis1=1, axis2=2)
        representable = np.all(np.isfinite(means)) and np.all(np.isfinite(covariances))
        if not (representable and np.all(variances >= np.finfo(np.float64).tiny)):
            decades = np.log10(self.length)
            raise ValueError(
                f"{name} cannot be represented in {where}: X's spread is about 1e{decades:.0f}, so"
                f" its variances are about 1e{2 * decades:.0f}, beyond the range of float64; rescale X"
                " (for example standardise it) and fit again"
            )
        return GMMParams(params.weights, means, covariances)

    def prior_out(self, prior_scale: np.ndarray | None) -> np.ndarray | None:
        """The prior scale Ψ in the units of X and of the weights, u s² Ψ' (a ValueError if float64 cannot hold it)."""
        if prior_scale is None:
            return None
        with np.errstate(over="ignore", under="ignore"):
            prior = prior_scale * self.weight * self.length * self.length
        diagonal = np.diagonal(prior)
        if not (np.all(np.isfinite(prior)) and np.all(diagonal >= np.finfo(np.float64).tiny)):
            decades = np.log10(self.length)
            raise ValueError(
                f"the prior scale Ψ cannot be represented in the units of X: X's spread is about 1e{decades:.0f},"
                " so Ψ (a millionth of its covariance) is beyond the range of float64; rescale X (for example"
                " standardise it) and fit again"
            )
        return prior

    def totals_out(self, totals, internal_weight: float, n_features: int) -> np.ndarray:
        """Log-likelihoods (or log-posteriors) in the units of X and of the weights.

        log p(x) = log p'(x / s) − D log s for each row, so a total Σ_n w'_n log p'(x'_n)
        becomes u (total − D log s Σ_n w'_n).
        """
        with np.errstate(over="ignore"):
            values = self.weight * (np.asarray(totals) - n_features * np.log(self.length) * internal_weight)
        if not np.all(np.isfinite(values)):
            raise ValueError("the total log-likelihood is beyond the range of float64; rescale sample_weight")
        return values

    def conjugate_prior_in(self, prior: ResolvedPrior) -> ResolvedPrior:
        """A resolved conjugate prior in internal units: μ_P / s, Λ / s², weight c / u (κ, ν, α unchanged).

        The fit then maximises ℓ'(θ') + (c/u) log p'(θ'), which is (ℓ(θ) + c log p(θ)) / u up to a
        constant: the same MAP. A ValueError if μ_P or Λ cannot be represented there.
        """
        return self._prior_scaled(prior, 1.0 / self.length, 1.0 / self.weight, "internal units of the fit")

    def conjugate_prior_out(self, prior: ResolvedPrior) -> ResolvedPrior:
        """A resolved conjugate prior back in the units of X and of the weights: μ_P s, Λ s², weight c u."""
        return self._prior_scaled(prior, self.length, self.weight, "the units of X")

    def _prior_scaled(self, prior: ResolvedPrior, factor: float, weight_factor: float, where: str) -> ResolvedPrior:
        with np.errstate(over="ignore", under="ignore"):
            mean = prior.mean * factor
            scale = prior.scale * factor * factor
            weight = prior.weight * weight_factor
        representable = np.all(np.isfinite(mean)) and np.all(np.isfinite(scale)) and np.isfinite(weight)
        if not (representable and np.all(np.diagonal(scale) >= np.finfo(np.float64).tiny) and weight > 0):
            decades = np.log10(self.length)
            raise ValueError(
                f"the conjugate prior cannot be represented in {where}: X's spread is about 1e{decades:.0f}, so"
                " its prior scale is beyond the range of float64; rescale X (for example standardise it) and fit again"
            )
        return replace(prior, mean=mean, scale=scale, weight=weight)

    def log_prior_jacobian(self, prior: ResolvedPrior, n_components: int) -> float:
        """c log|∂θ/∂θ'| = c (K·D + 2 m) log s, m the covariance coordinates of the prior's type.

        The prior's density in internal units is p'(θ') = p(θ) |∂θ/∂θ'|, with μ = s μ' (K·D
        coordinates) and covariances s² Σ' (m = K·D(D+1)/2 for "full", D(D+1)/2 for "tied",
        K·D for "diag", K for "spherical"; the weights do not move). So an internal objective
        F' = ℓ' + c' log p'(θ') (c' = c/u) becomes, through :meth:`totals_out`,
        ℓ(θ) + c log p(θ) + this: subtract it to report the objective in the units of X. ``prior``
        in the units of X (weight c).
        """
        k, d = n_components, prior.n_features
        covariance = n_parameters(k, d, prior.covariance_type) - (k - 1) - k * d
        return float(prior.weight * (k * d + 2 * covariance) * np.log(self.length))
