"""Exact neighbour searches shared by the kNN estimators.

Two operations, both exact in floating point so that estimates are bit-reproducible and
Proposition 2 of paper 000 (KSG(aX; aT) = KSG(X; T)) holds bit for bit:

- :func:`kth_neighbor`: the distance from each point to its k-th nearest neighbour in the
  joint space, the point itself excluded (scipy's cKDTree, queried in the tree's own order for
  cache locality, on all cores).
- :class:`MarginalCounter`: for each point, how many points of one marginal lie within a
  per-point radius, strictly (``<``) or not (``<=``), the point itself included. Strictness is
  ``np.nextafter(r, -inf)`` with ``<=``: no absolute epsilon, so the count does not depend on the
  data's scale. In 1-D the counts come from one sort and binary searches whose boundaries are
  re-checked with the same subtraction the tree uses, so they equal the tree's counts exactly.

Each max-norm operation has several exact paths (``backend``): ``tree`` (scipy/scikit-learn
trees, numpy binary searches), ``numba`` (compiled kernels, :mod:`mitool.kernels`: a grid for
the 2-D joint space, galloping counts in 1-D, :mod:`mitool.kdtree` for 2-15 dimensions, brute
force in more; :mod:`mitool.sweep_kernels` for a whole 1-D scale sweep), ``brute``
(compiled all-pairs everywhere) and ``torch`` (chunked all-pairs in float64 on a GPU or the
CPU, :mod:`mitool.device_kernels`). ``auto`` picks by n, dimension and what is installed. All
give identical distances and counts; Euclidean searches (BI-KSG) and algorithm 2's neighbour
indices always use the trees. Marginal counts in 5 or more dimensions (up to a size where the
kd-tree wins again) and, on the kd-tree path, counts of a few chosen rows (the sweep's proofs)
come from the slab index (:mod:`mitool.slabs`), whose cost per row does not grow with the ball.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree
from sklearn.neighbors import KDTree

from mitool import kdtree, kernels, slabs
from mitool.errors import MitoolError
from mitool.slabs import SlabIndex

#: Minkowski p of each metric name, as scipy's cKDTree takes it.
P_OF_METRIC = {"chebyshev": np.inf, "euclidean": 2.0}

#: Threads of one neighbour query (-1: all cores). Replicates running in parallel processes set
#: it to their share of the cores, so that the machine is not oversubscribed.
_WORKERS = -1


def set_threads(workers: int) -> None:
    """Use ``workers`` threads per neighbour query in this process (-1: all cores)."""
    global _WORKERS
    _WORKERS = workers


BACKENDS = ("auto", "tree", "numba", "brute", "torch")
_BACKEND = "auto"

#: Brute force beats trees once the space has this many dimensions (log2 n is below it for the
#: n where all pairs stay affordable), up to this many rows.
BRUTE_MIN_DIM = 16
BRUTE_MAX_ROWS = 60_000

#: Marginal counts (not the joint kNN) go to the slab index (:mod:`mitool.slabs`) from this many
#: dimensions, up to SLAB_ROWS · dim² rows, where they beat the kd-tree and all pairs, and while
#: their per-point ranks fit :data:`mitool.slabs.BUDGET_RANKS`. Full counts at the KSG radius,
#: index build included, two threads: d = 20, n = 1e4: 0.31 s against 0.69 s (all pairs);
#: d = 10, n = 2e5: 15.6 s against 30.5 s; d = 8, n = 1e5: 2.2 s against 4.4 s; d = 5, n = 3e4:
#: 0.13 s against 0.22 s. Not beyond: d = 5, n = 1e5 (one KSG 4.8 s against 3.4 s in a bench
#: run, though a lone count was 0.96 s against 1.08 s), d = 6, n = 2e5 (5.5 s against 4.7 s),
#: nor in four dimensions or fewer (d = 4, n = 1e5: 0.61 s against 0.57 s).
SLAB_MIN_DIM = 5
SLAB_ROWS = 2_000

#: Scales of c searched in one kd-tree descent by :func:`joint_eps` (at n = 1e5, d = 5 the 20
#: searches of a sweep take 5.3 s in fives, 4.5 s in tens, 7.0 s all at once).
JOINT_GROUP = 10


@contextmanager
def using_backend(name: str) -> Iterator[None]:
    """Run the neighbour searches inside the block with backend ``name``."""
    global _BACKEND
    if name not in BACKENDS:
        raise MitoolError(f"unknown backend '{name}'; choose one of: {', '.join(BACKENDS)}")
    if name in ("numba", "brute") and not kernels.available():
        raise MitoolError(f"--search {name} needs numba: pip install numba")
    previous, _BACKEND = _BACKEND, name
    try:
        yield
    finally:
        _BACKEND = previous


def _path(n: int, dim: int, *, joint: bool) -> str:
    """The path for one max-norm search: tree, kdtree, grid, sorted, slabs, brute or torch."""
    backend = _BACKEND
    if backend == "torch":
        return "torch"
    if backend == "tree" or not kernels.available():
        return "tree"
    if backend == "brute":
        return "brute"
    if dim == (2 if joint else 1):
        return "grid" if joint else "sorted"
    if not joint and dim >= SLAB_MIN_DIM and n <= SLAB_ROWS * dim**2 and slabs.fits(n, dim):
        return "slabs"
    if _all_pairs_win(n, dim):
        return "brute"
    return "kdtree"


def _all_pairs_win(n: int, dim: int) -> bool:
    """Whether all pairs beat the kd-tree for a space of ``dim`` dimensions and n points."""
    return dim >= BRUTE_MIN_DIM and n <= BRUTE_MAX_ROWS


def kth_neighbor(
    z: np.ndarray, k: int, metric: str = "chebyshev", *, return_index: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """Distance to the k-th nearest neighbour of every row of ``z``, itself excluded.

    Returns ``(eps, idx)``: ``eps`` has shape (n,); ``idx`` (only with ``return_index``) has
    shape (n, k) and holds the k nearest neighbours, nearest first.
    """
    if metric == "chebyshev" and not return_index:
        eps = _kth_chebyshev(z, k)
        if eps is not None:
            return eps, None
    tree = cKDTree(z, balanced_tree=False, compact_nodes=False)
    order = tree.indices
    ks = list(range(2, k + 2)) if return_index else [k + 1]
    dist, idx = tree.query(z[order], k=ks, p=P_OF_METRIC[metric], workers=_WORKERS)
    eps = np.empty(len(z))
    eps[order] = dist[:, -1]
    if not return_index:
        return eps, None
    neighbors = np.empty((len(z), k), dtype=np.intp)
    neighbors[order] = idx
    return eps, neighbors


def _kth_chebyshev(z: np.ndarray, k: int) -> np.ndarray | None:
    """The k-th max-norm distance by the backend's compiled path, or None for the tree."""
    path = _path(len(z), z.shape[1], joint=True)
    if path == "grid":
        return kernels.grid_knn_2d(z, k, _WORKERS)  # None when the data are too clumped
    if path == "brute":
        return kernels.brute_knn(z, k, _WORKERS)
    if path == "kdtree":
        # the many-scale search at the one scale 1 (every dimension unscaled) is the leaner
        # descent: 1.2 s against kth_neighbor's 2.0 s at n = 1e5 in 10 dimensions
        return kdtree.kth_many(kdtree.KDTree.build(z), k, [1.0], z.shape[1], workers=_WORKERS)[0]
    if path == "torch":
        from mitool import device_kernels

        return device_kernels.knn(z, k)
    return None


