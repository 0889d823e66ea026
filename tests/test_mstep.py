"""emlib.m_step: closed-form maximisers of Q(θ, θ_old), book eq. (soft-em-q).

Oracles: numpy.cov with ``aweights`` and ``bias=True`` (Σ_n a_n (x_n-μ)(x_n-μ)ᵀ / Σ_n a_n with
μ the a-weighted mean), np.average, and explicit sums.
"""

import numpy as np
import pytest

import emlib


def _soft_resp(rng, n, k, concentration=0.5):
    return rng.dirichlet(np.full(k, concentration), size=n)


def _oracle_full(x, r, w=None):
    """(weights, means, covariances) from book eqs. (soft-em-nk, soft-em-pi, soft-em-mu, soft-em-sigma)."""
    n, k = r.shape
    w = np.ones(n) if w is None else np.asarray(w, float)
    a = r * w[:, None]
    nk = a.sum(axis=0)  # book eq. (soft-em-nk)
    pi = nk / w.sum()  # book eq. (soft-em-pi)
    mu = np.stack([np.average(x, axis=0, weights=a[:, j]) for j in range(k)])  # book eq. (soft-em-mu)
    cov = np.stack(
        [np.atleast_2d(np.cov(x.T, aweights=a[:, j], bias=True)) for j in range(k)]
    )  # book eq. (soft-em-sigma)
    return pi, mu, cov


