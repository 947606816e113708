"""The compiled one-pass sweep (mitool.search.rank_grid) against brute force at every c."""

from __future__ import annotations

import numpy as np
import pytest

from mitool.estimators.ksg import ksg1
from mitool.search import compiled, sorted1d
from mitool.search.plan import SearchPlan
from mitool.search.rank_grid import CAPACITY, sweep_counts_1d

pytestmark = pytest.mark.skipif(not compiled.available(), reason="needs numba")


def _plan(x, t, path):
    return SearchPlan.for_pair(x, t, path)


SCALES = tuple(np.round(np.linspace(0.1, 2.0, 20), 10))


def brute_counts(x, t, c, k, strict):
    """nx, nt of KSG on (x, c·t), by explicit pairwise distances on the scaled array."""
    ct = c * t
    dx = np.abs(x - x.T)
    dt = np.abs(ct - ct.T)
    dz = np.maximum(dx, dt)
    np.fill_diagonal(dz, np.inf)
    eps = np.sort(dz, axis=1)[:, k - 1][:, None]
    if strict:
        return (dx < eps).sum(axis=1), (dt < eps).sum(axis=1)
    return (dx <= eps).sum(axis=1), (dt <= eps).sum(axis=1)


def _data(kind, n, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 1))
    t = 0.8 * x + 0.6 * rng.standard_normal((n, 1))
    if kind == "ties":  # exact ties and duplicate points
        x, t = np.round(x, 1), np.round(t, 1)
    elif kind == "heavy":
        x, t = x**3, rng.standard_cauchy((n, 1))
    elif kind == "offset":  # far from the origin: rounding of c·t and x ± U matters
        x, t = 1e6 + x, -3e5 + 1e-3 * t
    elif kind == "tiny":
        x, t = 1e-9 * x, 1e-9 * t
    elif kind == "thin":  # one nearly constant column: a long thin grid
        t = 1e-11 * t
    elif kind == "lognormal":  # nearly all the mass in a corner of the bounding box
        x, t = np.exp(2 * x), np.exp(2 * t)
    return x, t


@pytest.mark.parametrize("kind", ["gauss", "ties", "heavy", "offset", "tiny", "thin", "lognormal"])
@pytest.mark.parametrize("k", [1, 3, 6])
@pytest.mark.parametrize("strict", [True, False])
def test_counts_equal_brute_force_at_every_scale(kind, k, strict):
    x, t = _data(kind, 500, seed=k)
    scales = (0.1, 0.13, 0.5, 1.0, 1.0001, 1.9, 2.0, 7.5, 0.01)  # unsorted, with a jump
    got = sweep_counts_1d(x, t, scales, k, strict=strict)
    assert got is not None  # rank cells take heavy tails and clumps
    for m, c in enumerate(scales):
        nx, nt = brute_counts(x, t, c, k, strict)
        np.testing.assert_array_equal(got[0][m], nx, err_msg=f"nx at c={c}")
        np.testing.assert_array_equal(got[1][m], nt, err_msg=f"nt at c={c}")


def test_threads_do_not_change_counts():
    x, t = _data("gauss", 3000, seed=1)
    one = sweep_counts_1d(x, t, SCALES, 3, strict=True, threads=1)
    all_cores = sweep_counts_1d(x, t, SCALES, 3, strict=True, threads=-1)
    np.testing.assert_array_equal(one[0], all_cores[0])
    np.testing.assert_array_equal(one[1], all_cores[1])


@pytest.mark.parametrize("kind", ["gauss", "ties", "offset", "heavy", "lognormal"])
def test_curve_identical_to_evaluating_each_scale(kind):
    """The one-pass curve equals the tree path's exhaustive c-by-c curve, bit for bit."""
    x, t = _data(kind, 4000, seed=7)
    fused = ksg1(x, t, SCALES, 3)
    each = ksg1(x, t, SCALES, 3, exhaustive=True, plan=_plan(x, t, "tree"))
    np.testing.assert_array_equal(fused.values, each.values)
    assert not np.isnan(fused.values).any()


