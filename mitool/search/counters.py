"""Counts within a radius in one marginal: one class per counting path, behind one protocol.

For each point i, a counter gives #{j : dist(p_j, p_i) < r_i} (``strict``) or ``<= r_i``, the
point itself included (j = i). Strictness is ``np.nextafter(r, -inf)`` with ``<=``: no absolute
epsilon, so a count does not depend on the data's scale. Build a counter once per marginal
(:func:`build_counter`, which takes the path from the search plan) and count at any radii;
:meth:`Counter.scaled` gives the counter of ``c * points`` without rebuilding what does not
change. Every class gives the same counts, bit for bit (docs/search.md, "Exactness").

=====================  =====================================================================
path                   class
=====================  =====================================================================
sorted, sorted-numpy   :class:`SortedCounter`, :class:`SortedNumpyCounter` (1-D, one sort)
tree                   :class:`TreeCounter` (scikit-learn's KDTree; Euclidean counts too)
kdtree                 :class:`KDTreeCounter` (:mod:`mitool.search.kdtree`)
slabs                  :class:`SlabCounter` (:mod:`mitool.search.slabs`)
brute                  :class:`AllPairsCounter` (:mod:`mitool.search.all_pairs`)
torch                  :class:`TorchCounter` (:mod:`mitool.search.torch_pairs`)
=====================  =====================================================================
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

import numpy as np

from mitool.search import all_pairs, kdtree, sorted1d, torch_pairs
from mitool.search.plan import SearchPlan, all_pairs_win
from mitool.search.slabs import SlabIndex
from mitool.steps import NO_STEPS, Steps

if TYPE_CHECKING:  # imported where a tree counter is built: the other paths never load it
    from scipy.spatial import cKDTree
    from sklearn.neighbors import KDTree as SklearnKDTree


class Counter(Protocol):
    """Counts, per point, the points of one marginal (rows of ``points``) within a radius."""

    points: np.ndarray
    metric: str

    def count(
        self,
        radius: np.ndarray,
        *,
        strict: bool,
        rows: np.ndarray | None = None,
        steps: Steps = NO_STEPS,
        units: float = 0.0,
    ) -> np.ndarray:
        """Per point i, #{j : dist(p_j, p_i) < radius_i} (``strict``) or ``<=``, j = i
        included; only for the points ``rows`` (in that order) when given. ``units`` of
        progress go to ``steps``: while the count runs on the paths whose kernels report
        their finished blocks (mitool's kd-tree, the slab index:
        :func:`mitool.steps.done_reporter`), else at its end."""
        ...

    def scaled(self, c: float) -> Counter:
        """The counter of ``c * points`` (c > 0), exactly as if built on that array."""
        ...

    def slab_counts(self, radius: np.ndarray, *, strict: bool) -> np.ndarray:
        """The max-norm :meth:`count` of each dimension alone, shape (D, n): the ball is the
        intersection of these slabs, so #ball >= Σ_d #slab_d − (D − 1)·n (Bonferroni)."""
        ...

    @property
    def counts_rows(self) -> bool:
        """Whether counting some rows costs less than counting all."""
        ...

    @property
    def counts_many(self) -> bool:
        """Whether :meth:`count_many` costs less than one count per radius vector."""
        ...

    @property
    def scales_many(self) -> bool:
        """Whether :meth:`count_many` also takes ``scales`` in that one search."""
        ...

    def count_many(
        self, radii: list[np.ndarray], *, strict: bool, scales: list[float] | None = None
    ) -> np.ndarray:
        """:meth:`count` at each radius vector of ``radii`` (of the counter ``scaled(c)`` for
        the matching c of ``scales``), shape (len(radii), n), in one search."""
        ...


def build_counter(points: np.ndarray, plan: SearchPlan, metric: str = "chebyshev") -> Counter:
    """The counter of ``points`` (n, d) on the plan's path for n points in d dimensions."""
    path = plan.count_path(len(points), points.shape[1], metric)
    return PATHS[path].build(points, plan, metric)


