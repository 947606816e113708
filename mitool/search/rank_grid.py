"""The whole scale sweep of a max-norm kNN estimator in one compiled pass, one dimension per side.

For every c of the grid, KSG needs ε_c(i), the k-th neighbour distance of point i in the joint
space (x, c·t) under d_c(i, j) = max(|x_j − x_i|, |c·t_j − c·t_i|), then the counts of x within
ε_c(i) and of c·t within ε_c(i). Here each point is handled once for the whole grid
[c_lo, c_hi], on a 2-D grid of ranks:

- Any k real points give an exact upper bound on ε_c(i): the k-th smallest of their distances.
  Every j with d_c(i, j) ≤ U lies in the rectangle |x_j − x_i| ≤ U, |t_j − t_i| ≤ U/c (widened
  by SLACK, far above the rounding of c·t), so scanning the cells that cover it finds the exact
  k nearest at c. A cell is a block of w ranks in each marginal (not of values, so heavy tails
  and clumps fill the cells as evenly as the dependence allows), and the cells covering a
  rectangle are those of the runs between its exact edges in the sorted marginals; a column of
  cells is one run of points, stored in cell order.
- d_c(i, j) cannot shrink as c grows, and d_c(i, j)/c cannot grow, so for every c in between
  ε_c ≤ ε_hi and ε_c/c ≤ ε_lo/c_lo (to rounding, covered by SLACK): the k nearest at every c lie
  in the rectangle |Δx| ≤ ε_hi, |Δt| ≤ ε_lo/c_lo. The points of a few cells around i bound
  ε_lo and ε_hi, hence a rectangle that holds this one; a single scan of it finds ε_lo and
  ε_hi exactly and collects the candidates, which are then cut down to the exact rectangle
  (about 15 for k = 3), sorted by |Δx|. Each c takes its k nearest among them, stopping once
  |Δx| alone exceeds the k-th best. A point with too many candidates (far tails) is searched
  c by c.
- Each edge, of a count or of a rectangle, is found in the sorted marginal from a guess taken
  from a uniform bucketing of its values (:func:`mitool.search.sorted1d.right_edge_near` and
  its kin), which decide with the exact predicate, so the guess only sets the cost.

Distances and counts use exactly the arithmetic of the per-c evaluation on ``np.hstack([x, c*t])``
(``c * t_j`` rounded, then subtracted), so the counts, and hence the estimates, are identical
to evaluating every c on its own, bit for bit (tests/test_sweep.py checks this against brute
force, with ties, heavy tails, far offsets, tiny scales and thin grids).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from mitool.search.compiled import numba
from mitool.search.grid2d import bucket
from mitool.search.threads import call

#: Relative widening of the search rectangles: far above the ~1e-16 rounding of c·t and x ± U.
SLACK = 1e-13
#: Candidates kept per point (more, and that point is searched c by c instead).
CAPACITY = 256
#: Points handed to a thread at a time.
CHUNK = 512


class Marginal(NamedTuple):
    """One side (x or t) as the kernel reads it."""

    values: np.ndarray  # the values, in cell order
    rank: np.ndarray  # each value's place in ``sorted_``, in cell order
    sorted_: np.ndarray  # the values, ascending
    bucket: np.ndarray  # the first rank of each of n equal-width buckets of the values
    inv: float  # 1 / the buckets' width (0: one bucket)
    largest: float  # max |value|, the scale of the rounding SLACK covers


class Grid(NamedTuple):
    """Cells of w ranks by w ranks, g per side: the points of cell ``qx·g + qt`` are
    ``cell_points[cell_start[cell] : cell_start[cell + 1]]`` (places in cell order)."""

    cell_start: np.ndarray
    cell_points: np.ndarray
    g: int
    w: int


if numba is not None:
    from numba import njit, prange

    from mitool.search.compiled import insert, insert_indexed
    from mitool.search.sorted1d import left_edge_near, right_edge_near

    # The steps below take the marginals and the grid as named tuples and are inlined into the
    # kernel (inline="always"): as separate calls they cost a tenth of the sweep.

    @njit(cache=True, nogil=True, inline="always")
    def _hint(bucket, s0, inv, v, lo, hi):
        """The first rank of v's bucket in the sorted marginal, clipped to [lo, hi]."""
        q = min(max((v - s0) * inv, 0.0), bucket.shape[0] - 2.0)
        return min(max(bucket[int(q)], lo), hi)

    @njit(cache=True, nogil=True, inline="always")
    def _run(side, v, half, c, r, p):
        """(b, e): the ranks b..e−1 of the sorted marginal with |c·s_j − c·v| <= r, where v is
        the value of rank p and r >= 0; each edge is looked for from the bucket of v ∓ ``half``
        (r/c, the radius in unscaled units)."""
        s = side.sorted_
        n = s.shape[0]
        cv = c * v
        e = right_edge_near(s, c, cv, r, p, _hint(side.bucket, s[0], side.inv, v + half, p + 1, n))
        b = left_edge_near(s, c, cv, r, p, _hint(side.bucket, s[0], side.inv, v - half, 0, p))
        return b, e

    @njit(cache=True, nogil=True, inline="always")
    def _cells_of(x, t, grid, i, wx, wt):
        """The cells (qx0, qx1, qt0, qt1) that hold every point j with |x_j − x_i| <= wx and
        |t_j − t_i| <= wt (i a place in cell order): a cell is a block of w ranks in each
        marginal, and those points' ranks are the runs between the exact edges of these
        predicates in the sorted marginals."""
        bx, ex = _run(x, x.values[i], wx, 1.0, wx, x.rank[i])
        bt, et = _run(t, t.values[i], wt, 1.0, wt, t.rank[i])
        w = grid.w
        return bx // w, (ex - 1) // w, bt // w, (et - 1) // w

    @njit(cache=True, nogil=True, inline="always")
    def _scan(x, t, grid, i, c, best, best_j, cells):
        """Insert d_c(i, j) of every point j != i of the cells (qx0, qx1, qt0, qt1)."""
        qx0, qx1, qt0, qt1 = cells
        xs, ts, g, cell_start = x.values, t.values, grid.g, grid.cell_start
        xi, cti = xs[i], c * ts[i]
        for qx in range(qx0, qx1 + 1):
            # a column's cells qt0..qt1 are consecutive: their points are one run
            for p in range(cell_start[qx * g + qt0], cell_start[qx * g + qt1 + 1]):
                if p != i:
                    d = max(abs(xs[p] - xi), abs(c * ts[p] - cti))
                    insert_indexed(best, best_j, d, p)

    @njit(cache=True, nogil=True, inline="always")
    def _scan_ends(x, t, grid, i, c_lo, c_hi, lo, hi, hi_j, cells):
        """Insert d_c(i, j) at c_lo and at c_hi (with j) of every point j != i of the cells
        (qx0, qx1, qt0, qt1)."""
        qx0, qx1, qt0, qt1 = cells
        xs, ts, g, cell_start = x.values, t.values, grid.g, grid.cell_start
        xi, lti, hti = xs[i], c_lo * ts[i], c_hi * ts[i]
        for qx in range(qx0, qx1 + 1):
            # a column's cells qt0..qt1 are consecutive: their points are one run
            for p in range(cell_start[qx * g + qt0], cell_start[qx * g + qt1 + 1]):
                if p != i:
                    dx = abs(xs[p] - xi)
                    insert(lo, max(dx, abs(c_lo * ts[p] - lti)))
                    insert_indexed(hi, hi_j, max(dx, abs(c_hi * ts[p] - hti)), p)

    @njit(cache=True, nogil=True, inline="always")
    def _widths(u_hi, e_lo, c_lo, c_hi, xmax, tmax):
        """(wx, wt): the rectangle |Δx| <= wx, |Δt| <= wt that holds the k nearest at every c
        of [c_lo, c_hi], given ε at c_hi at most ``u_hi`` and at c_lo at most ``e_lo``; widened
        by SLACK, far above the rounding of c·t."""
        u_lo = e_lo / c_lo
        wx = u_hi + SLACK * (u_hi + xmax + c_hi * tmax)
        return wx, u_lo + SLACK * (u_lo + tmax + xmax / c_lo)

    @njit(cache=True, nogil=True, inline="always")
    def _bound_ends(x, t, grid, i, c_lo, c_hi, lo_best, hi_best, hi_j):
        """Step 1: any k points bound ε at both ends of the grid: the points of a block of cells
        around i, grown until it holds k (``hi_j``: those k at c_hi)."""
        g = grid.g
        cx, ct = x.rank[i] // grid.w, t.rank[i] // grid.w
        ring = 1
        while True:
            lo_best[:] = np.inf
            hi_best[:] = np.inf
            cells = (max(cx - ring, 0), min(cx + ring, g - 1), max(ct - ring, 0),
                     min(ct + ring, g - 1))  # fmt: skip
            _scan_ends(x, t, grid, i, c_lo, c_hi, lo_best, hi_best, hi_j, cells)
            if hi_best[-1] < np.inf or ring > g:
                return
            ring += 1

    @njit(cache=True, nogil=True, inline="always")
    def _candidates(x, t, grid, i, c_lo, c_hi, lo_best, hi_best, cand_dx, cand_t):
        """Step 2: the k nearest at every c lie in the rectangle |Δx| <= ε_hi, |Δt| <= ε_lo/c_lo
        (module docstring). The bounds of step 1 give a rectangle that holds it; one scan of
        that collects its points and finds ε_lo and ε_hi exactly, and the candidates are then cut
        down to the exact rectangle, nearest in x first. Returns their number (more than
        CAPACITY: too many, none kept)."""
        k = lo_best.shape[0]
        xs, ts, g, cell_start = x.values, t.values, grid.g, grid.cell_start
        xi, ti = xs[i], ts[i]
        wx, wt = _widths(hi_best[k - 1], lo_best[k - 1], c_lo, c_hi, x.largest, t.largest)
        qx0, qx1, qt0, qt1 = _cells_of(x, t, grid, i, wx, wt)
        lo_best[:] = np.inf
        hi_best[:] = np.inf
        lti, hti = c_lo * ti, c_hi * ti
        found = 0
        for qx in range(qx0, qx1 + 1):
            # a column's cells qt0..qt1 are consecutive: their points are one run
            for p in range(cell_start[qx * g + qt0], cell_start[qx * g + qt1 + 1]):
                dx = abs(xs[p] - xi)
                if p != i and dx <= wx and abs(ts[p] - ti) <= wt:
                    insert(lo_best, max(dx, abs(c_lo * ts[p] - lti)))
                    insert(hi_best, max(dx, abs(c_hi * ts[p] - hti)))
                    if found < CAPACITY:
                        cand_dx[found] = dx
                        cand_t[found] = ts[p]
                    found += 1
        if found > CAPACITY:
            return found
        wx, wt = _widths(hi_best[k - 1], lo_best[k - 1], c_lo, c_hi, x.largest, t.largest)
        kept = 0
        for q in range(found):
            if cand_dx[q] <= wx and abs(cand_t[q] - ti) <= wt:
                cand_dx[kept] = cand_dx[q]
                cand_t[kept] = cand_t[q]
                kept += 1
        _sort_by_first(cand_dx, cand_t, kept)
        return kept

    @njit(cache=True, nogil=True, inline="always")
    def _kth_among(cand_dx, cand_t, found, c, cti, best):
        """Step 3, the usual case: the k nearest at c among the candidates, nearest in x first
        (d_c >= |Δx| ends the scan)."""
        k = best.shape[0]
        best[:] = np.inf
        bound = np.inf
        for q in range(found):
            if cand_dx[q] >= bound:
                break
            d = max(cand_dx[q], abs(c * cand_t[q] - cti))
            if d < bound:
                insert(best, d)
                bound = best[k - 1]

    @njit(cache=True, nogil=True, inline="always")
    def _kth_by_rescan(x, t, grid, i, c, prev, best, best_j):
        """Step 3 where there were too many candidates: the previous c's k nearest bound ε at c
        (any k real points do), and every j with d_c(i, j) <= that bound lies in the rectangle
        |x_j − x_i| <= b, |t_j − t_i| <= b / c, which is scanned for the exact k nearest."""
        best[:] = np.inf
        xs, ts = x.values, t.values
        xi, cti = xs[i], c * ts[i]
        for q in range(prev.shape[0]):
            j = prev[q]
            insert_indexed(best, best_j, max(abs(xs[j] - xi), abs(c * ts[j] - cti)), j)
        bound = best[best.shape[0] - 1]
        wx = bound + SLACK * (bound + x.largest)
        wt = bound / c
        wt += SLACK * (wt + t.largest)
        cells = _cells_of(x, t, grid, i, wx, wt)
        best[:] = np.inf
        _scan(x, t, grid, i, c, best, best_j, cells)

    @njit(cache=True, parallel=True, nogil=True)
    def _sweep(x, t, grid, scales, k, strict, nx_out, nt_out):
        n = x.values.shape[0]
        c_lo, c_hi = scales[0], scales[scales.shape[0] - 1]
        chunks = (n + CHUNK - 1) // CHUNK
        for chunk in prange(chunks):
            best = np.empty(k)
            best_j = np.empty(k, dtype=np.int64)
            lo_best = np.empty(k)
            hi_best = np.empty(k)
            prev = np.empty(k, dtype=np.int64)
            cand_dx = np.empty(CAPACITY)
            cand_t = np.empty(CAPACITY)
            for idx in range(chunk * CHUNK, min(n, (chunk + 1) * CHUNK)):
                i = grid.cell_points[idx]  # points in cell order: neighbours share cache lines
                xi, ti = x.values[idx], t.values[idx]
                _bound_ends(x, t, grid, idx, c_lo, c_hi, lo_best, hi_best, prev)
                found = _candidates(x, t, grid, idx, c_lo, c_hi, lo_best, hi_best, cand_dx,
                                    cand_t)  # fmt: skip
                # 3. Every c, from the smallest up: its k nearest, then the two counts, each
                #    edge found from a bucketed guess.
                for m in range(scales.shape[0]):
                    c = scales[m]
                    if found <= CAPACITY:
                        _kth_among(cand_dx, cand_t, found, c, c * ti, best)
                    else:
                        _kth_by_rescan(x, t, grid, idx, c, prev, best, best_j)
                        prev[:] = best_j
                    r = np.nextafter(best[k - 1], -np.inf) if strict else best[k - 1]
                    if r < 0.0:  # "< 0": no point, not even i itself
                        nx_out[m, i] = 0
                        nt_out[m, i] = 0
                        continue
                    bx, ex = _run(x, xi, r, 1.0, r, x.rank[idx])
                    bt, et = _run(t, ti, r / c, c, r, t.rank[idx])
                    nx_out[m, i] = ex - bx
                    nt_out[m, i] = et - bt

    @njit(cache=True, nogil=True)
    def _sort_by_first(a, b, count):
        """Insertion sort of the first ``count`` entries of (a, b) by a (they are few)."""
        for q in range(1, count):
            va, vb = a[q], b[q]
            r = q - 1
            while r >= 0 and a[r] > va:
                a[r + 1], b[r + 1] = a[r], b[r]
                r -= 1
            a[r + 1], b[r + 1] = va, vb


