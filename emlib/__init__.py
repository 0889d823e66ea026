"""emlib: the reference implementation of the EM book.

Gaussian-mixture EM in log space with validated inputs. Every function names, in its
docstring, the book equation it implements.
"""

from . import datasets
from .expectation import component_log_densities, e_step, log_likelihood
from .bound import complete_log_likelihood, elbo, posterior_kl
from .fit import GaussianMixture, GMMFit, fit_gmm
from .latent import ConvergenceWarning, EMResult, LatentVariableModel, fit_em
from .maximization import m_step
from .params import GMMParams, SingularCovarianceError

__version__ = "0.1.0"

__all__ = [
    "ConvergenceWarning",
    "GMMFit",
    "GMMParams",
    "SingularCovarianceError",
    "component_log_densities",
    "datasets",
    "e_step",
    "fit_gmm",
    "log_likelihood",
    "m_step",
]