def below(radius: np.ndarray, strict: bool) -> np.ndarray:
    """The non-strict radius of a count: "< r" is "<= the float below r"."""
    return np.nextafter(radius, -np.inf) if strict else radius


@dataclass(frozen=True, eq=False)
class _Counter:
    """What every path shares: a full count per call (``_count``), rows taken from it, scaled
    counters rebuilt on the scaled array, slab counts from one 1-D counter per dimension."""

    points: np.ndarray
    plan: SearchPlan
    metric: str

    @classmethod
    def build(cls, points: np.ndarray, plan: SearchPlan, metric: str) -> Counter:
        return cls(points, plan, metric)

    def _count(self, r: np.ndarray) -> np.ndarray:
        """The count of every point at the non-strict radius ``r``."""
        raise NotImplementedError

    def count(
        self,
        radius: np.ndarray,
        *,
        strict: bool,
        rows: np.ndarray | None = None,
        steps: Steps = NO_STEPS,
        units: float = 0.0,
    ) -> np.ndarray:
        if rows is None:
            return self._count_reported(below(radius, strict), steps, units)
        every = self._count(below(radius, strict))[rows]
        steps.advance(units)
        return every

    def _count_reported(self, r: np.ndarray, steps: Steps, units: float) -> np.ndarray:
        """:meth:`_count`, ``units`` of progress reported to ``steps`` (here: when it ends)."""
        every = self._count(r)
        steps.advance(units)
        return every

    def scaled(self, c: float) -> Counter:
        return build_counter(c * self.points, self.plan, self.metric)

    def slab_counts(self, radius: np.ndarray, *, strict: bool) -> np.ndarray:
        columns = (self.points[:, d : d + 1] for d in range(self.points.shape[1]))
        return np.array([build_counter(p, self.plan).count(radius, strict=strict) for p in columns])

    @property
    def counts_rows(self) -> bool:
        return False

    @property
    def counts_many(self) -> bool:
        return False

    @property
    def scales_many(self) -> bool:
        return False

    def count_many(
        self, radii: list[np.ndarray], *, strict: bool, scales: list[float] | None = None
    ) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} counts one radius vector at a time")


@dataclass(frozen=True, eq=False)
class SortedCounter(_Counter):
    """1-D: one sort, then the run of sorted values within each radius, galloping from each
    point's own rank (:func:`mitool.search.sorted1d.count_sorted`). sort(c·t) == c·sort(t) bit
    for bit (c > 0), so a scaled counter reuses the order."""

    sorted_: np.ndarray
    order: np.ndarray

    @classmethod
    def build(cls, points: np.ndarray, plan: SearchPlan, metric: str) -> Counter:
        line = points[:, 0]
        order = np.argsort(line)  # any order of ties: only the sorted values matter
        return cls(points, plan, metric, line[order], order)

    def scaled(self, c: float) -> Counter:
        return replace(self, points=c * self.points, sorted_=c * self.sorted_)

    def _count(self, r: np.ndarray) -> np.ndarray:
        line = self.points[:, 0]
        return sorted1d.count_sorted(self.sorted_, line, self.order, r, self.plan.threads)


@dataclass(frozen=True, eq=False)
class SortedNumpyCounter(SortedCounter):
    """1-D on the ``tree`` path: binary searches in numpy, each edge then moved to where the
    subtraction puts it (:func:`mitool.search.sorted1d.count_sorted_numpy`)."""

    def _count(self, r: np.ndarray) -> np.ndarray:
        return sorted1d.count_sorted_numpy(self.sorted_, self.points[:, 0], r)


#: On the ``tree`` path, max-norm counts of at most this many points in at most
#: SCIPY_COUNT_DIMS dimensions take scipy's cKDTree while scikit-learn is not loaded: there it
#: counts in 1.3-2.4x scikit-learn's time (a default run's 200 replicate counts of 2,000 rows
#: in 3-D: 0.7 s more), where importing scikit-learn costs a process about 1.2 s once (the
#: sample data's first run on a terminal: 1.71 s against 2.19 s). Larger counts take
#: scikit-learn's KDTree, 2.5-4.6x faster from 5 dimensions (``benchmarks/bench_light.py
#: --counts``).
SCIPY_COUNT_ROWS = 4_000
SCIPY_COUNT_DIMS = 3


