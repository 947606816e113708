"""An exact, parallel kd-tree (numba) for max-norm counting and k-th-neighbour search.

The tree is built once on the unscaled points and queried at any per-dimension scale ``s``:
every query answers exactly what an O(n²) search would answer on the explicitly scaled array
``q = points * s`` (numpy's elementwise product), distances being max_d |q_jd − q_id| in
float64. Bit-identical, not merely close:

- Points are scaled by the very same multiplication ``s_d * p_jd``.
- A node's box [lo_d, hi_d] is tight (lo and hi are coordinates of its points), and IEEE
  multiplication and subtraction are monotone (weakly), so fl(s_d·lo_d) ≤ fl(s_d·x_d) ≤
  fl(s_d·hi_d) for every point x of the node (the two ends swap when s_d < 0), and the float
  distances from a query to the scaled box's near and far faces bound every point's float
  distance exactly. Hence a node whose far distance is ≤ r is counted whole without visiting
  its points, and a node whose near distance is > r (or ≥ the current k-th best) is skipped,
  with no rounding slack anywhere. No fastmath (no FMA contraction) is used.

Counting classifies each node against the query's ball in every dimension: outside in one
(skip), within in all (add its size), or undecided in some; a leaf undecided in one dimension
only tests that one, and a node of at most :data:`BUCKET` points undecided in one dimension
only counts by bisection in its values sorted in that dimension (the run of sorted values
within r, :mod:`mitool.search.sorted1d`). The k-nearest search keeps a sorted k-best list per
scale and visits the nearer child first.

Public API: :class:`KDTree` (``KDTree.build(points, leaf_size)``), :func:`count`, and for a
scale sweep :func:`count_many` (many radii per point) and :func:`kth_many` (the k-th neighbour
distance at many scales of T in one search; one scale is one KSG's joint search). ``threads``:
the number of threads, -1 for all cores.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from mitool.search.compiled import numba
from mitool.search.threads import call, numba_threads
from mitool.steps import NO_STEPS, Steps, done_reporter

#: Queries handed to a thread at a time (one stack and one k-best list per block).
BLOCK = 64

#: Counting sorts, per dimension, the values of every inner node of at most this many points
#: (whose parent has more): where one dimension alone remains undecided at such a node (the
#: usual case on the surface of a large ball), its count is two bisections.
BUCKET = 128

#: Many-radii counting finds each point's first radius at or beyond its distance from a
#: table of this many equal steps between the smallest and largest radius (then a step or
#: none): a walk along the radii mispredicted its end at almost every point.
TABLE = 32


if numba is not None:
    from numba import njit, prange

    from mitool.search.sorted1d import first_beyond, first_within

    @njit(cache=True, nogil=True)
    def _select(keys, idx, lo, hi, kth):
        """Reorder keys[lo:hi] (and idx alongside) so that keys[kth] is the one a full sort
        would put there, with no larger key before it and no smaller one after it (Hoare
        partitions around a median of three; equal keys stop both scans, so ties split evenly).
        """
        left = lo
        right = hi - 1
        while right > left:
            mid = (left + right) >> 1
            a = keys[left]
            b = keys[mid]
            c = keys[right]
            if a < b:
                if b < c:
                    pivot = b
                elif a < c:
                    pivot = c
                else:
                    pivot = a
            else:
                if a < c:
                    pivot = a
                elif b < c:
                    pivot = c
                else:
                    pivot = b
            i = left
            j = right
            while i <= j:
                while keys[i] < pivot:
                    i += 1
                while keys[j] > pivot:
                    j -= 1
                if i <= j:
                    t = keys[i]
                    keys[i] = keys[j]
                    keys[j] = t
                    u = idx[i]
                    idx[i] = idx[j]
                    idx[j] = u
                    i += 1
                    j -= 1
            if kth <= j:
                right = j
            elif kth >= i:
                left = i
            else:
                break

    @njit(cache=True, nogil=True)
    def _box_rows(work, s, e, lo, hi, node):
        dim = work.shape[1]
        for d in range(dim):
            lo[node, d] = work[s, d]
            hi[node, d] = work[s, d]
        for m in range(s + 1, e):
            for d in range(dim):
                v = work[m, d]
                if v < lo[node, d]:
                    lo[node, d] = v
                elif v > hi[node, d]:
                    hi[node, d] = v

    @njit(cache=True, nogil=True)
    def _build(points, leaf_size, max_nodes, max_depth, weight):
        # ``work`` holds the points in the current tree order (rows moved with each split), so
        # keys and boxes are read from contiguous memory.
        n, dim = points.shape
        perm = np.arange(n)
        work = points.copy()
        buf = np.empty_like(work)
        pbuf = np.empty(n, dtype=np.int64)
        loc = np.empty(n, dtype=np.int64)
        start = np.zeros(max_nodes, dtype=np.int64)
        end = np.zeros(max_nodes, dtype=np.int64)
        left = np.full(max_nodes, -1, dtype=np.int64)
        right = np.full(max_nodes, -1, dtype=np.int64)
        lo = np.zeros((max_nodes, dim))
        hi = np.zeros((max_nodes, dim))
        keys = np.empty(n)
        stack = np.empty(max_depth + 2, dtype=np.int64)
        end[0] = n
        nodes = 1
        if n > 0:
            _box_rows(work, 0, n, lo, hi, 0)
            stack[0] = 0
            sp = 1
        else:
            sp = 0
        while sp > 0:
            sp -= 1
            node = stack[sp]
            s = start[node]
            e = end[node]
            if e - s <= leaf_size:
                continue
            best = -1
            spread = 0.0
            for d in range(dim):
                w = weight[d] * (hi[node, d] - lo[node, d])
                if w > spread:
                    spread = w
                    best = d
            if best < 0:  # all points equal: nothing to split
                continue
            mid = s + (e - s) // 2
            for m in range(s, e):
                keys[m] = work[m, best]
                loc[m] = m
            _select(keys, loc, s, e, mid)
            for m in range(s, e):
                src = loc[m]
                pbuf[m] = perm[src]
                for d in range(dim):
                    buf[m, d] = work[src, d]
            for m in range(s, e):
                perm[m] = pbuf[m]
                for d in range(dim):
                    work[m, d] = buf[m, d]
            a = nodes
            b = nodes + 1
            nodes += 2
            start[a] = s
            end[a] = mid
            start[b] = mid
            end[b] = e
            _box_rows(work, s, mid, lo, hi, a)
            _box_rows(work, mid, e, lo, hi, b)
            left[node] = a
            right[node] = b
            stack[sp] = b
            stack[sp + 1] = a
            sp += 2
        return (
            perm,
            work,
            start[:nodes],
            end[:nodes],
            left[:nodes],
            right[:nodes],
            lo[:nodes],
            hi[:nodes],
        )

    @njit(cache=True, parallel=True, nogil=True)
    def _count(tp, start, end, left, right, slo, shi, r, depth, block, nlevel, srt, done):
        """The counts in tree order (see :func:`count`); done[b] = 1 once block b is counted."""
        n, dim = tp.shape
        out = np.zeros(n, dtype=np.int64)
        nblocks = (n + block - 1) // block
        for b in prange(nblocks):
            stack = np.empty(depth + 2, dtype=np.int64)
            first = np.int64(b) * block
            for p in range(first, min(first + block, n)):
                ri = r[p]
                if not ri >= 0.0:  # negative (or NaN): nothing within
                    continue
                total = 0
                stack[0] = 0
                sp = 1
                while sp > 0:
                    sp -= 1
                    node = stack[sp]
                    m = 0  # dimensions in which the box is not wholly within the radius
                    du = 0  # the last of them
                    outside = False
                    for d in range(dim):
                        qd = tp[p, d]
                        below = slo[node, d] - qd  # > 0: the box lies above the query
                        above = qd - shi[node, d]  # > 0: the box lies below the query
                        if below > ri or above > ri:
                            outside = True
                            break
                        if -below > ri or -above > ri:
                            m += 1
                            du = d
                    if outside:
                        continue
                    if m == 0:
                        total += end[node] - start[node]
                        continue
                    if m == 1 and nlevel[node] >= 0:
                        # One dimension left undecided, and the node's values in it are sorted:
                        # the points within form one run (the predicate is monotone on each
                        # side of the query's value); find its two ends by bisection.
                        a = srt[nlevel[node], du]
                        first_in = first_within(a, 1.0, tp[p, du], ri, start[node], end[node])
                        total += first_beyond(a, 1.0, tp[p, du], ri, first_in, end[node]) - first_in
                        continue
                    if left[node] < 0:
                        if m == 1:  # within in every other dimension: test this one only
                            qd = tp[p, du]
                            for j in range(start[node], end[node]):
                                if abs(tp[j, du] - qd) <= ri:
                                    total += 1
                        else:
                            for j in range(start[node], end[node]):
                                within = True
                                for d in range(dim):
                                    if abs(tp[j, d] - tp[p, d]) > ri:
                                        within = False
                                        break
                                if within:
                                    total += 1
                    else:
                        stack[sp] = right[node]
                        stack[sp + 1] = left[node]
                        sp += 2
                out[p] = total
            done[b] = 1
        return out

    @njit(cache=True, nogil=True)
    def _within_scaled(tp, j, p, c, r):
        """max_d |c·p_jd − c·p_pd| <= r, with the products rounded as in ``points * c``."""
        for d in range(tp.shape[1]):  # noqa: SIM110 (a generator in all() does not compile)
            if abs(c * tp[j, d] - c * tp[p, d]) > r:
                return False
        return True

    @njit(cache=True, nogil=True, inline="always")
    def _slot(dist, u0, inv):
        """The bucket of ``dist`` in a per-point table of TABLE equal steps from ``u0``."""
        f = (dist - u0) * inv
        if not f > 0.0:  # at or below u0 (or a NaN product of a zero step)
            return 0
        if not f < TABLE:  # the far end, or an infinite inv from a subnormal span
            return TABLE
        return int(f)

    @njit(cache=True, parallel=True, nogil=True)
    def _count_many(tp, start, end, left, right, lo, hi, rho, r, c, slack_rel, slack_abs,
                    depth, block):  # fmt: skip
        """Counts at every (scale, radius) pair of each point in one descent (count_many).

        Along each point's row the pairs are sorted by rho = r / c, the radius in unscaled
        units. A pair surely excludes a point at unscaled distance D > rho(1 + slack_rel) +
        slack_abs and surely includes it at D <= rho(1 − slack_rel) − slack_abs; in between it
        is decided by the scaled distance itself. A node's near and far distances (exact bounds
        on its points' distances) split the pairs into a run that surely excludes it, a run
        that surely includes it (its size is added once, at the run's start, to a difference
        array) and the pairs between, for which the node is searched. The prefix sums of the
        difference array are the counts.
        """
        n, dim = tp.shape
        many = rho.shape[1]
        out = np.zeros((n, many), dtype=np.int64)
        nblocks = (n + block - 1) // block
        for b in prange(nblocks):
            stack = np.empty(depth + 2, dtype=np.int64)
            diff = np.empty(many + 1, dtype=np.int64)
            upper = np.empty(many)  # beyond: surely outside
            lower = np.empty(many)  # at most: surely inside
            table = np.empty(TABLE + 1, dtype=np.int64)
            first = np.int64(b) * block
            for p in range(first, min(first + block, n)):
                diff[:] = 0
                for m in range(many):
                    upper[m] = rho[p, m] * (1.0 + slack_rel) + slack_abs
                    lower[m] = rho[p, m] * (1.0 - slack_rel) - slack_abs
                # table[e]: the first pair whose upper reaches u0 + e·span/TABLE, where a
                # point's search for its pair starts (only a hint: the search checks both ways)
                u0 = upper[0]
                span = upper[many - 1] - u0
                inv = TABLE / span if span > 0.0 else 0.0
                m = 0
                for e in range(TABLE + 1):
                    while m < many - 1 and upper[m] < u0 + e * (span / TABLE):
                        m += 1
                    table[e] = m
                sp = 0
                if r[p, many - 1] >= 0.0 or slack_abs > 0.0:
                    stack[0] = 0
                    sp = 1
                while sp > 0:
                    sp -= 1
                    node = stack[sp]
                    near = 0.0
                    far = 0.0
                    for d in range(dim):
                        qd = tp[p, d]
                        below = lo[node, d] - qd  # > 0: the box lies above the query
                        above = qd - hi[node, d]  # > 0: the box lies below the query
                        near = max(near, below, above)
                        far = max(far, -below, -above)
                    if near > upper[many - 1]:
                        continue
                    # A node that reaches beyond the outermost pair is never inside for a whole
                    # run of pairs: its points are searched without looking for that run.
                    if far <= lower[many - 1]:
                        a = 0
                        while upper[a] < near:
                            a += 1
                        z = a
                        while lower[z] < far:
                            z += 1
                        if a == z:  # surely inside from pair z on (near <= upper[z])
                            diff[z] += end[node] - start[node]
                            continue
                    if left[node] >= 0:
                        stack[sp] = right[node]
                        stack[sp + 1] = left[node]
                        sp += 2
                        continue
                    for j in range(start[node], end[node]):
                        dist = 0.0
                        for d in range(dim):
                            dist = max(dist, abs(tp[j, d] - tp[p, d]))
                        if dist > upper[many - 1]:
                            continue
                        m = table[_slot(dist, u0, inv)]  # the first pair with upper >= dist,
                        while m > 0 and upper[m - 1] >= dist:  # one step or none away
                            m -= 1
                        while upper[m] < dist:
                            m += 1
                        while m < many and lower[m] < dist:
                            if _within_scaled(tp, j, p, c[p, m], r[p, m]):
                                diff[m] += 1
                                diff[m + 1] -= 1
                            m += 1
                        diff[m] += 1
                total = 0
                for m in range(many):
                    total += diff[m]
                    out[p, m] = total
        return out

    @njit(cache=True, parallel=True, nogil=True)
    def _sort_segments(tp, seg_start, seg_end, out, lv):
        """out[lv, d, s:e] = the sorted values of tp[s:e, d], for each segment [s, e)."""
        dim = tp.shape[1]
        for g in prange(seg_start.shape[0]):
            s = seg_start[g]
            e = seg_end[g]
            for d in range(dim):
                out[lv, d, s:e] = np.sort(tp[s:e, d])

    @njit(cache=True, parallel=True, nogil=True)
    def _knn_many(
        tp, lo, hi, shared, c, slack, start, end, left, right, k, stack_size, block, done
    ):
        """The k-th neighbour distance at G scales in one descent: (G, n), see kth_many;
        done[b] = 1 once block b is searched.

        Dimensions below ``shared`` are unscaled, the others are multiplied by c[g]. Both parts
        of a distance are first taken unscaled, once for all scales: the scaled part is at
        least c·(D − slack) (``slack`` covers the rounding of the products, relatively 1e-16,
        with a wide margin), which rejects nodes and points for every scale it exceeds the
        bound of; a point is measured exactly, with the products of ``points * s``, only at the
        scales that remain.
        """
        groups = c.shape[0]
        n, dim = tp.shape
        mid = groups // 2
        cmin = c.min()
        dist = np.empty((groups, n))
        nblocks = (n + block - 1) // block
        for b in prange(nblocks):
            stack = np.empty(stack_size, dtype=np.int64)
            bd = np.empty((groups, k))
            bound = np.empty(groups)
            first = np.int64(b) * block
            for p in range(first, min(first + block, n)):
                bd[:] = np.inf
                bound[:] = np.inf
                widest = np.inf  # the largest bound over the scales
                stack[0] = 0
                sp = 1
                while sp > 0:
                    sp -= 1
                    node = stack[sp]
                    common = 0.0
                    for d in range(shared):
                        qd = tp[p, d]
                        common = max(common, lo[node, d] - qd, qd - hi[node, d])
                    if common >= widest:
                        continue
                    gap = 0.0
                    for d in range(shared, dim):
                        qd = tp[p, d]
                        gap = max(gap, lo[node, d] - qd, qd - hi[node, d])
                    gap -= slack
                    if cmin * gap >= widest:  # every scale's ball misses the box: c·gap grows
                        continue  # with c, and no bound exceeds the widest
                    live = False
                    for g in range(groups):  # searched while any scale's ball meets the box
                        if max(common, c[g] * gap) < bound[g]:
                            live = True
                            break
                    if not live:
                        continue
                    if left[node] >= 0:
                        a = left[node]
                        e = right[node]
                        qa = 0.0
                        qe = 0.0
                        for d in range(dim):
                            qd = tp[p, d]
                            s = 1.0 if d < shared else c[mid]
                            qa = max(qa, s * (lo[a, d] - qd), s * (qd - hi[a, d]))
                            qe = max(qe, s * (lo[e, d] - qd), s * (qd - hi[e, d]))
                        if qe < qa:  # the nearer child is searched first: pushed last
                            a, e = e, a
                        stack[sp] = e
                        stack[sp + 1] = a
                        sp += 2
                        continue
                    for j in range(start[node], end[node]):
                        if j == p:
                            continue
                        common = 0.0
                        for d in range(shared):
                            common = max(common, abs(tp[j, d] - tp[p, d]))
                        if common >= widest:
                            continue
                        gap = 0.0
                        for d in range(shared, dim):
                            gap = max(gap, abs(tp[j, d] - tp[p, d]))
                        gap -= slack
                        if cmin * gap >= widest:  # too far at every scale (as for a node)
                            continue
                        for g in range(groups):
                            cg = c[g]
                            if max(common, cg * gap) >= bound[g]:
                                continue
                            v = common
                            for d in range(shared, dim):
                                v = max(v, abs(cg * tp[j, d] - cg * tp[p, d]))
                            if v < bound[g]:
                                u = k - 1
                                while u > 0 and bd[g, u - 1] > v:
                                    bd[g, u] = bd[g, u - 1]
                                    u -= 1
                                bd[g, u] = v
                                bound[g] = bd[g, k - 1]
                                widest = bound[0]
                                for h in range(1, groups):
                                    widest = max(widest, bound[h])
                for g in range(groups):
                    dist[g, p] = bound[g]
            done[b] = 1
        return dist


@cache
def _sizes(m: int, leaf_size: int) -> tuple[int, int]:
    """(nodes, depth) of the tree over m points when every split is made (no early leaves)."""
    if m <= leaf_size:
        return 1, 1
    a, da = _sizes(m // 2, leaf_size)
    b, db = _sizes(m - m // 2, leaf_size)
    return 1 + a + b, 1 + max(da, db)


@dataclass(frozen=True)
class KDTree:
    """A kd-tree over ``points`` (n, d): node ``v`` holds ``perm[start[v]:end[v]]``.

    ``tpoints`` is ``points[perm]`` (contiguous, tree order); ``left``/``right`` the children
    (-1 at leaves); ``lo``/``hi`` (nodes, d) the tight bounding boxes of the unscaled points;
    ``depth`` the number of levels.
    """

    points: np.ndarray
    tpoints: np.ndarray
    perm: np.ndarray
    start: np.ndarray
    end: np.ndarray
    left: np.ndarray
    right: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    depth: int
    leaf_size: int

    @property
    def n(self) -> int:
        return int(self.points.shape[0])

    @property
    def dim(self) -> int:
        return int(self.points.shape[1])

    @classmethod
    def build(
        cls, points: np.ndarray, leaf_size: int = 16, split_scale: np.ndarray | None = None
    ) -> KDTree:
        """Split the widest spread at the median until at most ``leaf_size`` points remain in a
        node (or all its points coincide). O(n log n).

        Spreads are those of the unscaled points, or of ``points * split_scale`` when given: the
        tree answers exactly at every scale either way, but it is fastest near the scale whose
        geometry it was split for (e.g. a joint space whose last dimensions are shrunk tenfold).
        """
        pts = np.asarray(points, dtype=np.float64)
        if pts.ndim == 1:
            pts = pts[:, None]
        if pts.ndim != 2:
            raise ValueError(f"points must be (n, d), got shape {pts.shape}")
        pts = np.ascontiguousarray(pts)
        leaf_size = max(1, int(leaf_size))
        n = pts.shape[0]
        nodes, depth = _sizes(max(n, 1), leaf_size)
        d = pts.shape[1]
        weight = (
            np.ones(d)
            if split_scale is None
            else np.abs(np.broadcast_to(np.asarray(split_scale, dtype=np.float64), (d,)))
        )
        perm, tpoints, start, end, left, right, lo, hi = call(
            _build, pts, leaf_size, nodes, depth, np.ascontiguousarray(weight), threads=1, rows=n
        )
        return cls(
            points=pts,
            tpoints=tpoints,
            perm=perm,
            start=start,
            end=end,
            left=left,
            right=right,
            lo=lo,
            hi=hi,
            depth=depth,
            leaf_size=leaf_size,
        )

    def scaled(self, scale: np.ndarray | float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(points in tree order, box lows, box highs), all multiplied by ``scale``.

        The points are ``tpoints * s`` (bit-identical to the rows of ``points * s``); a box's
        ends are the products of its ends, swapped where s_d < 0.
        """
        if scale is None:
            return self.tpoints, self.lo, self.hi
        s = np.broadcast_to(np.asarray(scale, dtype=np.float64), (self.dim,))
        tp = np.ascontiguousarray(self.tpoints * s)
        a = self.lo * s
        b = self.hi * s
        return tp, np.ascontiguousarray(np.minimum(a, b)), np.ascontiguousarray(np.maximum(a, b))


