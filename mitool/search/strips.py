"""KSG algorithm 1 of one column against one column, compiled, for the many columns of a screen.

Each column's k-th max-norm neighbour distance comes from the cheapest of three exact searches,
as a pilot on PILOT_ROWS points measures them: a strip along x, a strip along t
(:func:`_strip_knn`: cheap under strong dependence, and one of them when one side's scale dwarfs
the other's) or a grid of rank cells (:func:`_grid_knn`: cheap near independence, which most
features of a screen are). The marginal counts are the run of sorted values strictly within
ε (:func:`mitool.search.sorted1d.run_within` below the float below ε, as every strict count of
mitool's). The pass gives up, returning a reason instead of a value, where it cannot vouch for
the value (a constant column, rows that may repeat, a search costlier than the pilot allows):
the caller then takes mitool's estimator (:mod:`mitool.screening`).

Needs numba (as :mod:`mitool.screening` does); the values equal ``mitool.estimate(x, t,
estimator="ksg", norm="none", scales=(1.0,))`` on tie-free columns.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from mitool.search.compiled import insert
from mitool.search.sorted1d import run_within

#: Rows of the pilot that picks the cheaper strip (the feature's or the target's order).
PILOT_ROWS = 32
#: The compiled search gives up (and mitool's tree takes over) past this many times the work
#: the pilot predicts, plus a fixed allowance per row: clumps the pilot missed.
BUDGET_FACTOR = 8
BUDGET_PER_ROW = 64
#: What the compiled pass returns besides a value.
OK, CONSTANT, TIES, COSTLY = 0, 1, 2, 3


@njit(cache=True, nogil=True)
def _count_strictly_within(s: np.ndarray, p: int, v: float, eps: float) -> int:
    """#{q : |s_q − v| < ε} in the sorted ``s``, where s_p = v and ε > 0: the run of values
    within the float below ε (:func:`mitool.search.sorted1d.run_within`)."""
    first, end = run_within(s, 1.0, v, np.nextafter(eps, -np.inf), p)
    return end - first


@njit(cache=True, nogil=True)
def _strip_knn(a: np.ndarray, b: np.ndarray, p: int, best: np.ndarray) -> tuple[float, int, int]:
    """The k-th max-norm neighbour distance of point ``p`` (k = len(best)), with ``a`` sorted and
    ``b`` in ``a``'s order: scan outwards in ``a`` while |Δa| is below the k-th best distance.

    Returns (ε, #{q : |a_q − a_p| < ε} including p itself, points scanned). Every point of the
    strip |Δa| < ε is scanned, so the count in ``a`` is the span of the scan less the points at
    exactly ε (the k-th neighbour itself, when |Δa| attains ε).
    """
    n = len(a)
    k = len(best)
    ai = a[p]
    bi = b[p]
    best[:] = np.inf
    bk = np.inf
    q = p - 1
    while q >= 0:
        da = ai - a[q]
        if da >= bk:
            break
        db = abs(b[q] - bi)
        if db < bk:
            insert(best, max(da, db))
            bk = best[k - 1]
        q -= 1
    lo = q
    q = p + 1
    while q < n:
        da = a[q] - ai
        if da >= bk:
            break
        db = abs(b[q] - bi)
        if db < bk:
            insert(best, max(da, db))
            bk = best[k - 1]
        q += 1
    hi = q
    work = hi - lo - 2
    while lo + 1 < p and ai - a[lo + 1] >= bk:
        lo += 1
    while hi - 1 > p and a[hi - 1] - ai >= bk:
        hi -= 1
    return bk, hi - lo - 1, work


@njit(cache=True, nogil=True)
def _grid(a: np.ndarray, b: np.ndarray, rank_b: np.ndarray, size: int) -> tuple:
    """Cells of ``size`` × ``size`` ranks: point p (a sorted, b in a's order, ``rank_b[p]`` its
    rank in b) falls in cell (p // size, rank_b[p] // size). Returns (cell starts, a and b
    values in cell order, cells per side)."""
    n = len(a)
    side = (n + size - 1) // size
    cell = np.empty(n, np.int64)
    starts = np.zeros(side * side + 1, np.int64)
    for p in range(n):
        c = (p // size) * side + rank_b[p] // size
        cell[p] = c
        starts[c + 1] += 1
    for c in range(side * side):
        starts[c + 1] += starts[c]
    fill = starts[:-1].copy()
    va = np.empty(n)
    vb = np.empty(n)
    for p in range(n):
        c = cell[p]
        va[fill[c]] = a[p]
        vb[fill[c]] = b[p]
        fill[c] += 1
    return starts, va, vb, side


@njit(cache=True, nogil=True)
def _scan_span(
    va: np.ndarray, vb: np.ndarray, lo: int, hi: int, ai: float, bi: float, best: np.ndarray,
    bk: float,
) -> float:  # fmt: skip
    """Offer ``best`` the points lo..hi-1 in cell order (the point itself, the only one equal
    to (ai, bi) where rows do not repeat, excluded); the new k-th best."""
    for q in range(lo, hi):
        d = max(abs(va[q] - ai), abs(vb[q] - bi))
        if d < bk and not (va[q] == ai and vb[q] == bi):
            insert(best, d)
            bk = best[len(best) - 1]
    return bk


@njit(cache=True, nogil=True)
def _grid_knn(
    a: np.ndarray,
    b: np.ndarray,
    s: np.ndarray,
    rank_b: np.ndarray,
    p: int,
    size: int,
    grid: tuple,
    best: np.ndarray,
) -> tuple[float, int]:
    """The k-th max-norm neighbour distance of point p from the rank grid: from the 3 × 3 cells
    around p's, grow the rectangle of cells, each time on the side nearest in value (``s`` is b
    sorted), until every point outside it is at least the k-th best away. The cells of one
    column (one block of a's ranks) are contiguous. Returns (ε, work: 6 per cell and 3 per
    point, in steps of :func:`_strip_knn`, which take about a third of the time: measured at
    n = 1e4)."""
    starts, va, vb, side = grid
    n = len(a)
    ai = a[p]
    bi = b[p]
    best[:] = np.inf
    ia0 = max(p // size - 1, 0)
    ia1 = min(p // size + 1, side - 1)
    ib0 = max(rank_b[p] // size - 1, 0)
    ib1 = min(rank_b[p] // size + 1, side - 1)
    bk = np.inf
    work = 0
    for ia in range(ia0, ia1 + 1):
        lo, hi = starts[ia * side + ib0], starts[ia * side + ib1 + 1]
        bk = _scan_span(va, vb, lo, hi, ai, bi, best, bk)
        work += 6 * (ib1 - ib0 + 1) + 3 * (hi - lo)
    while True:
        left = ai - a[ia0 * size - 1] if ia0 > 0 else np.inf
        right = a[(ia1 + 1) * size] - ai if (ia1 + 1) * size < n else np.inf
        down = bi - s[ib0 * size - 1] if ib0 > 0 else np.inf
        up = s[(ib1 + 1) * size] - bi if (ib1 + 1) * size < n else np.inf
        gap = min(min(left, right), min(down, up))
        if gap >= bk:
            break
        if gap in (left, right):
            ia = ia0 - 1 if gap == left else ia1 + 1
            lo, hi = starts[ia * side + ib0], starts[ia * side + ib1 + 1]
            bk = _scan_span(va, vb, lo, hi, ai, bi, best, bk)
            work += 6 * (ib1 - ib0 + 1) + 3 * (hi - lo)
            if gap == left:
                ia0 = ia
            else:
                ia1 = ia
        else:
            ib = ib0 - 1 if gap == down else ib1 + 1
            for ia in range(ia0, ia1 + 1):
                lo, hi = starts[ia * side + ib], starts[ia * side + ib + 1]
                bk = _scan_span(va, vb, lo, hi, ai, bi, best, bk)
                work += 6 + 3 * (hi - lo)
            if gap == down:
                ib0 = ib
            else:
                ib1 = ib
    return bk, work


@njit(cache=True, nogil=True)
def ksg_value(
    x: np.ndarray,
    ox: np.ndarray,
    t: np.ndarray,
    t_order: np.ndarray,
    t_rank: np.ndarray,
    t_ties: bool,
    k: int,
    offset: float,
    psi: np.ndarray,
) -> tuple[float, int]:
    """KSG algorithm 1, ψ(k) + ψ(n) − ⟨ψ(n_x + 1) + ψ(n_t + 1)⟩ (``offset`` = ψ(k) + ψ(n),
    ``psi[c]`` = ψ(c)), for 1-D ``x`` (``ox`` sorts it) and ``t`` (``t_order`` sorts it,
    ``t_rank`` inverts that; ``t_ties``: t repeats a value).

    The k-th neighbour comes from the cheapest of three exact searches, as a pilot on
    PILOT_ROWS points measures them: a strip along x, a strip along t (:func:`_strip_knn`; the
    strips are cheap under strong dependence, and one of them when one side's scale dwarfs the
    other's) or the rank grid (:func:`_grid_knn`; cheap near independence, which most features
    of a screen are). Returns (value, OK), or (nan, reason) where the pass cannot vouch for
    the value: a constant x, rows that may repeat (both sides tied: the estimator then
    jitters), or a search costlier than the pilot allows (then mitool's tree takes over).
    """
    n = len(x)
    xs = x[ox]
    if xs[0] == xs[n - 1]:
        return np.nan, CONSTANT
    if t_ties:
        for i in range(1, n):
            if xs[i] == xs[i - 1]:
                return np.nan, TIES
    best = np.empty(k)
    rows = min(n, PILOT_ROWS)
    t_by_x = t[ox]
    rank_t = t_rank[ox]  # each point's rank in t, in x's order
    size = max(4, int(math.sqrt(n)))
    grid = _grid(xs, t_by_x, rank_t, size)
    ts = t[t_order]
    x_by_t = x[t_order]
    work = np.zeros(3, np.int64)
    for r in range(rows):
        p = (r * n) // rows
        work[0] += _strip_knn(xs, t_by_x, p, best)[2]
        work[1] += _strip_knn(ts, x_by_t, p, best)[2]
        work[2] += _grid_knn(xs, t_by_x, ts, rank_t, p, size, grid, best)[1]
    way = int(np.argmin(work))
    budget = n * (BUDGET_FACTOR * (work[way] // rows) + BUDGET_PER_ROW)
    rank_x = np.empty(n, np.int64)
    rank_x[ox] = np.arange(n)
    rank_x_by_t = rank_x[t_order]
    total = 0
    acc = 0.0
    comp = 0.0  # Kahan: the sum of 2n terms to within rounding of the exact sum
    for p in range(n):
        if way == 0:
            eps, count_a, spent = _strip_knn(xs, t_by_x, p, best)
            count_b = _count_strictly_within(ts, rank_t[p], t_by_x[p], eps)
        elif way == 1:
            eps, count_a, spent = _strip_knn(ts, x_by_t, p, best)
            count_b = _count_strictly_within(xs, rank_x_by_t[p], x_by_t[p], eps)
        else:
            eps, spent = _grid_knn(xs, t_by_x, ts, rank_t, p, size, grid, best)
            count_a = _count_strictly_within(xs, p, xs[p], eps)
            count_b = _count_strictly_within(ts, rank_t[p], t_by_x[p], eps)
        total += spent
        if total > budget:
            return np.nan, COSTLY
        term = psi[count_a] + psi[count_b] - comp
        new = acc + term
        comp = (new - acc) - term
        acc = new
    return offset - acc / n, OK


@njit(cache=True, nogil=True)
def ksg_columns(
    data: np.ndarray,
    orders: np.ndarray,
    rows: np.ndarray,
    t: np.ndarray,
    t_order: np.ndarray,
    t_rank: np.ndarray,
    t_ties: bool,
    k: int,
    offset: float,
    psi: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`ksg_value` for the columns ``data[r]`` (feature-major), r in ``rows``, whose
    sorting orders are ``orders[i]``."""
    values = np.empty(len(rows))
    status = np.empty(len(rows), np.int64)
    for i in range(len(rows)):
        value, why = ksg_value(data[rows[i]], orders[i], t, t_order, t_rank, t_ties, k, offset, psi)
        values[i] = value
        status[i] = why
    return values, status


@njit(cache=True, nogil=True)
def ksg_permuted(
    x: np.ndarray,
    ox: np.ndarray,
    t: np.ndarray,
    t_order: np.ndarray,
    t_rank: np.ndarray,
    t_ties: bool,
    rows: np.ndarray,
    k: int,
    offset: float,
    psi: np.ndarray,
) -> np.ndarray:
    """:func:`ksg_value` of x against t[rows[i]] for each shuffle i (NaN where the pass does
    not vouch for it). The shuffled side's order and ranks are the original's, permuted: no
    sort per shuffle."""
    n = len(t)
    out = np.empty(len(rows))
    inverse = np.empty(n, np.int64)
    for i in range(len(rows)):
        perm = rows[i]
        inverse[perm] = np.arange(n)
        value, why = ksg_value(
            x, ox, t[perm], inverse[t_order], t_rank[perm], t_ties, k, offset, psi
        )
        out[i] = value if why == OK else np.nan
    return out
