"""mitool.ties: counting duplicate rows and zero k-th-neighbour radii by hand on tiny arrays,
and the seeded, spread-relative jitter that breaks them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mitool.ties import JITTER, TieStats, _duplicates, break_ties, jitter, tie_stats

# Rows of (X, T) below:       joint row    group of equal joint rows
#   x = 0, t = 5                (0, 5)       2  (rows 0, 1)
#   x = 0, t = 5                (0, 5)       2
#   x = 1, t = 6                (1, 6)       1
#   x = 2, t = 6                (2, 6)       1
# X repeats once (row 1), T twice (rows 1 and 3), the joint rows once (row 1).
XS = np.array([[0.0], [0.0], [1.0], [2.0]])
TS = np.array([[5.0], [5.0], [6.0], [6.0]])


def test_duplicates_counts_rows_equal_to_an_earlier_row_and_group_sizes():
    repeated, group = _duplicates(np.hstack([XS, TS]))
    assert repeated == 1
    assert list(group) == [2, 2, 1, 1]
    # Three copies of one row and a pair: 2 + 1 = 3 repeated rows.
    a = np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 0.0], [1.0, 2.0], [3.0, 0.0]])
    repeated, group = _duplicates(a)
    assert repeated == 3 and list(group) == [3, 3, 2, 3, 2]


def test_rows_sharing_only_their_first_column_are_not_duplicates():
    a = np.array([[0.0, 1.0], [0.0, 2.0], [0.0, 3.0]])
    repeated, group = _duplicates(a)
    assert repeated == 0 and list(group) == [1, 1, 1]


@pytest.mark.parametrize(("k", "zero_radius"), [(1, 2), (2, 0)])
def test_tie_stats_by_hand(k, zero_radius):
    # A row whose group holds g rows has g - 1 others at distance 0: its k-th neighbour is at
    # distance 0 when g - 1 >= k, i.e. g > k. The pair (rows 0, 1) qualifies at k = 1 only.
    stats = tie_stats(XS, TS, k)
    assert stats == TieStats(
        duplicate_rows=1,
        zero_radius=zero_radius,
        x_tied_rows=1,
        t_tied_rows=2,
        jittered=False,
        jitter=0.0,
    )


def test_tie_stats_without_ties_on_one_side_has_no_joint_duplicates():
    t = np.array([[5.0], [6.0], [7.0], [8.0]])
    stats = tie_stats(XS, t, 1)
    assert (stats.duplicate_rows, stats.zero_radius, stats.x_tied_rows, stats.t_tied_rows) == (
        0,
        0,
        1,
        0,
    )


def test_to_dict_lists_every_field():
    d = tie_stats(XS, TS, 1).to_dict()
    assert d == {
        "duplicate_rows": 1,
        "zero_radius": 2,
        "x_tied_rows": 1,
        "t_tied_rows": 2,
        "jittered": False,
        "jitter": 0.0,
    }


def test_jitter_centres_and_adds_noise_relative_to_each_columns_population_sd():
    # Column 0 (1, 3, 5, 7): centred -3, -1, 1, 3, population sd √5.
    # Column 1 constant: centred 0, sd 0, so it stays exactly 0.
    a = np.array([[1.0, 4.0], [3.0, 4.0], [5.0, 4.0], [7.0, 4.0]])
    out = jitter(a, np.random.default_rng(3))
    noise = np.random.default_rng(3).standard_normal(a.shape)
    np.testing.assert_allclose(
        out[:, 0], np.array([-3.0, -1.0, 1.0, 3.0]) + noise[:, 0] * JITTER * math.sqrt(5.0),
        rtol=1e-15, atol=0,
    )  # fmt: skip
    assert np.all(out[:, 1] == 0.0)
    assert JITTER == 1e-10
    # The perturbation is of order 1e-10 x the column's sd, whatever its units.
    scaled = jitter(1e6 * a, np.random.default_rng(3))
    np.testing.assert_allclose(scaled, 1e6 * out, rtol=1e-12)


def test_break_ties_leaves_tie_free_data_untouched():
    x, t = np.array([[0.0], [1.0], [2.0]]), np.array([[3.0], [1.0], [2.0]])
    bx, bt, stats = break_ties(x, t, 1, seed=0)
    assert bx is x and bt is t and not stats.jittered and stats.jitter == 0.0


def test_break_ties_jitters_with_the_seed_and_reports_the_counts_before():
    bx, bt, stats = break_ties(XS, TS, 1, seed=4)
    assert stats.jittered and stats.jitter == JITTER
    assert (stats.duplicate_rows, stats.zero_radius) == (1, 2)  # counted before the jitter
    assert tie_stats(bx, bt, 1).duplicate_rows == 0  # no joint copies left
    assert np.max(np.abs(bx - (XS - 0.75))) < 1e-8  # centred (mean 0.75) plus tiny noise
    again = break_ties(XS, TS, 1, seed=4)
    assert np.array_equal(again[0], bx) and np.array_equal(again[1], bt)
    other = break_ties(XS, TS, 1, seed=5)
    assert not np.array_equal(other[0], bx)