@pytest.mark.parametrize("kind", ["gauss", "ties", "offset"])
@pytest.mark.parametrize("dims", [(2, 3), (4, 4), (8, 9)])
def test_kdtree_sweep_identical_to_evaluating_each_scale(kind, dims):
    """Several dimensions: one kd-tree per space, searched at every c with T scaled on the fly
    and seeded by the neighbours of the previous c, gives the scipy/scikit-learn trees' curve
    evaluated c by c, bit for bit. (8, 9): a joint space where one KSG would take all pairs,
    and marginals counted on the slab index."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((1500, dims[0]))
    t = 0.6 * x[:, :1] + rng.standard_normal((1500, dims[1]))
    if kind == "ties":
        x, t = np.round(x, 1), np.round(t, 1)
    elif kind == "offset":
        x, t = 1e6 + x, -3e5 + 1e-3 * t
    fast = ksg1(x, t, SCALES, 3, exhaustive=True, plan=_plan(x, t, "numba"))
    pruned = ksg1(x, t, SCALES, 3, plan=_plan(x, t, "numba"))
    each = ksg1(x, t, SCALES, 3, exhaustive=True, plan=_plan(x, t, "tree"))
    np.testing.assert_array_equal(fast.values, each.values)
    assert pruned.best == each.best
    assert np.nanmax(pruned.values) == np.max(each.values)


def test_points_with_too_many_candidates_are_searched_c_by_c():
    """Outliers see most of the sample within their k-th neighbour distance: their candidate
    rectangle overflows CAPACITY and they take the c-by-c rectangle search, still exactly."""
    x, t = _data("gauss", 1500, seed=4)
    x[:3, 0], t[:3, 0] = (9.0, -8.0, 7.5), (9.0, 8.5, -7.0)
    scales = (0.1, 0.5, 1.0, 2.0)
    a, b = x[:, 0], t[:, 0]
    box = (np.abs(a - a[0]) <= 10) & (np.abs(b - b[0]) <= 10)
    assert box.sum() > CAPACITY  # the first outlier's rectangle overflows
    got = sweep_counts_1d(x, t, scales, 3, strict=True)
    assert got is not None
    for m, c in enumerate(scales):
        nx, nt = brute_counts(x, t, c, 3, True)
        np.testing.assert_array_equal(got[0][m], nx)
        np.testing.assert_array_equal(got[1][m], nt)


@pytest.mark.parametrize("kind", ["clumped", "constant"])
def test_clumped_or_flat_data_give_the_per_scale_curve(kind):
    """A clump holding 90% of the mass (rank cells are filled evenly all the same), and a
    constant T, where the sweep evaluates c by c: the same curve either way."""
    rng = np.random.default_rng(2)
    x = np.concatenate([1e-6 * rng.standard_normal(900), 100 * rng.standard_normal(100)])[:, None]
    t = x + rng.standard_normal((1000, 1)) if kind == "clumped" else np.zeros((1000, 1))
    if kind == "constant":
        assert sweep_counts_1d(x, t, SCALES, 3, strict=True) is None
    fast = ksg1(x, t, SCALES, 3, exhaustive=True)
    each = ksg1(x, t, SCALES, 3, exhaustive=True, plan=_plan(x, t, "tree"))
    np.testing.assert_array_equal(fast.values, each.values)


@pytest.mark.parametrize("kind", ["gauss", "ties", "offset"])
def test_windowed_edges_equal_the_walked_edges_from_any_hint(kind):
    """The branch-free window from a hint finds the same edge as the walk, from every hint
    (far, near, at either end), for both sides, including radii that hold only the point
    itself and radii that reach the end of the array."""
    s = np.sort(_data(kind, 60, seed=3)[1][:, 0])
    for c in (0.1, 1.0, 1.7):
        for p in (0, 1, 7, 30, 52, 59):
            ci = c * s[p]
            for r in (0.0, 1e-9, 0.05, 0.3, 2.0, 1e7):
                for hint in range(p + 1, len(s) + 1):
                    want = sorted1d.right_edge_from(s, c, ci, r, p, hint)
                    assert sorted1d.right_edge_near(s, c, ci, r, p, hint) == want
                for hint in range(0, p + 1):
                    want = sorted1d.left_edge_from(s, c, ci, r, p, hint)
                    assert sorted1d.left_edge_near(s, c, ci, r, p, hint) == want
