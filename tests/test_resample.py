"""Intervals and permutation tests (mitool.resample) through the API and on known statistics."""

from __future__ import annotations

import math
import warnings
from functools import partial

import numpy as np
import pytest
from conftest import correlated_gaussians
from scipy import stats

import mitool
from mitool import MitoolError, MitoolWarning
from mitool.resample import (
    _run_task,
    _Task,
    default_subsample_size,
    permutation_test,
    subsample_interval,
    subsample_size,
)
from mitool.search.threads import cores


def mean_of_x(x: np.ndarray, t: np.ndarray, seed: int) -> float:
    """A statistic with a known sampling sd (σ/√n), to check the resampling arithmetic."""
    return float(x[:, 0].mean())


# --- the resampling arithmetic on a statistic with a known answer ------------------------------


def test_subsample_sd_of_a_mean_is_sigma_over_root_n():
    # sd of the mean of n = 4000 draws with sigma = 3 is 3 / sqrt(4000) = 0.0474. The estimate of
    # that sd from B = 400 half-samples has a relative sd of about 1 / sqrt(2 · 200) = 5%, so
    # 15% is three of those: a wrong rescaling (sqrt(m/n) missing, or the plain variance over
    # overlapping subsamples, which is a factor sqrt(2) too small here) fails by 30-40%.
    rng = np.random.default_rng(0)
    x = 3.0 * rng.standard_normal((4000, 1))
    interval = subsample_interval(
        mean_of_x,
        x,
        x,
        float(x.mean()),
        resamples=400,
        level=0.95,
        size=2000,
        seed=np.random.SeedSequence(1),
        jobs=1,
    )
    assert interval.sd == pytest.approx(3 / math.sqrt(4000), rel=0.15)
    assert interval.high - interval.low == pytest.approx(2 * 1.959964 * interval.sd)
    assert interval.resamples == 400 and interval.failed == 0


def test_subsample_size_other_than_half_uses_more_blocks_per_split():
    # m = n/4: four disjoint blocks per shuffle; the same sd (10% as above with B = 800 → 600 dof).
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4000, 1))
    interval = subsample_interval(
        mean_of_x,
        x,
        x,
        float(x.mean()),
        resamples=800,
        level=0.9,
        size=1000,
        seed=np.random.SeedSequence(2),
        jobs=1,
    )
    assert interval.sd == pytest.approx(1 / math.sqrt(4000), rel=0.12)
    assert interval.subsample_size == 1000


def test_default_subsample_size_rule():
    # n/2 up to 4000 rows (the design below large n is unchanged); then 2000 rows, where the
    # rescaling was checked (benchmarks/study_intervals.py --large); from 100,000 rows n/50, so
    # that B = 100 subsamples hold 2n rows: about two point estimates.
    assert [default_subsample_size(n) for n in (30, 1000, 4000, 4001, 10_000)] == [
        15,
        500,
        2000,
        2000,
        2000,
    ]
    assert default_subsample_size(100_000) == 2000
    assert default_subsample_size(1_000_000) == 20_000
    for n in (100_000, 123_457, 1_000_000, 10**7):
        assert 100 * default_subsample_size(n) <= 2 * n
    assert default_subsample_size(10_000, min_rows=3001) == 3001  # enough rows for a large k
    assert subsample_size(1_000_000, None, 5) == 20_000
    assert subsample_size(1_000_000, 500_000, 5) == 500_000  # the user's m is kept
    with pytest.raises(MitoolError, match="too few rows"):
        subsample_size(5000, None, 3000)


def test_small_subsamples_are_rescaled_by_root_m_over_n():
    # n = 100,000 and m = 2000 (the default there): the sd of the mean is 1/sqrt(n) = 0.00316,
    # and the blocks' own sd is sqrt(n/m) = 7.1 times larger. B = 400 gives 392 degrees of
    # freedom (8 splits of 50 blocks), a relative sd of 3.6% on the sd: 12% is 3.3 of them.
    rng = np.random.default_rng(4)
    x = rng.standard_normal((100_000, 1))
    size = default_subsample_size(len(x))
    interval = subsample_interval(
        mean_of_x,
        x,
        x,
        float(x.mean()),
        resamples=400,
        level=0.95,
        size=size,
        seed=np.random.SeedSequence(5),
        jobs=1,
    )
    assert size == 2000 and interval.subsample_size == 2000
    assert interval.sd == pytest.approx(1 / math.sqrt(len(x)), rel=0.12)
    assert interval.resamples == 400


