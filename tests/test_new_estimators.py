"""gcmi (Ince et al. 2017), plugin (Miller-Madow) and mixed-ksg (Gao et al. 2017): ground truth,
closed forms, brute-force re-implementations and exact relations to the existing estimators.

Every estimator is called directly (its curve function, or the value function behind it), so
that these tests do not depend on how :func:`mitool.api.point_curve` treats ties; only tie-free
data goes through :func:`mitool.estimate`. Seeds are fixed: a failure means a formula changed.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import digamma

import mitool
from mitool import MitoolError
from mitool.estimators import get_estimator
from mitool.estimators.gcmi import gaussian_mi as normal_mi
from mitool.estimators.gcmi import gcmi, gcmi_value
from mitool.estimators.ksg import ksg1
from mitool.estimators.mixed_ksg import mixed_ksg, mixed_ksg_counts
from mitool.estimators.plugin import plugin, plugin_mi
from mitool.normalize import NORMS, normalize
from mitool.search.plan import SearchPlan

estimate = partial(mitool.estimate, resamples=0)
NEW_NORMS = tuple(norm for norm in NORMS if norm != "global-corrected")


def value(curve_fn, x, t, k=3):
    """The estimator's value at c = 1, as the API calls it for a family that does not sweep."""
    curve = curve_fn(x, t, (1.0,), k)
    assert curve.values.shape == (1,)
    return float(curve.values[0])


def gaussian_pair(n, cov, d_x, seed):
    """n rows of N(0, cov), split into X (the first d_x columns) and T."""
    z = np.random.default_rng(seed).multivariate_normal(np.zeros(len(cov)), cov, size=n)
    return z[:, :d_x], z[:, d_x:]


def gaussian_mi(cov, d_x):
    """I(X; T) = ½ ln(|Σ_x| |Σ_t| / |Σ|) for jointly Gaussian (X, T)."""
    logdet = lambda a: np.linalg.slogdet(a)[1]  # noqa: E731
    return 0.5 * (logdet(cov[:d_x, :d_x]) + logdet(cov[d_x:, d_x:]) - logdet(cov))


# --- registry ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ("gcmi", "plugin", "mixed-ksg"))
def test_registered_without_a_sweep(name):
    spec = get_estimator(name)
    assert not spec.sweeps_scale  # one value at c = 1, no max over c
    assert spec.norms == NEW_NORMS
    assert spec.default_norm in spec.norms
    assert spec.keeps_ties  # never jittered: gcmi ranks ties, the others count them
    assert spec.discrete_x == spec.discrete_t == (name == "plugin")


def test_gcmi_default_norm_is_rank_when_available():
    assert get_estimator("gcmi").default_norm == ("rank" if "rank" in NORMS else "none")


# --- gcmi -------------------------------------------------------------------------------------


def test_gcmi_bivariate_gaussian():
    # The sd of the normal-scores estimate at a Gaussian is that of −½ ln(1 − r²): by the delta
    # method on var(r) = (1 − ρ²)²/n it is ρ/√n = 0.0085 at n = 5000; tolerance 4 sd.
    rho, n = 0.6, 5000
    x, t = gaussian_pair(n, np.array([[1, rho], [rho, 1]]), 1, seed=3)
    truth = -0.5 * np.log(1 - rho**2)
    assert value(gcmi, x, t) == pytest.approx(truth, abs=4 * rho / np.sqrt(n))


def test_gcmi_is_rank_invariant_bit_for_bit():
    x, t = gaussian_pair(2000, np.array([[1, 0.7], [0.7, 1]]), 1, seed=4)
    reference = value(gcmi, x, t)
    assert value(gcmi, x**3, np.exp(t)) == reference
    assert value(gcmi, np.arctan(5 * x) + 7, 1e-6 * t**5) == reference
    for norm in NEW_NORMS:  # every normalization is a strictly increasing map of each column
        xn, tn = normalize(x, norm), normalize(t, norm)
        assert value(gcmi, xn, tn) == reference, norm