# --------------------------------------------------------------------------
# hard (one-hot) responsibilities: group means and biased covariances
# --------------------------------------------------------------------------
@pytest.mark.parametrize("k,d", [(1, 1), (2, 2), (3, 4)])
def test_one_hot_full_gives_group_mean_and_biased_covariance(rng, k, d):
    n = 40 * k
    labels = np.repeat(np.arange(k), n // k)
    rng.shuffle(labels)
    x = rng.standard_normal((n, d)) + 5 * labels[:, None]
    r = np.eye(k)[labels]
    p = emlib.m_step(x, r, reg_covar=0.0)
    assert isinstance(p, emlib.GMMParams)
    for j in range(k):
        g = x[labels == j]
        np.testing.assert_allclose(p.weights[j], len(g) / n, rtol=1e-14)
        np.testing.assert_allclose(p.means[j], g.mean(axis=0), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(p.covariances[j], np.atleast_2d(np.cov(g.T, bias=True)), rtol=1e-11, atol=1e-13)


# --------------------------------------------------------------------------
# soft responsibilities
# --------------------------------------------------------------------------
@pytest.mark.parametrize("k,d", [(1, 3), (2, 1), (3, 2), (4, 3)])
def test_full_soft_responsibilities(rng, k, d):
    x = rng.standard_normal((70, d)) * [1.0, 3.0, 0.5][:d] if d <= 3 else rng.standard_normal((70, d))
    r = _soft_resp(rng, 70, k)
    p = emlib.m_step(x, r, covariance_type="full", reg_covar=0.0)
    pi, mu, cov = _oracle_full(x, r)
    np.testing.assert_allclose(p.weights, pi, rtol=1e-13)
    np.testing.assert_allclose(p.means, mu, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(p.covariances, cov, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(p.weights.sum(), 1.0, rtol=1e-15)


def test_default_covariance_type_is_full_and_default_reg_is_zero(rng):
    x = rng.standard_normal((30, 2))
    r = _soft_resp(rng, 30, 2)
    p = emlib.m_step(x, r, reg_covar=0.0)
    q = emlib.m_step(x, r, covariance_type="full", reg_covar=0.0)
    np.testing.assert_array_equal(p.covariances, q.covariances)
    _, _, cov = _oracle_full(x, r)
    np.testing.assert_allclose(p.covariances, cov, rtol=1e-12)


def test_diag(rng):
    # book eq. (soft-em-sigma-diag): the diagonal of the full update
    x = rng.standard_normal((60, 3)) @ np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.3], [0.0, 0.0, 2.0]])
    r = _soft_resp(rng, 60, 3)
    p = emlib.m_step(x, r, covariance_type="diag", reg_covar=0.0)
    pi, mu, cov = _oracle_full(x, r)
    np.testing.assert_allclose(p.weights, pi, rtol=1e-13)
    np.testing.assert_allclose(p.means, mu, rtol=1e-12, atol=1e-14)
    assert p.covariances.shape == (3, 3, 3)
    for j in range(3):
        np.testing.assert_allclose(np.diag(p.covariances[j]), np.diag(cov[j]), rtol=1e-12)
        off = p.covariances[j] - np.diag(np.diag(p.covariances[j]))
        np.testing.assert_array_equal(off, 0.0)


def test_spherical(rng):
    # book eq. (soft-em-sigma-spherical): σ_k² I, σ_k² = mean of the diagonal variances
    x = rng.standard_normal((60, 3)) * [0.5, 1.0, 3.0]
    r = _soft_resp(rng, 60, 2)
    p = emlib.m_step(x, r, covariance_type="spherical", reg_covar=0.0)
    _, mu, cov = _oracle_full(x, r)
    np.testing.assert_allclose(p.means, mu, rtol=1e-12, atol=1e-14)
    for j in range(2):
        s2 = np.trace(cov[j]) / 3
        np.testing.assert_allclose(p.covariances[j], s2 * np.eye(3), rtol=1e-12, atol=0)


def test_tied(rng):
    # book eq. (soft-em-sigma-tied): Σ = Σ_k N_k Σ_k / N, shared by every component
    x = rng.standard_normal((80, 2)) @ np.array([[1.0, 0.7], [0.0, 1.5]])
    r = _soft_resp(rng, 80, 3)
    p = emlib.m_step(x, r, covariance_type="tied", reg_covar=0.0)
    pi, mu, cov = _oracle_full(x, r)
    np.testing.assert_allclose(p.weights, pi, rtol=1e-13)
    np.testing.assert_allclose(p.means, mu, rtol=1e-12, atol=1e-14)
    shared = np.einsum("k,kij->ij", r.sum(axis=0), cov) / 80
    for j in range(3):
        np.testing.assert_allclose(p.covariances[j], shared, rtol=1e-12)
        np.testing.assert_array_equal(p.covariances[j], p.covariances[0])


def test_tied_one_hot_is_pooled_within_group_covariance(rng):
    labels = np.repeat([0, 1], [30, 50])
    x = rng.standard_normal((80, 2)) + 4 * labels[:, None]
    p = emlib.m_step(x, np.eye(2)[labels], covariance_type="tied", reg_covar=0.0)
    centred = x - np.stack([x[labels == j].mean(axis=0) for j in (0, 1)])[labels]
    np.testing.assert_allclose(p.covariances[0], centred.T @ centred / 80, rtol=1e-12)


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_reg_covar_is_added_to_the_diagonal(rng, covariance_type):
    # book eq. (soft-em-reg-covar)
    x = rng.standard_normal((50, 3))
    r = _soft_resp(rng, 50, 2)
    p0 = emlib.m_step(x, r, covariance_type=covariance_type, reg_covar=0.0)
    p1 = emlib.m_step(x, r, covariance_type=covariance_type, reg_covar=0.25)
    np.testing.assert_allclose(
        p1.covariances - p0.covariances, 0.25 * np.broadcast_to(np.eye(3), (2, 3, 3)), atol=1e-14
    )
    np.testing.assert_array_equal(p1.means, p0.means)
    np.testing.assert_array_equal(p1.weights, p0.weights)


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_integer_sample_weights_equal_repeated_rows(rng, covariance_type):
    # book eq. (soft-em-sample-weights)
    x = rng.standard_normal((30, 2))
    r = _soft_resp(rng, 30, 3)
    w = rng.integers(0, 4, size=30)
    w[:3] = 1
    p = emlib.m_step(x, r, covariance_type=covariance_type, sample_weight=w, reg_covar=0.0)
    q = emlib.m_step(np.repeat(x, w, axis=0), np.repeat(r, w, axis=0), covariance_type=covariance_type, reg_covar=0.0)
    np.testing.assert_allclose(p.weights, q.weights, rtol=1e-12)
    np.testing.assert_allclose(p.means, q.means, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(p.covariances, q.covariances, rtol=1e-11, atol=1e-13)


def test_real_sample_weights_match_weighted_formulas(rng):
    x = rng.standard_normal((40, 2))
    r = _soft_resp(rng, 40, 2)
    w = rng.uniform(0.1, 5.0, size=40)
    p = emlib.m_step(x, r, sample_weight=w, reg_covar=0.0)
    pi, mu, cov = _oracle_full(x, r, w)
    np.testing.assert_allclose(p.weights, pi, rtol=1e-13)
    np.testing.assert_allclose(p.means, mu, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(p.covariances, cov, rtol=1e-11, atol=1e-14)


def test_sample_weights_are_scale_invariant(rng):
    x = rng.standard_normal((40, 2))
    r = _soft_resp(rng, 40, 2)
    w = rng.uniform(0.1, 5.0, size=40)
    p = emlib.m_step(x, r, sample_weight=w, reg_covar=0.0)
    q = emlib.m_step(x, r, sample_weight=1000 * w, reg_covar=0.0)
    np.testing.assert_allclose(p.weights, q.weights, rtol=1e-13)
    np.testing.assert_allclose(p.covariances, q.covariances, rtol=1e-12)


def test_centred_formulas_survive_a_large_offset(rng):
    # E[xxᵀ] − μμᵀ would lose every digit at offset 1e8 with unit spread; centred sums do not
    x = rng.standard_normal((100, 2))
    r = _soft_resp(rng, 100, 2)
    offset = np.array([1e8, -3e7])
    for ct in ("full", "diag", "spherical", "tied"):
        p = emlib.m_step(x, r, covariance_type=ct, reg_covar=0.0)
        q = emlib.m_step(x + offset, r, covariance_type=ct, reg_covar=0.0)
        # the rounding of x + offset itself perturbs each point by up to ~1e-8
        np.testing.assert_allclose(q.covariances, p.covariances, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(q.means - offset, p.means, atol=1e-6)


def test_m_step_then_e_step_fixed_point_for_single_component(rng):
    # K = 1: responsibilities are all ones, the M-step gives the sample mean / biased covariance
    x = rng.standard_normal((25, 3))
    p = emlib.m_step(x, np.ones((25, 1)), reg_covar=0.0)
    np.testing.assert_allclose(p.means[0], x.mean(axis=0), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(p.covariances[0], np.cov(x.T, bias=True), rtol=1e-12)
    np.testing.assert_array_equal(emlib.e_step(x, p), np.ones((25, 1)))


def test_m_step_increases_q_over_perturbations(rng):
    # the M-step maximises Q(θ, θ_old) = Σ_n Σ_k γ_nk [log π_k + log N(x_n | μ_k, Σ_k)]
    # (book eq. (soft-em-q)): any perturbed θ scores lower
    x = rng.standard_normal((60, 2)) + np.repeat([[0, 0], [3, 3]], 30, axis=0)
    r = _soft_resp(rng, 60, 2, concentration=1.0)

    def q(params):
        return np.sum(r * (np.log(params.weights) + emlib.component_log_densities(x, params)))

    best = emlib.m_step(x, r, reg_covar=0.0)
    q_best = q(best)
    for _ in range(20):
        w = best.weights + rng.normal(0, 0.02, 2)
        w = np.abs(w) / np.abs(w).sum()
        m = best.means + rng.normal(0, 0.05, best.means.shape)
        c = best.covariances + 0.02 * np.stack([np.eye(2) * rng.uniform(-1, 1) for _ in range(2)])
        assert q(emlib.GMMParams(w, m, c)) < q_best


# --------------------------------------------------------------------------
# degenerate inputs
# --------------------------------------------------------------------------
def test_single_point_component_without_reg_raises_naming_component(rng):
    x = np.vstack([rng.standard_normal((20, 2)), [[10.0, 10.0]]])
    labels = np.r_[np.zeros(20, int), 1]
    with pytest.raises(ValueError, match=r"(?s)component 1.*reg_covar"):
        emlib.m_step(x, np.eye(2)[labels], reg_covar=0.0)
    # with regularisation the same update is fine: Σ_1 = reg·I exactly
    p = emlib.m_step(x, np.eye(2)[labels], reg_covar=1e-3)
    np.testing.assert_allclose(p.covariances[1], 1e-3 * np.eye(2), rtol=1e-12)
    np.testing.assert_allclose(p.means[1], [10.0, 10.0], rtol=1e-15)


def test_duplicated_points_component_without_reg_raises(rng):
    x = np.vstack([rng.standard_normal((20, 2)), np.tile([[3.0, -1.0]], (5, 1))])
    labels = np.r_[np.zeros(20, int), np.ones(5, int)]
    with pytest.raises(ValueError, match=r"(?s)component 1.*reg_covar"):
        emlib.m_step(x, np.eye(2)[labels], reg_covar=0.0)


def test_component_on_a_line_without_reg_raises(rng):
    # points of component 0 lie on a line: a rank-1 covariance in 2-D (slope 2: the data are
    # exactly collinear in floating point)
    t = rng.standard_normal(10)
    x = np.vstack([np.column_stack([t, 2 * t]), rng.standard_normal((20, 2)) + 5])
    labels = np.r_[np.zeros(10, int), np.ones(20, int)]
    with pytest.raises(ValueError, match=r"(?s)component 0.*reg_covar"):
        emlib.m_step(x, np.eye(2)[labels], reg_covar=0.0)
    # diag type: the per-axis variances are positive, so this is fine
    p = emlib.m_step(x, np.eye(2)[labels], covariance_type="diag", reg_covar=0.0)
    assert np.all(np.isfinite(p.covariances))


@pytest.mark.parametrize("seed", range(12))
def test_component_on_a_line_with_any_slope_raises(seed):
    # the same with a random slope: the points are collinear up to the rounding of the data
    # (relative 1e-16), so the covariance is singular to working precision -- its computed
    # condition number is ~1e16 or it is indefinite, depending on rounding. Either way the
    # M-step must report the singular component, not return a degenerate covariance.
    rng = np.random.default_rng(seed)
    t = rng.standard_normal(10)
    slope = rng.uniform(-3, 3)
    x = np.vstack([np.column_stack([t, slope * t + 1.0]), rng.standard_normal((20, 2)) + 5])
    labels = np.r_[np.zeros(10, int), np.ones(20, int)]
    with pytest.raises(ValueError, match=r"(?s)component 0.*reg_covar"):
        emlib.m_step(x, np.eye(2)[labels], reg_covar=0.0)


def test_component_with_no_responsibility_raises(rng):
    x = rng.standard_normal((10, 2))
    r = np.zeros((10, 2))
    r[:, 0] = 1.0
    with pytest.raises(ValueError, match="component 1"):
        emlib.m_step(x, r, reg_covar=0.0)
