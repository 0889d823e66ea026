"""emlib: the reference implementation of the EM book.

EM for Gaussian mixtures (and for any latent-variable model with a discrete label) in log
space, with validated inputs. Every function names, in its docstring, the book equation it
implements.
"""

from . import datasets
from .binomial import BinomialMixture, BinomialMixtureParams
from .bound import complete_log_likelihood, elbo, posterior_kl
from .expectation import component_log_densities, e_step, log_likelihood
from .fit import DegenerateFitWarning, GaussianMixture, GMMFit, fit_gmm
from .latent import ConvergenceWarning, EMResult, LatentVariableModel, fit_em
from .maximization import m_step
from .params import GMMParams, SingularCovarianceError

__version__ = "0.1.0"

__all__ = [
    "BinomialMixture",
    "BinomialMixtureParams",
    "ConvergenceWarning",
    "DegenerateFitWarning",
    "EMResult",
    "GMMFit",
    "GMMParams",
    "GaussianMixture",
    "LatentVariableModel",
    "SingularCovarianceError",
    "complete_log_likelihood",
    "component_log_densities",
    "datasets",
    "e_step",
    "elbo",
    "fit_em",
    "fit_gmm",
    "log_likelihood",
    "m_step",
    "posterior_kl",
]
