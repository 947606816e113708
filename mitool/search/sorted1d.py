"""The run of sorted values within r: every search of a sorted 1-D array, compiled and in numpy.

In a sorted array ``s`` the values within r of q (after scaling by c > 0) form one run of
places [b, e): b is the first place with q − c·s_b <= r ("within" from the left) and e the first
with c·s_e − q > r ("beyond" on the right). Both predicates are decided by the very subtraction
a pairwise search makes (``c * s_j`` rounded, then subtracted), never by ``searchsorted(q ± r)``:
rounding is monotone, so each predicate changes once along ``s``, and its two sides can be found
by bisection, by galloping from a known place, or by a short walk from a guess, with the same
answer. With c = 1.0 the products are the values themselves, bit for bit.

Compiled helpers (numba), each for one way of finding an edge:

- :func:`first_within`, :func:`first_beyond`: bisection in [lo, hi);
- :func:`gallop_within_down`, :func:`gallop_beyond_up`: galloping out from a place inside the
  run (a point's own rank), then bisection; :func:`run_within` is both edges from there;
- :func:`gallop_within_up`, :func:`gallop_beyond_down`: galloping back towards such a place;
- :func:`right_edge_from`, :func:`left_edge_from` and their ``_near`` forms: from a guessed
  place (the scale sweep's hints), a branch-free window, a short walk, then the gallops.

Their users: :func:`count_sorted` (1-D marginal counts), the kd-tree's sorted buckets
(:mod:`mitool.search.kdtree`), the slab index (:mod:`mitool.search.slabs`) and the scale sweep
(:mod:`mitool.search.rank_grid`). :func:`count_sorted_numpy` is the same count in numpy, for the
``tree`` path (and where numba is missing).
"""

from __future__ import annotations

import numpy as np

from mitool.search.compiled import numba
from mitool.search.threads import call

#: Places an edge is walked from a guess before galloping.
WALK = 16
#: Places from a guess that an edge is first looked for in, without branches (one mispredicted
#: walk costs more than these compares).
NEAR = 8

if numba is not None:
    from numba import njit, prange

    @njit(cache=True, nogil=True)
    def _bisect_beyond(s, c, q, r, lo, hi):
        """The first place in (lo, hi] beyond the run, where lo is not beyond it (or a bound
        below the array) and hi is (or the array's end); neither end is read."""
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if c * s[mid] - q <= r:
                lo = mid
            else:
                hi = mid
        return hi

    @njit(cache=True, nogil=True)
    def _bisect_within(s, c, q, r, lo, hi):
        """The first place in (lo, hi] within from the left, where lo is not (or a bound below
        the array) and hi is (or a bound); neither end is read."""
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if q - c * s[mid] <= r:
                hi = mid
            else:
                lo = mid
        return hi

    @njit(cache=True, nogil=True)
    def first_beyond(s, c, q, r, lo, hi):
        """The first place j in [lo, hi) with c·s_j − q > r, or hi: bisection."""
        return _bisect_beyond(s, c, q, r, lo - 1, hi)

    @njit(cache=True, nogil=True)
    def first_within(s, c, q, r, lo, hi):
        """The first place j in [lo, hi) with q − c·s_j <= r, or hi: bisection."""
        return _bisect_within(s, c, q, r, lo - 1, hi)

    @njit(cache=True, nogil=True)
    def gallop_beyond_up(s, c, q, r, start, hi):
        """The first place in (start, hi] beyond the run (hi: none before it), galloping up from
        ``start``, which is not beyond it."""
        lo, step = start, 1
        while lo + step < hi and c * s[lo + step] - q <= r:
            lo += step
            step *= 2
        return _bisect_beyond(s, c, q, r, lo, min(lo + step, hi))

    @njit(cache=True, nogil=True)
    def gallop_within_down(s, c, q, r, lo, start):
        """The first place in [lo, start] within from the left, galloping down from ``start``,
        which is within."""
        hi, step = start, 1
        while hi - step >= lo and q - c * s[hi - step] <= r:
            hi -= step
            step *= 2
        return _bisect_within(s, c, q, r, max(hi - step, lo - 1), hi)

    @njit(cache=True, nogil=True)
    def gallop_beyond_down(s, c, q, r, lo, start):
        """The first place in (lo, start] beyond the run, galloping down from ``start`` (beyond
        it, or the array's end); ``lo`` is not beyond it."""
        hi, step = start, 1
        while hi - step > lo and c * s[hi - step] - q > r:
            hi -= step
            step *= 2
        return _bisect_beyond(s, c, q, r, max(hi - step, lo), hi)

    @njit(cache=True, nogil=True)
    def gallop_within_up(s, c, q, r, start, hi):
        """The first place in (start, hi] within from the left, galloping up from ``start``
        (not within); ``hi`` is within."""
        lo, step = start, 1
        while lo + step < hi and q - c * s[lo + step] > r:
            lo += step
            step *= 2
        return _bisect_within(s, c, q, r, lo, min(lo + step, hi))

    @njit(cache=True, nogil=True)
    def run_within(s, c, q, r, p):
        """(b, e): the places b..e−1 of sorted ``s`` with |c·s_j − q| <= r, where p is one of
        them (q = c·s_p, r >= 0), galloping out from p."""
        return gallop_within_down(s, c, q, r, 0, p), gallop_beyond_up(s, c, q, r, p, s.shape[0])

    @njit(cache=True, nogil=True)
    def right_edge_from(s, c, q, r, p, hint):
        """The first place e > p beyond the run (or len(s)), searched from ``hint``.

        Between neighbouring c the edge moves a few places: a short walk (predictable
        branches, contiguous memory) finds it; longer moves gallop, then bisect.
        """
        n = s.shape[0]
        e = hint
        if e < n and c * s[e] - q <= r:  # the edge is to the right of the hint
            for _ in range(WALK):
                e += 1
                if e == n or c * s[e] - q > r:
                    return e
            return gallop_beyond_up(s, c, q, r, e, n)
        for _ in range(WALK):  # at the hint or to its left
            if e - 1 <= p or c * s[e - 1] - q <= r:
                return e
            e -= 1
        return gallop_beyond_down(s, c, q, r, p, e)

    @njit(cache=True, nogil=True)
    def left_edge_from(s, c, q, r, p, hint):
        """The first place b <= p within from the left, searched from ``hint`` (as
        :func:`right_edge_from`)."""
        b = hint
        if b > 0 and q - c * s[b - 1] <= r:  # the edge is to the left of the hint
            for _ in range(WALK):
                b -= 1
                if b == 0 or q - c * s[b - 1] > r:
                    return b
            return gallop_within_down(s, c, q, r, 0, b - 1)
        for _ in range(WALK):  # at the hint or to its right
            if b >= p or q - c * s[b] <= r:
                return b
            b += 1
        return gallop_within_up(s, c, q, r, b - 1, p)

    @njit(cache=True, nogil=True)
    def right_edge_near(s, c, q, r, p, hint):
        """:func:`right_edge_from` where the edge lies within a few places after ``hint`` (the
        usual case: the hint is the first rank of the value's bucket): the predicate over the
        window from one place before it is summed without branches (it holds on a prefix of the
        window); elsewhere :func:`right_edge_from` walks."""
        n = s.shape[0]
        a = max(hint - 1, p + 1)
        if a + NEAR <= n:
            inside = 0
            for j in range(NEAR):
                inside += c * s[a + j] - q <= r
            if 0 < inside < NEAR or (inside == 0 and a == p + 1):
                return a + inside
        return right_edge_from(s, c, q, r, p, hint)

    @njit(cache=True, nogil=True)
    def left_edge_near(s, c, q, r, p, hint):
        """:func:`left_edge_from` where the edge lies within a few places after ``hint`` (as
        :func:`right_edge_near`; the predicate holds on a suffix of the window)."""
        b = min(hint - 1, p + 1 - NEAR)
        if b >= 0:
            inside = 0
            for j in range(NEAR):
                inside += q - c * s[b + j] <= r
            if 0 < inside < NEAR or (inside == NEAR and b == 0):
                return b + NEAR - inside
        return left_edge_from(s, c, q, r, p, hint)

    @njit(cache=True, parallel=True, nogil=True)
    def _count_sorted(s, x, order, r):
        n = x.shape[0]
        out = np.empty(n, dtype=np.int64)
        for q in prange(n):
            p = np.int64(q)  # (prange's index may be unsigned; mixed with int64 it becomes a float)
            i = order[p]  # in sorted order: the gallop reads memory next to the last one
            if r[i] < 0.0:
                out[i] = 0
                continue
            b, e = run_within(s, 1.0, x[i], r[i], p)
            out[i] = e - b
        return out


