"""Compiled neighbour kernels (numba), exact in floating point like the trees they replace.

Every distance here is the max-norm distance max_d |a_jd − a_id|, computed with the same
subtraction as scipy's and scikit-learn's trees, so the k-th neighbour distances and the counts
are identical to theirs (and to the O(n²) reference in the tests), not merely close:

- :func:`grid_knn_2d`: the k-th neighbour distance in a 2-D joint space (one dimension per
  side) by a ring search on a uniform grid: O(n) expected, all cores.
- :func:`count_sorted`: #{j : |s_j − x_i| ≤ r_i} on a sorted 1-D marginal, by galloping out
  from x_i's own rank; the boundary is decided by the subtraction itself (rounding is
  monotone, so the predicate is monotone on each side).
- :func:`brute_knn` and :func:`brute_count`: all pairs, with an early exit as soon as a
  partial maximum exceeds the bound: the fastest exact method when the dimension is well above
  log2(n), where every tree degenerates to brute force anyway.

numba is imported lazily; :func:`available` says whether it can be used.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

#: Grids whose fullest cell holds more than this many times the mean are not used (heavy
#: tails, clumps): the ring search would degrade towards all pairs, and the tree does better.
MAX_CELL_LOAD = 64
#: Nor grids where a point shares its cell with this many others on average: with heavy tails
#: the cells are sized for the extent, not the mass (at n = 1e5: Cauchy or lognormal samples
#: put nearly every point in one cell; x³ of a Gaussian, 162 per cell, runs one KSG in 0.59 s
#: on the grid and 0.21 s on the tree; Student-t(3), 58 per cell, about as fast on either).
#: The sweep's grid (mitool.sweep_kernels) has cells of ranks, which heavy tails do not upset.
MAX_LOAD = 100


try:
    import numba
    from numba import njit, prange
except ImportError:  # the tree paths still work; kernels are simply not offered
    numba = None


def available() -> bool:
    """True when numba imports (the compiled kernels can run)."""
    return numba is not None


def _threads(workers: int) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) if workers < 0 else workers)


if numba is not None:
    # Compiled on first use and cached on disk (cache=True), so later processes load them.

    @njit(cache=True, nogil=True)
    def insert(best: np.ndarray, value: float) -> None:
        """Keep ``best`` (ascending, length k) the k smallest values seen."""
        k = best.shape[0]
        if value >= best[k - 1]:
            return
        j = k - 1
        while j > 0 and best[j - 1] > value:
            best[j] = best[j - 1]
            j -= 1
        best[j] = value

    @njit(cache=True, nogil=True, inline="always")
    def insert_indexed(best: np.ndarray, best_j: np.ndarray, value: float, j: int) -> None:
        """Keep ``best`` (ascending, length k) the k smallest values seen, ``best_j`` their
        points."""
        k = best.shape[0]
        if value >= best[k - 1]:
            return
        q = k - 1
        while q > 0 and best[q - 1] > value:
            best[q] = best[q - 1]
            best_j[q] = best_j[q - 1]
            q -= 1
        best[q] = value
        best_j[q] = j

    @njit(cache=True, parallel=True)
    def _grid_knn(a, b, k, cell_start, cell_points, gx, gy, h, ax0, by0, inv_h):
        n = a.shape[0]
        eps = np.empty(n)
        for idx in prange(n):
            i = cell_points[idx]  # points in cell order: neighbours share cache lines
            best = np.full(k, np.inf)
            cx = min(int((a[i] - ax0) * inv_h), gx - 1)
            cy = min(int((b[i] - by0) * inv_h), gy - 1)
            ring = 0
            last = max(gx, gy)  # by then every cell has been visited
            while True:
                for qx in range(max(cx - ring, 0), min(cx + ring, gx - 1) + 1):
                    if qx == cx - ring or qx == cx + ring:  # a full column of the ring
                        y0, y1, step = max(cy - ring, 0), min(cy + ring, gy - 1), 1
                    else:  # only the ring's top and bottom cells in this column
                        y0, y1, step = cy - ring, cy + ring, max(2 * ring, 1)
                    for qy in range(y0, y1 + 1, step):
                        if qy < 0 or qy >= gy:
                            continue
                        cell = qx * gy + qy
                        for p in range(cell_start[cell], cell_start[cell + 1]):
                            j = cell_points[p]
                            if j != i:
                                d = max(abs(a[j] - a[i]), abs(b[j] - b[i]))
                                insert(best, d)
                # Every point outside the (2·ring+1)² block lies at least ring·h away; the
                # relative slack covers the rounding of the cell assignment.
                if best[k - 1] <= ring * h * (1.0 - 1e-12) or ring >= last:
                    break
                ring += 1
            eps[i] = best[k - 1]
        return eps

    @njit(cache=True, nogil=True)
    def _bucket(cell, ncells):
        """Counting sort: the points of each cell, contiguous, and where each cell starts."""
        start = np.zeros(ncells + 1, dtype=np.int64)
        for c in cell:
            start[c + 1] += 1
        for c in range(ncells):
            start[c + 1] += start[c]
        fill = start[:-1].copy()
        points = np.empty(cell.shape[0], dtype=np.int64)
        for i in range(cell.shape[0]):
            points[fill[cell[i]]] = i
            fill[cell[i]] += 1
        return start, points

    @njit(cache=True, parallel=True)
    def _count_sorted(s, x, order, r):
        n = x.shape[0]
        out = np.empty(n, dtype=np.int64)
        for q in prange(n):
            p = np.int64(q)  # (prange's index may be unsigned; mixed with int64 it becomes a float)
            i = order[p]  # in sorted order: the gallop reads memory next to the last one
            xi, ri = x[i], r[i]
            if ri < 0.0:
                out[i] = 0
                continue
            # Right edge: the first index whose value is beyond xi + ri (gallop, then bisect).
            lo, step = p, 1
            while lo + step < n and s[lo + step] - xi <= ri:
                lo += step
                step *= 2
            hi = min(lo + step, n)  # s[lo] is inside; s[hi] (if any) is outside
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if s[mid] - xi <= ri:
                    lo = mid
                else:
                    hi = mid
            right = hi
            hi, step = p, 1
            while hi - step >= 0 and xi - s[hi - step] <= ri:
                hi -= step
                step *= 2
            lo = max(hi - step, -1)  # s[hi] is inside; s[lo] (if any) is outside
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if xi - s[mid] <= ri:
                    hi = mid
                else:
                    lo = mid
            out[i] = right - hi
        return out

    @njit(cache=True, parallel=True)
    def _brute_knn(z, k):
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
    def _brute_count(p, r):
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


def _compiled() -> dict[str, Any]:
    return {
        "numba": numba,
        "grid_knn": _grid_knn,
        "count_sorted": _count_sorted,
        "bucket": _bucket,
        "brute_knn": _brute_knn,
        "brute_count": _brute_count,
    }


def set_threads(workers: int) -> None:
    """Run numba's parallel loops on ``workers`` threads (-1: all cores) in this process."""
    numba.set_num_threads(min(_threads(workers), numba.config.NUMBA_NUM_THREADS))