def test_gcmi_multivariate_against_the_gaussian_closed_form():
    # 3 x 2 dimensions. The sd of a Gaussian MI estimate is sqrt(Σ_i ρ_i² / n) over the
    # canonical correlations ρ_i (the delta method on each); tolerance 4 sd.
    n, d_x = 5000, 3
    a = np.array([[1.0, 0.4, 0.2], [0.4, 1.0, 0.3], [0.2, 0.3, 1.0]])  # Σ_x
    b = np.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6]])  # T = B X + N(0, Σ_e)
    noise = np.array([[1.0, 0.3], [0.3, 1.0]])
    cov = np.block([[a, a @ b.T], [b @ a, b @ a @ b.T + noise]])
    truth = gaussian_mi(cov, d_x)
    whiten = lambda s: np.linalg.inv(np.linalg.cholesky(s))  # noqa: E731
    canonical = np.linalg.svd(whiten(a) @ (a @ b.T) @ whiten(cov[d_x:, d_x:]).T, compute_uv=False)
    assert truth == pytest.approx(-0.5 * np.sum(np.log(1 - canonical**2)), rel=1e-12)
    x, t = gaussian_pair(n, cov, d_x, seed=5)
    sd = np.sqrt(np.sum(canonical**2) / n)
    assert value(gcmi, x, t) == pytest.approx(truth, abs=4 * sd)


def brute_gcmi(x, t, *, bias_correct):
    """An independent GCMI: normal scores by scipy.stats, log-dets by slogdet of np.cov, and
    the bias correction summed term by term."""
    n = len(x)
    z = stats.norm.ppf(stats.rankdata(np.hstack([x, t]), axis=0) / (n + 1))
    cov, d_x, d = np.cov(z, rowvar=False), x.shape[1], z.shape[1]
    mi = gaussian_mi(cov, d_x)
    if not bias_correct:
        return mi

    def b(dim):
        psi = sum(digamma((n - i) / 2) / 2 for i in range(1, dim + 1))
        return psi - dim / 2 * np.log((n - 1) / 2)

    return mi - b(d_x) - b(d - d_x) + b(d)


def test_gcmi_against_a_brute_force_computation():
    x, t = gaussian_pair(300, np.array([[1, 0.5, 0.2], [0.5, 1, 0.4], [0.2, 0.4, 1]]), 2, 6)
    x[:30, 0] = 0.25  # 30 tied values: average ranks in both
    assert gcmi_value(x, t)[0] == pytest.approx(brute_gcmi(x, t, bias_correct=True), abs=1e-12)
    raw = gcmi_value(x, t, bias_correct=False)[0]
    assert raw == pytest.approx(brute_gcmi(x, t, bias_correct=False), abs=1e-12)


def test_gcmi_bias_correction_on_independent_data():
    # Independent 2 x 2 dimensions at n = 30, 400 samples. The uncorrected estimate averages
    # the closed-form bias b(2) + b(2) − b(4) (≈ d_x·d_t / 2n = 0.067), the corrected one ≈ 0;
    # tolerances 4 standard errors of the mean (about 0.003 each).
    n, seeds = 30, 400
    raw, corrected = np.empty(seeds), np.empty(seeds)
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        x, t = rng.standard_normal((n, 2)), rng.standard_normal((n, 2))
        raw[seed] = gcmi_value(x, t, bias_correct=False)[0]
        corrected[seed] = gcmi_value(x, t)[0]
    psi = lambda d: sum(digamma((n - i) / 2) / 2 for i in range(1, d + 1))  # noqa: E731
    expected_bias = 2 * psi(2) - psi(4)  # the ln((n − 1)/2) terms cancel
    assert expected_bias == pytest.approx(4 / (2 * n), rel=0.2)
    se = raw.std() / np.sqrt(seeds)
    assert raw.mean() == pytest.approx(expected_bias, abs=4 * se)
    assert abs(corrected.mean()) < 4 * corrected.std() / np.sqrt(seeds)
    assert abs(corrected.mean()) < 0.25 * raw.mean()
    assert np.all(raw - corrected == pytest.approx(expected_bias, abs=1e-12))


def test_gcmi_is_blind_to_non_monotone_dependence():
    # T = X² carries everything about |X| but its ranks are uncorrelated with X's: the lower
    # bound reads ≈ 0 (sd about 1/n per unit of d_x·d_t for independent-looking ranks).
    x = np.random.default_rng(7).standard_normal((5000, 1))
    assert abs(value(gcmi, x, x**2)) < 0.01


