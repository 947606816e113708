"""All pairs, compiled (numba): the k-th max-norm neighbour distance and counts within a radius.

Every pair is compared, with an early exit as soon as a partial maximum over the dimensions
exceeds the bound: the fastest exact method when the dimension is well above log2(n), where
every tree degenerates to all pairs anyway. Distances are max_d |a_jd − a_id|, the subtraction
of every other path, so the results equal theirs bit for bit.
"""

from __future__ import annotations

import numpy as np

from mitool.search.compiled import numba
from mitool.search.threads import call

if numba is not None:
    from numba import njit, prange

    from mitool.search.compiled import insert

    @njit(cache=True, parallel=True, nogil=True)
    def _knn(z, k):
        n, dim = z.shape
        eps = np.empty(n)
        for i in prange(n):
            best = np.full(k, np.inf)
            for j in range(n):
                if j == i:
                    continue
                bound = best[k - 1]
                d = 0.0
                for c in range(dim):
                    v = abs(z[j, c] - z[i, c])
                    if v > d:
                        d = v
                        if d >= bound:
                            break
                if d < bound:
                    insert(best, d)
            eps[i] = best[k - 1]
        return eps

    @njit(cache=True, parallel=True, nogil=True)
    def _count(p, r):
        n, dim = p.shape
        out = np.empty(n, dtype=np.int64)
        for i in prange(n):
            ri = r[i]
            total = 0
            for j in range(n):
                inside = True
                for c in range(dim):
                    if abs(p[j, c] - p[i, c]) > ri:
                        inside = False
                        break
                if inside:
                    total += 1
            out[i] = total
        return out

    @njit(cache=True, parallel=True, nogil=True)
    def _count_many(p, radii):
        n, dim = p.shape
        m = radii.shape[1]
        out = np.empty((n, m), dtype=np.int64)
        for i in prange(n):
            order = np.argsort(radii[i])
            ascending = radii[i][order]
            largest = ascending[m - 1]
            first = np.zeros(m, dtype=np.int64)  # points whose first radius holding them is q
            for j in range(n):
                d = 0.0
                for c in range(dim):
                    v = abs(p[j, c] - p[i, c])
                    if v > d:
                        d = v
                        if d > largest:
                            break
                if d <= largest:
                    q = np.searchsorted(ascending, d)  # the first radius >= d
                    first[q] += 1
            total = 0
            for q in range(m):
                total += first[q]
                out[i, order[q]] = total
        return out


def knn(z: np.ndarray, k: int, threads: int = -1) -> np.ndarray:
    """k-th max-norm neighbour distance of each row of ``z``, itself excluded."""
    return call(_knn, np.ascontiguousarray(z, dtype=np.float64), k, threads=threads, rows=len(z))


def count(p: np.ndarray, r: np.ndarray, threads: int = -1) -> np.ndarray:
    """#{j : max_d |p_jd − p_id| <= r_i} for every i (j = i included)."""
    points = np.ascontiguousarray(p, dtype=np.float64)
    radius = np.ascontiguousarray(r, dtype=np.float64)
    return call(_count, points, radius, threads=threads, rows=len(points))


def count_many(p: np.ndarray, radii: np.ndarray, threads: int = -1) -> np.ndarray:
    """:func:`count` at every column of ``radii`` (n, m), shape (n, m), in one pass over the
    pairs: each distance is taken once (stopping once it exceeds the point's largest radius)
    and placed at the smallest radius that holds it; the counts are the running sums. The
    distance and the comparison ``<=`` are those of :func:`count`, so each column equals it."""
    points = np.ascontiguousarray(p, dtype=np.float64)
    r = np.ascontiguousarray(radii, dtype=np.float64)
    return call(_count_many, points, r, threads=threads, rows=len(points))
