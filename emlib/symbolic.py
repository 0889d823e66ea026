"""Symbolic (sympy) helpers for the book's derivations.

The chapters derive the formulas that emlib implements with ``sympy``: Gaussian densities,
the function Q of EM, stationarity conditions of sums with symbolic bounds, Lagrange
multipliers for the mixing weights, the ELBO and the posterior KL divergence of one
observation. This module holds each of those constructions once. Every helper returns plain
sympy objects built exactly as the chapters build them, so a chapter that calls a helper
prints the same expressions as one that writes the construction out.

``sympy`` is imported only when a helper is called: ``import emlib`` and
``import emlib.symbolic`` never import it.

**Conventions.**

* Sums over observations run over an index ``n`` from ``0`` to ``N - 1`` and sums over
  components over ``k`` from ``0`` to ``K - 1``, like Python's indices, so that a derived
  formula can be lambdified and evaluated on numpy arrays directly.
* ``j`` denotes one particular component (``0 <= j <= K - 1``), the one a derivative is
  taken for.
* A *stationarity condition* is an expression that is to be set to zero.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

__all__ = [
    "BoundTerms",
    "GaussianConditional",
    "GaussianPosterior",
    "LagrangeSimplex",
    "LagrangeWeights",
    "Mixture",
    "MixtureSymbols",
    "RobbinsMonro",
    "StudentTScaleQ",
    "agrees_numerically",
    "bound_terms",
    "component_derivative",
    "expand_sums",
    "gaussian_conditional",
    "gaussian_posterior",
    "lagrange_simplex",
    "lagrange_weights",
    "matrix_stationary_point",
    "mixture",
    "mixture_symbols",
    "mvn_log_density",
    "normal_density",
    "normal_log_density",
    "observation_elbo",
    "observation_kl",
    "observation_log_evidence",
    "q_function",
    "quadratic_form",
    "robbins_monro_region",
    "same_expression",
    "select_component",
    "simplify_sums",
    "solve_with_sums",
    "spherical_normal_density",
    "stationary_covariance",
    "stationary_point",
    "student_t_scale_q",
    "symmetric_entries",
    "symmetric_matrix",
    "weighted_average",
]


def _sympy():
    """The sympy module, imported on first use (so that importing emlib never imports it)."""
    return importlib.import_module("sympy")


def _is_sequence(value) -> bool:
    """A list, tuple or other non-sympy iterable of items (not a single sympy expression)."""
    sp = _sympy()
    return isinstance(value, (list, tuple)) or (
        not isinstance(value, (sp.Basic, sp.MatrixBase, str)) and hasattr(value, "__iter__")
    )


# --------------------------------------------------------------------------------------
# Symbols
# --------------------------------------------------------------------------------------
class MixtureSymbols(NamedTuple):
    """The symbols of a one-dimensional mixture with symbolic sizes (see :func:`mixture_symbols`)."""

    n: Any
    N: Any
    k: Any
    j: Any
    K: Any
    x: Any
    labels: Any
    mu: Any
    var: Any
    pi: Any


def mixture_symbols(labels: str = "gamma") -> MixtureSymbols:
    """The symbols of a one-dimensional mixture of ``K`` components fitted to ``N`` points.

    Parameters
    ----------
    labels : str, default "gamma"
        Name of the indexed label variable: ``"gamma"`` for responsibilities γ_nk (book eq.
        :eq:`soft-em-q`), ``"z"`` for observed one-hot labels z_nk (book eq.
        :eq:`complete-log-likelihood`).

    Returns
    -------
    MixtureSymbols
        A named tuple ``(n, N, k, j, K, x, labels, mu, var, pi)``: the observation index
        ``n`` (integer, non-negative) and count ``N`` (integer, positive); the component
        indices ``k`` and ``j`` (integer, non-negative) and count ``K`` (integer,
        positive); the data ``x[n]`` (real); the labels ``labels[n, k]`` (non-negative);
        and the parameters ``mu[k]`` (real), ``var[k]`` (printed ``\\sigma^{2}``,
        positive) and ``pi[k]`` (positive), all ``IndexedBase`` objects.
    """
    sp = _sympy()
    n, k, j = sp.symbols("n k j", integer=True, nonnegative=True)
    N, K = sp.symbols("N K", integer=True, positive=True)
    return MixtureSymbols(
        n=n,
        N=N,
        k=k,
        j=j,
        K=K,
        x=sp.IndexedBase("x", real=True),
        labels=sp.IndexedBase(labels, nonnegative=True),
        mu=sp.IndexedBase("mu", real=True),
        var=sp.IndexedBase(r"\sigma^{2}", positive=True),
        pi=sp.IndexedBase("pi", positive=True),
    )


def symmetric_matrix(name: str, dimension: int = 2):
    """A symbolic symmetric ``dimension × dimension`` matrix with entries ``name_ij``.

    The diagonal entries ``name_ii`` are positive symbols and the off-diagonal entries
    ``name_ij`` (``i < j``, shared by positions ``(i, j)`` and ``(j, i)``) are real symbols,
    as for a covariance or precision matrix (book eqs. :eq:`soft-em-sigma`,
    :eq:`soft-em-map-sigma`).

    Parameters
    ----------
    name : str
        Prefix of the entry names, e.g. ``"lambda"`` gives ``lambda_00, lambda_01, lambda_11``.
    dimension : int, default 2
        Number of rows and columns.

    Returns
    -------
    sympy.Matrix
    """
    sp = _sympy()
    if isinstance(dimension, bool) or not isinstance(dimension, int) or dimension < 1:
        raise ValueError(f"dimension must be a positive integer; got {dimension!r}")
    diagonal = [sp.Symbol(f"{name}_{i}{i}", positive=True) for i in range(dimension)]

    def entry(i, j):
        if i == j:
            return diagonal[i]
        first, second = min(i, j), max(i, j)
        return sp.Symbol(f"{name}_{first}{second}", real=True)

    return sp.Matrix(dimension, dimension, entry)


def symmetric_entries(matrix) -> list:
    """The free entries of a symmetric matrix: its upper triangle, row by row.

    For the 2 × 2 matrix of :func:`symmetric_matrix` these are ``(m_00, m_01, m_11)``, the
    unknowns of the stationarity conditions of book eqs. :eq:`soft-em-sigma` and
    :eq:`soft-em-map-sigma`.

    Parameters
    ----------
    matrix : sympy.Matrix
        A square (symmetric) matrix.

    Returns
    -------
    list
        The entries ``matrix[i, j]`` with ``i <= j``, row by row.
    """
    rows, columns = matrix.shape
    if rows != columns:
        raise ValueError(f"matrix must be square; got shape {matrix.shape}")
    return [matrix[i, j] for i in range(rows) for j in range(i, columns)]


# --------------------------------------------------------------------------------------
# Densities
# --------------------------------------------------------------------------------------
def normal_density(x, mean, variance):
    """The univariate normal density N(x | μ, σ²) = exp(−(x − μ)² / 2σ²) / √(2πσ²).

    The component density of book eq. :eq:`gmm-density` in one dimension (and of
    :eq:`incomplete-stationarity`).

    Parameters
    ----------
    x, mean, variance : sympy expressions (or numbers)
        The point, the mean μ and the variance σ² (pass ``sd**2`` for a standard deviation).

    Returns
    -------
    sympy.Expr
    """
    sp = _sympy()
    return sp.exp(-((x - mean) ** 2) / (2 * variance)) / sp.sqrt(2 * sp.pi * variance)


def normal_log_density(x, mean, variance):
    """The univariate normal log-density log N(x | μ, σ²) = −½ log(2πσ²) − (x − μ)² / 2σ².

    The summand of book eq. :eq:`gaussian-log-likelihood`, and the Gaussian term of
    :eq:`complete-log-likelihood` and :eq:`soft-em-q` in one dimension.

    Parameters
    ----------
    x, mean, variance : sympy expressions (or numbers)
        The point, the mean μ and the variance σ².

    Returns
    -------
    sympy.Expr
    """
    sp = _sympy()
    return -sp.log(2 * sp.pi * variance) / 2 - (x - mean) ** 2 / (2 * variance)


def quadratic_form(vector, matrix=None):
    """vᵀ A v for a column vector v (vᵀ v when ``matrix`` is None), as a scalar expression.

    The Mahalanobis term of book eq. :eq:`gmm-density` (the squared distance ‖x − μ‖² of
    :eq:`hard-em-kmeans-joint` without a matrix).

    Parameters
    ----------
    vector : sympy.Matrix or sequence
        The vector v (a sequence is taken as a column).
    matrix : sympy.Matrix, optional
        The matrix A.

    Returns
    -------
    sympy.Expr
    """
    sp = _sympy()
    v = _column(vector)
    if matrix is None:
        return (v.T * v)[0, 0]
    return (v.T * sp.Matrix(matrix) * v)[0, 0]


def _column(vector):
    sp = _sympy()
    v = sp.Matrix(vector)
    return v if v.shape[1] == 1 else v.reshape(len(v), 1)


def mvn_log_density(x, mean, covariance=None, *, precision=None):
    """The multivariate normal log-density log N(x | μ, Σ) in D dimensions.

    log N(x | μ, Σ) = −½ log det Σ − ½ (x − μ)ᵀ Σ⁻¹ (x − μ) − (D/2) log 2π, the component
    log-density of book eqs. :eq:`gmm-density` and :eq:`soft-em-q`. Given the precision
    Λ = Σ⁻¹ instead, the form used to derive :eq:`soft-em-sigma`:
    ½ log det Λ − ½ (x − μ)ᵀ Λ (x − μ) − (D/2) log 2π.

    Parameters
    ----------
    x, mean : sympy.Matrix or sequence of length D
        The point and the mean μ.
    covariance : sympy.Matrix of shape (D, D), optional
        Σ. Exactly one of ``covariance`` and ``precision`` must be given.
    precision : sympy.Matrix of shape (D, D), optional
        Λ = Σ⁻¹.

    Returns
    -------
    sympy.Expr
    """
    sp = _sympy()
    if (covariance is None) == (precision is None):
        raise ValueError("give exactly one of covariance and precision")
    deviation = _column(x) - _column(mean)
    dimension = deviation.shape[0]
    constant = sp.S(dimension) / 2 * sp.log(2 * sp.pi)
    if precision is not None:
        precision = sp.Matrix(precision)
        return sp.log(precision.det()) / 2 - quadratic_form(deviation, precision) / 2 - constant
    covariance = sp.Matrix(covariance)
    return -sp.log(covariance.det()) / 2 - quadratic_form(deviation, covariance.inv()) / 2 - constant


def spherical_normal_density(squared_distance, variance, dimension, *, log: bool = False):
    """N(x | μ, σ² I) in D dimensions, as a function of the squared distance d = ‖x − μ‖².

    (2πσ²)^(−D/2) exp(−d / 2σ²), or with ``log=True`` its logarithm
    −(D/2) log(2πσ²) − d / 2σ², the Gaussian part of book eq. :eq:`hard-em-kmeans-joint`
    (with σ² = ε).

    Parameters
    ----------
    squared_distance : sympy expression
        d = ‖x − μ‖².
    variance : sympy expression
        σ².
    dimension : int or sympy expression
        D (may be a symbol).
    log : bool, default False
        Return the log-density.

    Returns
    -------
    sympy.Expr
    """
    sp = _sympy()
    half_dimension = sp.S(dimension) / 2
    if log:
        return -half_dimension * sp.log(2 * sp.pi * variance) - squared_distance / (2 * variance)
    return (2 * sp.pi * variance) ** (-half_dimension) * sp.exp(-squared_distance / (2 * variance))


# --------------------------------------------------------------------------------------
# Mixtures, Q, the ELBO
# --------------------------------------------------------------------------------------
class Mixture(NamedTuple):
    """The parts of a finite mixture at one point (see :func:`mixture`)."""

    joint: list
    density: Any
    responsibilities: list


def mixture(weights, densities) -> Mixture:
    """The joint densities, the mixture density and the responsibilities at one point.

    For weights π_k and component densities p_k(x): the joint densities π_k p_k(x)
    (book eq. :eq:`complete-log-likelihood`), the mixture density Σ_k π_k p_k(x)
    (:eq:`gmm-density`) and the responsibilities γ_k = π_k p_k(x) / Σ_j π_j p_j(x)
    (:eq:`soft-em-responsibilities`, Bayes' theorem).

    Parameters
    ----------
    weights : sequence of sympy expressions
        π_1, ..., π_K (their sum is not constrained).
    densities : sequence of sympy expressions
        p_1(x), ..., p_K(x), e.g. from :func:`normal_density`.

    Returns
    -------
    Mixture
        ``(joint, density, responsibilities)``: a list, an expression and a list.
    """
    sp = _sympy()
    weights, densities = list(weights), list(densities)
    if len(weights) != len(densities) or not weights:
        raise ValueError(f"need as many weights as densities, at least one; got {len(weights)} and {len(densities)}")
    joint = [weight * density for weight, density in zip(weights, densities)]
    total = sp.Add(*joint)
    return Mixture(joint=joint, density=total, responsibilities=[term / total for term in joint])


def q_function(labels, log_component, *, n, N, weights=None, k=None, K=None):
    """Q(θ, θ_old) = Σ_n Σ_k γ_nk (log π_k + log p(x_n | θ_k)) with symbolic N and K.

    Book eq. :eq:`soft-em-q`; with one-hot labels z_nk in place of the responsibilities it
    is the complete-data log-likelihood :eq:`complete-log-likelihood`. Without ``k``, the
    part of Q that belongs to one component, Σ_n γ_n log p(x_n | θ_k), whose maximiser is
    :eq:`soft-em-mu` and :eq:`soft-em-sigma`.

    Parameters
    ----------
    labels : sympy.IndexedBase
        γ (or z): indexed as ``labels[n, k]``, or ``labels[n]`` without ``k``.
    log_component : sympy expression
        log p(x_n | θ_k) in terms of ``n`` (and ``k``), e.g.
        ``normal_log_density(x[n], mu[k], var[k])``.
    n, N : sympy symbols
        The observation index, summed from 0 to N − 1.
    weights : sympy.IndexedBase, optional
        π, indexed ``weights[k]``; required with ``k``.
    k, K : sympy symbols, optional
        The component index, summed from 0 to K − 1.

    Returns
    -------
    sympy.Sum
    """
    sp = _sympy()
    if k is None:
        if weights is not None or K is not None:
            raise ValueError("weights and K need the component index k")
        return sp.Sum(labels[n] * log_component, (n, 0, N - 1))
    if weights is None or K is None:
        raise ValueError("a sum over components needs weights and K")
    return sp.Sum(labels[n, k] * (sp.log(weights[k]) + log_component), (k, 0, K - 1), (n, 0, N - 1))


def observation_log_evidence(*, joint=None, log_joint=None):
    """log p(x | θ) = log Σ_k p(x, z = k | θ) for one observation.

    The summand of book eq. :eq:`incomplete-log-likelihood`.

    Parameters
    ----------
    joint : sequence of sympy expressions, optional
        The joint densities p(x, z = k | θ); the result is log Σ_k p(x, z = k | θ).
    log_joint : sequence of sympy expressions, optional
        Their logarithms ℓ_k; the result is log Σ_k exp ℓ_k. Exactly one of the two.

    Returns
    -------
    sympy.Expr
    """
    sp = _sympy()
    if (joint is None) == (log_joint is None):
        raise ValueError("give exactly one of joint and log_joint")
    if joint is not None:
        return sp.log(sp.Add(*joint))
    return sp.log(sum(sp.exp(value) for value in log_joint))


def observation_elbo(q, *, joint=None, log_joint=None):
    """The ELBO of one observation, Σ_k q_k [log p(x, z = k | θ) − log q_k].

    Book eq. :eq:`elbo-definition` for a single observation. Given the joint densities
    j_k = p(x, z = k | θ) it is written Σ_k q_k log(j_k / q_k); given their logarithms ℓ_k
    (``log_joint``) it is written Σ_k q_k (ℓ_k − log q_k).

    Parameters
    ----------
    q : sequence of sympy expressions
        q_1, ..., q_K (not required to sum to one symbolically).
    joint, log_joint : sequence of sympy expressions
        Exactly one of them, of the same length as ``q``.

    Returns
    -------
    sympy.Expr
    """
    sp = _sympy()
    if (joint is None) == (log_joint is None):
        raise ValueError("give exactly one of joint and log_joint")
    q = list(q)
    if joint is not None:
        return sum(q_k * sp.log(j_k / q_k) for q_k, j_k in zip(q, _same_length(joint, q)))
    return sum(q_k * (l_k - sp.log(q_k)) for q_k, l_k in zip(q, _same_length(log_joint, q)))


def observation_kl(q, posterior):
    """KL(q ‖ p(z | x, θ)) = Σ_k q_k log(q_k / r_k) for one observation.

    Book eq. :eq:`posterior-kl` for a single observation.

    Parameters
    ----------
    q : sequence of sympy expressions
        q_1, ..., q_K.
    posterior : sequence of sympy expressions
        The posterior probabilities r_k = p(z = k | x, θ), e.g.
        ``mixture(...).responsibilities``.

    Returns
    -------
    sympy.Expr
    """
    sp = _sympy()
    q = list(q)
    return sum(q_k * sp.log(q_k / r_k) for q_k, r_k in zip(q, _same_length(posterior, q)))


def _same_length(values, q):
    values = list(values)
    if len(values) != len(q):
        raise ValueError(f"expected {len(q)} terms, one per entry of q; got {len(values)}")
    return values


class BoundTerms(NamedTuple):
    """The terms of the KL decomposition of one observation (see :func:`bound_terms`)."""

    log_evidence: Any
    elbo: Any
    kl: Any
    posterior: list


def bound_terms(weights, densities, q) -> BoundTerms:
    """log p(x | θ), the ELBO, the posterior KL and the posterior of one observation.

    The three terms of book eq. :eq:`elbo-kl-decomposition`,
    log p(x | θ) = L(q, θ) + KL(q ‖ p(z | x, θ)), for a mixture with weights π_k and
    component densities p_k(x): the joint densities are π_k p_k(x), the ELBO is
    Σ_k q_k log(π_k p_k(x) / q_k) and the KL is Σ_k q_k log(q_k / γ_k).

    Parameters
    ----------
    weights, densities, q : sequences of sympy expressions of the same length K

    Returns
    -------
    BoundTerms
        ``(log_evidence, elbo, kl, posterior)``.
    """
    sp = _sympy()
    parts = mixture(weights, densities)
    return BoundTerms(
        log_evidence=sp.log(parts.density),
        elbo=observation_elbo(q, joint=parts.joint),
        kl=observation_kl(q, parts.responsibilities),
        posterior=parts.responsibilities,
    )


# --------------------------------------------------------------------------------------
# Finite sums with symbolic bounds
# --------------------------------------------------------------------------------------
def expand_sums(expr):
    """Linearity of finite sums: Σ_n (a_n + c b_n) → Σ_n a_n + c Σ_n b_n for c free of n.

    Every ``Sum`` is distributed over the terms of its (expanded) summand, every factor free
    of the summation indices is moved out, and a sum of a constant is evaluated
    (Σ_{n=0}^{N−1} c = N c). The result is expanded. This is what lets ``sympy`` solve the
    stationarity conditions of book eqs. :eq:`gaussian-mle-mean`, :eq:`complete-data-mle`
    and :eq:`soft-em-mu` with the sums held fixed.

    Parameters
    ----------
    expr : sympy expression (or Matrix, elementwise)

    Returns
    -------
    sympy.Expr
    """
    sp = _sympy()
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(expand_sums)

    def split(s):
        indices = [limit[0] for limit in s.limits]
        pieces = []
        for term in sp.Add.make_args(sp.expand(s.function)):
            constant, rest = term.as_independent(*indices, as_Add=False)
            piece = sp.Sum(rest, *s.limits)
            pieces.append(constant * (piece.doit() if not rest.has(*indices) else piece))
        return sp.Add(*pieces)

    return sp.expand(sp.expand(expr).replace(lambda e: isinstance(e, sp.Sum), split))


def _stand_ins(expressions):
    """Each distinct Sum of the expressions, in a fixed order, with a fresh Dummy for it."""
    sp = _sympy()
    sums = sorted(set().union(*(e.atoms(sp.Sum) for e in expressions)), key=sp.default_sort_key)
    stand_in = {s: sp.Dummy() for s in sums}
    return stand_in, {v: s for s, v in stand_in.items()}


def solve_with_sums(equations, unknowns):
    """The unique solution of equations = 0, with every ``Sum`` held fixed as a constant.

    Each ``Sum`` that does not contain an unknown is a data-dependent constant; it is
    replaced by a fresh symbol for ``sympy.solve`` and put back into the (factored)
    solution. An equation in which an unknown still sits inside a ``Sum`` is first passed
    through :func:`expand_sums`. This is how the chapters solve the stationarity conditions
    behind book eqs. :eq:`gaussian-mle-mean`, :eq:`gaussian-mle-variance`,
    :eq:`complete-data-mle`, :eq:`soft-em-mu`, :eq:`soft-em-sigma`, :eq:`soft-em-pi` and
    :eq:`binomial-mixture-m-step`.

    Parameters
    ----------
    equations : sympy expression or sequence of them
        Expressions to be set to zero.
    unknowns : sympy symbol (or Indexed) or sequence of them

    Returns
    -------
    sympy.Expr or dict
        The solution for a single unknown, or a dict ``{unknown: solution}`` when
        ``unknowns`` is a sequence.

    Raises
    ------
    ValueError
        If an unknown remains inside a sum, or the solution is not unique.
    """
    sp = _sympy()
    single = not _is_sequence(unknowns)
    unknowns = [unknowns] if single else list(unknowns)
    equations = list(equations) if _is_sequence(equations) else [equations]
    equations = [expand_sums(e) if any(s.has(u) for s in e.atoms(sp.Sum) for u in unknowns) else e for e in equations]
    stand_in, back = _stand_ins(equations)
    if any(s.has(u) for s in stand_in for u in unknowns):
        raise ValueError("an unknown is inside a sum that expand_sums cannot split")
    solutions = sp.solve([e.xreplace(stand_in) for e in equations], unknowns, dict=True)
    if len(solutions) != 1:
        raise ValueError(f"expected exactly one solution; got {len(solutions)}: {solutions}")
    solution = {u: sp.factor(v).xreplace(back) for u, v in solutions[0].items()}
    missing = [u for u in unknowns if u not in solution]
    if missing:
        raise ValueError(f"the equations do not determine {missing}")
    return solution[unknowns[0]] if single else solution


def select_component(expr, j, K):
    """Σ_k δ_jk f_k = f_j: keep the k = j term of sympy's Kronecker-delta ``Piecewise``.

    Differentiating a sum over components k with respect to the parameter of component j
    gives, for each ``Piecewise`` sympy writes, "f_j if j ≤ K − 1, else 0". For a component
    index 0 ≤ j ≤ K − 1 the first branch holds: this is the decoupling of the M-step over
    components (book eqs. :eq:`complete-data-mle`, :eq:`soft-em-mu`).

    Parameters
    ----------
    expr : sympy expression
        A derivative, evaluated with ``doit()``.
    j, K : sympy symbols
        The component index and the number of components.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    ValueError
        If a ``Piecewise`` is not of that form.
    """
    sp = _sympy()

    def first_branch(piecewise):
        if len(piecewise.args) != 2:
            raise ValueError(f"not a Kronecker-delta Piecewise: {piecewise}")
        (term, condition), (otherwise, _) = piecewise.args
        if condition != (j <= K - 1) or otherwise != 0:
            raise ValueError(f"not a Kronecker-delta Piecewise for {j} <= {K - 1}: {piecewise}")
        return term

    return expr.replace(lambda e: isinstance(e, sp.Piecewise), first_branch)


def component_derivative(expr, variable, j, K, order: int = 1):
    """∂^order expr / ∂ variable^order for the parameter of component j of a sum over k.

    The derivative is evaluated (``doit``) and its Kronecker deltas resolved with
    :func:`select_component`; the sums are left as they are (not expanded). Set to zero it
    is the stationarity condition behind book eqs. :eq:`complete-data-mle`,
    :eq:`soft-em-mu`, :eq:`soft-em-sigma` and :eq:`binomial-mixture-m-step`.

    Parameters
    ----------
    expr : sympy expression
        A sum over the components k = 0..K − 1, e.g. from :func:`q_function`.
    variable : sympy Indexed
        The parameter of component j, e.g. ``mu[j]``.
    j, K : sympy symbols
        The component index and the number of components.
    order : int, default 1
        The order of the derivative.

    Returns
    -------
    sympy.Expr
    """
    sp = _sympy()
    return select_component(sp.diff(expr, variable, order).doit(), j, K)


def stationary_point(expr, variables, *, component=None):
    """The unique point where the derivatives of ``expr`` vanish, with sums held fixed.

    Solves ∂expr/∂v = 0 for every variable v with :func:`solve_with_sums` (so a Gaussian
    log-likelihood gives book eqs. :eq:`gaussian-mle-mean` and :eq:`gaussian-mle-variance`,
    Q of :eq:`soft-em-q` gives :eq:`soft-em-mu` and :eq:`soft-em-sigma`).

    Parameters
    ----------
    expr : sympy expression
        The objective.
    variables : sympy symbol (or Indexed) or sequence of them
    component : tuple (j, K), optional
        For the parameters of component j of a sum over k = 0..K − 1: differentiate with
        :func:`component_derivative`.

    Returns
    -------
    sympy.Expr or dict
        As :func:`solve_with_sums`: one solution, or a dict for a sequence of variables.
    """
    sp = _sympy()
    single = not _is_sequence(variables)
    listed = [variables] if single else list(variables)
    if component is None:
        conditions = [sp.diff(expr, v) for v in listed]
    else:
        conditions = [component_derivative(expr, v, *component) for v in listed]
    return solve_with_sums(conditions[0] if single else conditions, variables)


def stationary_covariance(expr, precision):
    """Σ = Λ⁻¹ at the unique stationary point of ``expr`` over a symmetric precision Λ.

    The matrix-calculus step of book eqs. :eq:`soft-em-sigma` and :eq:`soft-em-map-sigma`:
    ∂ log det Λ / ∂Λ = Λ⁻¹ and ∂ aᵀΛa / ∂Λ = a aᵀ, done entry by entry. ``expr`` is
    differentiated with respect to each free entry of ``precision``
    (:func:`symmetric_entries`), the conditions are solved with :func:`solve_with_sums`, and
    the inverse of ``precision`` is evaluated at the solution (not simplified).

    Parameters
    ----------
    expr : sympy expression
        The objective, e.g. one component's part of Q (:func:`q_function`) with the
        precision form of :func:`mvn_log_density`.
    precision : sympy.Matrix
        The symmetric precision Λ, e.g. from :func:`symmetric_matrix`.

    Returns
    -------
    sympy.Matrix
    """
    solution = stationary_point(expr, symmetric_entries(precision))
    return precision.inv().subs(solution)


def weighted_average(expr, weight, limits):
    """Σ_n w_n f_n / Σ_n w_n: the weighted average of ``expr`` over one index range.

    With responsibilities as weights this is the form of book eqs. :eq:`soft-em-mu`,
    :eq:`soft-em-sigma` and :eq:`complete-data-mle`; with ``weight=1`` the denominator is
    evaluated, giving the sample averages :eq:`gaussian-mle-mean` and
    :eq:`gaussian-mle-variance`. A Matrix ``expr`` is averaged entry by entry.

    Returns
    -------
    sympy.Expr or sympy.Matrix

    Parameters
    ----------
    expr : sympy expression or Matrix
        f_n.
    weight : sympy expression
        w_n (e.g. ``gamma[n, j]``), or 1.
    limits : tuple
        ``(n, 0, N - 1)``.
    """
    sp = _sympy()
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(lambda entry: weighted_average(entry, weight, limits))
    total = sp.Sum(weight, limits)
    if weight == 1:
        total = total.doit()
    return sp.Sum(weight * expr, limits) / total


def same_expression(a, b) -> bool:
    """True if a = b, for rational expressions in finite sums.

    The numerator of a − b, with its sums expanded (:func:`expand_sums`), must vanish;
    ``sympy.simplify`` is tried on it if it is not literally zero. A False answer does not
    prove a ≠ b. This is how the chapters check that a solved stationary point is the
    estimator of book eqs. :eq:`gaussian-mle-variance`, :eq:`complete-data-mle` and
    :eq:`soft-em-sigma`.

    Parameters
    ----------
    a, b : sympy expressions

    Returns
    -------
    bool
    """
    sp = _sympy()
    numerator, _ = sp.together(a - b).as_numer_denom()
    expanded = expand_sums(numerator)
    return bool(expanded == 0 or sp.simplify(expanded) == 0)


def simplify_sums(expr):
    """Simplify a rational expression in finite sums, each sum held fixed as a constant.

    The sums are expanded (:func:`expand_sums`), each distinct ``Sum`` is stood in for by a
    fresh symbol, the result is simplified and factored, and the sums are put back. Used to
    compare the EM step with the projected gradient, book eqs. :eq:`em-gradient-projection`
    and :eq:`em-gradient-em-step`.

    Parameters
    ----------
    expr : sympy expression

    Returns
    -------
    sympy.Expr
    """
    sp = _sympy()
    expr = expand_sums(expr)
    stand_in, back = _stand_ins([expr])
    return sp.factor(sp.simplify(expr.xreplace(stand_in))).xreplace(back)


# --------------------------------------------------------------------------------------
# Lagrange multipliers
# --------------------------------------------------------------------------------------
class LagrangeWeights(NamedTuple):
    """The steps of the Lagrangian derivation of the weights (see :func:`lagrange_weights`)."""

    stationarity: Any
    weight_of_multiplier: Any
    constraint: Any
    multiplier: Any
    weight: Any


def _default_multiplier(multiplier):
    return _sympy().Symbol("lambda", real=True) if multiplier is None else multiplier


def lagrange_weights(objective, weights, labels, *, n, N, k, j, K, multiplier=None) -> LagrangeWeights:
    """Maximise ``objective`` over the weights π_j subject to Σ_k π_k = 1 (symbolic K).

    The Lagrangian objective + λ (Σ_k π_k − 1) is differentiated with respect to π_j
    (:func:`component_derivative`), the condition is solved for π_j in terms of λ, and λ is
    fixed by the constraint, using Σ_j Σ_n labels[n, j] = N (each observation's labels or
    responsibilities sum to one over the components). The result is book eq.
    :eq:`soft-em-pi` (:eq:`complete-data-mle` with one-hot labels, the weights of
    :eq:`binomial-mixture-m-step`).

    Parameters
    ----------
    objective : sympy expression
        A sum over k = 0..K − 1 and n = 0..N − 1, e.g. from :func:`q_function`.
    weights : sympy.IndexedBase
        π, indexed ``weights[k]``.
    labels : sympy.IndexedBase
        The labels or responsibilities, indexed ``labels[n, k]``, whose rows sum to one.
    n, N, k, j, K : sympy symbols
        Observation index and count, component indices and count.
    multiplier : sympy symbol, optional
        λ; default ``Symbol("lambda", real=True)``.

    Returns
    -------
    LagrangeWeights
        ``(stationarity, weight_of_multiplier, constraint, multiplier, weight)``: the
        derivative of the Lagrangian with respect to π_j (to be set to zero, sums not
        expanded), π_j in terms of λ, the constraint Σ_j π_j − 1 in terms of λ (to be set to
        zero), the value of λ, and the maximising π_j.

    Raises
    ------
    ValueError
        If the constraint does not reduce to the double sum Σ_j Σ_n labels[n, j].
    """
    sp = _sympy()
    lam = _default_multiplier(multiplier)
    lagrangian = objective + lam * (sp.Sum(weights[k], (k, 0, K - 1)) - 1)
    stationarity = component_derivative(lagrangian, weights[j], j, K)
    weight_of_multiplier = solve_with_sums(expand_sums(stationarity), weights[j])
    constraint = expand_sums(sp.Sum(weight_of_multiplier, (j, 0, K - 1))) - 1
    double_sums = constraint.atoms(sp.Sum)
    (double_sum,) = double_sums if len(double_sums) == 1 else (None,)
    if double_sum is None or double_sum.function != labels[n, j] or {lim[0] for lim in double_sum.limits} != {n, j}:
        raise ValueError(f"the constraint is not in terms of Σ_j Σ_n {labels[n, j]}: {constraint}")
    constraint = constraint.xreplace({double_sum: N})  # Σ_n (Σ_j labels[n, j]) = Σ_n 1 = N
    (value,) = sp.solve(constraint, lam)
    return LagrangeWeights(stationarity, weight_of_multiplier, constraint, value, weight_of_multiplier.subs(lam, value))


class LagrangeSimplex(NamedTuple):
    """The steps of a Lagrangian maximisation on the simplex (see :func:`lagrange_simplex`)."""

    of_multiplier: dict
    multiplier: Any
    maximiser: list


def lagrange_simplex(objective, variables, multiplier=None) -> LagrangeSimplex:
    """Maximise ``objective`` over finitely many variables v_1..v_K with Σ_k v_k = 1.

    Each condition ∂/∂v_k [objective + λ (Σ_k v_k − 1)] = 0 is solved for v_k in terms of λ,
    the constraint fixes λ, and each maximising v_k is simplified. For
    objective = Σ_k q_k (ℓ_k − log q_k) this gives the posterior q_k = e^{ℓ_k} / Σ_j e^{ℓ_j}
    (book eq. :eq:`elbo-kl-max-over-q`); for Σ_k N_k log π_k it gives π_k = N_k / Σ_j N_j
    (:eq:`hard-em-m-step`, :eq:`soft-em-pi`).

    Parameters
    ----------
    objective : sympy expression
    variables : sequence of sympy symbols
    multiplier : sympy symbol, optional
        λ; default ``Symbol("lambda", real=True)``.

    Returns
    -------
    LagrangeSimplex
        ``(of_multiplier, multiplier, maximiser)``: a dict {v_k: v_k in terms of λ}, the
        value of λ, and the list of maximising values in the order of ``variables``.

    Raises
    ------
    ValueError
        If a condition or the constraint does not have exactly one solution.
    """
    sp = _sympy()
    lam = _default_multiplier(multiplier)
    variables = list(variables)
    lagrangian = objective + lam * (sum(variables) - 1)
    of_multiplier = {}
    for v in variables:
        solutions = sp.solve(sp.diff(lagrangian, v), v)
        if len(solutions) != 1:
            raise ValueError(f"the condition for {v} has {len(solutions)} solutions: {solutions}")
        of_multiplier[v] = solutions[0]
    values = sp.solve(sum(of_multiplier.values()) - 1, lam)
    if len(values) != 1:
        raise ValueError(f"the constraint has {len(values)} solutions for {lam}: {values}")
    (value,) = values
    maximiser = [sp.simplify(expression.subs(lam, value)) for expression in of_multiplier.values()]
    return LagrangeSimplex(of_multiplier, value, maximiser)


# --------------------------------------------------------------------------------------
# Numerical checks
# --------------------------------------------------------------------------------------
def agrees_numerically(expr, symbols, function, points, *, rtol: float = 1e-05, atol: float = 1e-08, modules=None):
    """True if ``expr``, lambdified in ``symbols``, agrees with ``function`` at every point.

    ``expr`` (an expression, Matrix or list of them) is turned into a numpy function of
    ``symbols`` with ``sympy.lambdify`` (``IndexedBase`` symbols take arrays). At each point
    (a tuple of arguments, arrays allowed) its value is compared with ``function(*point)``
    by ``numpy.allclose(value, expected, rtol, atol)``; if ``function`` is not callable it
    is a sequence of expected values, one per point. This is the check that ties every
    symbolic derivation of the book to the numbers emlib computes.

    Parameters
    ----------
    expr : sympy expression, Matrix, or list of them
    symbols : sequence of sympy symbols / IndexedBase
        The arguments, in order.
    function : callable or sequence
        The reference: called with the arguments of each point, or the expected values.
    points : iterable of tuples
        The arguments at which to compare.
    rtol, atol : float
        Tolerances of ``numpy.allclose`` (its defaults).
    modules : optional
        Passed to ``sympy.lambdify``.

    Returns
    -------
    bool
    """
    import numpy as np

    sp = _sympy()
    numeric = sp.lambdify(symbols, expr, modules)
    points = [tuple(point) for point in points]
    if callable(function):
        expected = [function(*point) for point in points]
    else:
        expected = list(function)
        if len(expected) != len(points):
            raise ValueError(f"{len(points)} points but {len(expected)} expected values")
    if not points:
        raise ValueError("no points to compare at")
    for point, reference in zip(points, expected):
        value = np.asarray(numeric(*point), dtype=float)
        if not np.allclose(value, np.asarray(reference, dtype=float), rtol=rtol, atol=atol):
            return False
    return True


# --------------------------------------------------------------------------------------
# Missing data: the conditional Gaussian of the missing entries given the observed
# (book chapter "Missing data", eq. missing-e-step-moments)
# --------------------------------------------------------------------------------------
class GaussianConditional(NamedTuple):
    """The conditional Gaussian x_m | x_o of a partitioned normal vector (book eq. :eq:`missing-e-step-moments`).

    ``mean`` is a column (sympy Matrix of shape (M, 1)) in the observed entries x_o,
    ``covariance`` an (M, M) Matrix that does not involve x_o, ``log_density`` the
    difference log N(x | μ, Σ) − log N(x_o | μ_o, Σ_oo) that they were read from, as a
    function of all of x.
    """

    mean: Any
    covariance: Any
    log_density: Any


def gaussian_conditional(x, mean, covariance, missing) -> GaussianConditional:
    """Derive the distribution of the missing entries x_m of x ~ N(μ, Σ) given the observed x_o.

    The derivation of book eq. :eq:`missing-e-step-moments`, without quoting the
    partitioned-inverse formula: the conditional log-density is the joint log-density minus the
    marginal one of the observed block, log N(x | μ, Σ) − log N(x_o | μ_o, Σ_oo) (the marginal
    of a Gaussian keeps the rows and columns of the block). It is a quadratic in x_m; minus its
    Hessian is the conditional precision, whose inverse is the conditional covariance, and the
    root of its gradient is the conditional mean. That the difference *is* a normalised
    Gaussian log-density in x_m with these moments is left for the caller to check.

    Parameters
    ----------
    x : sequence of D sympy symbols
        The vector, entry by entry.
    mean : sequence of D sympy expressions
        μ.
    covariance : sympy.Matrix of shape (D, D)
        Σ, symmetric and positive definite (symbolic entries allowed).
    missing : sequence of int
        The indices of the missing entries m, at least one and fewer than D, without repeats;
        the observed entries o are the others, in order.

    Returns
    -------
    GaussianConditional
        ``mean`` E[x_m | x_o] (M × 1), ``covariance`` Cov[x_m | x_o] (M × M), and the
        conditional ``log_density``.
    """
    sp = _sympy()
    x = list(x)
    dimension = len(x)
    covariance = sp.Matrix(covariance)
    if covariance.shape != (dimension, dimension) or len(list(mean)) != dimension:
        raise ValueError(f"x, mean and covariance must have sizes D, D and D × D; got {dimension}, {covariance.shape}")
    missing = list(missing)
    if (
        not missing
        or len(set(missing)) != len(missing)
        or any(isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < dimension for i in missing)
        or len(missing) == dimension
    ):
        raise ValueError(f"missing must be distinct indices in 0..{dimension - 1}, leaving one observed; got {missing}")
    observed = [i for i in range(dimension) if i not in missing]
    mean = sp.Matrix(list(mean))
    log_joint = mvn_log_density(x, mean, covariance)
    log_marginal = mvn_log_density(
        [x[i] for i in observed], mean.extract(observed, [0]), covariance.extract(observed, observed)
    )
    log_density = log_joint - log_marginal
    unknowns = [x[i] for i in missing]
    gradient = sp.Matrix([sp.diff(log_density, u) for u in unknowns])
    precision = -sp.hessian(log_density, unknowns).applyfunc(sp.cancel)
    conditional_covariance = precision.inv().applyfunc(sp.factor)
    root = sp.solve(list(gradient), unknowns, dict=True)
    if len(root) != 1:
        raise ValueError("the conditional log-density has no unique stationary point: is Σ positive definite?")
    conditional_mean = sp.Matrix([sp.factor(root[0][u]) for u in unknowns])
    return GaussianConditional(conditional_mean, conditional_covariance, log_density)


# --------------------------------------------------------------------------------------
# Continuous latent variables: a Gaussian posterior by completing the square, and the
# stationary point of an objective over a matrix (book chapter "EM with continuous latent
# variables", eqs. fa-posterior, fa-m-step-w)
# --------------------------------------------------------------------------------------
class GaussianPosterior(NamedTuple):
    """A Gaussian read off a log-density that is quadratic in its variables (:func:`gaussian_posterior`).

    ``mean`` is a column (sympy Matrix of shape (q, 1)), ``covariance`` a (q, q) Matrix and
    ``precision`` its inverse, minus the Hessian of the log-density (book eq. :eq:`fa-posterior`).
    """

    mean: Any
    covariance: Any
    precision: Any


def gaussian_posterior(log_density, variables) -> GaussianPosterior:
    """The Gaussian whose log-density, up to a constant, is ``log_density``: complete the square.

    The derivation of book eq. :eq:`fa-posterior`: the log joint density log p(x, z) of a
    linear-Gaussian model is, as a function of z, a quadratic −½ zᵀ P z + bᵀ z + c, so the
    posterior p(z | x) ∝ p(x, z) is Gaussian with precision P = −∇²_z log p(x, z) and mean the
    root of ∇_z log p(x, z) = 0, which is P⁻¹ b. Neither the normalising constant nor any
    formula for conditioning a Gaussian is used.

    Parameters
    ----------
    log_density : sympy expression
        A function of ``variables`` (and of other symbols), quadratic in ``variables``.
    variables : sequence of sympy symbols
        The q variables z, in order.

    Returns
    -------
    GaussianPosterior
        ``mean`` (q × 1), ``covariance`` P⁻¹ (q × q) and ``precision`` P (q × q), their
        entries simplified with ``sympy.cancel``.

    Raises
    ------
    ValueError
        If ``variables`` is empty or has repeats, or ``log_density`` is not quadratic in them
        (its Hessian depends on them, or is singular).
    """
    sp = _sympy()
    variables = list(variables)
    if not variables or len(set(variables)) != len(variables):
        raise ValueError(f"variables must be distinct symbols, at least one; got {variables}")
    hessian = sp.hessian(sp.expand(log_density), variables).applyfunc(sp.cancel)
    if any(entry.has(*variables) for entry in hessian):
        raise ValueError("log_density is not quadratic in the variables: its Hessian depends on them")
    precision = -hessian
    if precision.det() == 0:
        raise ValueError("log_density has a singular Hessian in the variables: it is no Gaussian density")
    gradient_at_zero = sp.Matrix([sp.diff(log_density, v) for v in variables]).subs(dict.fromkeys(variables, 0))
    mean = precision.LUsolve(gradient_at_zero).applyfunc(sp.cancel)
    covariance = precision.inv().applyfunc(sp.cancel)
    return GaussianPosterior(mean, covariance, precision)


def matrix_stationary_point(expr, matrix):
    """The value of ``matrix`` at which every partial derivative of ``expr`` vanishes.

    The matrix calculus of book eq. :eq:`fa-m-step-w` done entry by entry: ∂expr/∂M_ij = 0
    for every free entry M_ij of the symbolic ``matrix``, solved as one system (a linear one by
    Gaussian elimination, any other with ``sympy.solve``); a unique solution is required.

    Parameters
    ----------
    expr : sympy expression
        The objective, e.g. the part of Q that depends on the loadings W.
    matrix : sympy.Matrix
        A matrix whose entries are distinct symbols (the unknowns).

    Returns
    -------
    sympy.Matrix
        ``matrix`` with its entries replaced by the solution (simplified with ``sympy.cancel``).

    Raises
    ------
    ValueError
        If the entries are not distinct symbols, or the conditions have no unique solution.
    """
    sp = _sympy()
    matrix = sp.Matrix(matrix)
    unknowns = list(matrix)
    if not all(isinstance(u, sp.Symbol) for u in unknowns) or len(set(unknowns)) != len(unknowns):
        raise ValueError("matrix must have distinct symbols as entries")
    conditions = [sp.diff(expr, u) for u in unknowns]
    try:
        coefficients, constants = sp.linear_eq_to_matrix([sp.expand(c) for c in conditions], unknowns)
    except (sp.polys.polyerrors.PolynomialError, ValueError):
        coefficients = None
    if coefficients is not None:
        if coefficients.det() == 0:
            raise ValueError("the stationarity conditions have no unique solution")
        values = coefficients.LUsolve(constants)
        solution = dict(zip(unknowns, values))
    else:
        roots = sp.solve(conditions, unknowns, dict=True)
        if len(roots) != 1:
            raise ValueError(f"the stationarity conditions have {len(roots)} solutions, not one")
        solution = roots[0]
    return matrix.subs(solution).applyfunc(sp.cancel)


# --------------------------------------------------------------------------------------
# Variants of EM: the Robbins–Monro conditions of online EM, the CM-step for ν of a t mixture
# --------------------------------------------------------------------------------------
class RobbinsMonro(NamedTuple):
    """Where the steps γ_t = (t + τ)^(−κ) satisfy the Robbins–Monro conditions (see :func:`robbins_monro_region`)."""

    steps_diverge: Any
    squares_converge: Any
    region: Any


def _series_converges(term, t):
    """The set of positive values of the series' parameter for which Σ_{t ≥ 1} term converges (integral test).

    ``term`` is positive and decreasing in t ≥ 1 for every value of the parameter in (0, ∞), so
    the series converges exactly where ∫_1^∞ term dt is finite; ``sympy.integrate`` returns that
    integral as a Piecewise whose finite branch carries the condition.
    """
    sp = _sympy()
    integral = sp.integrate(term, (t, 1, sp.oo), conds="piecewise")
    positives = sp.Interval.open(0, sp.oo)
    if isinstance(integral, sp.Piecewise):
        finite = [cond for value, cond in integral.args if not value.has(sp.Integral) and value.is_finite is not False]
        if len(finite) != 1:
            raise ValueError(f"cannot read the convergence condition from {integral}")
        return finite[0].as_set().intersect(positives)
    if integral.has(sp.Integral) or integral in (sp.oo, sp.zoo, sp.nan):
        raise ValueError(f"cannot decide the convergence of the series of {term}: {integral}")
    return positives


def robbins_monro_region(decay, offset=0) -> RobbinsMonro:
    """The decays κ > 0 for which γ_t = (t + τ)^(−κ) has Σ γ_t = ∞ and Σ γ_t² < ∞.

    The conditions of Robbins and Monro (1951) on the steps of a stochastic approximation, and so
    of online EM's :func:`emlib.variants.step_size` (book eq. :eq:`variants-robbins-monro`): the
    steps must be long enough in total to reach any point (the first sum diverges) and shrink fast
    enough for the noise of the batches to average out (the second converges). Each series is
    decided by the integral test, ∫_1^∞ (t + τ)^(−p) dt < ∞ exactly when p > 1.

    Parameters
    ----------
    decay : sympy symbol
        κ, declared positive.
    offset : sympy expression, default 0
        τ ≥ 0 (a number or a symbol declared non-negative).

    Returns
    -------
    RobbinsMonro
        ``steps_diverge``: the set of κ > 0 with Σ γ_t = ∞; ``squares_converge``: the set with
        Σ γ_t² < ∞; ``region``: their intersection, the interval (1/2, 1].

    Raises
    ------
    ValueError
        If ``decay`` is not a symbol declared positive, or sympy cannot decide a series.
    """
    sp = _sympy()
    if not isinstance(decay, sp.Symbol) or decay.is_positive is not True:
        raise ValueError(f"decay must be a sympy Symbol declared positive; got {decay!r}")
    offset = sp.sympify(offset)
    if offset.is_nonnegative is not True:
        raise ValueError(f"offset must be non-negative (a number, or a symbol declared nonnegative); got {offset!r}")
    t = sp.Dummy("t", positive=True)
    positives = sp.Interval.open(0, sp.oo)
    steps_converge = _series_converges((t + offset) ** (-decay), t)
    steps_diverge = positives - steps_converge
    squares_converge = _series_converges((t + offset) ** (-2 * decay), t)
    return RobbinsMonro(steps_diverge, squares_converge, steps_diverge.intersect(squares_converge))


class StudentTScaleQ(NamedTuple):
    """The ν part of Q for a t component (see :func:`student_t_scale_q`)."""

    log_density: Any
    expected: Any
    condition: Any


def student_t_scale_q(dof, scale, expected_log_scale, expected_scale) -> StudentTScaleQ:
    """The part of Q that depends on the degrees of freedom ν of a t component, and its stationarity condition.

    A t distribution is a scale mixture of normals: u ~ Gamma(ν/2, rate ν/2) and
    x | u ~ N(μ, Σ/u). Of the complete-data log-density only log p(u | ν) involves ν,

        log p(u | ν) = (ν/2) log(ν/2) − log Γ(ν/2) + (ν/2 − 1) log u − (ν/2) u,

    which is linear in log u and u. Its expectation under the E-step's posterior of u replaces
    them by E[log u] and E[u] (book eq. :eq:`variants-t-dof-condition`), and 2 ∂/∂ν of the
    result is the condition 1 + log(ν/2) − ψ(ν/2) + E[log u] − E[u] = 0. Averaged over the rows with
    the responsibilities as weights, E[log u] − E[u] becomes its weighted mean, and this is the
    CM-step of ECM for ν (Liu and Rubin 1995), which has no closed-form solution.

    Parameters
    ----------
    dof, scale : sympy symbols
        ν and u, declared positive.
    expected_log_scale, expected_scale : sympy symbols or expressions
        E[log u] and E[u].

    Returns
    -------
    StudentTScaleQ
        ``log_density`` (in u and ν), ``expected`` (in ν and the two expectations) and
        ``condition`` (2 ∂ expected / ∂ν, simplified).

    Raises
    ------
    ValueError
        If ``dof`` or ``scale`` is not a symbol declared positive.
    """
    sp = _sympy()
    for name, value in (("dof", dof), ("scale", scale)):
        if not isinstance(value, sp.Symbol) or value.is_positive is not True:
            raise ValueError(f"{name} must be a sympy Symbol declared positive; got {value!r}")
    shape = rate = dof / 2
    log_density = shape * sp.log(rate) - sp.loggamma(shape) + (shape - 1) * sp.log(scale) - rate * scale
    linear = sp.expand(sp.expand_log(log_density, force=True))
    log_u, u = sp.Dummy("log_u"), sp.Dummy("u")
    in_moments = linear.subs(sp.log(scale), log_u).subs(scale, u)  # linear in log u and u: E passes through
    expected = in_moments.subs({log_u: expected_log_scale, u: expected_scale})
    condition = sp.expand(sp.expand_log(2 * sp.diff(expected, dof), force=True))
    return StudentTScaleQ(log_density, expected, condition)
