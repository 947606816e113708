"""The whole scale sweep of a max-norm kNN estimator in one compiled pass, one dimension per side.

For every c of the grid, KSG needs ε_c(i), the k-th neighbour distance of point i in the joint
space (x, c·t) under d_c(i, j) = max(|x_j − x_i|, |c·t_j − c·t_i|), then the counts of x within
ε_c(i) and of c·t within ε_c(i). Evaluating each c from scratch repeats the neighbour search 20
times (performance.md §4); here each point is handled once for the whole grid [c_lo, c_hi]:

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
  from a uniform bucketing of its values: in a window of places after it, without branches,
  else by a walk. Both decide with the exact predicate, so the guess only sets the cost.

Distances and counts use exactly the arithmetic of the per-c evaluation on ``np.hstack([x, c*t])``
(``c * t_j`` rounded, then subtracted), so the counts, and hence the estimates, are identical
to evaluating every c on its own, bit for bit (tests/test_sweep.py checks this against brute
force, with ties, heavy tails, far offsets, tiny scales and thin grids).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mitool import kernels

#: Relative widening of the search rectangles: far above the ~1e-16 rounding of c·t and x ± U.
SLACK = 1e-13
#: Candidates kept per point (more, and that point is searched c by c instead); points per task.
CAPACITY = 256
CHUNK = 512
#: Places an edge of a count is walked before galloping.
WALK = 16
#: Places from a hint that an edge is first looked for in, without branches (one mispredicted
#: walk costs more than these compares).
NEAR = 8

if kernels.numba is not None:
    from numba import njit, prange

    from mitool.kernels import insert, insert_indexed

    @njit(cache=True, nogil=True)
    def _right_edge(s, c, ci, r, p, hint):
        """First index e > p with c·s_e − ci > r (or len(s)), searched from ``hint``.

        Between neighbouring c the edge moves a few places: a short linear walk (predictable
        branches, contiguous memory) finds it; longer moves gallop, then bisect.
        """
        n = s.shape[0]
        e = hint
        if e < n and c * s[e] - ci <= r:  # the edge is to the right of the hint
            for _ in range(WALK):
                e += 1
                if e == n or c * s[e] - ci > r:
                    return e
            lo, step = e, 1
            while lo + step < n and c * s[lo + step] - ci <= r:
                lo += step
                step *= 2
            hi = min(lo + step, n)
        else:  # at the hint or to its left
            for _ in range(WALK):
                if e - 1 <= p or c * s[e - 1] - ci <= r:
                    return e
                e -= 1
            hi, step = e, 1
            while hi - step > p and c * s[hi - step] - ci > r:
                hi -= step
                step *= 2
            lo = max(hi - step, p)
        while hi - lo > 1:  # s_lo inside, s_hi outside (or hi == n)
            mid = (lo + hi) // 2
            if c * s[mid] - ci <= r:
                lo = mid
            else:
                hi = mid
        return hi

    @njit(cache=True, nogil=True)
    def _left_edge(s, c, ci, r, p, hint):
        """First index b <= p with ci − c·s_b <= r, searched from ``hint`` (as _right_edge)."""
        b = hint
        if b > 0 and ci - c * s[b - 1] <= r:  # the edge is to the left of the hint
            for _ in range(WALK):
                b -= 1
                if b == 0 or ci - c * s[b - 1] > r:
                    return b
            hi, step = b - 1, 1
            while hi - step >= 0 and ci - c * s[hi - step] <= r:
                hi -= step
                step *= 2
            lo = max(hi - step, -1)
        else:  # at the hint or to its right
            for _ in range(WALK):
                if b >= p or ci - c * s[b] <= r:
                    return b
                b += 1
            lo, step = b - 1, 1  # s_(b−1) was outside
            while lo + step < p and ci - c * s[lo + step] > r:
                lo += step
                step *= 2
            hi = min(lo + step, p)
        while hi - lo > 1:  # s_lo outside (or lo == -1), s_hi inside
            mid = (lo + hi) // 2
            if ci - c * s[mid] <= r:
                hi = mid
            else:
                lo = mid
        return hi

    @njit(cache=True, nogil=True)
    def _right_edge_near(s, c, ci, r, p, hint):
        """_right_edge where the edge lies within a few places after ``hint`` (the usual case:
        the hint is the first rank of the value's bucket): the predicate over the window from
        one place before it is summed without branches (it holds on a prefix of the window, as
        s is sorted and rounding is monotone); elsewhere _right_edge walks."""
        n = s.shape[0]
        a = max(hint - 1, p + 1)
        if a + NEAR <= n:
            inside = 0
            for q in range(NEAR):
                inside += c * s[a + q] - ci <= r
            if 0 < inside < NEAR or (inside == 0 and a == p + 1):
                return a + inside
        return _right_edge(s, c, ci, r, p, hint)

    @njit(cache=True, nogil=True)
    def _left_edge_near(s, c, ci, r, p, hint):
        """_left_edge where the edge lies within a few places after ``hint`` (as
        _right_edge_near; the predicate holds on a suffix of the window)."""
        b = min(hint - 1, p + 1 - NEAR)
        if b >= 0:
            inside = 0
            for q in range(NEAR):
                inside += ci - c * s[b + q] <= r
            if 0 < inside < NEAR or (inside == NEAR and b == 0):
                return b + NEAR - inside
        return _left_edge(s, c, ci, r, p, hint)

    @njit(cache=True, nogil=True)
    def _hint(bucket, s0, inv, v, lo, hi):
        """The first rank of v's bucket in the sorted marginal, clipped to [lo, hi]."""
        q = min(max((v - s0) * inv, 0.0), bucket.shape[0] - 2.0)
        return min(max(bucket[int(q)], lo), hi)

    @njit(cache=True, nogil=True)
    def _scan(x, t, i, c, best, best_j, qx0, qx1, qt0, qt1, gy, cell_start):
        """Insert d_c(i, j) of every point j != i of the cells [qx0, qx1] x [qt0, qt1]."""
        xi, cti = x[i], c * t[i]
        for qx in range(qx0, qx1 + 1):
            # a column's cells qt0..qt1 are consecutive: their points are one run
            for p in range(cell_start[qx * gy + qt0], cell_start[qx * gy + qt1 + 1]):
                if p != i:
                    d = max(abs(x[p] - xi), abs(c * t[p] - cti))
                    insert_indexed(best, best_j, d, p)

    @njit(cache=True, nogil=True)
    def _scan_ends(x, t, i, c_lo, c_hi, lo, hi, hi_j, qx0, qx1, qt0, qt1, gy,
                   cell_start):  # fmt: skip
        """Insert d_c(i, j) at c_lo and at c_hi (with j) of every point j != i of the cells
        [qx0, qx1] x [qt0, qt1]."""
        xi, lti, hti = x[i], c_lo * t[i], c_hi * t[i]
        for qx in range(qx0, qx1 + 1):
            # a column's cells qt0..qt1 are consecutive: their points are one run
            for p in range(cell_start[qx * gy + qt0], cell_start[qx * gy + qt1 + 1]):
                if p != i:
                    dx = abs(x[p] - xi)
                    insert(lo, max(dx, abs(c_lo * t[p] - lti)))
                    insert_indexed(hi, hi_j, max(dx, abs(c_hi * t[p] - hti)), p)

    @njit(cache=True, nogil=True)
    def _widths(u_hi, e_lo, c_lo, c_hi, xmax, tmax):
        """(wx, wt): the rectangle |Δx| <= wx, |Δt| <= wt that holds the k nearest at every c
        of [c_lo, c_hi], given ε at c_hi at most ``u_hi`` and at c_lo at most ``e_lo``; widened
        by SLACK, far above the rounding of c·t."""
        u_lo = e_lo / c_lo
        wx = u_hi + SLACK * (u_hi + xmax + c_hi * tmax)
        return wx, u_lo + SLACK * (u_lo + tmax + xmax / c_lo)

    @njit(cache=True, nogil=True, inline="always")
    def _run(s, bucket, inv, v, half, c, r, p):
        """(b, e): the ranks b..e−1 of the sorted marginal ``s`` with |c·s_j − c·v| <= r, where v
        = s[p] and r >= 0; each edge is looked for from the bucket of v ∓ ``half`` (r/c, the
        radius in unscaled units)."""
        n = s.shape[0]
        cv = c * v
        e = _right_edge_near(s, c, cv, r, p, _hint(bucket, s[0], inv, v + half, p + 1, n))
        b = _left_edge_near(s, c, cv, r, p, _hint(bucket, s[0], inv, v - half, 0, p))
        return b, e

    @njit(cache=True, nogil=True)
    def _cells_of(xi, ti, wx, wt, px, pt, xs, ts, x_bucket, x_inv, t_bucket, t_inv, w):
        """The cells [qx0, qx1] x [qt0, qt1] that hold every point j with |x_j − x_i| <= wx and
        |t_j − t_i| <= wt: a cell is a block of w ranks in each marginal, and those points' ranks
        are the runs between the exact edges of these predicates in the sorted marginals."""
        bx, ex = _run(xs, x_bucket, x_inv, xi, wx, 1.0, wx, px)
        bt, et = _run(ts, t_bucket, t_inv, ti, wt, 1.0, wt, pt)
        return bx // w, (ex - 1) // w, bt // w, (et - 1) // w

    @njit(cache=True, parallel=True)
    def _sweep_1d(
        x, t, xs, x_rank, ts, t_rank, scales, k, strict,
        cell_start, cell_points, g, w, xmax, tmax, x_bucket, x_inv, t_bucket, t_inv,
        nx_out, nt_out,
    ):  # fmt: skip
        n = x.shape[0]
        m_count = scales.shape[0]
        c_lo, c_hi = scales[0], scales[m_count - 1]
        chunks = (n + CHUNK - 1) // CHUNK
        for chunk in prange(chunks):
            best = np.empty(k)
            best_j = np.empty(k, dtype=np.int64)
            lo_best = np.empty(k)
            hi_best = np.empty(k)
            hi_j = np.empty(k, dtype=np.int64)
            prev = np.empty(k, dtype=np.int64)
            cand_dx = np.empty(CAPACITY)
            cand_t = np.empty(CAPACITY)
            for idx in range(chunk * CHUNK, min(n, (chunk + 1) * CHUNK)):
                i = cell_points[idx]  # points in cell order: neighbours share cache lines
                xi, ti = x[idx], t[idx]
                px, pt = x_rank[idx], t_rank[idx]
                # 1. Any k points bound ε at both ends of the grid: the points of a block of
                #    cells around i, grown until it holds k.
                cx, ct = px // w, pt // w
                ring = 1
                while True:
                    lo_best[:] = np.inf
                    hi_best[:] = np.inf
                    _scan_ends(
                        x, t, idx, c_lo, c_hi, lo_best, hi_best, hi_j,
                        max(cx - ring, 0), min(cx + ring, g - 1),
                        max(ct - ring, 0), min(ct + ring, g - 1), g, cell_start,
                    )  # fmt: skip
                    if hi_best[k - 1] < np.inf or ring > g:
                        break
                    ring += 1
                prev[:] = hi_j
                # 2. The k nearest at every c lie in the rectangle |Δx| <= ε_hi, |Δt| <= ε_lo/c_lo
                #    (module docstring). The bounds of step 1 give a rectangle that holds it; one
                #    scan of that collects its points and finds ε_lo and ε_hi exactly, and the
                #    candidates are then cut down to the exact rectangle.
                wx, wt = _widths(hi_best[k - 1], lo_best[k - 1], c_lo, c_hi, xmax, tmax)
                qx0, qx1, qt0, qt1 = _cells_of(
                    xi, ti, wx, wt, px, pt, xs, ts, x_bucket, x_inv, t_bucket, t_inv, w
                )
                lo_best[:] = np.inf
                hi_best[:] = np.inf
                lti, hti = c_lo * ti, c_hi * ti
                found = 0
                for qx in range(qx0, qx1 + 1):
                    # a column's cells qt0..qt1 are consecutive: their points are one run
                    for p in range(cell_start[qx * g + qt0], cell_start[qx * g + qt1 + 1]):
                        dx = abs(x[p] - xi)
                        if p != idx and dx <= wx and abs(t[p] - ti) <= wt:
                            insert(lo_best, max(dx, abs(c_lo * t[p] - lti)))
                            insert(hi_best, max(dx, abs(c_hi * t[p] - hti)))
                            if found < CAPACITY:
                                cand_dx[found] = dx
                                cand_t[found] = t[p]
                            found += 1
                if found <= CAPACITY:
                    wx, wt = _widths(hi_best[k - 1], lo_best[k - 1], c_lo, c_hi, xmax, tmax)
                    kept = 0
                    for q in range(found):
                        if cand_dx[q] <= wx and abs(cand_t[q] - ti) <= wt:
                            cand_dx[kept] = cand_dx[q]
                            cand_t[kept] = cand_t[q]
                            kept += 1
                    found = kept
                    _sort_by_first(cand_dx, cand_t, found)
                # 3. Every c, from the smallest up: the k nearest among the candidates, nearest
                #    in x first (or, if there were too many, in a rectangle bounded by the
                #    previous c's k), then the two counts, each edge found from a bucketed guess.
                for m in range(m_count):
                    c = scales[m]
                    cti = c * ti
                    best[:] = np.inf
                    if found <= CAPACITY:
                        bound = np.inf
                        for q in range(found):  # nearest in x first: d_c >= |Δx| ends the scan
                            if cand_dx[q] >= bound:
                                break
                            d = max(cand_dx[q], abs(c * cand_t[q] - cti))
                            if d < bound:
                                insert(best, d)
                                bound = best[k - 1]
                    else:
                        _kth_of(x, t, idx, c, prev, best, best_j)
                        _rescan(x, t, idx, c, best, best_j, xmax, tmax, cell_start, g, w, px, pt,
                                xs, ts, x_bucket, x_inv, t_bucket, t_inv)  # fmt: skip
                        prev[:] = best_j
                    r = np.nextafter(best[k - 1], -np.inf) if strict else best[k - 1]
                    if r < 0.0:  # "< 0": no point, not even i itself
                        nx_out[m, i] = 0
                        nt_out[m, i] = 0
                        continue
                    bx, ex = _run(xs, x_bucket, x_inv, xi, r, 1.0, r, px)
                    bt, et = _run(ts, t_bucket, t_inv, ti, r / c, c, r, pt)
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

    @njit(cache=True, nogil=True)
    def _kth_of(x, t, i, c, points, best, best_j):
        """The k-th smallest d_c(i, j) over ``points`` (k real points: an upper bound on ε)."""
        best[:] = np.inf
        xi, cti = x[i], c * t[i]
        for q in range(points.shape[0]):
            j = points[q]
            insert_indexed(best, best_j, max(abs(x[j] - xi), abs(c * t[j] - cti)), j)
        return best[best.shape[0] - 1]

    @njit(cache=True, nogil=True)
    def _rescan(x, t, i, c, best, best_j, xmax, tmax, cell_start, g, w, px, pt, xs, ts, x_bucket,
                x_inv, t_bucket, t_inv):  # fmt: skip
        """Replace ``best`` (k real points) by the exact k nearest at c: every j with d_c(i, j)
        <= the current bound lies in the rectangle |x_j − x_i| <= b, |t_j − t_i| <= b / c."""
        bound = best[best.shape[0] - 1]
        wx = bound + SLACK * (bound + xmax)
        wt = bound / c
        wt += SLACK * (wt + tmax)
        qx0, qx1, qt0, qt1 = _cells_of(
            x[i], t[i], wx, wt, px, pt, xs, ts, x_bucket, x_inv, t_bucket, t_inv, w
        )
        best[:] = np.inf
        _scan(x, t, i, c, best, best_j, qx0, qx1, qt0, qt1, g, cell_start)


def sweep_counts_1d(
    x: np.ndarray,
    t: np.ndarray,
    scales: Sequence[float],
    k: int,
    *,
    strict: bool,
    workers: int = -1,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Marginal counts at every c: ``(nx, nt)``, each of shape (len(scales), n), self included.

    ``nx[m, i]`` = #{j : |x_j − x_i| < ε} and ``nt[m, i]`` = #{j : |c·t_j − c·t_i| < ε} (``<=``
    unless ``strict``), with ε the k-th max-norm neighbour distance of i in (x, c·t), c =
    scales[m]. None when numba is missing or the data are too clumped for a uniform grid.
    """
    if not kernels.available() or x.shape[1] != 1 or t.shape[1] != 1 or len(x) <= k:
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
    cell_start, cell_points, g, w = _rank_grid(x_rank, t_rank)
    grid_c = np.asarray(scales, dtype=np.float64)
    order = np.argsort(grid_c, kind="stable")  # neighbouring c bound each other best
    sorted_c = np.ascontiguousarray(grid_c[order])
    x_bucket, x_inv = _buckets(xs)
    t_bucket, t_inv = _buckets(ts)
    nx = np.empty((len(sorted_c), n), dtype=np.int32)
    nt = np.empty((len(sorted_c), n), dtype=np.int32)
    kernels.set_threads(workers)
    # The kernel reads points, and their ranks, in cell order: a column of cells is one run.
    _sweep_1d(
        a[cell_points], b[cell_points], xs, x_rank[cell_points], ts, t_rank[cell_points],
        sorted_c, k, strict,
        cell_start, cell_points, g, w,
        float(np.max(np.abs(a))), float(np.max(np.abs(b))), x_bucket, x_inv, t_bucket, t_inv,
        nx, nt,
    )  # fmt: skip
    if np.array_equal(order, np.arange(len(order))):
        return nx, nt
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return nx[inverse], nt[inverse]


def _rank_grid(x_rank: np.ndarray, t_rank: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Bucket the points on a grid of g x g cells of w ranks in each marginal, w chosen so that
    the average point shares its cell with two or three others (rank cells do not care how the
    values are spread: heavy tails and clumps fill them as evenly as the dependence allows).

    Returns ``(cell_start, cell_points, g, w)``: the points of cell ``qx·g + qt`` (x ranks
    qx·w .. qx·w + w − 1, t ranks likewise) are ``cell_points[cell_start[cell] :
    cell_start[cell + 1]]``. Never more than about 8n cells.
    """
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
    cell_start, cell_points = kernels.bucket(cell, g * g)
    return cell_start, cell_points, g, w


def _buckets(s: np.ndarray) -> tuple[np.ndarray, float]:
    """Ranks where n equal-width buckets over the sorted ``s`` start, and 1 / the width."""
    width = (s[-1] - s[0]) / len(s)
    if not width > 0:
        return np.zeros(2, dtype=np.int64), 0.0  # one bucket: every hint is the first rank
    edges = s[0] + width * np.arange(len(s) + 1)
    return np.searchsorted(s, edges).astype(np.int64), 1.0 / width
