"""mitool.resample's arithmetic on statistics whose replicate values are known by hand: the
subsample size, the small-n policy, the pooled within-split sd rescaled by sqrt(m/n), the
normal interval, widening and units, and the permutation p-value (1 + #{null >= value})/(P + 1).

Every point function here is deterministic in the rows it is given (or records what it
returned), and jobs=1 runs the replicates in this process, in order.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mitool.errors import MitoolError
from mitool.resample import (
    MIN_INTERVAL_ROWS,
    WIDEN,
    WIDEN_BELOW_ROWS,
    Interval,
    NullTest,
    bootstrap_interval,
    permutation_test,
    small_sample_policy,
    subsample_interval,
    subsample_size,
)

Z95 = 1.959963984540054  # Φ⁻¹(0.975)
Z90 = 1.6448536269514722  # Φ⁻¹(0.95)


def column_sum(x: np.ndarray, t: np.ndarray, seed: int) -> float:
    return float(x[:, 0].sum())


def in_original_order(x: np.ndarray, t: np.ndarray, seed: int) -> float:
    """1 when T's rows are in their original order (t = 0, 1, ..., n - 1), else 0."""
    return float(np.array_equal(t[:, 0], np.arange(len(t))))


RECORDED: list[float] = []


def first_t_recorded(x: np.ndarray, t: np.ndarray, seed: int) -> float:
    value = float(t[0, 0])
    RECORDED.append(value)
    return value


def fails_on_odd_first_row(x: np.ndarray, t: np.ndarray, seed: int) -> float:
    if int(t[0, 0]) % 2:
        RECORDED.append(math.nan)
        raise MitoolError("a replicate that cannot be estimated")
    RECORDED.append(float(t[0, 0]))
    return float(t[0, 0])


def mean_of_rows(x: np.ndarray, t: np.ndarray, seed: int) -> float:
    value = float(x[:, 0].mean())
    RECORDED.append(value)
    return value


# --- sizes and the small-sample policy ---------------------------------------------------------


def test_subsample_size_defaults_to_half_and_must_fit_twice():
    assert subsample_size(10, None, 5) == 5
    assert subsample_size(11, None, 5) == 5  # n // 2
    assert subsample_size(100, 7, 5) == 7
    with pytest.raises(MitoolError, match=r"between 3 .* n/2 = 5 .*got 6$"):
        subsample_size(10, 6, 3)
    with pytest.raises(MitoolError, match=r"got 2$"):
        subsample_size(10, 2, 3)
    with pytest.raises(MitoolError, match="too few rows to subsample"):
        subsample_size(8, None, 5)  # n // 2 = 4 < 5


@pytest.mark.parametrize(
    ("n", "policy"),
    [(2, (False, 1.0)), (29, (False, 1.0)), (30, (True, 1.5)), (99, (True, 1.5)),
     (100, (True, 1.0)), (10**6, (True, 1.0))],
)  # fmt: skip
def test_small_sample_policy_boundaries(n, policy):
    assert (MIN_INTERVAL_ROWS, WIDEN_BELOW_ROWS, WIDEN) == (30, 100, 1.5)
    assert small_sample_policy(n) == policy


# --- interval arithmetic -----------------------------------------------------------------------


def test_interval_scaled_multiplies_every_value_but_not_the_counts():
    i = Interval(0.5, 1.5, 0.9, "subsample", 40, 50, 0.25, 0.75, failed=1)
    s = i.scaled(2.0)
    assert (s.low, s.high, s.sd, s.replicate_mean) == (1.0, 3.0, 0.5, 1.5)
    assert (s.level, s.method, s.resamples, s.subsample_size, s.failed) == (
        0.9, "subsample", 40, 50, 1,
    )  # fmt: skip


