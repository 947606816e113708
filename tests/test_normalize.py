"""mitool.normalize: Definitions 1-3 of paper 000 (Section 4.1) and the rank norm, pinned by
values computed by hand on a 4 x 2 array (population moments, ddof = 0, after centring).

The expected arrays below are written from hand arithmetic, never from numpy's std or norm of
the same array, so that a change of definition (ddof = 1, the RMS instead of the mean of the
L-inf norms, the mean of the L2 norms instead of their RMS, r/n instead of r/(n + 1)) fails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mitool.errors import InputError
from mitool.normalize import (
    GLOBAL_NORMS,
    NORMALIZERS,
    NORMS,
    average_ranks,
    centre,
    constant_columns,
    global_corrected,
    global_l2,
    global_linf,
    local,
    none,
    normal_scores,
    normalize,
    power_of_two_scale,
    rank,
)

# The tiny array of every test below (rows are samples):
#   column 0: 1, 3, 5, 7   mean 4, deviations -3, -1, 1, 3
#   column 1: 2, 2, 6, 6   mean 4, deviations -2, -2, 2, 2
X = np.array([[1.0, 2.0], [3.0, 2.0], [5.0, 6.0], [7.0, 6.0]])
CENTRED = np.array([[-3.0, -2.0], [-1.0, -2.0], [1.0, 2.0], [3.0, 2.0]])
# Φ⁻¹(p) to 16 digits (tables; statistics.NormalDist gives the same digits).
PHI_INV = {0.2: -0.8416212335729142, 0.3: -0.5244005127080407, 0.4: -0.2533471031357997}


def test_centre_subtracts_each_column_mean():
    assert np.array_equal(centre(X), CENTRED)


def test_centre_makes_a_constant_column_exactly_zero():
    # The computed mean of three copies of 0.1 is 0.1 + 1.4e-17, so a plain subtraction leaves
    # rounding errors that a dividing norm would blow up into noise.
    a = np.array([[0.1, 1.0], [0.1, 2.0], [0.1, 4.0]])
    out = centre(a)
    assert np.all(out[:, 0] == 0.0)
    np.testing.assert_allclose(out[:, 1], [-4 / 3, -1 / 3, 5 / 3], rtol=1e-15)  # mean 7/3


def test_local_is_definition_1_population_sd_per_column():
    # Def. 1: x_i / sqrt(E_S (x_i - E_S x_i)²), ddof = 0.
    #   column 0: mean square of (-3, -1, 1, 3) = (9 + 1 + 1 + 9) / 4 = 5  -> sd √5
    #   column 1: mean square of (-2, -2, 2, 2) = 16 / 4 = 4              -> sd 2
    # (ddof = 1 would give √(20/3) and √(16/3), and column 1 = ±0.866 instead of ±1.)
    root5 = math.sqrt(5.0)
    expected = np.array(
        [[-3 / root5, -1.0], [-1 / root5, -1.0], [1 / root5, 1.0], [3 / root5, 1.0]]
    )
    np.testing.assert_allclose(local(X), expected, rtol=1e-14, atol=0)


def test_local_ignores_shift_and_per_column_units():
    # A shift of 40 on values of size 1e-3 costs about 40 / 1e-3 ulps in the centring: 1e-9.
    moved = X * np.array([1e-3, 250.0]) + np.array([40.0, -7.0])
    np.testing.assert_allclose(local(moved), local(X), rtol=1e-9, atol=1e-9)


def test_local_standardises_columns_at_opposite_ends_of_the_float_range():
    # The power-of-two pre-scaling keeps the squares finite: 1e200 and 1e-200 columns give
    # what the unit columns give.
    np.testing.assert_allclose(
        local(X * np.array([1e200, 1e-200])), local(X), rtol=1e-12, atol=1e-12
    )


def test_local_leaves_a_constant_column_at_zero_and_refuses_an_all_constant_variable():
    a = np.hstack([X[:, :1], np.full((4, 1), 3.0)])
    out = local(a)
    assert np.all(out[:, 1] == 0.0)
    np.testing.assert_allclose(out[:, 0], np.array([-3, -1, 1, 3]) / math.sqrt(5), rtol=1e-14)
    with pytest.raises(InputError, match="zero spread; the 'local' norm"):
        local(np.full((4, 2), 3.0), "X")


def test_global_is_definition_2_root_mean_squared_l2_norm():
    # Def. 2: X / sqrt(E_S ||X - E_S X||_2²); squared norms of the centred rows:
    #   9 + 4 = 13,  1 + 4 = 5,  1 + 4 = 5,  9 + 4 = 13   -> mean 36 / 4 = 9 -> spread 3
    # (= sqrt(5 + 4), the root of the trace of the population covariance). The mean of the L2
    # norms, (2√13 + 2√5) / 4 = 2.921, would not do.
    np.testing.assert_allclose(global_l2(X), CENTRED / 3.0, rtol=1e-15, atol=0)


def test_global_linf_is_definition_3_mean_not_rms_of_the_linf_norms():
    # Def. 3: X / E_S ||X - E_S X||_inf. L-inf norms of the centred rows:
    #   max(3, 2) = 3,  max(1, 2) = 2,  max(1, 2) = 2,  max(3, 2) = 3   -> mean 10 / 4 = 2.5
    # The RMS of the same norms is sqrt(26 / 4) = 2.5495, their maximum 3: both must fail.
    expected = np.array([[-1.2, -0.8], [-0.4, -0.8], [0.4, 0.8], [1.2, 0.8]])
    np.testing.assert_allclose(global_linf(X), expected, rtol=1e-15, atol=0)
    assert np.mean(np.max(np.abs(global_linf(X)), axis=1)) == pytest.approx(1.0, rel=1e-15)


def test_global_corrected_is_root_d_times_definition_2():
    # Table 1, MINE-Global-Corrected: √d · X_Σ with d = 2, so the mean energy per dimension is
    # (13 + 5 + 5 + 13) / 4 / 9 / 2 · 2 = 1.
    np.testing.assert_allclose(global_corrected(X), math.sqrt(2.0) * CENTRED / 3.0, rtol=1e-15)


@pytest.mark.parametrize("fn", (global_l2, global_linf, global_corrected))
def test_global_norms_divide_by_one_scalar_and_ignore_shift_and_scale(fn):
    # One scalar for the whole variable: the ratio of the columns' spreads is kept. (A shift of
    # 11 on values of size 1e-3 costs about 1e4 ulps in the centring: tolerance 1e-10.)
    moved = 1e-3 * X + 11.0
    np.testing.assert_allclose(fn(moved), fn(X), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(("fn", "norm"), [(global_l2, "global"), (global_linf, "global-linf")])
def test_global_norms_refuse_zero_spread(fn, norm):
    with pytest.raises(InputError, match=f"zero spread; the '{norm}' norm"):
        fn(np.full((4, 2), -2.5), "T")


def test_rank_is_normal_scores_of_average_ranks_over_n_plus_one():
    # Column 0 ranks 1, 2, 3, 4 -> Φ⁻¹(r / 5) = Φ⁻¹(0.2, 0.4, 0.6, 0.8).
    # Column 1 ties (2, 2, 6, 6) share ranks 1.5 and 3.5 -> Φ⁻¹(0.3), Φ⁻¹(0.7).
    a, b, c = PHI_INV[0.2], PHI_INV[0.4], PHI_INV[0.3]
    expected = np.array([[a, c], [b, c], [-b, -c], [-a, -c]])
    np.testing.assert_allclose(rank(X), expected, rtol=1e-13, atol=1e-15)


def test_average_ranks_and_normal_scores():
    assert np.array_equal(average_ranks(X), [[1, 1.5], [2, 1.5], [3, 3.5], [4, 3.5]])
    np.testing.assert_allclose(
        normal_scores(np.array([[1.0], [2.0], [3.0], [4.0]]))[:, 0],
        [PHI_INV[0.2], PHI_INV[0.4], -PHI_INV[0.4], -PHI_INV[0.2]],
        rtol=1e-13,
    )


def test_rank_depends_on_the_order_of_each_column_alone():
    monotone = np.column_stack([np.exp(X[:, 0]), -1.0 / X[:, 1]])  # increasing maps
    assert np.array_equal(rank(monotone), rank(X))


def test_rank_keeps_a_constant_column_at_zero_and_refuses_an_all_constant_variable():
    a = np.hstack([X[:, :1], np.full((4, 1), 9.0)])
    assert np.all(rank(a)[:, 1] == 0.0)  # average rank 2.5 -> Φ⁻¹(2.5 / 5) = 0
    with pytest.raises(InputError, match="at least two values"):
        rank(np.full((4, 2), 1.0), "X")


def test_power_of_two_scale():
    # Largest |value| per column: 3 -> 2² = 4; 0.3 -> 2⁻¹ = 0.5; a zero column -> 1. The value
    # over the scale lies in [1/2, 1): frexp's mantissa, so an exact power of two p gives 2p.
    a = np.array([[3.0, -0.3, 0.0], [-1.0, 0.2, 0.0], [2.0, 0.1, 0.0]])
    assert np.array_equal(power_of_two_scale(a), [4.0, 0.5, 1.0])
    assert np.array_equal(power_of_two_scale(np.array([[4.0], [-1.0]])), [8.0])


def test_constant_columns():
    a = np.array([[1.0, 5.0, 0.0], [2.0, 5.0, 0.0], [3.0, 5.0, 0.0]])
    assert list(constant_columns(a)) == [1, 2]
    assert list(constant_columns(X)) == []


def test_registry_and_dispatch():
    assert set(NORMALIZERS) == set(NORMS)
    assert set(GLOBAL_NORMS) == {"global", "global-linf", "global-corrected"}
    assert none(X) is X and normalize(X, "none") is X
    np.testing.assert_array_equal(normalize(X, "global-linf"), global_linf(X))
    np.testing.assert_array_equal(normalize(X, "local"), local(X))
    np.testing.assert_array_equal(normalize(X, "rank"), rank(X))
