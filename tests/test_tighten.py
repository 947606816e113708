"""The sweep's partial counts: a far c is skipped once lower bounds on its dear counts (the
neighbouring c's, the Bonferroni bound of the slabs, then exact counts of some rows) prove it
below the maximum. Every skip must hold against the exhaustive curve."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from mitool.estimators.bi_ksg import bi_ksg, bi_ksg_l2
from mitool.estimators.ksg import ksg1
from mitool.estimators.sweep import round_size
from mitool.search.counters import PATHS, build_counter
from mitool.search.plan import SearchPlan

SCALES = tuple(np.round(np.linspace(0.1, 2.0, 20), 10))


def _spy_on_counts(monkeypatch, seen):
    """Call ``seen(radius, rows)`` at every count, on every counting path."""
    classes = {c for path in PATHS.values() for c in path.__mro__ if "count" in vars(c)}
    for cls in classes:

        def spy(self, radius, *, strict, rows=None, _count=vars(cls)["count"], **progress):
            seen(radius, rows)
            return _count(self, radius, strict=strict, rows=rows, **progress)

        monkeypatch.setattr(cls, "count", spy)


def _pair(n, dims, seed=5):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dims[0]))
    t = 0.8 * x[:, : dims[1]] + 0.6 * rng.standard_normal((n, dims[1]))
    return x, t


@pytest.mark.parametrize("backend", ["numba", "tree"])
@pytest.mark.parametrize("fn", [ksg1, bi_ksg, bi_ksg_l2])
@pytest.mark.parametrize("dims", [(3, 3), (4, 4)])
def test_skipped_scales_are_below_their_bounds(backend, fn, dims, monkeypatch):
    """The pruned sweep computes the exhaustive values bit for bit where it computes them; where
    it skips, its bound is at least the exhaustive value; its maximum and argmax are the same.
    Some skips come from partial counts (a spy sees counts of fewer than n rows)."""
    x, t = _pair({(3, 3): 2000, (4, 4): 3000}[dims], dims)
    partial = []

    def seen(radius, rows):
        if rows is not None and len(rows) < len(radius):
            partial.append(len(rows))

    plan = SearchPlan.for_pair(x, t, backend)
    full = fn(x, t, SCALES, 3, exhaustive=True, plan=plan)
    _spy_on_counts(monkeypatch, seen)
    pruned = fn(x, t, SCALES, 3, plan=plan)
    skipped = np.isnan(pruned.values)
    assert skipped.any() and partial
    np.testing.assert_array_equal(pruned.values[~skipped], full.values[~skipped])
    assert np.all(pruned.bounds[skipped] >= full.values[skipped])
    assert pruned.best == full.best
    assert np.nanmax(pruned.values) == np.max(full.values)


@pytest.mark.parametrize("dim", [2, 5])
@pytest.mark.parametrize("c", [1.0, 0.3, 7.0])
@pytest.mark.parametrize("strict", [True, False])
def test_slab_counts_bound_the_ball(dim, c, strict):
    """Each slab count is the 1-D count on the scaled array; Σ_d slabs − (D − 1)·n never exceeds
    the max-norm count (radii on pairwise distances, where rounding decides)."""
    rng = np.random.default_rng(dim)
    p = np.round(rng.standard_normal((400, dim)), 2)
    counter = build_counter(p, SearchPlan.decide(400, dim, 0))
    scaled = counter if c == 1.0 else counter.scaled(c)
    q = c * p
    gaps = np.abs(q[:, None, :] - q[None, :, :])
    radius = np.max(gaps[np.arange(400), rng.integers(0, 400, 400)], axis=1) * 2.5
    slabs = scaled.slab_counts(radius, strict=strict)
    inside = gaps < radius[:, None, None] if strict else gaps <= radius[:, None, None]
    np.testing.assert_array_equal(slabs, inside.sum(axis=1).T)
    ball = inside.all(axis=2).sum(axis=1)
    assert np.all(slabs.sum(axis=0) - (dim - 1) * 400 <= ball)
    assert np.any(slabs.sum(axis=0) - (dim - 1) * 400 == ball)  # tight for some large balls


@pytest.mark.parametrize("backend", ["numba", "tree", "brute"])
@pytest.mark.parametrize("dim", [1, 3])
def test_counts_of_some_rows_equal_the_full_counts(backend, dim):
    rng = np.random.default_rng(dim)
    p = rng.standard_normal((800, dim))
    radius = rng.uniform(0.05, 1.5, 800)
    rows = rng.permutation(800)[:137]
    counter = build_counter(p, SearchPlan.decide(800, dim, 0, path=backend)).scaled(0.7)
    full = counter.count(radius, strict=True)
    np.testing.assert_array_equal(counter.count(radius, strict=True, rows=rows), full[rows])


def test_all_pairs_path_counts_every_row_at_once(monkeypatch):
    """Where some rows cost as much as all (brute force), the sweep never counts rows piecemeal,
    and still finds the exhaustive maximum."""
    x, t = _pair(1500, (3, 3))
    calls = []
    plan = SearchPlan.for_pair(x, t, "brute")
    full = ksg1(x, t, SCALES, 3, exhaustive=True, plan=plan)
    _spy_on_counts(monkeypatch, lambda radius, rows: calls.append(rows is None))
    pruned = ksg1(x, t, SCALES, 3, plan=plan)
    assert calls and all(calls)
    assert pruned.best == full.best and np.nanmax(pruned.values) == np.max(full.values)
    skipped = np.isnan(pruned.values)
    assert np.all(pruned.bounds[skipped] >= full.values[skipped])


@pytest.mark.parametrize("backend", ["numba", "tree"])
@pytest.mark.parametrize("kind", ["ties", "cauchy"])
def test_ties_and_heavy_tails_skip_soundly_and_quietly(backend, kind):
    """Raw tied data (zero radii, infinite terms: the API jitters ties, the sweep itself must
    not trip over them) and heavy tails: no numpy warning, every skip below its bound."""
    rng = np.random.default_rng(0)
    if kind == "ties":
        x = np.round(rng.standard_normal((3000, 3)), 0)
        t = np.round(0.8 * x + 0.6 * rng.standard_normal((3000, 3)), 0)
    else:
        x = rng.standard_cauchy((3000, 4))
        t = x + rng.standard_cauchy((3000, 4))
    plan = SearchPlan.for_pair(x, t, backend)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pruned = ksg1(x, t, SCALES, 3, plan=plan)
        full = ksg1(x, t, SCALES, 3, exhaustive=True, plan=plan)
    skipped = np.isnan(pruned.values)
    assert pruned.best == full.best and np.nanmax(pruned.values) == np.max(full.values)
    assert np.all(pruned.bounds[skipped] >= full.values[skipped])
    np.testing.assert_array_equal(pruned.values[~skipped], full.values[~skipped])


def test_rounds_follow_the_promised_gains():
    """With a guess, a round takes the rows whose promised gain, scaled by the gain found per
    gain promised so far, covers what the bound lacks; without one, 1/64 of the rows, then
    1.25 times what the gain per row so far says, at most double the rows counted."""
    promised = np.ones(1000)
    assert round_size(1000, 0, 10.5, np.zeros(3), promised) == 11
    # 40 rows found twice what they promised: 6 more rows promise 12 >= 10.5
    assert round_size(1000, 40, 10.5, np.array([80.0, 40.0, 40.0]), promised) == 6
    # never fewer than 1/8 of the rows counted so far, so the rounds stay few
    assert round_size(1000, 400, 10.5, np.array([800.0, 400.0, 400.0]), promised) == 50
    assert round_size(6400, 0, 5.0, np.zeros(3), None) == 100
    assert round_size(6400, 100, 5.0, np.array([1.0, 0.0, 100.0]), None) == 200  # doubling cap
    assert round_size(6400, 100, 0.5, np.array([1.0, 0.0, 100.0]), None) == 100  # 1/64 at least