def test_a_split_shared_among_tasks_gives_the_same_blocks_and_seeds():
    # The 50 blocks of one split, estimated by one task or by several (as the workers share
    # them), give the same values in the same order: the output cannot depend on --jobs.
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1000, 1))
    seed = np.random.SeedSequence(8)

    def first_row_and_seed(a, b, s):  # which rows and which estimator seed each block got
        return float(a[0, 0]) + (s % 1000) * 1e-3

    whole = _run_task(first_row_and_seed, x, x, _Task("split", seed, 20, 50))
    parts = [
        _run_task(first_row_and_seed, x, x, _Task("split", seed, 20, c, f))
        for f, c in ((0, 7), (7, 7), (14, 36))
    ]
    assert len(set(whole)) == 50
    np.testing.assert_array_equal(whole, np.concatenate(parts))


def test_large_n_default_interval_rescales_small_subsamples():
    # n = 20,000, 1-D Gaussians (rho = 0.6): auto's default interval uses m = 2000 rows, and
    # its sd is the estimator's: sd · sqrt(n) measured 0.76 over 200 datasets at this n
    # (0.75 at m = 2000; benchmarks/study_intervals.py --large). With B = 12 the estimated sd
    # is uncertain by about 21%, so the band 0.5-1.6 holds it, while an sd left unrescaled
    # (sqrt(n/m) = 3.2 times too wide) or rescaled as if m were n/2 (2.2 times too narrow)
    # falls outside.
    x, t, _ = correlated_gaussians(20_000, 1, 0.6, seed=12)
    r = mitool.estimate(x, t, resamples=12, seed=3, jobs=1)
    assert r.interval.subsample_size == 2000 and r.interval.resamples == 12
    assert 0.5 < r.interval.sd * math.sqrt(20_000) / 0.76 < 1.6


def threads_of_search(x: np.ndarray, t: np.ndarray, seed: int) -> float:
    from mitool.parallel import search_threads

    return float(search_threads())


def test_small_subsamples_search_on_one_thread():
    # A 2000-row replicate searching on every core of a loaded machine cost 5x one thread: the
    # replicates share the cores instead. Larger subsamples keep the threads they were given.
    from mitool.parallel import limit_threads
    from mitool.resample import ONE_THREAD_ROWS

    x = np.zeros((2 * ONE_THREAD_ROWS + 2, 1))
    seed = np.random.SeedSequence(1)
    with limit_threads(4):
        small = _run_task(threads_of_search, x, x, _Task("split", seed, ONE_THREAD_ROWS, 2))
        large = _run_task(threads_of_search, x, x, _Task("split", seed, ONE_THREAD_ROWS + 1, 2))
    assert list(small) == [1.0, 1.0] and list(large) == [4.0, 4.0]


def test_permutation_p_value_formula():
    # Strong dependence: no shuffle reaches the observed value, so p = 1 / (1 + P) exactly.
    x, t, _ = correlated_gaussians(500, 1, 0.9, seed=0)
    point = partial(mitool.api.point_value, estimator="ksg", norm="none", k=3, grid=(1.0,))
    observed = point(x, t, 0)
    test = permutation_test(
        point, x, t, observed, permutations=19, seed=np.random.SeedSequence(0), jobs=1
    )
    assert test.p_value == pytest.approx(1 / 20)
    assert test.corrected == pytest.approx(observed - test.null_mean)
    assert abs(test.null_mean) < 0.05  # KSG under independence is near 0 (bias < 0.05 at n=500)


# --- through the API ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pair():
    return correlated_gaussians(1000, 2, 0.6, seed=5)


@pytest.mark.parametrize("norm", ("none", "local", "global-linf"))
def test_interval_brackets_the_estimate(pair, norm):
    x, t, _ = pair
    r = mitool.estimate(x, t, estimator="ksg", norm=norm, resamples=20)
    # The default level is 95%: the interval is value +- 1.96 sd (a default of 90% or a
    # one-sided z would fail).
    assert r.ci_high - r.ci_low == pytest.approx(2 * 1.959964 * r.interval.sd)
    assert r.value == pytest.approx((r.ci_high + r.ci_low) / 2)
    assert r.interval.method == "subsample" and r.interval.subsample_size == 500
    # KSG's sd at n = 1000 for this pair is about 0.03 nats; an interval 10x off is a bug.
    assert 0.03 < r.ci_high - r.ci_low < 0.4


