"""Exact max-norm counts of chosen rows from sorted slabs and bitsets (numba).

In the max norm the ball of radius r around q is the intersection of one slab per dimension,
{p : |p_d − q_d| <= r}, and in that dimension's sort order each slab is one run of ranks
(:func:`mitool.search.sorted1d.run_within`, decided by the distance itself): membership of
every slab, hence of the ball, is decided by the very subtraction the kd-tree
(:mod:`mitool.search.kdtree`) makes, and the counts are identical.

The intersection is counted on bits indexed by rank in dimension 0, where the first slab is a
run of consecutive bits. For every other dimension, the set of points whose rank there is
below m·B is kept as one bitset per m (``prefix[d, m]``), so the ranks [a·B, b·B) of a slab
are ``prefix[d, b] & ~prefix[d, a]``: the interior of every slab is ANDed word by word and
popcounted. The at most 2·B ranks of each slab outside its interior are checked one by one,
by their ranks in every dimension, and counted by the first dimension whose edge holds them.

A row costs O(n / 64) word operations and O(D·B) rank checks however many points its ball
holds, where a kd-tree search grows with the ball's surface. This is what the scale sweep's
proofs need (:mod:`mitool.estimators.sweep`: exact counts of chosen rows in the large balls
at the ends of the grid), and, from five dimensions on, full counts too (the decision table in
:mod:`mitool.search.plan`; timings in benchmarks/RESULTS.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mitool.search.compiled import numba
from mitool.search.threads import call
from mitool.steps import NO_STEPS, Steps, done_reporter

#: The prefix bitsets take at most this many bytes (the block B grows with n to keep to it).
BUDGET = 64 * 2**20
#: The smallest block B: fewer ranks to check one by one, more bitsets to keep.
MIN_BLOCK = 16
#: Rows handed to a thread at a time.
ROWS_PER_TASK = 64

if numba is not None:
    from numba import njit, prange

    from mitool.search.sorted1d import run_within

    _ONE = np.uint64(1)
    _ALL = ~np.uint64(0)
    _M1 = np.uint64(0x5555555555555555)
    _M2 = np.uint64(0x3333333333333333)
    _M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
    _H01 = np.uint64(0x0101010101010101)

    @njit(cache=True, nogil=True)
    def _popcount(v):
        v = v - ((v >> _ONE) & _M1)
        v = (v & _M2) + ((v >> np.uint64(2)) & _M2)
        v = (v + (v >> np.uint64(4))) & _M4
        return (v * _H01) >> np.uint64(56)

    @njit(cache=True, nogil=True)
    def _prefix(rank0, order, block, blocks, words):
        """prefix[d, m]: the bits (by rank in dimension 0) of the points whose rank in
        dimension d + 1 is below m·block."""
        extra, n = order.shape
        prefix = np.zeros((extra, blocks + 1, words), np.uint64)
        for d in range(extra):
            for m in range(blocks):
                prefix[d, m + 1, :] = prefix[d, m, :]
                for at in range(m * block, min((m + 1) * block, n)):
                    p = rank0[order[d, at]]
                    prefix[d, m + 1, p >> 6] |= _ONE << np.uint64(p & 63)
        return prefix

    @njit(cache=True, nogil=True)
    def _runs_of(points, sorted_, rank, c, i, r, lo, hi):
        for d in range(points.shape[1]):
            b, e = run_within(sorted_[d], c, c * points[i, d], r, rank[d, i])
            lo[d], hi[d] = b, e - 1

    @njit(parallel=True, cache=True, nogil=True)
    def _slab_counts(points, sorted_, rank, c, radius):
        n, dim = points.shape
        out = np.zeros((dim, n), np.int64)
        for i in prange(n):
            r = radius[i]
            if r < 0:
                continue
            for d in range(dim):
                b, e = run_within(sorted_[d], c, c * points[i, d], r, rank[d, i])
                out[d, i] = e - b
        return out

    @njit(cache=True, nogil=True)
    def _count_one(edge_rank, prefix, block, lo, hi, a, b):
        """#{j : lo_d <= rank_d(j) <= hi_d for every d}; a, b receive each slab's interior
        blocks (empty: a = b)."""
        dim = len(lo)
        core = True
        for d in range(1, dim):
            a[d] = (lo[d] + block - 1) // block
            b[d] = (hi[d] + 1) // block
            if a[d] >= b[d]:
                a[d] = b[d] = 0
                core = False
        total = np.uint64(0)
        if core:
            w0 = lo[0] >> 6
            w1 = hi[0] >> 6
            for w in range(w0, w1 + 1):
                v = _ALL
                if w == w0:
                    v &= _ALL << np.uint64(lo[0] & 63)
                if w == w1:
                    v &= _ALL >> np.uint64(63 - (hi[0] & 63))
                for d in range(1, dim):
                    v &= prefix[d - 1, b[d], w] & ~prefix[d - 1, a[d], w]
                    if v == 0:
                        break
                total += _popcount(v)
        edge = 0
        for d in range(1, dim):
            inner_lo = a[d] * block
            inner_hi = b[d] * block
            if inner_lo == inner_hi:  # no interior: the whole slab is edge
                inner_lo = inner_hi = hi[d] + 1
            for part in range(2):
                s = lo[d] if part == 0 else inner_hi
                e = inner_lo if part == 0 else hi[d] + 1
                for at in range(s, e):
                    ranks = edge_rank[d - 1, at]
                    inside = True
                    for f in range(dim):
                        q = ranks[f]
                        if q < lo[f] or q > hi[f]:
                            inside = False
                            break
                    if inside:  # counted here unless an earlier dimension's edge holds it
                        for f in range(1, d):
                            q = ranks[f]
                            if q < a[f] * block or q >= b[f] * block:
                                inside = False
                                break
                    if inside:
                        edge += 1
        return int(total) + edge

    @njit(parallel=True, cache=True, nogil=True)
    def _count_rows(
        points, sorted_, rank, edge_rank, prefix, block, c, radius, rows, per_task, done
    ):
        """The counts of ``rows`` (see :meth:`SlabIndex.count`); done[t] = 1 once task t (its
        ``per_task`` rows) is counted."""
        n, dim = points.shape
        m = len(rows)
        out = np.zeros(m, np.int64)
        tasks = (m + per_task - 1) // per_task
        for task in prange(tasks):
            lo = np.empty(dim, np.int64)
            hi = np.empty(dim, np.int64)
            a = np.zeros(dim, np.int64)
            b = np.zeros(dim, np.int64)
            for k in range(task * per_task, min((task + 1) * per_task, m)):
                i = rows[k]
                r = radius[i]
                if r < 0:  # a negative radius counts nothing, as in the tree
                    continue
                _runs_of(points, sorted_, rank, c, i, r, lo, hi)
                out[k] = _count_one(edge_rank, prefix, block, lo, hi, a, b)
            done[task] = 1
        return out


def _block(n: int, dim: int) -> int:
    """The smallest block of ranks whose prefix bitsets fit in :data:`BUDGET`."""
    words = -(-n // 64)
    per_bitset = 8 * words * max(dim - 1, 1)
    return max(MIN_BLOCK, -(-n * per_bitset // BUDGET))


@dataclass(frozen=True)
class SlabIndex:
    """Per-dimension sort orders and ranks of ``points`` (n, D), D >= 2, with the prefix
    bitsets of the module docstring; queried at any scale c > 0 of the points, exactly as
    the arrays ``c * points``."""

    points: np.ndarray
    sorted_: np.ndarray  # (D, n) each dimension's values, ascending
    rank: np.ndarray  # (D, n) rank[d, i]: position of point i in dimension d's order
    edge_rank: np.ndarray  # (D - 1, n, D) int32: [d - 1, m] all ranks of d's m-th point
    prefix: np.ndarray  # (D - 1, n / block + 1, n / 64) uint64
    block: int

    @classmethod
    def build(cls, points: np.ndarray, block: int | None = None) -> SlabIndex:
        """Index ``points``; ``block`` (B) defaults to the least that keeps to :data:`BUDGET`."""
        pts = np.ascontiguousarray(points, dtype=np.float64)
        n, dim = pts.shape
        if dim < 2:
            raise ValueError("SlabIndex needs at least two dimensions")
        order = np.argsort(pts, axis=0, kind="stable").T
        rank = np.empty((dim, n), dtype=np.int64)
        for d in range(dim):
            rank[d, order[d]] = np.arange(n)
        sorted_ = np.ascontiguousarray(np.take_along_axis(pts, order.T, axis=0).T)
        block = _block(n, dim) if block is None else max(1, int(block))
        tail = np.ascontiguousarray(order[1:])
        prefix = call(_prefix, rank[0], tail, block, -(-n // block), -(-n // 64), threads=1, rows=n)
        # the edges are read along each dimension's order: their ranks lie there contiguously
        edge_rank = np.ascontiguousarray(rank.T[tail].astype(np.int32))
        return cls(pts, sorted_, rank, edge_rank, prefix, block)

    def slab_counts(self, radius: np.ndarray, scale: float = 1.0, threads: int = -1) -> np.ndarray:
        """#{j : |c·p_jd − c·p_id| <= radius_i} for each dimension d alone, shape (D, n)."""
        r = np.ascontiguousarray(radius, dtype=np.float64)
        return call(
            _slab_counts, self.points, self.sorted_, self.rank, float(scale), r,
            threads=threads, rows=len(self.points),
        )  # fmt: skip

    def count(
        self,
        radius: np.ndarray,
        rows: np.ndarray,
        scale: float = 1.0,
        threads: int = -1,
        *,
        steps: Steps = NO_STEPS,
        units: float = 0.0,
    ) -> np.ndarray:
        """#{j : max_d |c·p_jd − c·p_id| <= radius_i} (j = i included) for each i of ``rows``,
        in that order; a negative radius counts 0. ``radius`` has one entry per point.
        ``units`` of progress go to ``steps`` while the count runs, as its tasks finish."""
        rows = np.asarray(rows, dtype=np.int64)
        r = np.ascontiguousarray(radius, dtype=np.float64)
        if r.shape != (len(self.points),):
            raise ValueError(f"radius must have shape ({len(self.points)},), got {r.shape}")
        # rows near in dimension 0 read the same words: take them in that order
        by_rank = np.argsort(self.rank[0][rows], kind="stable")
        done = np.zeros(-(-len(rows) // ROWS_PER_TASK), dtype=np.uint8)
        got = call(
            _count_rows, self.points, self.sorted_, self.rank, self.edge_rank, self.prefix,
            self.block, float(scale), r, rows[by_rank], ROWS_PER_TASK, done,
            threads=threads, rows=len(self.points), chunk=1,
            watch=done_reporter(done, steps, units),
        )  # fmt: skip
        out = np.empty_like(got)
        out[by_rank] = got
        return out