def test_gcmi_degenerate_columns():
    x, t = gaussian_pair(1000, np.array([[1, 0.5], [0.5, 1]]), 1, seed=8)
    reference = value(gcmi, x, t)
    ones = np.ones((1000, 1))
    assert value(gcmi, np.hstack([x, ones]), t) == reference  # a constant column adds 0
    assert value(gcmi, ones, t) == 0.0  # a constant side shares nothing
    curve = gcmi(np.hstack([x, x**3, -x]), t, (1.0,), 3)  # monotone copies are dropped
    assert curve.values[0] == reference
    assert any("dropped" in note for note in curve.notes)
    with pytest.raises(MitoolError, match="infinite"):
        gcmi(np.hstack([x, t]), np.exp(t), (1.0,), 3)
    with pytest.raises(MitoolError, match="rows"):
        normal_mi(x[:3], np.hstack([t, t**2])[:3])  # 3 dimensions need 5 rows
    with pytest.raises(MitoolError, match="singular"):
        normal_mi(np.hstack([x, x]), t)  # what the dropping of copies avoids


def test_gcmi_through_the_api_on_tie_free_data():
    x, t = gaussian_pair(1500, np.array([[1, 0.6], [0.6, 1]]), 1, seed=9)
    result = estimate(x, t, estimator="gcmi")
    assert result.norm == get_estimator("gcmi").default_norm
    assert result.value == value(gcmi, x, t)
    assert result.scale is None and result.curve is None


# --- plugin -----------------------------------------------------------------------------------


def test_plugin_against_a_hand_computed_pmf():
    # Joint counts (n = 10), rows x ∈ {−3.2, 0.5, 7}, columns t ∈ {(0, 1), (2, 2)}:
    #        t0  t1
    #  −3.2   2   1
    #   0.5   1   3
    #   7     1   2
    rows = [(-3.2, 0, 2), (-3.2, 1, 1), (0.5, 0, 1), (0.5, 1, 3), (7.0, 0, 1), (7.0, 1, 2)]
    x = np.array([r[0] for r in rows for _ in range(r[2])])[:, None]
    t = np.array([[(0.0, 1.0), (2.0, 2.0)][r[1]] for r in rows for _ in range(r[2])])
    h = lambda *counts: -sum(c / 10 * np.log(c / 10) for c in counts)  # noqa: E731
    plug_in = h(3, 4, 3) + h(4, 6) - h(2, 1, 1, 3, 1, 2)
    miller_madow = ((3 - 1) + (2 - 1) - (6 - 1)) / (2 * 10)  # (m_x + m_t − m_xt − 1) / 2n
    assert plug_in == pytest.approx(1.08890 + 0.67301 - 1.69575, abs=1e-5)  # by hand
    assert plugin_mi(x, t, miller_madow=False) == pytest.approx(plug_in, abs=1e-14)
    assert value(plugin, x, t) == pytest.approx(plug_in + miller_madow, abs=1e-14)
    order = np.random.default_rng(0).permutation(10)  # rows in any order, symbols any values
    assert value(plugin, 10 * x[order] + 3, t[order]) == pytest.approx(value(plugin, x, t))


def test_plugin_miller_madow_removes_the_first_order_bias():
    # Independent uniform X (4 values) and T (3 values), n = 200, 200 samples: the plug-in
    # averages (m_x − 1)(m_t − 1)/(2n) = 0.015, the corrected estimate ≈ 0 (second-order bias
    # ≈ +0.0003). 2n·Î is about χ²(6), so each sample's sd is √12/(2n) = 0.0087 and the mean's
    # 0.0006; tolerance 0.003 (5 standard errors).
    n, seeds = 200, 200
    raw, corrected = np.empty(seeds), np.empty(seeds)
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        x, t = rng.integers(0, 4, (n, 1)), rng.integers(0, 3, (n, 1))
        raw[seed] = plugin_mi(x, t, miller_madow=False)
        corrected[seed] = value(plugin, x, t)
    assert raw.mean() == pytest.approx(3 * 2 / (2 * n), abs=0.003)
    assert corrected.mean() == pytest.approx(0.0, abs=0.003)