def test_interval_is_identical_for_any_number_of_jobs(pair):
    x, t, _ = pair
    one = mitool.estimate(x, t, estimator="ksg", resamples=6, permutations=4, jobs=1, seed=7)
    two = mitool.estimate(x, t, estimator="ksg", resamples=6, permutations=4, jobs=2, seed=7)
    assert one.interval == two.interval and one.null == two.null


@pytest.mark.skipif(cores() < 2, reason="one core runs one job")
def test_interval_on_threads_equals_the_one_in_order(pair, monkeypatch):
    # jobs=None runs the replicates of a small job in this process, on threads when the
    # estimator allows it: the values must be those of jobs=1, one after the other.
    import mitool.parallel

    x, t, _ = pair
    used: list[bool] = []
    real = mitool.parallel._in_threads

    def spy(*args, **kwargs):
        used.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(mitool.parallel, "_in_threads", spy)
    monkeypatch.setattr(mitool.parallel, "concurrent_calls_safe", lambda: True)
    kw = {"estimator": "ksg", "resamples": 40, "permutations": 9, "seed": 5}
    threaded = mitool.estimate(x, t, jobs=None, **kw)
    assert used  # the threads ran (2 cores or more; below that there is one job)
    one = mitool.estimate(x, t, jobs=1, **kw)
    assert threaded.interval == one.interval and threaded.null == one.null


def test_seed_changes_the_replicates_and_only_them(pair):
    x, t, _ = pair
    a, b = (
        mitool.estimate(x, t, estimator="ksg", norm="local", resamples=10, seed=s) for s in (1, 2)
    )
    assert a.value == b.value  # no ties here: the point estimate has nothing random
    assert a.interval != b.interval
    again = mitool.estimate(x, t, estimator="ksg", norm="local", resamples=10, seed=1)
    assert again.interval == a.interval


def test_level_sets_the_width(pair):
    x, t, _ = pair
    r90, r99 = (
        mitool.estimate(x, t, estimator="ksg", norm="local", resamples=10, ci=c)
        for c in (0.9, 0.99)
    )
    assert r90.interval.sd == r99.interval.sd
    width = lambda r: r.ci_high - r.ci_low  # noqa: E731
    assert width(r99) / width(r90) == pytest.approx(stats.norm.ppf(0.995) / stats.norm.ppf(0.95))


def test_units_scale_the_interval_and_test(pair):
    x, t, _ = pair
    nats = mitool.estimate(x, t, estimator="ksg", norm="local", resamples=6, permutations=5)
    bits = mitool.estimate(
        x, t, estimator="ksg", norm="local", resamples=6, permutations=5, units="bits"
    )
    assert bits.ci_low == pytest.approx(nats.ci_low / math.log(2))
    assert bits.null.null_mean == pytest.approx(nats.null.null_mean / math.log(2))
    assert bits.p_value == nats.p_value


def test_independent_data_is_not_significant():
    rng = np.random.default_rng(11)
    x, t = rng.standard_normal((500, 1)), rng.standard_normal((500, 1))
    r = mitool.estimate(x, t, estimator="ksg", norm="local", resamples=0, permutations=49)
    assert r.p_value > 0.05  # seed fixed; under the null p is uniform, and here it is not small
    assert r.ci_low is None and r.interval is None


def test_bootstrap_is_labelled_and_its_bias_reported(pair):
    x, t, _ = pair
    with pytest.warns(MitoolWarning, match="prefer --ci-method subsample"):
        r = mitool.estimate(
            x, t, estimator="ksg", norm="local", resamples=10, ci_method="bootstrap"
        )
    assert r.interval.method == "bootstrap" and r.interval.subsample_size is None
    # With-replacement duplicates inflate KSG far beyond the estimate (digest §7.8).
    assert r.interval.replicate_mean > r.value + 0.2


def test_replicates_that_cannot_be_estimated_are_counted():
    # X is constant but for 10 rows: a subsample missing all of them is constant, which under the
    # local norm is an error; such replicates are dropped and counted, not silently zero.
    rng = np.random.default_rng(2)
    x = np.zeros(400)
    x[:3] = 1.0
    t = rng.standard_normal(400)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = mitool.estimate(x, t, estimator="ksg", norm="local", resamples=40)
    assert 0 < r.interval.failed < 40
    assert any("could not be estimated" in str(w.message) for w in caught)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ci": 1.0}, "strictly between 0 and 1"),
        ({"resamples": 1}, "at least 2"),
        ({"resamples": -3}, "at least 2"),
        ({"ci_method": "jackknife"}, "unknown interval method"),
        ({"permutations": -1}, "permutations"),
        ({"subsample": 600}, r"between 5 .*n/2 = 500"),
        ({"subsample": 4}, r"between 5 .*n/2 = 500"),
        ({"jobs": 0}, "--jobs"),
    ],
)
def test_bad_resampling_options(pair, kwargs, message):
    x, t, _ = pair
    with pytest.raises(MitoolError, match=message):
        mitool.estimate(x, t, estimator="ksg", **kwargs)


