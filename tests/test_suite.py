"""The accuracy suite: exact truths of mitool.suite checked independently, and its scorer.

Monte-Carlo checks draw from the generator itself and average the log-density ratio
ln p(x, t) − ln p(x) − ln p(t) (densities from scipy.stats, or written out in full dimension),
whose mean is I(X; T). The tolerance is 5 standard errors of that mean, computed from the same
draws: with fixed seeds the tests are deterministic, and at a random seed a correct truth would
fail with probability below 1e-6, while a wrong formula (a missing term, a wrong factor) moves
the truth by far more than the 0.001-0.005 nats that 5 SE come to here.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats
from scipy.integrate import quad
from scipy.special import digamma, gammaln, logsumexp
from scipy.stats import rankdata

from mitool import MitoolError, suite
from mitool.suite_score import FACTOR, run_suite, score_pair, within


def assert_mc(log_ratio: np.ndarray, truth: float) -> None:
    """The mean log-density ratio is I: |mean − truth| ≤ 5 standard errors (module docstring)."""
    se = log_ratio.std() / math.sqrt(len(log_ratio))
    assert se < 0.003  # the check is sharp enough to mean something
    assert abs(log_ratio.mean() - truth) <= 5 * se, (log_ratio.mean(), truth, se)


# --- Gaussian ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cov, dx",
    [
        (suite.paired_cov(1, 0.7), 1),
        (suite.paired_cov(3, 0.5, within=0.4), 3),
        (suite.sparse_cov(25, (0.75, 0.6)), 25),
    ],
)
def test_gaussian_truth_by_monte_carlo(cov, dx):
    x, t, truth = suite.gaussian(200_000, cov, dx, seed=1)
    z = np.hstack([x, t])
    log_ratio = (
        stats.multivariate_normal(cov=cov).logpdf(z)
        - stats.multivariate_normal(cov=cov[:dx, :dx]).logpdf(x).reshape(-1)
        - stats.multivariate_normal(cov=cov[dx:, dx:]).logpdf(t).reshape(-1)
    )
    assert_mc(log_ratio, truth)


def test_gaussian_closed_forms_agree():
    # Without within-side correlation, paired_cov is the textbook −(d/2) ln(1 − ρ²).
    for d, rho in ((1, 0.5), (5, 0.6), (50, 0.15)):
        assert suite.gaussian_mi(suite.paired_cov(d, rho), d) == pytest.approx(
            -0.5 * d * math.log(1 - rho**2), abs=1e-9
        )
    assert suite.gaussian_mi(suite.sparse_cov(25, (0.5, 0.6, 0.7)), 25) == pytest.approx(
        -0.5 * sum(math.log(1 - r**2) for r in (0.5, 0.6, 0.7)), abs=1e-9
    )
    assert suite.gaussian_mi(suite.paired_cov(5, 0.0, within=0.5), 5) == pytest.approx(
        0.0, abs=1e-12
    )


def test_gaussian_sample_covariance_matches():
    # n = 40 000: each covariance entry has an sd of at most √2/200 ≈ 0.007; 0.04 is > 5 sd.
    cov = suite.paired_cov(5, 0.6, within=0.3)
    x, t, _ = suite.gaussian(40_000, cov, 5, seed=2)
    assert np.abs(np.cov(np.hstack([x, t]), rowvar=False) - cov).max() < 0.04


# --- Student-t -----------------------------------------------------------------------------------


def test_student_t_correction_is_the_written_out_formula():
    # The docstring's (and the brief's) closed form equals h(X) + h(T) − h(X, T).
    for nu in (1, 2, 3, 7.5):
        for dx, dt in ((1, 1), (2, 2), (5, 5), (1, 3)):
            d = dx + dt
            written = (
                gammaln(nu / 2) + gammaln((nu + d) / 2) - gammaln((nu + dx) / 2)
                - gammaln((nu + dt) / 2) - (nu + d) / 2 * digamma((nu + d) / 2)
                + (nu + dx) / 2 * digamma((nu + dx) / 2) + (nu + dt) / 2 * digamma((nu + dt) / 2)
                - nu / 2 * digamma(nu / 2)
            )  # fmt: skip
            assert suite.student_t_correction(nu, dx, dt) == pytest.approx(written, abs=1e-10)
            assert suite.student_t_correction(nu, dx, dt) > 0


def test_student_t_tends_to_the_gaussian():
    # ν → ∞: the t becomes Gaussian and the correction vanishes (like O(1/ν²)).
    assert suite.student_t_correction(1e4, 5, 5) < 1e-6
    assert suite.student_t_correction(1e2, 1, 1) < suite.student_t_correction(10, 1, 1)
    # Entropy of t_1 in 1-D (Cauchy) is ln(4π).
    assert suite.student_t_entropy(1, 1) == pytest.approx(math.log(4 * math.pi), abs=1e-12)


@pytest.mark.parametrize("d, nu, rho", [(1, 1, 0.0), (1, 3, 0.6), (2, 2, 0.5)])
def test_student_t_truth_by_monte_carlo(d, nu, rho):
    # 10⁶ draws; the marginals of a multivariate t are t with the same ν and the block scale.
    x, t, truth = suite.student_t(1_000_000, d, rho, nu, seed=3)
    cov = suite.paired_cov(d, rho)
    log_ratio = (
        stats.multivariate_t(shape=cov, df=nu).logpdf(np.hstack([x, t]))
        - stats.multivariate_t(shape=cov[:d, :d], df=nu).logpdf(x)
        - stats.multivariate_t(shape=cov[d:, d:], df=nu).logpdf(t)
    )
    assert_mc(log_ratio, truth)


# --- uniform noise -------------------------------------------------------------------------------


@pytest.mark.parametrize("a", (0.2, 0.5, 0.9, 1.0))
def test_uniform_noise_formula_by_quadrature(a):
    # h(T) of the trapezoid density by quadrature, minus h(U(0, a)) = ln a.
    def p(t):
        return min(t / a, 1.0, (1 + a - t) / a) if 0 < t < 1 + a else 0.0

    h_t, _ = quad(lambda t: -p(t) * math.log(p(t)) if p(t) > 0 else 0.0, 0, 1 + a,
                  points=[a, 1.0], epsabs=1e-12)  # fmt: skip
    assert suite.uniform_noise_mi(a) == pytest.approx(h_t - math.log(a), abs=1e-9)
    x, t, truth = suite.uniform_noise(1000, 3, a, seed=0)
    assert truth == pytest.approx(3 * suite.uniform_noise_mi(a))
    assert np.all((t - x >= 0) & (t - x <= a)) and np.all((x >= 0) & (x <= 1))


# --- discrete ------------------------------------------------------------------------------------


def test_discrete_truth_from_entropies():
    # I = H(X) + H(T) − H(X, T), summed directly from the tables.
    def entropy(p):
        p = np.asarray(p).ravel()
        p = p[p > 0]
        return -float(np.sum(p * np.log(p)))

    for pmf in (
        suite.modular_pmf(5, 5, (0.6, 0.2, 0.2)),
        suite.modular_pmf(5, 4, (0.7, 0.2, 0.1)),
        suite.random_pmf(4, 6, 0.5, 23),
    ):
        direct = entropy(pmf.sum(1)) + entropy(pmf.sum(0)) - entropy(pmf)
        assert suite.discrete_mi(pmf) == pytest.approx(direct, abs=1e-12)
    # kx = m: I = ln m − H(N).
    assert suite.discrete_mi(suite.modular_pmf(5, 5, (0.6, 0.2, 0.2))) == pytest.approx(
        math.log(5) - entropy([0.6, 0.2, 0.2]), abs=1e-12
    )
    assert suite.product_table(10, (0.3, 0.7), (0.5, 0.5), seed=0).truth == 0.0


def test_discrete_sampler_follows_the_table():
    # 10⁵ draws: each cell frequency has sd ≤ √(0.25/10⁵) ≈ 0.0016; 0.008 is 5 sd.
    pmf = suite.random_pmf(3, 4, 1.0, 11)
    x, t, truth = suite.discrete(100_000, pmf, seed=4)
    freq = np.zeros_like(pmf)
    np.add.at(freq, (x[:, 0].astype(int), t[:, 0].astype(int)), 1)
    assert np.abs(freq / len(x) - pmf).max() < 0.008
    assert truth == suite.discrete_mi(pmf) and x.dtype == float


# --- labels and mixed: quadrature against Monte Carlo --------------------------------------------


@pytest.mark.parametrize(
    "dx, m, delta, probs",
    [(1, 2, 2.0, None), (5, 3, 1.5, None), (5, 6, 1.0, (0.4, 0.2, 0.15, 0.1, 0.1, 0.05))],
)
def test_labels_truth_by_monte_carlo(dx, m, delta, probs):
    # The densities in full dx dimensions (no reduction to the informative axis).
    x, t, truth = suite.labels(200_000, dx, m, delta, seed=5, probs=probs)
    w = np.full(m, 1 / m) if probs is None else np.asarray(probs)
    means = delta * (np.arange(m) - (m - 1) / 2)[:, None] * np.ones(dx) / math.sqrt(dx)
    log_cond = np.stack(
        [stats.multivariate_normal(mean=mu, cov=np.eye(dx)).logpdf(x) for mu in means], axis=1
    ).reshape(len(x), m)
    y = t[:, 0].astype(int)
    log_ratio = log_cond[np.arange(len(y)), y] - logsumexp(log_cond + np.log(w), axis=1)
    assert_mc(log_ratio, truth)
    assert set(np.unique(t)) == set(range(m))


def test_independent_labels():
    assert suite.labels(50, 5, 4, 0.0, seed=0).truth == 0.0
    assert suite.labels_mi(4, 1e-9) == pytest.approx(0.0, abs=1e-8)


@pytest.mark.parametrize("p, sigma", [(0.3, 0.5), (0.7, 1.0), (0.2, 2.0)])
def test_zero_inflated_truth_by_monte_carlo(p, sigma):
    x, t, truth = suite.zero_inflated(200_000, p, sigma, seed=6)
    x, t = x[:, 0], t[:, 0]
    assert np.mean(x == 0) == pytest.approx(p, abs=0.005)  # sd ≈ 0.001
    log_p_t = np.logaddexp(
        math.log(p) + stats.norm.logpdf(t, scale=sigma),
        math.log(1 - p) + stats.norm.logpdf(t, scale=math.sqrt(1 + sigma**2)),
    )
    assert_mc(stats.norm.logpdf(t, loc=x, scale=sigma) - log_p_t, truth)


@pytest.mark.parametrize("k, sigma", [(5, 1.0), (5, 0.6)])
def test_discrete_channel_truth_by_monte_carlo(k, sigma):
    x, t, truth = suite.discrete_channel(200_000, k, sigma, seed=7)
    x, t = x[:, 0], t[:, 0]
    comps = stats.norm.logpdf(t[:, None], loc=np.arange(k), scale=sigma) - math.log(k)
    assert_mc(stats.norm.logpdf(t, loc=x, scale=sigma) - logsumexp(comps, axis=1), truth)


def test_mixture_entropy_of_one_gaussian():
    assert suite.mixture_entropy([1.0], [3.0], [2.0]) == pytest.approx(
        0.5 * math.log(2 * math.pi * math.e * 4), abs=1e-10
    )


# --- transformations -----------------------------------------------------------------------------


def test_non_monotone_map_is_a_bijection():
    x = np.random.default_rng(8).standard_normal((5000, 3)) * 1.5
    for shift in (0.5, 0.3, 0.25):
        y = suite.mod_shift(x, shift)
        np.testing.assert_allclose(suite.mod_shift(y, -shift), x, rtol=1e-7, atol=1e-7)
        assert not np.array_equal(rankdata(y, axis=0), rankdata(x, axis=0))  # not monotone
    # The generator's X is the base X through the map: its inverse recovers it.
    base = suite.correlated(2000, 2, 0.6, seed=9)
    sample = suite.mapped(2000, "gaussian", 2, 0.6, "modshift:0.5", "modshift:0.25", seed=9)
    np.testing.assert_allclose(suite.mod_shift(sample.x, -0.5), base.x, rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(suite.mod_shift(sample.t, -0.25), base.t, rtol=1e-7, atol=1e-7)
    assert sample.truth == base.truth


@pytest.mark.parametrize("x_map", ("cube", "phi", "exp", "units"))
def test_monotone_maps_keep_ranks_and_truth(x_map):
    base = suite.mapped(3000, "additive", 2, 0.5, "none", "none", seed=10)
    out = suite.mapped(3000, "additive", 2, 0.5, x_map, "exp", seed=10)
    np.testing.assert_array_equal(rankdata(out.x, axis=0), rankdata(base.x, axis=0))
    np.testing.assert_array_equal(rankdata(out.t, axis=0), rankdata(base.t, axis=0))
    assert out.truth == base.truth == pytest.approx(math.log1p(1 / 0.25))
    with pytest.raises(MitoolError, match="unknown map"):
        suite.mapped(10, "gaussian", 1, 0.5, "square", "none", seed=0)


def test_per_column_units():
    sample = suite.correlated(500, 3, 0.5, seed=11)
    scaled = suite.per_column_units(sample, seed=12)
    fx, ft = scaled.x / sample.x, scaled.t / sample.t
    for f in (fx, ft):
        np.testing.assert_allclose(
            f, np.broadcast_to(f[0], f.shape), rtol=1e-12
        )  # one factor per column
        assert np.all((f[0] >= 1e-2) & (f[0] <= 1e2))
    assert len(np.unique(np.round(np.log10(fx[0]), 6))) == 3
    assert scaled.truth == sample.truth


def test_duplicated_rows():
    x, t, truth = suite.duplicated(1000, 2, 0.6, 1.0, seed=13)
    _, counts = np.unique(np.hstack([x, t]), axis=0, return_counts=True)
    assert x.shape == (1000, 2) and set(counts) == {2} and len(counts) == 500
    x, t, truth2 = suite.duplicated(900, 2, 0.6, 0.5, seed=13)
    _, counts = np.unique(np.hstack([x, t]), axis=0, return_counts=True)
    assert len(x) == 900 and len(counts) == 600 and np.sum(counts == 2) == 300
    assert truth == truth2 == pytest.approx(-math.log(1 - 0.36))


# --- splits --------------------------------------------------------------------------------------


def test_splits_are_deterministic_and_differ():
    tuning, heldout = suite.tasks("tuning"), suite.tasks("heldout")
    assert [t.name for t in tuning] == [t.name for t in suite.tasks("tuning")]
    assert {t.group for t in tuning} == {t.group for t in heldout} == set(suite.GROUPS)
    assert 30 <= len(tuning) <= 40 and 30 <= len(heldout) <= 40
    assert len({t.name for t in tuning}) == len(tuning)  # names are unique
    shared = {(t.fn, t.params) for t in tuning} & {(t.fn, t.params) for t in heldout}
    # The only shared task: independent 1×1 Gaussians, which have no parameter to change.
    assert [dict(p) for _, p in shared] == [{"d": 1, "rho": 0.0, "within": 0.0}]
    for group in suite.GROUPS:  # independent tasks exist in both splits
        assert any(t.truth > 0 for t in tuning if t.group == group)
    assert sum(t.truth == 0 for t in tuning) >= 4 and sum(t.truth == 0 for t in heldout) >= 4
    task = tuning[12]
    a, b = task.draw(50, 3), task.draw(50, 3)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.t, b.t)
    with pytest.raises(MitoolError, match="unknown split"):
        suite.tasks("test")


def test_every_task_draws_its_shape():
    for task in suite.tasks("tuning") + suite.tasks("heldout"):
        x, t, truth = task.draw(40, 0)
        assert x.shape[0] == t.shape[0] == 40 and x.ndim == t.ndim == 2
        assert x.dtype == t.dtype == np.float64
        assert np.isfinite(x).all() and np.isfinite(t).all()
        assert truth >= 0 and truth == task.truth


# --- scoring -------------------------------------------------------------------------------------


def test_scores_by_hand():
    truths = [0.0, 0.05, 0.5, 1.0, 2.0]
    perfect = score_pair("oracle", truths, truths, [1.0, 3.0])
    assert (perfect.mae, perfect.spearman, perfect.within) == (0.0, pytest.approx(1.0), 1.0)
    assert perfect.seconds == 2.0 and perfect.tasks == 5 and perfect.errors == 0
    est = [0.04, 0.2, 0.74, 0.6, math.nan]
    s = score_pair("x", est, truths, shifts=[0.1, 0.3, 0.0, 0.2, math.nan])
    assert s.tasks == 4 and s.errors == 1
    assert s.mae == pytest.approx((0.04 + 0.15 + 0.24 + 0.4) / 4)
    assert s.within == pytest.approx(2 / 4)  # 0.04 (band) and 0.74 ≤ 0.75 pass; 0.2, 0.6 fail
    assert s.max_units_shift == pytest.approx(0.3)
    # The convention at its edges.
    np.testing.assert_array_equal(
        within([0.05, 0.051, 1 / FACTOR, 1.5, 1.51], [0.0, 0.0, 1.0, 1.0, 1.0]),
        [True, False, True, True, False],
    )


def test_run_suite_runs_and_scores():
    chosen = [t for t in suite.tasks("tuning") if t.group in ("gaussian", "labels")][:6]
    pairs = ("ksg/none", "no-such-estimator")
    result = run_suite(pairs, chosen, n=200, seed=1, jobs=1, units_check=True)
    again = run_suite(pairs, chosen, n=200, seed=1, jobs=1)
    assert [r.values["ksg/none"] for r in result.tasks] == [
        r.values["ksg/none"] for r in again.tasks
    ]
    assert [r.truth for r in result.tasks] == [t.truth for t in chosen]
    ok = result.overall["ksg/none"]
    assert ok.tasks == 6 and ok.errors == 0 and np.isfinite(ok.mae) and ok.seconds > 0
    assert ok.max_units_shift is not None and ok.max_units_shift >= 0
    bad = result.overall["no-such-estimator"]
    assert (
        bad.tasks == 0
        and bad.errors == 6
        and "unknown estimator" in next(iter(result.tasks[0].errors.values()))
    )
    assert set(result.groups) == {t.group for t in chosen}
    from mitool.suite_score import report_markdown

    text = report_markdown(result)
    assert "| gaussian |" in text and "overall MAE" in text and "max units shift" in text
    assert chosen[0].name in text
    payload = result.to_dict()
    assert payload["overall"]["no-such-estimator"]["mae"] is None
    assert len(payload["tasks"]) == 6


def test_cli_suite_json_and_markdown(capsys, monkeypatch):
    from mitool import suite_score
    from mitool.cli import main

    # Four tasks of the split keep the test fast; the split's name is still checked.
    monkeypatch.setattr(suite_score, "tasks", lambda split: suite.tasks(split)[::10])
    argv = ["benchmark", "--suite", "heldout", "--pairs", "ksg/none", "-n", "60", "-j", "1"]
    assert main([*argv, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["split"] == "heldout" and payload["n"] == 60
    assert [t["name"] for t in payload["tasks"]] == [t.name for t in suite.tasks("heldout")[::10]]
    assert payload["overall"]["ksg/none"]["tasks"] == 4
    assert main(argv) == 0
    assert "## MAE by group" in capsys.readouterr().out
    assert main(["benchmark", "--suite", "final"]) == 2
    assert "unknown split" in capsys.readouterr().err