def test_plugin_refuses_continuous_data():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, (100, 1))
    with pytest.raises(MitoolError, match="ksg"):
        plugin(rng.standard_normal((100, 1)), labels, (1.0,), 3)
    with pytest.raises(MitoolError, match="ksg"):
        plugin(labels, rng.standard_normal((100, 2)), (1.0,), 3)
    half = np.repeat(np.arange(50), 2)[:, None]  # exactly n/2 symbols: accepted
    assert np.isfinite(value(plugin, half, labels))
    with pytest.raises(MitoolError, match="more than n/2"):
        plugin(np.r_[half[:-1], [[99]]], labels, (1.0,), 3)  # 51 symbols


def test_plugin_of_a_constant_is_zero():
    labels = np.random.default_rng(2).integers(0, 3, (50, 1))
    assert value(plugin, np.ones((50, 1)), labels) == 0.0


# --- mixed-ksg --------------------------------------------------------------------------------


@pytest.mark.parametrize(("d_x", "d_t", "k"), [(1, 1, 3), (2, 1, 5), (2, 2, 1)])
def test_mixed_ksg_is_ksg_with_ln_n_on_tie_free_data(d_x, d_t, k):
    # No ties: every ρ_i > 0, k̃_i = k and the strict counts are KSG's n + 1, so the two differ
    # only by ln n − ψ(n), exactly.
    rng = np.random.default_rng(10 + k)
    n = 1500
    x = rng.standard_normal((n, d_x))
    t = x[:, :1] @ np.ones((1, d_t)) + rng.standard_normal((n, d_t))
    ksg_value = value(ksg1, x, t, k)
    assert value(mixed_ksg, x, t, k) == pytest.approx(ksg_value - digamma(n) + np.log(n), abs=1e-12)


def test_mixed_ksg_on_discrete_data_is_a_plug_in():
    # X uniform on 4 values, T = X: every ρ_i = 0 and k̃_i = n_x,i = n_t,i = N_c (the cell's
    # count), so Î = Σ_c (N_c/n)(ln n − ψ(N_c)) exactly ≈ Ĥ(X) + 4/(2n), whose mean is
    # ln 4 + 1/(2n) and sd √6/(2n) = 0.0006 at n = 2000; tolerance 0.005 (8 sd).
    n = 2000
    x = np.random.default_rng(11).integers(0, 4, (n, 1)).astype(float)
    got = value(mixed_ksg, x, x.copy())
    counts = np.bincount(x[:, 0].astype(int))
    assert got == pytest.approx(np.sum(counts / n * (np.log(n) - digamma(counts))), abs=1e-12)
    assert got == pytest.approx(np.log(4), abs=0.005)


def brute_mixed_ksg(x, t, k):
    """Algorithm 1 from all pairwise max-norm distances: (k̃, n_x, n_t), i included."""
    dx = np.max(np.abs(x[:, None, :] - x[None, :, :]), axis=2)
    dt = np.max(np.abs(t[:, None, :] - t[None, :, :]), axis=2)
    d = np.maximum(dx, dt)
    n = len(x)
    others = d[~np.eye(n, dtype=bool)].reshape(n, n - 1)
    rho = np.sort(others, axis=1)[:, k - 1]
    zero = rho == 0
    k_i = np.where(zero, np.sum(d == 0, axis=1), k)
    n_x = np.where(zero, np.sum(dx == 0, axis=1), np.sum(dx < rho[:, None], axis=1))
    n_t = np.where(zero, np.sum(dt == 0, axis=1), np.sum(dt < rho[:, None], axis=1))
    return k_i, n_x, n_t


@pytest.mark.parametrize("k", (1, 2, 3))
def test_mixed_ksg_against_brute_force_with_ties(k):
    rng = np.random.default_rng(12)
    n = 120
    x = np.column_stack([rng.integers(0, 3, n), np.where(rng.random(n) < 0.5, 0.0, rng.random(n))])
    t = np.where(rng.random((n, 1)) < 0.7, x[:, :1] % 2, rng.standard_normal((n, 1)))
    expected = brute_mixed_ksg(x, t, k)
    assert np.any(expected[0] > k) and np.any(expected[0] == k)  # both branches are exercised
    for got, want in zip(mixed_ksg_counts(x, t, k), expected, strict=True):
        np.testing.assert_array_equal(got, want)
    k_i, n_x, n_t = expected
    by_hand = np.mean(digamma(k_i) + np.log(n) - digamma(n_x) - digamma(n_t))
    assert value(mixed_ksg, x, t, k) == pytest.approx(by_hand, abs=1e-12)


