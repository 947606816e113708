"""All pairs, compiled (numba): the k-th max-norm neighbour distance and counts within a radius.

Every pair is compared, with an early exit as soon as a partial maximum over the dimensions
exceeds the bound: the fastest exact method when the dimension is well above log2(n), where
every tree degenerates to all pairs anyway. Distances are max_d |a_jd − a_id|, the subtraction
of every other path, so the results equal theirs bit for bit.
"""

from __future__ import annotations

import numpy as np

from mitool.search.compiled import numba
from mitool.search.threads import numba_threads

if numba is not None:
    from numba import njit, prange

    from mitool.search.compiled import insert

    @njit(cache=True, parallel=True)
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

    @njit(cache=True, parallel=True)
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


def knn(z: np.ndarray, k: int, threads: int = -1) -> np.ndarray:
    """k-th max-norm neighbour distance of each row of ``z``, itself excluded."""
    with numba_threads(threads):
        return _knn(np.ascontiguousarray(z, dtype=np.float64), k)


def count(p: np.ndarray, r: np.ndarray, threads: int = -1) -> np.ndarray:
    """#{j : max_d |p_jd − p_id| <= r_i} for every i (j = i included)."""
    with numba_threads(threads):
        return _count(
            np.ascontiguousarray(p, dtype=np.float64), np.ascontiguousarray(r, dtype=np.float64)
        )
