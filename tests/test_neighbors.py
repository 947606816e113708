"""Neighbour counts of every path against an O(n²) brute-force reference written here."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import digamma

from mitool.estimators.bi_ksg import bi_ksg, bi_ksg_l2, log_unit_ball_volume
from mitool.estimators.ksg import ksg1, ksg2
from mitool.search.counters import SlabCounter, build_counter
from mitool.search.joint import kth_neighbor
from mitool.search.plan import SearchPlan


def _plan(path: str = "auto") -> SearchPlan:
    """A plan asking for ``path``: searches take their path from their own array's shape."""
    return SearchPlan.decide(0, 1, 1, path=path)


def _dist(a: np.ndarray, metric: str) -> np.ndarray:
    diff = np.abs(a[:, None, :] - a[None, :, :])
    return diff.max(axis=2) if metric == "chebyshev" else np.sqrt((diff**2).sum(axis=2))


def brute_ksg(x, t, k, algorithm):
    """Kraskov et al. (2004) algorithms 1 and 2, and BI-KSG (``bi``: L2, ``bi-max``: max-norm),
    by explicit pairwise distances."""
    n = len(x)
    metric = "euclidean" if algorithm == "bi" else "chebyshev"
    dx, dt = _dist(x, metric), _dist(t, metric)
    dz = np.maximum(dx, dt) if metric == "chebyshev" else _dist(np.hstack([x, t]), metric)
    np.fill_diagonal(dz, np.inf)
    nbrs = np.argsort(dz, axis=1, kind="stable")[:, :k]
    eps = np.take_along_axis(dz, nbrs[:, -1:], axis=1)[:, 0]
    np.fill_diagonal(dx, np.inf)
    np.fill_diagonal(dt, np.inf)
    if algorithm == 1:
        nx = (dx < eps[:, None]).sum(axis=1)
        nt = (dt < eps[:, None]).sum(axis=1)
        value = digamma(k) + digamma(n) - np.mean(digamma(nx + 1) + digamma(nt + 1))
    elif algorithm == 2:
        ex = np.take_along_axis(dx, nbrs, axis=1).max(axis=1)
        et = np.take_along_axis(dt, nbrs, axis=1).max(axis=1)
        nx = (dx <= ex[:, None]).sum(axis=1)
        nt = (dt <= et[:, None]).sum(axis=1)
        value = digamma(k) - 1 / k + digamma(n) - np.mean(digamma(nx) + digamma(nt))
    elif algorithm == "bi-max":  # the cube volumes cancel
        nx = (dx <= eps[:, None]).sum(axis=1)
        nt = (dt <= eps[:, None]).sum(axis=1)
        value = digamma(k) + np.log(n) - np.mean(np.log(nx) + np.log(nt))
    else:
        nx = (dx <= eps[:, None]).sum(axis=1)
        nt = (dt <= eps[:, None]).sum(axis=1)
        d_x, d_t = x.shape[1], t.shape[1]
        vol = log_unit_ball_volume(d_x) + log_unit_ball_volume(d_t)
        vol -= log_unit_ball_volume(d_x + d_t)
        value = digamma(k) + np.log(n) + vol - np.mean(np.log(nx) + np.log(nt))
    return eps, nx, nt, value


def _pair(n, d_x, d_t, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d_x))
    t = 0.5 * x[:, :1] + rng.standard_normal((n, d_t))
    return x, t


@pytest.mark.parametrize("metric", ["chebyshev", "euclidean"])
@pytest.mark.parametrize("k", [1, 3, 7])
@pytest.mark.parametrize("dims", [(1, 1), (2, 3)])
def test_kth_neighbor_and_counts_match_brute_force(metric, k, dims):
    x, t = _pair(300, *dims, seed=k)
    z = np.hstack([x, t])
    dz = _dist(z, metric)
    np.fill_diagonal(dz, np.inf)
    eps, _ = kth_neighbor(z, k, _plan(), metric)
    np.testing.assert_array_equal(eps, np.sort(dz, axis=1)[:, k - 1])
    for a in (x, t):
        da = _dist(a, metric)
        counter = build_counter(a, _plan(), metric)
        strict = counter.count(eps, strict=True)
        loose = counter.count(eps, strict=False)
        np.testing.assert_array_equal(strict, (da < eps[:, None]).sum(axis=1))
        np.testing.assert_array_equal(loose, (da <= eps[:, None]).sum(axis=1))


