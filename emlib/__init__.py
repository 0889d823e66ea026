"""emlib: the reference implementation of the EM book.

One model interface (:class:`LatentVariableModel`: an E-step that returns expected sufficient
statistics with the log-likelihood, an M-step from those statistics) and one family of
drivers over it (EM, classification EM, SQUAREM, ECG and the EM–ECG hybrid: :func:`fit_em`,
:func:`run_ecg`, :func:`run_hybrid`). The Gaussian mixture (:func:`fit_gmm`, the
scikit-learn-style estimator :class:`GaussianMixture`), the binomial mixture and Dempster, Laird
and Rubin's genetic-linkage multinomial (:class:`GeneticLinkage`) are models on that interface. Everything is computed in log space from validated
inputs, and every function names, in its docstring, the book equation it implements.
"""

from . import datasets, information, linkage, plotting, selection, stopping, variants
from .binomial import BinomialMixture, BinomialMixtureParams
from .bound import complete_log_likelihood, elbo, expected_complete_log_likelihood, posterior_kl
from .drivers import ConvergenceWarning, fit_em, run_ecg, run_hybrid
from .estimator import GaussianMixture
from .expectation import component_log_densities, e_step, hard_assignments, log_likelihood
from .factor_analysis import (
    FactorAnalysisModel,
    FactorParams,
    FactorStatistics,
    fit_factor_analysis,
    fit_ppca,
    ppca_maximum_likelihood,
)
from .fit import DegenerateFitWarning, fit_gmm
from .gaussian_mixture import GaussianMixtureModel
from .hmm import HiddenMarkovModel, HMMParams, HMMStatistics, Sequences
from .hmm_fit import fit_hmm
from .linkage import GeneticLinkage, LinkageParams, LinkageStatistics
from .maximization import m_step
from .missing import MissingGaussianMixtureModel
from .model import EStep, LatentVariableModel, MixtureModel
from .params import GMMParams, SingularCovarianceError
from .poisson import PoissonMixture, PoissonMixtureParams
from .priors import ConjugatePrior
from .result import EMResult
from .selection import ModelSelection, SelectionRow, SelectionTable, icl, select_gmm
from .student_t import StudentTMixture, StudentTParams, StudentTStatistics, fit_student_t
from .sufficient import GaussianStatistics
from .variants import OnlineEM, fit_incremental_em, fit_monte_carlo_em
from .variational import VariationalGaussianMixture, VariationalParams, VariationalPrior, fit_variational_gmm

__version__ = "0.2.0"

__all__ = [
    "BinomialMixture",
    "ConjugatePrior",
    "BinomialMixtureParams",
    "ConvergenceWarning",
    "DegenerateFitWarning",
    "EMResult",
    "EStep",
    "FactorAnalysisModel",
    "FactorParams",
    "FactorStatistics",
    "GMMParams",
    "GaussianStatistics",
    "GaussianMixture",
    "GaussianMixtureModel",
    "HMMParams",
    "HMMStatistics",
    "HiddenMarkovModel",
    "GeneticLinkage",
    "LatentVariableModel",
    "LinkageParams",
    "LinkageStatistics",
    "ModelSelection",
    "MissingGaussianMixtureModel",
    "MixtureModel",
    "OnlineEM",
    "PoissonMixture",
    "PoissonMixtureParams",
    "SelectionRow",
    "SelectionTable",
    "Sequences",
    "SingularCovarianceError",
    "StudentTMixture",
    "StudentTParams",
    "StudentTStatistics",
    "VariationalGaussianMixture",
    "VariationalParams",
    "VariationalPrior",
    "complete_log_likelihood",
    "component_log_densities",
    "datasets",
    "e_step",
    "elbo",
    "expected_complete_log_likelihood",
    "fit_em",
    "fit_factor_analysis",
    "fit_gmm",
    "fit_hmm",
    "fit_incremental_em",
    "fit_monte_carlo_em",
    "fit_ppca",
    "fit_student_t",
    "fit_variational_gmm",
    "hard_assignments",
    "hmm",
    "icl",
    "information",
    "linkage",
    "log_likelihood",
    "m_step",
    "missing",
    "plotting",
    "posterior_kl",
    "ppca_maximum_likelihood",
    "run_ecg",
    "run_hybrid",
    "select_gmm",
    "selection",
    "stopping",
    "variants",
]