def count_sorted(
    s: np.ndarray, x: np.ndarray, order: np.ndarray, r: np.ndarray, threads: int = -1
) -> np.ndarray:
    """#{j : |s_j − x_i| <= r_i} for every i, where s = x[order] is sorted (compiled)."""
    radius = np.ascontiguousarray(r, dtype=np.float64)
    return call(_count_sorted, s, x, order, radius, threads=threads, rows=len(s))


def count_sorted_numpy(s: np.ndarray, x: np.ndarray, r: np.ndarray) -> np.ndarray:
    """#{j : |s_j − x_i| <= r_i} for sorted ``s``, in numpy, the boundary decided by the
    subtraction.

    ``searchsorted(x ± r)`` rounds differently from ``|s_j − x_i|``, so each end of the interval
    is moved until the predicate itself holds inside and fails outside. The predicate is
    monotone on each side of x_i (rounding is monotone), so the walk stops after a step or two.
    """
    n = len(s)
    lo = np.searchsorted(s, x - r, side="left")
    hi = np.searchsorted(s, x + r, side="right")
    lo = _walk(s, x, r, lo, step=-1, n=n)
    hi = _walk(s, x, r, hi, step=+1, n=n)
    return np.maximum(hi - lo, 0).astype(np.int64)  # a negative radius holds no point


def _walk(
    s: np.ndarray, x: np.ndarray, r: np.ndarray, edge: np.ndarray, *, step: int, n: int
) -> np.ndarray:
    """Move the left (step −1) or right (step +1) edge of each interval to its exact place."""
    # Grow: the element just outside the edge satisfies the predicate.
    while True:
        probe = edge - 1 if step < 0 else edge
        idx = np.flatnonzero((probe >= 0) & (probe < n))
        grow = idx[np.abs(s[probe[idx]] - x[idx]) <= r[idx]]
        if grow.size == 0:
            break
        edge[grow] += step
    # Shrink: the element just inside the edge fails the predicate (on its far side of x).
    while True:
        probe = edge if step < 0 else edge - 1
        idx = np.flatnonzero((probe >= 0) & (probe < n))
        far = (s[probe[idx]] <= x[idx]) if step < 0 else (s[probe[idx]] >= x[idx])
        idx = idx[far]
        shrink = idx[~(np.abs(s[probe[idx]] - x[idx]) <= r[idx])]
        if shrink.size == 0:
            break
        edge[shrink] -= step
    return edge
