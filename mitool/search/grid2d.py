"""The k-th neighbour distance in a 2-D joint space (one dimension per side) on a uniform grid.

A ring search: the cells around a point are visited ring by ring until every point outside
the rings visited lies farther than the k-th best distance found. O(n) expected, all cores.
Distances are max(|a_j − a_i|, |b_j − b_i|), the subtraction every other path makes, so the
k-th distances equal theirs bit for bit. Data too clumped or heavy-tailed for a uniform grid
are refused (:func:`grid_2d` returns None) and left to the tree. :func:`bucket`, the counting
sort of points by cell, also fills the scale sweep's grid of ranks (:mod:`mitool.search.rank_grid`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mitool.search.compiled import numba
from mitool.search.threads import call

#: Grids whose fullest cell holds more than this many times the mean are not used (heavy
#: tails, clumps): the ring search would degrade towards all pairs, and the tree does better.
MAX_CELL_LOAD = 64
#: Nor grids where a point shares its cell with this many others on average: with heavy tails
#: the cells are sized for the extent, not the mass (Cauchy or lognormal samples put nearly
#: every point in one cell). The sweep's grid (:mod:`mitool.search.rank_grid`) has cells of
#: ranks, which heavy tails do not upset.
MAX_LOAD = 100

if numba is not None:
    from numba import njit, prange

    from mitool.search.compiled import insert

    @njit(cache=True, parallel=True, nogil=True)
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


def bucket(cell: np.ndarray, ncells: int) -> tuple[np.ndarray, np.ndarray]:
    """Counting sort of points by cell: ``(cell_start, cell_points)``, the points of cell c
    being ``cell_points[cell_start[c] : cell_start[c + 1]]``."""
    cells = np.ascontiguousarray(cell, dtype=np.int64)
    return call(_bucket, cells, ncells, threads=1, rows=len(cells))


def grid_knn_2d(z: np.ndarray, k: int, threads: int = -1) -> np.ndarray | None:
    """k-th max-norm neighbour distance of each row of the (n, 2) array ``z``, itself excluded.

    Returns None when the data are too clumped for a uniform grid (see MAX_CELL_LOAD).
    """
    a = np.ascontiguousarray(z[:, 0], dtype=np.float64)
    b = np.ascontiguousarray(z[:, 1], dtype=np.float64)
    grid = grid_2d(a, b)
    if grid is None:
        return None
    cell_start, cell_points, gx, gy, h, ax0, bx0 = grid
    return call(
        _grid_knn, a, b, k, cell_start, cell_points, gx, gy, h, ax0, bx0, 1.0 / h,
        threads=threads, rows=len(a),
    )  # fmt: skip


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
        cell, gx, gy, counts = call(_cells, a, b, ax0, bx0, h, threads=1, rows=len(a))
        load = float(np.dot(counts, counts)) / n  # the mean occupancy seen by a point
        if attempt == 3 or 1.5 <= load <= 4.0 or (load < 1.5 and h <= floor):
            break
        h = max(h * min(4.0, math.sqrt(2.5 / load)), floor)
    if load > MAX_LOAD or counts.max() > MAX_CELL_LOAD * max(load, 1.0):
        return None
    cell_start, cell_points = bucket(cell, gx * gy)
    return cell_start, cell_points, gx, gy, h, ax0, bx0


def _cells(
    a: np.ndarray, b: np.ndarray, ax0: float, bx0: float, h: float
) -> tuple[np.ndarray, int, int, np.ndarray]:
    inv_h = 1.0 / h
    gx = int((float(a.max()) - ax0) * inv_h) + 1
    gy = int((float(b.max()) - bx0) * inv_h) + 1
    cx = np.minimum(((a - ax0) * inv_h).astype(np.int64), gx - 1)
    cy = np.minimum(((b - bx0) * inv_h).astype(np.int64), gy - 1)
    cell = cx * gy + cy
    return cell, gx, gy, np.bincount(cell, minlength=gx * gy)