def _stack_size(tree: KDTree) -> int:
    return 2 * tree.depth + 4


def _sorted_levels(tree: KDTree, tp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(level per node, srt): srt[level[v], d, start[v]:end[v]] holds node v's values in
    dimension d, sorted, for level 0: the largest inner nodes of at most BUCKET points; the
    other nodes have level -1. Sorted per call, on the scaled values (any sign of scale)."""
    size = tree.end - tree.start
    leaf = tree.left < 0
    parent_size = np.full(len(size), np.iinfo(np.int64).max)
    inner = np.flatnonzero(~leaf)
    parent_size[tree.left[inner]] = size[inner]
    parent_size[tree.right[inner]] = size[inner]
    bucket = ~leaf & (size <= BUCKET) & (parent_size > BUCKET)
    level = np.where(bucket, 0, -1).astype(np.int64)
    srt = np.empty((1, tree.dim, tree.n))
    _sort_segments(tp, tree.start[bucket], tree.end[bucket], srt, 0)
    return level, srt


def count(
    tree: KDTree,
    radius: np.ndarray,
    scale: np.ndarray | float | None = None,
    threads: int = -1,
    *,
    steps: Steps = NO_STEPS,
    units: float = 0.0,
) -> np.ndarray:
    """#{j : max_d |q_jd − q_id| ≤ radius_i} for every point i (j = i included), q = points * scale.

    ``radius`` (n,) is in data order, as is the result (int64). A negative radius counts 0;
    pass ``np.nextafter(r, -np.inf)`` for a strict inequality. ``units`` of progress go to
    ``steps`` while the count runs, as its blocks finish.
    """
    n = tree.n
    r = np.asarray(radius, dtype=np.float64)
    if r.shape != (n,):
        raise ValueError(f"radius must have shape ({n},), got {r.shape}")
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    tp, slo, shi = tree.scaled(scale)
    r_tree = np.ascontiguousarray(r[tree.perm])
    with numba_threads(threads):
        level, srt = _sorted_levels(tree, tp)
    done = np.zeros(-(-n // BLOCK), dtype=np.uint8)
    out_tree = call(  # blocks go out one at a time (chunk 1), as threads free up
        _count, tp, tree.start, tree.end, tree.left, tree.right, slo, shi, r_tree, tree.depth,
        BLOCK, level, srt, done, threads=threads, rows=n, chunk=1,
        watch=done_reporter(done, steps, units),
    )  # fmt: skip
    out = np.empty(n, dtype=np.int64)
    out[tree.perm] = out_tree
    return out


def count_many(
    tree: KDTree, radii: np.ndarray, scales: np.ndarray | None = None, threads: int = -1
) -> np.ndarray:
    """Counts at many radii per point in one search: ``out[i, m]`` = #{j : max_d |q_jd − q_id|
    <= radii[i, m]} (j = i included) with q = points * scales[m] (all dimensions alike; the
    unscaled points when ``scales`` is None). ``radii`` (n, M) is in data order, in any order
    along each row. The same numbers as M calls of :func:`count`, for about the cost of the
    largest ball: pairs are decided in unscaled units, and by the scaled distance itself only
    within a relative 1e-12 of a radius (far above the ~1e-16 rounding of the products).
    """
    n = tree.n
    r = np.asarray(radii, dtype=np.float64)
    if r.ndim != 2 or r.shape[0] != n:
        raise ValueError(f"radii must have shape ({n}, M), got {r.shape}")
    many = r.shape[1]
    if n == 0 or many == 0:
        return np.zeros(r.shape, dtype=np.int64)
    if scales is None:  # unscaled: every decision is exact, no band
        c = np.ones(many)
        slack_rel = slack_abs = 0.0
    else:
        c = np.asarray(scales, dtype=np.float64)
        if c.shape != (many,) or not np.all(c > 0):
            raise ValueError(f"scales must be {many} positive numbers")
        slack_rel, slack_abs = 1e-12, 1e-12 * float(np.max(np.abs(tree.points)))
    rows = r[tree.perm]
    rho = rows / c
    order = np.argsort(rho, axis=1, kind="stable")
    rho = np.ascontiguousarray(np.take_along_axis(rho, order, axis=1))
    rows = np.ascontiguousarray(np.take_along_axis(rows, order, axis=1))
    cs = np.ascontiguousarray(c[order])
    counts = call(
        _count_many, tree.tpoints, tree.start, tree.end, tree.left, tree.right, tree.lo,
        tree.hi, rho, rows, cs, slack_rel, slack_abs, tree.depth, BLOCK,
        threads=threads, rows=tree.n, chunk=1,
    )  # fmt: skip
    out_tree = np.empty_like(counts)
    np.put_along_axis(out_tree, order, counts, axis=1)
    out = np.empty_like(out_tree)
    out[tree.perm] = out_tree
    return out


def kth_many(
    tree: KDTree,
    k: int,
    scales: np.ndarray,
    shared: int,
    threads: int = -1,
    *,
    steps: Steps = NO_STEPS,
    units: float = 0.0,
) -> np.ndarray:
    """The k-th neighbour distance of every point at each scale c of ``scales`` (G,) in one
    search, the first ``shared`` dimensions unscaled and the others times c: (G, n), row g the
    k-th distance (itself excluded) in ``points * s`` with s = (1, …, 1, c_g, …, c_g).

    Cheaper than G searches when the scales are close (the balls overlap); a node is searched
    while any scale's ball meets it. Nothing is copied per scale. ``units`` of progress go to
    ``steps`` while the search runs, as its blocks finish.
    """
    c = np.asarray(scales, dtype=np.float64)
    if c.ndim != 1 or not np.all(c > 0) or not 0 <= shared <= tree.dim:
        raise ValueError("scales must be positive numbers and shared a number of dimensions")
    rest = tree.points[:, shared:]
    slack = 1e-12 * float(np.max(np.abs(rest))) if rest.size else 0.0
    done = np.zeros(-(-tree.n // BLOCK), dtype=np.uint8)
    dist = call(
        _knn_many, tree.tpoints, tree.lo, tree.hi, int(shared), c, slack, tree.start, tree.end,
        tree.left, tree.right, int(k), _stack_size(tree), BLOCK, done,
        threads=threads, rows=tree.n, chunk=1, watch=done_reporter(done, steps, units),
    )  # fmt: skip
    out = np.empty_like(dist)
    out[:, tree.perm] = dist
    return out