@dataclass(frozen=True, eq=False)
class TreeCounter(_Counter):
    """A compiled library's k-d tree: scikit-learn's KDTree, or scipy's cKDTree for a small
    max-norm count while scikit-learn is not loaded (:data:`SCIPY_COUNT_ROWS`); both count the
    same points, bit for bit."""

    tree: cKDTree | SklearnKDTree

    @classmethod
    def build(cls, points: np.ndarray, plan: SearchPlan, metric: str) -> Counter:
        n, dim = points.shape
        small = n <= SCIPY_COUNT_ROWS and dim <= SCIPY_COUNT_DIMS
        if metric == "chebyshev" and small and "sklearn.neighbors" not in sys.modules:
            from scipy.spatial import cKDTree

            return cls(points, plan, metric, cKDTree(points))
        from sklearn.neighbors import KDTree as SklearnKDTree

        return cls(points, plan, metric, SklearnKDTree(points, metric=metric))

    def _count(self, r: np.ndarray) -> np.ndarray:
        return self._count_at(self.points, r)

    def _count_at(self, points: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Points of the tree within distance r[i] (inclusive) of points[i], each."""
        if not hasattr(self.tree, "query_radius"):  # scipy's cKDTree
            inside = self.tree.query_ball_point(points, r, p=np.inf, return_length=True)
            return np.asarray(inside, dtype=np.int64)
        return self.tree.query_radius(points, r, count_only=True).astype(np.int64)

    def count(
        self,
        radius: np.ndarray,
        *,
        strict: bool,
        rows: np.ndarray | None = None,
        steps: Steps = NO_STEPS,
        units: float = 0.0,
    ) -> np.ndarray:
        if rows is None:
            return super().count(radius, strict=strict, steps=steps, units=units)
        r = below(radius, strict)
        every = self._count_at(self.points[rows], r[rows])
        steps.advance(units)
        return every

    @property
    def counts_rows(self) -> bool:
        return True


class _SlabIndexOnce:
    """The slab index of a marginal's unscaled points, built on first use and shared by the
    counters of every c (they query it at their own scale)."""

    def __init__(self, points: np.ndarray) -> None:
        self._points = points
        self._index: SlabIndex | None = None

    def get(self) -> SlabIndex:
        if self._index is None:
            self._index = SlabIndex.build(self._points)
        return self._index


@dataclass(frozen=True, eq=False)
class KDTreeCounter(_Counter):
    """mitool's kd-tree (:mod:`mitool.search.kdtree`), built once on the unscaled points and
    queried at the counter's ``scale``; counts of chosen rows and slab counts come from the
    slab index, whose cost per row does not grow with the ball."""

    tree: kdtree.KDTree | None
    scale: float
    slabs: _SlabIndexOnce

    @classmethod
    def build(cls, points: np.ndarray, plan: SearchPlan, metric: str) -> Counter:
        return cls(points, plan, metric, kdtree.KDTree.build(points), 1.0, _SlabIndexOnce(points))

    def scaled(self, c: float) -> Counter:
        if self.scale != 1.0:  # a scaled counter's own scaling: build on the scaled array
            return super().scaled(c)
        return replace(self, points=c * self.points, scale=c)

    def _count(self, r: np.ndarray) -> np.ndarray:
        return self._count_reported(r, NO_STEPS, 0.0)

    def _count_reported(self, r: np.ndarray, steps: Steps, units: float) -> np.ndarray:
        scale = None if self.scale == 1.0 else self.scale
        return kdtree.count(
            self.tree, r, scale, threads=self.plan.threads, steps=steps, units=units
        )

    def count(
        self,
        radius: np.ndarray,
        *,
        strict: bool,
        rows: np.ndarray | None = None,
        steps: Steps = NO_STEPS,
        units: float = 0.0,
    ) -> np.ndarray:
        if rows is None:
            return super().count(radius, strict=strict, steps=steps, units=units)
        r = below(radius, strict)
        return self.slabs.get().count(
            r, rows, self.scale, threads=self.plan.threads, steps=steps, units=units
        )

    def slab_counts(self, radius: np.ndarray, *, strict: bool) -> np.ndarray:
        r = below(radius, strict)
        return self.slabs.get().slab_counts(r, self.scale, threads=self.plan.threads)

    @property
    def counts_rows(self) -> bool:
        return True

    @property
    def counts_many(self) -> bool:
        return self.tree is not None and self.scale == 1.0

    @property
    def scales_many(self) -> bool:
        return self.counts_many

    def count_many(
        self, radii: list[np.ndarray], *, strict: bool, scales: list[float] | None = None
    ) -> np.ndarray:
        """In one search of the kd-tree (:func:`mitool.search.kdtree.count_many`)."""
        r = below(np.column_stack(radii), strict)
        c = None if scales is None else np.asarray(scales, dtype=float)
        return kdtree.count_many(self.tree, r, c, threads=self.plan.threads).T


@dataclass(frozen=True, eq=False)
class SlabCounter(KDTreeCounter):
    """Full counts from the slab index too (from SLAB_MIN_DIM dimensions, while it fits:
    :mod:`mitool.search.plan`); the kd-tree is kept for a sweep's counts at many radii, unless
    all pairs would have beaten it (then none is built)."""

    @classmethod
    def build(cls, points: np.ndarray, plan: SearchPlan, metric: str) -> Counter:
        n, dim = points.shape
        tree = None if all_pairs_win(n, dim) else kdtree.KDTree.build(points)
        return cls(points, plan, metric, tree, 1.0, _SlabIndexOnce(points))

    def _count_reported(self, r: np.ndarray, steps: Steps, units: float) -> np.ndarray:
        every = np.arange(len(self.points))
        return self.slabs.get().count(
            r, every, self.scale, threads=self.plan.threads, steps=steps, units=units
        )

    @property
    def counts_many(self) -> bool:
        return self.scale == 1.0

    @property
    def scales_many(self) -> bool:
        return self.tree is not None and self.scale == 1.0

    def count_many(
        self, radii: list[np.ndarray], *, strict: bool, scales: list[float] | None = None
    ) -> np.ndarray:
        """In one search of the kd-tree, or where all pairs win (no tree is built), in one pass
        over the pairs (:func:`mitool.search.all_pairs.count_many`: about the cost of one
        count, where the slab index costs one count per radius vector). That pass takes no
        ``scales``: a scaled count is exact only on the scaled points (:attr:`scales_many`)."""
        if self.tree is not None:
            return super().count_many(radii, strict=strict, scales=scales)
        if scales is not None and any(c != 1.0 for c in scales):
            raise ValueError("counts at many scales need the kd-tree (scales_many is False)")
        r = below(np.column_stack(radii), strict)
        return all_pairs.count_many(self.points, r, self.plan.threads).T


@dataclass(frozen=True, eq=False)
class AllPairsCounter(_Counter):
    """Every pair, compiled (:mod:`mitool.search.all_pairs`): nothing to build."""

    def _count(self, r: np.ndarray) -> np.ndarray:
        return all_pairs.count(self.points, r, self.plan.threads)


@dataclass(frozen=True, eq=False)
class TorchCounter(_Counter):
    """Every pair in PyTorch on the plan's device (:mod:`mitool.search.torch_pairs`)."""

    def _count(self, r: np.ndarray) -> np.ndarray:
        return torch_pairs.count(self.points, r, self.plan.device)


#: The counter class of each counting path (:meth:`SearchPlan.count_path`).
PATHS: dict[str, type[_Counter]] = {
    "sorted": SortedCounter,
    "sorted-numpy": SortedNumpyCounter,
    "tree": TreeCounter,
    "kdtree": KDTreeCounter,
    "slabs": SlabCounter,
    "brute": AllPairsCounter,
    "torch": TorchCounter,
}