def bucket(cell: np.ndarray, ncells: int) -> tuple[np.ndarray, np.ndarray]:
    """Counting sort of points by cell: ``(cell_start, cell_points)``, the points of cell c
    being ``cell_points[cell_start[c] : cell_start[c + 1]]``."""
    return _compiled()["bucket"](np.ascontiguousarray(cell, dtype=np.int64), ncells)


def grid_knn_2d(z: np.ndarray, k: int, workers: int = -1) -> np.ndarray | None:
    """k-th max-norm neighbour distance of each row of the (n, 2) array ``z``, itself excluded.

    Returns None when the data are too clumped for a uniform grid (see MAX_CELL_LOAD).
    """
    a = np.ascontiguousarray(z[:, 0], dtype=np.float64)
    b = np.ascontiguousarray(z[:, 1], dtype=np.float64)
    grid = grid_2d(a, b)
    if grid is None:
        return None
    set_threads(workers)
    cell_start, cell_points, gx, gy, h, ax0, bx0 = grid
    return _compiled()["grid_knn"](a, b, k, cell_start, cell_points, gx, gy, h, ax0, bx0, 1.0 / h)


def grid_2d(a: np.ndarray, b: np.ndarray) -> tuple[Any, ...] | None:
    """Bucket the points (a_i, b_i) on a uniform square grid of about two points per cell.

    Returns ``(cell_start, cell_points, gx, gy, h, a0, b0)``: the points of cell ``qx·gy + qy``
    are ``cell_points[cell_start[cell] : cell_start[cell + 1]]``, and point i lies in cell
    (⌊(a_i − a0)/h⌋, ⌊(b_i − b0)/h⌋), clipped to the grid. None when the data are too clumped
    or heavy-tailed (see MAX_CELL_LOAD and MAX_LOAD) or have no extent.
    """
    n = len(a)
    ax0, bx0 = float(a.min()), float(b.min())
    wa, wb = float(a.max()) - ax0, float(b.max()) - bx0
    if min(wa, wb) <= 0.0 or not math.isfinite(wa + wb):
        return None
    # Cell side h: start from the bounding box, then shrink or grow it (twice) until the
    # average point shares its cell with about two others, wherever the mass actually lies.
    # Never more than about 8n cells, and never a long thin grid: a side at least the longer
    # extent over 8·sqrt(n) (a nearly constant column makes one extent tiny).
    floor = max(math.sqrt(wa * wb / (8 * n)), max(wa, wb) / (8 * math.sqrt(n)))
    h = max(math.sqrt(wa * wb / n), floor)
    for attempt in range(4):  # the cells passed on are always those of the final h
        cell, gx, gy, counts = _cells(a, b, ax0, bx0, h, n)
        load = float(np.dot(counts, counts)) / n  # the mean occupancy seen by a point
        if attempt == 3 or 1.5 <= load <= 4.0 or (load < 1.5 and h <= floor):
            break
        h = max(h * min(4.0, math.sqrt(2.5 / load)), floor)
    if load > MAX_LOAD or counts.max() > MAX_CELL_LOAD * max(load, 1.0):
        return None
    cell_start, cell_points = _compiled()["bucket"](cell, gx * gy)
    return cell_start, cell_points, gx, gy, h, ax0, bx0