def test_sorted_counts_exact_at_the_boundary():
    """Radii equal to an existing distance: the 1-D path must agree with the subtraction."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((500, 1)) * 1e3 + 1e4
    j = rng.integers(0, 500, 500)
    radius = np.abs(x[j, 0] - x[:, 0])  # every radius is exactly some pair's distance
    counter = build_counter(x, _plan())
    d = np.abs(x - x.T)
    np.testing.assert_array_equal(
        counter.count(radius, strict=True), (d < radius[:, None]).sum(axis=1)
    )
    np.testing.assert_array_equal(
        counter.count(radius, strict=False), (d <= radius[:, None]).sum(axis=1)
    )


def test_scaled_counter_equals_rebuilt():
    x, _ = _pair(400, 1, 1, seed=5)
    radius = np.abs(np.random.default_rng(6).standard_normal(400))
    for c in (0.1, 0.7, 1.3, 2.0):
        scaled = build_counter(x, _plan()).scaled(c)
        rebuilt = build_counter(c * x, _plan())
        np.testing.assert_array_equal(
            scaled.count(radius, strict=True), rebuilt.count(radius, strict=True)
        )


@pytest.mark.parametrize(
    ("algorithm", "fn"),
    [(1, ksg1), (2, ksg2), ("bi", bi_ksg_l2), ("bi-max", bi_ksg)],
    ids=["ksg", "ksg2", "bi-ksg-l2", "bi-ksg"],
)
@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize("dims", [(1, 1), (1, 3), (3, 2)])
def test_estimators_equal_brute_force(algorithm, fn, k, dims):
    x, t = _pair(250, *dims, seed=10 + k)
    expected = brute_ksg(x, t, k, algorithm)[3]
    assert fn(x, t, (1.0,), k).values[0] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("algorithm", "fn"), [(1, ksg1), (2, ksg2), ("bi", bi_ksg_l2), ("bi-max", bi_ksg)]
)
def test_curve_equals_estimates_at_each_scale(algorithm, fn):
    x, t = _pair(200, 2, 1, seed=4)
    scales = (0.1, 0.5, 1.0, 1.7)
    curve = fn(x, t, scales, 3, exhaustive=True).values
    for c, value in zip(scales, curve, strict=True):
        assert value == pytest.approx(brute_ksg(x, c * t, 3, algorithm)[3], abs=1e-12)


# --- every backend gives the reference's distances and counts, bit for bit -----------------------

BACKENDS = ("tree", "numba", "brute", "torch")


def _shaped(kind: str, n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    t = 0.7 * x + rng.standard_normal((n, d))
    if kind == "ties":  # many exact ties and duplicate coordinates
        x, t = np.round(x, 1), np.round(t, 1)
    elif kind == "heavy":  # heavy tails and a large scale: clumped cells for the grid
        x = 1e3 * x**3
    elif kind == "tiny":
        x, t = 1e-9 * x, 1e-9 * t
    return x, t


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ("gauss", "ties", "heavy", "tiny"))
@pytest.mark.parametrize("d", (1, 4, 10))
def test_backends_match_brute_force_exactly(backend, kind, d):
    if backend == "torch":
        pytest.importorskip("torch")
    x, t = _shaped(kind, 400, d, seed=d)
    z = np.hstack([x, t])
    dist = _dist(z, "chebyshev")
    np.fill_diagonal(dist, np.inf)
    eps_ref = np.sort(dist, axis=1)[:, 2]
    plan = SearchPlan.for_pair(x, t, backend)
    eps, _ = kth_neighbor(z, 3, plan)
    np.testing.assert_array_equal(eps, eps_ref)
    for part in (x, t):
        ref = _dist(part, "chebyshev")
        for strict in (True, False):
            r = np.nextafter(eps, -np.inf) if strict else eps
            want = (ref <= r[:, None]).sum(axis=1)
            counter = build_counter(part, plan)
            np.testing.assert_array_equal(counter.count(eps, strict=strict), want)
            scaled = counter.scaled(0.3).count(eps, strict=strict)
            ref_scaled = _dist(0.3 * part, "chebyshev")
            np.testing.assert_array_equal(scaled, (ref_scaled <= r[:, None]).sum(axis=1))


def test_marginal_counts_take_the_slab_index_where_it_wins():
    """From five dimensions, up to 2,000·d² rows, marginal counts go to the slab index (the
    joint kNN never does); where all pairs would have served, no kd-tree is built, and counts
    of some rows and slab counts come from the same index."""
    auto = _plan()
    assert auto.count_path(400, 10) == "slabs" and auto.knn_path(400, 10) == "kdtree"
    assert auto.count_path(100_000, 5) == "kdtree"  # the tree wins at this size
    assert auto.count_path(1_000_000, 4) == "kdtree" and auto.count_path(999, 4) == "kdtree"
    assert auto.knn_path(5_000, 20) == "brute" and auto.count_path(5_000, 20) == "slabs"
    assert _plan("brute").count_path(400, 10) == "brute"  # a forced path stays all pairs
    x, _ = _shaped("ties", 500, 16, seed=3)
    counter = build_counter(x, auto)
    assert isinstance(counter, SlabCounter) and counter.tree is None and counter.counts_rows
    radius = np.random.default_rng(0).uniform(0.5, 3.0, 500)
    ref = _dist(0.5 * x, "chebyshev")
    want = (ref < radius[:, None]).sum(axis=1)
    scaled = counter.scaled(0.5)
    assert scaled.slabs.get() is counter.slabs.get()  # one index of the unscaled points
    np.testing.assert_array_equal(scaled.count(radius, strict=True), want)
    rows = np.array([4, 400, 4, 0])
    np.testing.assert_array_equal(scaled.count(radius, strict=True, rows=rows), want[rows])
    slab = np.abs(0.5 * x[:, None, :] - 0.5 * x[None, :, :]) < radius[:, None, None]
    np.testing.assert_array_equal(scaled.slab_counts(radius, strict=True), slab.sum(axis=1).T)


@pytest.mark.parametrize("backend", BACKENDS)
def test_estimates_identical_on_every_backend(backend):
    if backend == "torch":
        pytest.importorskip("torch")
    import mitool

    x, t = _shaped("gauss", 600, 2, seed=9)
    reference = mitool.estimate(x, t, estimator="ksg", resamples=0, search="tree", full_curve=True)
    result = mitool.estimate(x, t, estimator="ksg", resamples=0, search=backend, full_curve=True)
    assert result.value == reference.value
    assert result.curve == reference.curve


def test_unknown_search_path_is_an_error():
    import mitool
    from mitool import MitoolError

    x, t = _shaped("gauss", 50, 1, seed=0)
    with pytest.raises(MitoolError, match="unknown search path 'gpu'"):
        mitool.estimate(x, t, estimator="ksg", resamples=0, search="gpu")


def test_backend_is_the_old_name_of_search():
    import mitool

    x, t = _shaped("gauss", 200, 1, seed=0)
    with pytest.warns(DeprecationWarning, match="search="):
        old = mitool.estimate(x, t, estimator="ksg", resamples=0, backend="brute")
    assert old.value == mitool.estimate(x, t, estimator="ksg", resamples=0, search="tree").value


@pytest.mark.parametrize("n", (34, 3000))
def test_grid_knn_on_a_nearly_constant_column(n):
    # A column with a spread of 1e-11 beside one of 0.4 once made the grid 10^6 cells long and
    # the ring search ran for ever (found through ReLU layers with a dead unit, jittered).
    rng = np.random.default_rng(0)
    z = np.column_stack([-0.05 + 1e-11 * rng.standard_normal(n), rng.uniform(0, 0.4, n)])
    dist = _dist(z, "chebyshev")
    np.fill_diagonal(dist, np.inf)
    eps, _ = kth_neighbor(z, 3, _plan("numba"))
    np.testing.assert_array_equal(eps, np.sort(dist, axis=1)[:, 2])


@pytest.mark.parametrize(
    ("kind", "gridded"),
    [("gauss", True), ("student-t3", True), ("cauchy", False), ("lognormal", False)],
)
def test_heavy_tails_are_not_put_on_a_grid(kind, gridded):
    """With heavy tails the grid's cells are sized for the extent, not the mass: Cauchy and
    lognormal samples put nearly every point in one cell, and the ring search would compare
    all pairs (0.72 s for one KSG at n = 3e4, against 0.06 s on the tree). Such grids are
    refused, and the k-d tree answers; a Gaussian or Student-t(3) sample keeps its grid. (The
    sweep's cells are blocks of ranks, which heavy tails do not upset: tests/test_sweep.py.)"""
    from mitool.search import grid2d

    rng = np.random.default_rng(0)
    n = 20_000
    draw = {
        "gauss": rng.standard_normal,
        "student-t3": lambda size: rng.standard_t(3, size),
        "cauchy": rng.standard_cauchy,
        "lognormal": lambda size: rng.lognormal(0.0, 2.0, size),
    }[kind]
    a, b = draw(n), draw(n)
    assert (grid2d.grid_2d(a, b) is not None) == gridded
    if not gridded:
        assert grid2d.grid_knn_2d(np.column_stack([a, b]), 3) is None