@pytest.mark.parametrize("backend", ("tree", "numba", "brute"))
def test_mixed_ksg_counts_on_every_backend(backend):
    # 6 + 1 dimensions with ties in every column: the kd-tree, slab and all-pairs paths.
    rng = np.random.default_rng(15)
    n = 120
    x = np.column_stack(
        [rng.integers(0, 3, n)] + [np.where(rng.random(n) < 0.5, 0.0, rng.random(n))] * 5
    )
    x[:, 2:] += rng.integers(0, 2, (n, 4))
    t = np.where(rng.random((n, 1)) < 0.7, x[:, :1] % 2, rng.standard_normal((n, 1)))
    expected = brute_mixed_ksg(x, t, 2)
    assert np.any(expected[0] > 2)
    got = mixed_ksg_counts(x, t, 2, SearchPlan.for_pair(x, t, backend))
    for g, w in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, w)


def test_mixed_ksg_zero_inflated_against_quadrature():
    # X = 0 w.p. ½, else N(0, 1); T = X + N(0, ½²). I = h(T) − h(T | X), h(T | X) = ½ ln(2πe/4),
    # h(T) of the two-Gaussian mixture by quadrature: 0.5200 nats. At n = 4000, k = 3 the
    # estimate averaged 0.555 (bias +0.035, shrinking with n) with sd 0.014 over 20 samples;
    # tolerance 0.07 (the bias plus 2.5 sd).
    s = 0.5

    def density(v):
        return 0.5 * stats.norm.pdf(v, 0, s) + 0.5 * stats.norm.pdf(v, 0, np.hypot(1, s))

    h_t, _ = integrate.quad(lambda v: -density(v) * np.log(density(v)), -30, 30, limit=200)
    truth = h_t - 0.5 * np.log(2 * np.pi * np.e * s**2)
    assert truth == pytest.approx(0.5200, abs=1e-4)
    rng = np.random.default_rng(13)
    n = 4000
    x = np.where(rng.random(n) < 0.5, 0.0, rng.standard_normal(n))[:, None]
    t = x + s * rng.standard_normal((n, 1))
    assert value(mixed_ksg, x, t) == pytest.approx(truth, abs=0.07)


def test_mixed_ksg_through_the_api_on_tie_free_data():
    x, t = gaussian_pair(1000, np.array([[1, 0.6], [0.6, 1]]), 1, seed=14)
    result = estimate(x, t, estimator="mixed-ksg", norm="none")
    assert result.value == value(mixed_ksg, x, t)
    assert result.scale is None and result.curve is None


# --- through the API, with ties (keeps_ties, discrete_x) ---------------------------------------


def test_tied_data_reach_the_estimators_unjittered():
    # Discrete X (4 values) and T = X + a coin: every row repeats. The API must hand the rows
    # over as they are (no jitter; plugin: no normalisation either), so it equals the direct call.
    rng = np.random.default_rng(16)
    x = rng.integers(0, 4, (500, 1)).astype(float)
    t = x + rng.integers(0, 2, (500, 1))
    for name, curve_fn, norm in (
        ("plugin", plugin, "global-linf"),  # ignored for the symbols: never normalised
        ("mixed-ksg", mixed_ksg, "none"),
        ("gcmi", gcmi, "none"),  # average ranks of the ties
    ):
        result = estimate(x, t, estimator=name, norm=norm)
        assert not result.ties.jittered, name
        assert result.value == value(curve_fn, x, t), name


def test_gcmi_drops_columns_that_repeat_or_reverse_the_ranks_of_earlier_ones():
    from mitool.estimators.gcmi import gcmi_value

    rng = np.random.default_rng(4)
    x = rng.standard_normal((300, 1))
    t = x + rng.standard_normal((300, 1))
    base, _ = gcmi_value(x, t)
    # exp(x) repeats x's ranks, -x^3 reverses them: neither adds a dimension under the copula
    value, notes = gcmi_value(np.column_stack([x, np.exp(x), -(x**3)]), t)
    assert value == pytest.approx(base, abs=1e-12)
    assert any("column(s) 1, 2 are monotone functions" in note for note in notes)
    # an independent column is kept (it changes the bias correction, so the value moves)
    other, notes = gcmi_value(np.column_stack([x, rng.standard_normal((300, 1))]), t)
    assert other != base and not notes