def _cells(
    a: np.ndarray, b: np.ndarray, ax0: float, bx0: float, h: float, n: int
) -> tuple[np.ndarray, int, int, np.ndarray]:
    inv_h = 1.0 / h
    gx = int((float(a.max()) - ax0) * inv_h) + 1
    gy = int((float(b.max()) - bx0) * inv_h) + 1
    cx = np.minimum(((a - ax0) * inv_h).astype(np.int64), gx - 1)
    cy = np.minimum(((b - bx0) * inv_h).astype(np.int64), gy - 1)
    cell = cx * gy + cy
    return cell, gx, gy, np.bincount(cell, minlength=gx * gy)


def count_sorted(
    s: np.ndarray, x: np.ndarray, order: np.ndarray, r: np.ndarray, workers: int = -1
) -> np.ndarray:
    """#{j : |s_j − x_i| ≤ r_i}, where s = x[order] is sorted."""
    set_threads(workers)
    return _compiled()["count_sorted"](s, x, order, np.ascontiguousarray(r, dtype=np.float64))


def brute_knn(z: np.ndarray, k: int, workers: int = -1) -> np.ndarray:
    """k-th max-norm neighbour distance of each row of ``z`` by exhaustive search."""
    set_threads(workers)
    return _compiled()["brute_knn"](np.ascontiguousarray(z, dtype=np.float64), k)


def brute_count(p: np.ndarray, r: np.ndarray, workers: int = -1) -> np.ndarray:
    """#{j : max_d |p_jd − p_id| ≤ r_i} by exhaustive search (j = i included)."""
    set_threads(workers)
    return _compiled()["brute_count"](
        np.ascontiguousarray(p, dtype=np.float64), np.ascontiguousarray(r, dtype=np.float64)
    )