def test_interval_widen_multiplies_each_half_width_around_the_value():
    # Around 1.0: half-widths 0.2 below and 0.3 above become 0.3 and 0.45.
    i = Interval(0.8, 1.3, 0.95, "subsample", 10, 5, 0.1, 1.0)
    w = i.widen(1.0, 1.5)
    assert w.low == pytest.approx(0.7, abs=1e-15) and w.high == pytest.approx(1.45, abs=1e-15)
    assert w.sd == pytest.approx(0.15, abs=1e-15) and w.widened == 1.5
    assert w.widen(1.0, 1.5).widened == 2.25


def test_null_test_scaled_keeps_the_p_value():
    t = NullTest(0.05, 0.2, 0.1, 0.4, 19, failed=1).scaled(0.5)
    assert t == NullTest(0.05, 0.1, 0.05, 0.2, 19, failed=1)


# --- the subsample interval on replicates known by hand ---------------------------------------


def test_subsample_sd_is_the_pooled_within_split_sd_times_root_m_over_n():
    # x = (0, 0, 0, 1), m = 2: every split cuts the rows into two halves, one holding the 1, so
    # each split gives the column sums {1, 0}: within-split sum of squares (1/2)² + (1/2)² = 1/2
    # on 1 degree of freedom. 6 replicates = 3 splits: pooled variance (3 · 1/2) / 3 = 1/2.
    # sd(Î_n) = sqrt(1/2 · m/n) = sqrt(1/2 · 2/4) = 1/2 (without sqrt(m/n): 0.707).
    x = np.array([[0.0], [0.0], [0.0], [1.0]])
    i = subsample_interval(
        column_sum, x, x, 0.9, resamples=6, level=0.95, size=2,
        seed=np.random.SeedSequence(0), jobs=1,
    )  # fmt: skip
    assert i.sd == pytest.approx(0.5, rel=1e-15)
    assert i.low == pytest.approx(0.9 - Z95 * 0.5, rel=1e-15)
    assert i.high == pytest.approx(0.9 + Z95 * 0.5, rel=1e-15)
    assert i.replicate_mean == 0.5 and (i.resamples, i.failed, i.subsample_size) == (6, 0, 2)
    assert (i.method, i.level, i.widened) == ("subsample", 0.95, 1.0)


def test_subsample_sd_with_three_blocks_per_split():
    # x = (1, 0, 0, 0, 0, 0), m = 2: three blocks per split with sums {1, 0, 0}: mean 1/3, sum
    # of squares (2/3)² + 2 (1/3)² = 2/3 on 2 degrees of freedom, variance 1/3.
    # sd = sqrt(1/3 · 2/6) = 1/3; the 90% interval is ± Φ⁻¹(0.95) / 3.
    x = np.array([[1.0], [0.0], [0.0], [0.0], [0.0], [0.0]])
    i = subsample_interval(
        column_sum, x, x, 0.0, resamples=6, level=0.9, size=2,
        seed=np.random.SeedSequence(1), jobs=1,
    )  # fmt: skip
    assert i.sd == pytest.approx(1 / 3, rel=1e-15)
    assert i.high == pytest.approx(Z90 / 3, rel=1e-15) and i.low == pytest.approx(-Z90 / 3)
    assert i.replicate_mean == pytest.approx(1 / 3, rel=1e-15)


def test_a_split_with_one_value_adds_no_degree_of_freedom():
    # 5 replicates with 2 per split: splits of 2, 2 and 1; the last adds nothing to the pooled
    # variance, which stays 1/2 (the sd stays 1/2), but its value counts in replicate_mean.
    x = np.array([[0.0], [0.0], [0.0], [1.0]])
    i = subsample_interval(
        column_sum, x, x, 0.0, resamples=5, level=0.95, size=2,
        seed=np.random.SeedSequence(2), jobs=1,
    )  # fmt: skip
    assert i.sd == pytest.approx(0.5, rel=1e-15) and i.resamples == 5
    assert i.replicate_mean in (0.4, 0.6)