def sweep_counts_1d(
    x: np.ndarray,
    t: np.ndarray,
    scales: Sequence[float],
    k: int,
    *,
    strict: bool,
    threads: int = -1,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Marginal counts at every c: ``(nx, nt)``, each of shape (len(scales), n), self included.

    ``nx[m, i]`` = #{j : |x_j − x_i| < ε} and ``nt[m, i]`` = #{j : |c·t_j − c·t_i| < ε} (``<=``
    unless ``strict``), with ε the k-th max-norm neighbour distance of i in (x, c·t), c =
    scales[m]. None when numba is missing or a marginal is constant (or not finite).
    """
    if numba is None or x.shape[1] != 1 or t.shape[1] != 1 or len(x) <= k:
        return None
    a = np.ascontiguousarray(x[:, 0], dtype=np.float64)
    b = np.ascontiguousarray(t[:, 0], dtype=np.float64)
    n = len(a)
    x_order, t_order = np.argsort(a), np.argsort(b)
    xs, ts = a[x_order], b[t_order]
    if not (xs[0] < xs[-1] and ts[0] < ts[-1] and np.isfinite(xs[[0, -1]]).all()
            and np.isfinite(ts[[0, -1]]).all()):  # fmt: skip
        return None  # a constant (or non-finite) marginal: the caller evaluates c by c
    x_rank = np.empty(n, dtype=np.int64)
    x_rank[x_order] = np.arange(n)
    t_rank = np.empty(n, dtype=np.int64)
    t_rank[t_order] = np.arange(n)
    grid = call(_rank_grid, x_rank, t_rank, threads=1, rows=n)
    grid_c = np.asarray(scales, dtype=np.float64)
    order = np.argsort(grid_c, kind="stable")  # neighbouring c bound each other best
    sorted_c = np.ascontiguousarray(grid_c[order])
    # The kernel reads points, and their ranks, in cell order: a column of cells is one run.
    cells = grid.cell_points
    xm = Marginal(a[cells], x_rank[cells], xs, *_buckets(xs), float(np.max(np.abs(a))))
    tm = Marginal(b[cells], t_rank[cells], ts, *_buckets(ts), float(np.max(np.abs(b))))
    nx = np.empty((len(sorted_c), n), dtype=np.int32)
    nt = np.empty((len(sorted_c), n), dtype=np.int32)
    call(_sweep, xm, tm, grid, sorted_c, k, strict, nx, nt, threads=threads, rows=n)
    if np.array_equal(order, np.arange(len(order))):
        return nx, nt
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return nx[inverse], nt[inverse]


def _rank_grid(x_rank: np.ndarray, t_rank: np.ndarray) -> Grid:
    """Bucket the points on a grid of g x g cells of w ranks in each marginal, w chosen so that
    the average point shares its cell with two or three others (rank cells do not care how the
    values are spread: heavy tails and clumps fill them as evenly as the dependence allows).
    Never more than about 8n cells."""
    n = len(x_rank)
    least = max(1, math.ceil(math.sqrt(n / 8)))  # (n / w)² <= 8n
    w = max(least, round(math.sqrt(2.5 * n)))
    for _ in range(3):  # the cells passed on are always those of the final w
        g = (n - 1) // w + 1
        cell = (x_rank // w) * g + t_rank // w
        counts = np.bincount(cell, minlength=g * g)
        load = float(np.dot(counts, counts)) / n  # the mean occupancy seen by a point
        if load <= 4.0 or w == least:
            break
        w = max(least, round(w * math.sqrt(2.5 / load)))
    cell_start, cell_points = bucket(cell, g * g)
    return Grid(cell_start, cell_points, g, w)


def _buckets(s: np.ndarray) -> tuple[np.ndarray, float]:
    """Ranks where n equal-width buckets over the sorted ``s`` start, and 1 / the width."""
    width = (s[-1] - s[0]) / len(s)
    if not width > 0:
        return np.zeros(2, dtype=np.int64), 0.0  # one bucket: every hint is the first rank
    edges = s[0] + width * np.arange(len(s) + 1)
    return np.searchsorted(s, edges).astype(np.int64), 1.0 / width