def joint_eps(
    x: np.ndarray, t: np.ndarray, scales: list[float], k: int, metric: str = "chebyshev"
) -> list[np.ndarray]:
    """ε_c(i) for every c of ``scales``: the k-th neighbour distance of every point in the joint
    space (x, c·t), itself excluded.

    On the kd-tree path the data are never rescaled: the c, in ascending order, go ten at a
    time into one descent of a tree split for their middle c's geometry, with T's dimensions
    scaled on the fly (:func:`mitool.kdtree.kth_many`), exactly the distances of
    ``np.hstack([x, c*t])``. So does the all-pairs path when ``auto`` or ``numba`` chose it
    (one all-pairs search per c costs far more than the shared descent: 20 c at n = 1e4 with
    8 dimensions per side, 18.1 s against 0.50 s; 20 per side, 35.7 s against 3.0 s). Other
    paths search that array for each c.
    """
    dim = x.shape[1] + t.shape[1]
    path = _path(len(x), dim, joint=True)
    shared = path == "kdtree" or (path == "brute" and _BACKEND != "brute")
    if metric != "chebyshev" or not shared:
        joints = (np.hstack([x, t if c == 1.0 else c * t]) for c in scales)
        return [kth_neighbor(z, k, metric)[0] for z in joints]
    z = np.hstack([x, t])
    ascending = sorted(set(scales))
    found: dict[float, np.ndarray] = {}
    for g in range(0, len(ascending), JOINT_GROUP):
        cs = ascending[g : g + JOINT_GROUP]
        middle = np.r_[np.ones(x.shape[1]), np.full(t.shape[1], cs[len(cs) // 2])]
        tree = kdtree.KDTree.build(z, split_scale=middle)
        many = kdtree.kth_many(tree, k, cs, x.shape[1], workers=_WORKERS)
        found.update(zip(cs, many, strict=True))
    return [found[c] for c in scales]


def sweep_counts(
    x: np.ndarray, t: np.ndarray, scales: tuple[float, ...], k: int, *, strict: bool
) -> tuple[np.ndarray, np.ndarray] | None:
    """Max-norm marginal counts at every c of a sweep in one compiled pass, or None.

    Only for one dimension per side on the ``auto`` and ``numba`` backends
    (:mod:`mitool.sweep_kernels`); None tells the caller to evaluate c by c.
    """
    if _BACKEND not in ("auto", "numba") or not kernels.available():
        return None
    from mitool.sweep_kernels import sweep_counts_1d

    return sweep_counts_1d(x, t, scales, k, strict=strict, workers=_WORKERS)


@dataclass(frozen=True)
class MarginalCounter:
    """Counts neighbours within a radius in one marginal (rows of ``points``), self included.

    Build once per marginal and reuse for every radius vector; :meth:`scaled` gives the counter
    of ``c * points`` without rebuilding what does not change (the sort order in 1-D).
    """

    points: np.ndarray
    metric: str
    _sorted: np.ndarray | None = None
    _order: np.ndarray | None = None
    _tree: KDTree | None = None
    _kd: kdtree.KDTree | None = None
    _scale: float = 1.0  # kd-tree and slab paths: counts are those of _scale · unscaled points
    # kd-tree and slab paths: what the counters of every c share (the slab index, built once)
    _shared: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, points: np.ndarray, metric: str = "chebyshev") -> MarginalCounter:
        if points.shape[1] == 1:
            line = points[:, 0]
            order = np.argsort(line)  # any order of ties: only the sorted values matter
            return cls(points, metric, _sorted=line[order], _order=order)
        n, dim = points.shape
        path = _path(n, dim, joint=False)
        if metric == "chebyshev" and path == "slabs":  # the slab index, built on first count
            if _all_pairs_win(n, dim):  # no tree would have been built: none is
                return cls(points, metric)
            # a kd-tree too, for the sweep's counts at many radii in one search
            return cls(points, metric, _kd=kdtree.KDTree.build(points))
        if metric == "chebyshev" and path == "kdtree":
            return cls(points, metric, _kd=kdtree.KDTree.build(points))
        if metric == "chebyshev" and path != "tree":
            return cls(points, metric)  # all pairs, compiled or on a device: nothing to build
        return cls(points, metric, _tree=KDTree(points, metric=metric))

    def scaled(self, c: float) -> MarginalCounter:
        """The counter of ``c * points``; in 1-D, sort(c·t) == c·sort(t) bit for bit (c > 0),
        and the kd-tree and slab index scale points and boxes on the fly (:mod:`mitool.kdtree`,
        :mod:`mitool.slabs`), exactly as the array ``c * points``."""
        points = c * self.points
        if self._scale == 1.0 and (self._kd is not None or self._on_slabs):
            if self._kd is None:
                self._slabs()  # built on the unscaled points, before a scaled copy shares it
            return MarginalCounter(
                points, self.metric, _kd=self._kd, _scale=c, _shared=self._shared
            )
        if self._sorted is not None:
            return MarginalCounter(
                points, self.metric, _sorted=c * self._sorted, _order=self._order
            )
        return MarginalCounter.build(points, self.metric)

    @property
    def counts_many(self) -> bool:
        """Whether :meth:`count_many` is cheaper than one count per radius (kd-tree path)."""
        return self._kd is not None and self._scale == 1.0

    def count_many(
        self, radii: list[np.ndarray], *, strict: bool, scales: list[float] | None = None
    ) -> np.ndarray:
        """:meth:`count` at each radius vector of ``radii`` (of the counter ``scaled(c)`` for
        the matching c of ``scales``), shape (len(radii), n), in one search of the kd-tree
        (:func:`mitool.kdtree.count_many`)."""
        r = np.column_stack(radii)
        r = np.nextafter(r, -np.inf) if strict else r
        c = None if scales is None else np.asarray(scales, dtype=float)
        return kdtree.count_many(self._kd, r, c, workers=_WORKERS).T

    @property
    def counts_rows(self) -> bool:
        """Whether :meth:`count` of some rows costs less than of all (the kd-tree, slab and
        scikit-learn paths; all pairs, a device or the 1-D sort count every row anyway)."""
        return self._kd is not None or self._tree is not None or self._on_slabs

    def count(
        self, radius: np.ndarray, *, strict: bool, rows: np.ndarray | None = None
    ) -> np.ndarray:
        """Per point i, #{j : dist(p_j, p_i) < radius_i} (``strict``) or ``<=``, j = i included;
        only for the points ``rows`` (in that order) when given."""
        r = np.nextafter(radius, -np.inf) if strict else radius  # "< r" as "<= the float below r"
        if rows is None:
            return self._count(r)
        if self._kd is not None or self._on_slabs:
            return self._slabs().count(r, rows, self._scale, workers=_WORKERS)
        if self._tree is not None:
            return self._tree.query_radius(self.points[rows], r[rows], count_only=True).astype(
                np.int64
            )
        return self._count(r)[rows]

    def slab_counts(self, radius: np.ndarray, *, strict: bool) -> np.ndarray:
        """The max-norm :meth:`count` of each dimension alone, shape (D, n): the ball is the
        intersection of these slabs, so #ball >= Σ_d #slab_d − (D − 1)·n (Bonferroni), exactly,
        as each slab is counted with the ball's own arithmetic."""
        if self._kd is not None or self._on_slabs:
            r = np.nextafter(radius, -np.inf) if strict else radius
            return self._slabs().slab_counts(r, self._scale, workers=_WORKERS)
        return np.array(
            [
                MarginalCounter.build(self.points[:, d : d + 1]).count(radius, strict=strict)
                for d in range(self.points.shape[1])
            ]
        )

    @property
    def _on_slabs(self) -> bool:
        """Whether full counts go to the slab index (:func:`_path`)."""
        return self.metric == "chebyshev" and _path(*self.points.shape, joint=False) == "slabs"

    def _slabs(self) -> SlabIndex:
        """The slab index (:mod:`mitool.slabs`) of the unscaled points (the kd-tree's, or these:
        a scaled copy without a tree shares the index :meth:`scaled` built first), built on
        first use: exact counts whose cost per row does not grow with the ball."""
        if "slabs" not in self._shared:
            base = self.points if self._kd is None else self._kd.points
            self._shared["slabs"] = SlabIndex.build(base)
        return self._shared["slabs"]

    def _count(self, r: np.ndarray) -> np.ndarray:
        """:meth:`count` at the non-strict radius ``r``, for every point."""
        path = _path(len(self.points), self.points.shape[1], joint=False)
        if self.metric == "chebyshev" and path == "torch":
            from mitool import device_kernels

            return device_kernels.count(self.points, r)
        if self._sorted is not None:
            if path == "tree":
                return _count_sorted(self._sorted, self.points[:, 0], r)
            return kernels.count_sorted(self._sorted, self.points[:, 0], self._order, r, _WORKERS)
        if path == "slabs" and self.metric == "chebyshev":
            every = np.arange(len(self.points))
            return self._slabs().count(r, every, self._scale, workers=_WORKERS)
        if self._kd is not None:
            scale = None if self._scale == 1.0 else self._scale
            return kdtree.count(self._kd, r, scale, workers=_WORKERS)
        if self._tree is None:
            return kernels.brute_count(self.points, r, _WORKERS)
        return self._tree.query_radius(self.points, r, count_only=True).astype(np.int64)


def _count_sorted(s: np.ndarray, x: np.ndarray, r: np.ndarray) -> np.ndarray:
    """#{j : |s_j − x_i| <= r_i} for sorted ``s``, with the boundary decided by the subtraction.

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

    def inside(j: np.ndarray, i: np.ndarray) -> np.ndarray:
        return np.abs(s[j] - x[i]) <= r[i]

    # Grow: the element just outside the edge satisfies the predicate.
    while True:
        probe = edge - 1 if step < 0 else edge
        ok = (probe >= 0) & (probe < n)
        idx = np.flatnonzero(ok)
        grow = idx[inside(probe[idx], idx)]
        if grow.size == 0:
            break
        edge[grow] += step
    # Shrink: the element just inside the edge fails the predicate (on its far side of x).
    while True:
        probe = edge if step < 0 else edge - 1
        ok = (probe >= 0) & (probe < n)
        idx = np.flatnonzero(ok)
        far = (s[probe[idx]] <= x[idx]) if step < 0 else (s[probe[idx]] >= x[idx])
        idx = idx[far]
        shrink = idx[~inside(probe[idx], idx)]
        if shrink.size == 0:
            break
        edge[shrink] -= step
    return edge
