"""The Python API against ground truth, the paper's invariances and an independent tool."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest
from conftest import correlated_gaussians
from sklearn.feature_selection import mutual_info_regression

import mitool
from mitool import InputError, MitoolError, MitoolWarning

# These tests are about the point estimate; intervals and permutation tests are tested in
# test_resample.py, so no replicates are drawn here.
estimate = partial(mitool.estimate, resamples=0)

ESTIMATORS = ("ksg", "ksg2", "bi-ksg")
KNN_NORMS = ("none", "local", "global", "global-linf")


# --- ground truth -----------------------------------------------------------------------------
# Tolerances: at n = 2000 the sd of KSG over independent samples is about 0.02-0.03 nats for
# these distributions, and its bias at d <= 2 is below 0.05 (paper-000 digest, section 8), so
# 0.10 is about three sd plus bias; seeds are fixed, so a failure means the estimator changed.


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("norm", KNN_NORMS)
def test_correlated_gaussian_1d(estimator, norm):
    x, t, truth = correlated_gaussians(2000, 1, 0.9, seed=0)
    assert truth == pytest.approx(0.830, abs=1e-3)
    result = estimate(x, t, estimator=estimator, norm=norm)
    assert result.value == pytest.approx(truth, abs=0.10)


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("norm", ("none", "local", "global-linf"))
def test_correlated_gaussian_2d(estimator, norm):
    x, t, truth = correlated_gaussians(2000, 2, 0.8, seed=2)
    assert truth == pytest.approx(1.022, abs=1e-3)
    assert estimate(x, t, estimator=estimator, norm=norm).value == pytest.approx(truth, abs=0.10)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_independence_is_about_zero(estimator):
    # Under independence KSG's sd at n = 2000 is about 0.01; the max over 20 c adds ~+0.01.
    x, t, _ = correlated_gaussians(2000, 2, 0.0, seed=3)
    for norm in ("none", "global-linf"):
        assert abs(estimate(x, t, estimator=estimator, norm=norm).value) < 0.05


def test_additive_gaussian_noise():
    # T = X + eps, sigma = 1/sqrt(2): I = (d/2) ln(1 + 1/sigma^2) = ln 3 for d = 2.
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2000, 2))
    t = x + rng.standard_normal((2000, 2)) / math.sqrt(2)
    assert estimate(x, t, estimator="ksg").value == pytest.approx(math.log(3), abs=0.10)


def test_agrees_with_scikit_learn_on_tie_free_1d_data():
    # scikit-learn's mutual_info_regression is KSG algorithm 1 on unit-variance data with 1e-10
    # noise; on tie-free data the counts are the same, so only that noise separates the two.
    x, t, _ = correlated_gaussians(3000, 1, 0.6, seed=5)
    ours = estimate(x, t, estimator="ksg", norm="local").value
    theirs = mutual_info_regression(x, t[:, 0], n_neighbors=3, random_state=0)[0]
    assert ours == pytest.approx(theirs, abs=1e-6)


def test_bits_are_nats_over_ln2(gauss_pair):
    x, t, _ = gauss_pair
    nats = estimate(x, t, estimator="ksg").value
    assert estimate(x, t, estimator="ksg", units="bits").value == pytest.approx(nats / math.log(2))


def test_ksg_is_symmetric(gauss_pair):
    x, t, _ = gauss_pair
    assert (
        estimate(x, t, estimator="ksg", norm="none").value
        == estimate(t, x, estimator="ksg", norm="none").value
    )


# --- exact invariances (paper 000, Propositions 2 and 3; digest section 6) ---------------------


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("a", [1e-6, 2.0**-7, 3.7, 1e6])
def test_proposition_2_bit_for_bit(estimator, a, gauss_pair):
    x, t, _ = gauss_pair
    base = estimate(x, t, estimator=estimator, norm="none").value
    assert estimate(a * x, a * t, estimator=estimator, norm="none").value == base


@pytest.mark.parametrize("eta", [1e-6, 1e6])
def test_proposition_3_one_sided_scale(eta, gauss_pair):
    """Plain KSG (algorithm 1) collapses to 0 when one side is rescaled; normalised KSG doesn't."""
    x, t, _ = gauss_pair
    assert abs(estimate(x, eta * t, estimator="ksg", norm="none").value) < 0.01
    for norm in ("local", "global-linf"):
        base = estimate(x, t, estimator="ksg", norm=norm).value
        assert estimate(x, eta * t, estimator="ksg", norm=norm).value == pytest.approx(
            base, abs=1e-9
        )


@pytest.mark.parametrize("norm", ("global", "global-linf", "local"))
def test_separate_scalings_and_shifts(norm, gauss_pair):
    x, t, _ = gauss_pair
    base = estimate(x, t, estimator="ksg", norm=norm).value
    moved = estimate(0.01 * x + 5.0, 300.0 * t - 2.0, estimator="ksg", norm=norm).value
    assert moved == pytest.approx(base, abs=1e-9)


@pytest.mark.parametrize("norm", ("none", "local", "global-linf"))
def test_duplicated_x_leaves_estimate_unchanged(norm, gauss_pair):
    x, t, _ = gauss_pair
    base = estimate(x, t, estimator="ksg", norm=norm).value
    assert estimate(np.hstack([x] * 5), t, estimator="ksg", norm=norm).value == pytest.approx(
        base, abs=1e-9
    )