def test_subsample_interval_is_none_without_two_values_in_a_split():
    x = np.array([[0.0], [0.0], [0.0], [1.0]])
    RECORDED.clear()
    none = subsample_interval(
        fails_on_odd_first_row, x, np.array([[1.0], [3.0], [5.0], [7.0]]), 0.0, resamples=4,
        level=0.95, size=2, seed=np.random.SeedSequence(3), jobs=1,
    )  # fmt: skip
    assert none is None and len(RECORDED) == 4


# --- bootstrap ---------------------------------------------------------------------------------


def test_bootstrap_sd_is_the_sample_sd_of_the_replicates():
    x = np.array([[0.0], [1.0], [2.0], [6.0]])
    RECORDED.clear()
    i = bootstrap_interval(
        mean_of_rows, x, x, 2.25, resamples=8, level=0.95, seed=np.random.SeedSequence(4),
        jobs=1,
    )  # fmt: skip
    v = RECORDED
    mean = sum(v) / 8
    sd = math.sqrt(sum((a - mean) ** 2 for a in v) / 7)  # divisor B - 1
    assert len(set(v)) > 1 and i.sd == pytest.approx(sd, rel=1e-12)
    assert i.high - 2.25 == pytest.approx(Z95 * sd, rel=1e-12)
    assert (i.method, i.subsample_size, i.resamples) == ("bootstrap", None, 8)


# --- permutation test --------------------------------------------------------------------------


def order(n: int) -> np.ndarray:
    return np.arange(float(n))[:, None]


def test_p_value_floor_is_one_over_p_plus_one():
    # No shuffle of 40 rows is the identity (probability 9/40!), so the 9 null values are 0:
    # #{null >= 1} = 0 and p = (1 + 0) / (9 + 1) = 0.1, never 0.
    t = order(40)
    test = permutation_test(
        in_original_order, t, t, 1.0, permutations=9, seed=np.random.SeedSequence(5), jobs=1
    )
    assert test.p_value == 0.1
    assert (test.null_mean, test.null_sd, test.corrected) == (0.0, 0.0, 1.0)
    assert (test.permutations, test.failed) == (9, 0)


def test_p_value_counts_ties_with_the_observed_value():
    # Observed 0 ties with every null value (all 0): #{null >= 0} = 9, p = 10 / 10 = 1.
    t = order(40)
    test = permutation_test(
        in_original_order, t, t, 0.0, permutations=9, seed=np.random.SeedSequence(5), jobs=1
    )
    assert test.p_value == 1.0 and test.corrected == 0.0


def test_p_value_on_recorded_null_values():
    # The null values are the first row of each shuffled T (0..29): count those >= 15 by hand.
    t = order(30)
    RECORDED.clear()
    test = permutation_test(
        first_t_recorded, t, t, 15.0, permutations=19, seed=np.random.SeedSequence(6), jobs=1
    )
    at_least = sum(1 for v in RECORDED if v >= 15.0)
    assert len(RECORDED) == 19 and 0 < at_least < 19
    assert test.p_value == (1 + at_least) / 20
    mean = sum(RECORDED) / 19
    assert test.null_mean == pytest.approx(mean, rel=1e-12)
    assert test.null_sd == pytest.approx(
        math.sqrt(sum((v - mean) ** 2 for v in RECORDED) / 18), rel=1e-12
    )
    assert test.corrected == pytest.approx(15.0 - mean, rel=1e-12)


def test_failed_permutations_are_dropped_and_counted():
    t = order(30)
    RECORDED.clear()
    test = permutation_test(
        fails_on_odd_first_row, t, t, 10.0, permutations=19, seed=np.random.SeedSequence(7),
        jobs=1,
    )  # fmt: skip
    good = [v for v in RECORDED if not math.isnan(v)]
    assert test.failed == 19 - len(good) > 0 and test.permutations == len(good)
    assert test.p_value == (1 + sum(1 for v in good if v >= 10.0)) / (1 + len(good))