def test_too_few_rows_to_subsample():
    """Half of 40 rows cannot hold k + 2 = 27; below 30 rows no interval is tried at all."""
    x, t, _ = correlated_gaussians(40, 1, 0.5)
    with pytest.raises(MitoolError, match="too few rows to subsample"):
        mitool.estimate(x, t, estimator="ksg", k=25)
    assert mitool.estimate(x, t, estimator="ksg", k=25, resamples=0).interval is None
    x, t, _ = correlated_gaussians(8, 1, 0.5)
    with pytest.warns(mitool.MitoolWarning, match="no interval"):
        assert mitool.estimate(x, t, estimator="ksg").interval is None


def test_json_fields(pair):
    x, t, _ = pair
    d = mitool.estimate(x, t, estimator="ksg", norm="local", resamples=4, permutations=3).to_dict()
    for key in ("ci_low", "ci_high", "ci_level", "ci_method", "resamples"):
        assert d[key] is not None
    for key in ("p_value", "null_mean", "null_sd", "corrected"):
        assert isinstance(d[key], float)
    assert d["permutations"] == 3 and d["resamples"] == 4
    empty = mitool.estimate(x, t, estimator="ksg", norm="local", resamples=0).to_dict()
    assert empty["ci_low"] is None and empty["p_value"] is None and empty["resamples"] == 0


# --- calibration (slow): a small version of benchmarks/study_intervals.py ----------------------


def _one(seed: int, norm: str) -> tuple[float, float, float]:
    x, t, _ = correlated_gaussians(1000, 2, 0.6, seed=1000 + seed)
    r = mitool.estimate(x, t, estimator="ksg", norm=norm, resamples=40, seed=seed, jobs=1)
    return r.value, r.ci_low, r.ci_high


@pytest.mark.slow
@pytest.mark.parametrize("norm", ("local", "global-linf"))
def test_intervals_are_calibrated(norm):
    # 40 datasets instead of the study's 200, n = 1000 and B = 40 instead of 2000 and 100.
    # Coverage of the mean over 40 datasets has a binomial sd of 3.4 points around 95%, so the
    # band is 85-100% (three sd below). The sd of 40 estimates is itself uncertain by about
    # 1/sqrt(78) = 11%, and B = 40 adds about 5% to the width's noise: width ratio 1 ± 0.35.
    from joblib import Parallel, delayed

    rows = Parallel(n_jobs=-1)(delayed(_one)(s, norm) for s in range(40))
    value, low, high = (np.array(c) for c in zip(*rows, strict=True))
    centre, spread = value.mean(), value.std(ddof=1)
    coverage = np.mean((low <= centre) & (centre <= high))
    ratio = np.mean(high - low) / (2 * 1.96 * spread)
    assert coverage >= 0.85, coverage
    assert 0.65 <= ratio <= 1.35, ratio


def _null_p(seed: int) -> float:
    rng = np.random.default_rng(3000 + seed)
    x, t = rng.standard_normal((300, 2)), rng.standard_normal((300, 2))
    r = mitool.estimate(
        x, t, estimator="ksg", norm="local", resamples=0, permutations=49, seed=seed, jobs=1
    )
    return r.p_value


@pytest.mark.slow
def test_permutation_p_values_are_uniform_under_independence():
    # 60 datasets: KS against the uniform at p > 0.001 (a loose bar for 60 discrete p-values with
    # steps of 0.02), and at most 9 of 60 below 0.05 (binomial(60, 0.05) exceeds 8 with
    # probability 1.2%, so with the seed fixed a failure means the test is miscalibrated).
    from joblib import Parallel, delayed

    p = np.array(Parallel(n_jobs=-1)(delayed(_null_p)(s) for s in range(60)))
    assert stats.kstest(p, "uniform").pvalue > 0.001
    assert np.sum(p < 0.05) <= 9