def test_global_norm_reports_scale_and_curve(gauss_pair):
    x, t, _ = gauss_pair
    result = estimate(x, t, estimator="ksg", norm="global-linf", full_curve=True)
    cs = [p.c for p in result.curve]
    assert cs == list(mitool.DEFAULT_SCALES) and len(cs) == 20
    best = max(result.curve, key=lambda p: p.value)
    assert (result.scale, result.value) == (best.c, best.value)
    for c in (0.1, 1.0, 2.0):
        at_c = estimate(x, t, estimator="ksg", norm="global-linf", scales=[c]).value
        assert at_c == next(p.value for p in result.curve if p.c == c)


@pytest.mark.parametrize("estimator", ("ksg", "bi-ksg"))
@pytest.mark.parametrize(("d", "rho"), [(1, 0.3), (1, 0.9), (3, 0.6), (5, 0.0)])
def test_pruned_sweep_finds_the_same_maximum(estimator, d, rho):
    """Skipping c values by the monotone-count bound never changes the maximum or c*."""
    x, t, _ = correlated_gaussians(800, d, rho, seed=d)
    full = estimate(x, t, estimator=estimator, full_curve=True)
    fast = estimate(x, t, estimator=estimator)
    assert (fast.value, fast.scale) == (full.value, full.scale)
    for f, p in zip(full.curve, fast.curve, strict=True):
        assert f.value <= p.upper_bound + 1e-12
        assert p.value is None or p.value == f.value


def test_local_norm_is_ksg_of_standardised_data(gauss_pair):
    x, t, _ = gauss_pair
    z = lambda a: (a - a.mean(0)) / a.std(0)  # noqa: E731
    assert estimate(x, t, estimator="ksg", norm="local").value == pytest.approx(
        estimate(z(x), z(t), estimator="ksg", norm="none").value, abs=1e-9
    )


# --- ties, duplicates and constant columns -----------------------------------------------------


@pytest.mark.slow  # about 10 s: with the statistical suites
def test_one_hot_categories_give_log_16():
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 16, 5000)
    onehot = np.eye(16)[labels]
    with pytest.warns(MitoolWarning, match="rows repeated"):
        result = estimate(onehot, onehot.copy(), estimator="ksg", seed=1)
    assert result.ties.jittered and result.ties.zero_radius > 0
    assert result.value == pytest.approx(math.log(16), abs=0.1)
    # The jitter is seeded: the same seed gives the same number, another seed a close one.
    same = [
        estimate(onehot, onehot.copy(), estimator="ksg", norm="none", seed=s).value
        for s in (1, 1, 2)
    ]
    assert same[0] == same[1] and same[2] == pytest.approx(same[0], abs=0.05)


def test_tie_free_data_is_not_jittered(gauss_pair):
    x, t, _ = gauss_pair
    ties = estimate(x, t, estimator="ksg").ties
    assert (ties.duplicate_rows, ties.zero_radius, ties.jittered) == (0, 0, False)


def test_constant_x_gives_zero_with_a_warning():
    # scikit-learn issue #30772: a constant feature gave a huge, n-dependent value.
    t = np.random.default_rng(8).standard_normal(4000)
    with pytest.warns(MitoolWarning, match="constant"):
        result = estimate(np.ones(4000), t, estimator="ksg", norm="none")
    assert result.value == 0.0


def test_constant_column_beside_others_is_harmless(gauss_pair):
    x, t, _ = gauss_pair
    with_const = np.hstack([x, np.full((len(x), 1), 3.0)])
    for norm in ("none", "local", "global-linf"):
        with pytest.warns(MitoolWarning, match="constant"):
            value = estimate(with_const, t, estimator="ksg", norm=norm).value
        assert value == pytest.approx(estimate(x, t, estimator="ksg", norm=norm).value, abs=1e-9)


def test_discrete_x_with_continuous_t_is_finite():
    rng = np.random.default_rng(9)
    x = rng.integers(0, 4, 3000).astype(float)
    t = x + rng.standard_normal(3000)
    value = estimate(x, t, estimator="ksg").value
    assert np.isfinite(value) and value > 0.3


# --- validation --------------------------------------------------------------------------------


def test_zero_spread_under_a_dividing_norm_is_an_error():
    t = np.random.default_rng(0).standard_normal(100)
    for norm in ("local", "global", "global-linf"):
        with pytest.raises(InputError, match="zero spread"):
            estimate(np.ones(100), t, estimator="ksg", norm=norm)


def test_nan_is_an_error_unless_dropped(gauss_pair):
    x, t, _ = gauss_pair
    x = x.copy()
    x[[3, 10], 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        estimate(x, t, estimator="ksg")
    with pytest.warns(MitoolWarning, match="dropped 2"):
        result = estimate(x, t, estimator="ksg", drop_nan=True)
    assert result.n == len(t) - 2 and result.dropped_rows == 2


@pytest.mark.parametrize(
    ("x", "t", "kwargs", "match"),
    [
        (np.zeros((10, 1)), np.zeros((11, 1)), {}, "row counts differ"),
        (np.arange(3.0), np.arange(3.0), {"k": 3}, "at least 4"),
        (np.zeros((4, 2, 2)), np.zeros(4), {}, "3 dimensions"),
        (np.array(["a", "b", "c", "d"]), np.arange(4.0), {}, "not numeric"),
    ],
)
def test_bad_arrays(x, t, kwargs, match):
    with pytest.raises(InputError, match=match):
        estimate(x, t, estimator="ksg", **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"estimator": "nope"},
        {"norm": "global-corrected"},
        {"units": "hartleys"},
        {"scales": [0.5, -1.0]},
    ],
)
def test_bad_options(kwargs, gauss_pair):
    x, t, _ = gauss_pair
    with pytest.raises(MitoolError):
        estimate(x, t, **{"estimator": "ksg", **kwargs})
