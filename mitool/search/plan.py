"""The search plan: which exact path each neighbour search of one estimate takes, decided once.

Every path gives identical distances and counts (docs/search.md, "Exactness"); they differ in
speed only. :meth:`SearchPlan.decide` takes the sample's size, the dimensions of X and T, the
search path asked for (``--search``), the device and the threads, and what is installed, and
fixes:

- ``joint``: the path of the joint space's k-th neighbour distance (max-norm),
- ``x`` and ``t``: the path of each marginal's counts within a radius,
- ``sweep_1d``: whether a scale sweep with one dimension per side is one compiled pass.

The plan is passed down explicitly (no module state), and ``plan.to_dict()`` is reported in
the result's details. Two searches take scipy's or scikit-learn's trees whatever the plan:
Euclidean ones (``bi-ksg-l2``) and those that return neighbour indices (``ksg2``).

The decision table for ``auto`` and ``numba`` (timings: benchmarks/RESULTS.md):

===========================================  =================  ===============
space                                         joint kNN          marginal counts
===========================================  =================  ===============
1 dimension                                   kdtree             sorted
2 dimensions                                  grid               kdtree
from SLAB_MIN_DIM, n <= SLAB_ROWS·d², fits    (as below)         slabs
from BRUTE_MIN_DIM, n <= BRUTE_MAX_ROWS       brute              brute
otherwise                                     kdtree             kdtree
===========================================  =================  ===============

A small search of one scale (``auto``, at most SMALL_ROWS rows, one c) takes the ``tree``
paths (``light``): numba's first kernel in a process costs more than such a search on the
``tree`` paths, and the values are the same (the one c is counted exactly on any path).

``tree`` takes scipy's cKDTree for the kNN, scikit-learn's KDTree for counts (or scipy's for a
small max-norm count: :data:`mitool.search.counters.SCIPY_COUNT_ROWS`) and numpy's sorted
search in 1-D (``sorted-numpy``), and is what every path falls back to without numba.
``brute`` takes all pairs everywhere but 1-D counts (``sorted``); ``torch`` takes all pairs in
PyTorch on ``device``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from importlib.util import find_spec
from typing import Any

from mitool.errors import MitoolError

#: The search paths a user may ask for (``--search``).
SEARCH_PATHS = ("auto", "tree", "numba", "brute", "torch")
#: The old name of :data:`SEARCH_PATHS`.
BACKENDS = SEARCH_PATHS

#: All pairs beat the kd-tree from this many dimensions (log2 n is below it for the n where all
#: pairs stay affordable), up to this many rows.
BRUTE_MIN_DIM = 16
BRUTE_MAX_ROWS = 60_000

#: Marginal counts (not the joint kNN) go to the slab index (:mod:`mitool.search.slabs`) from
#: this many dimensions, up to SLAB_ROWS · dim² rows, and while its per-point ranks
#: ((d − 1)·d·n int32) fit in SLAB_RANK_BYTES.
SLAB_MIN_DIM = 5
SLAB_ROWS = 2_000
SLAB_RANK_BYTES = 256 * 2**20

#: Up to this many rows, a search of one scale on ``auto`` takes the ``tree`` paths: numba's
#: first dispatch in a fresh process (0.2-0.25 s) costs more than the trees' slower searches of
#: a default run's 101 estimates up to about this size (``benchmarks/bench_light.py``).
SMALL_ROWS = 200


def slabs_fit(n: int, dim: int) -> bool:
    """Whether the slab index of n points in ``dim`` dimensions keeps to SLAB_RANK_BYTES."""
    return 4 * (dim - 1) * dim * n <= SLAB_RANK_BYTES


def all_pairs_win(n: int, dim: int) -> bool:
    """Whether all pairs beat the kd-tree for n points in ``dim`` dimensions."""
    return dim >= BRUTE_MIN_DIM and n <= BRUTE_MAX_ROWS


def check_path(path: str) -> str:
    """``path`` when it names a search path (:data:`SEARCH_PATHS`), else a one-line error."""
    if path not in SEARCH_PATHS:
        raise MitoolError(f"unknown search path '{path}'; choose one of: {', '.join(SEARCH_PATHS)}")
    return path


def compiled_available() -> bool:
    """Whether numba is installed (found, not imported: the plan stays light)."""
    return find_spec("numba") is not None


@dataclass(frozen=True)
class SearchPlan:
    """Which path each search of one estimate takes (module docstring); frozen, decided once.

    ``path`` is what was asked for, ``device`` where the torch path runs (cpu, cuda or auto),
    ``threads`` the threads of every search (-1: all cores this process may use), ``compiled``
    whether numba is there; ``joint``, ``x``, ``t`` and ``sweep_1d`` are the decisions for n
    rows of ``d_x`` + ``d_t`` dimensions (``d_t`` = 0: T is not searched, e.g. class labels);
    ``light``: ``auto`` took the ``tree`` paths for a small search of one scale (SMALL_ROWS).
    """

    path: str
    device: str
    threads: int
    compiled: bool
    n: int
    d_x: int
    d_t: int
    joint: str
    x: str
    t: str
    sweep_1d: bool
    light: bool = False

    @classmethod
    def decide(
        cls,
        n: int,
        d_x: int,
        d_t: int,
        *,
        path: str = "auto",
        device: str = "cpu",
        threads: int = -1,
        compiled: bool | None = None,
        scales: int | None = None,
    ) -> SearchPlan:
        """The plan for n rows of ``d_x`` + ``d_t`` dimensions; ``compiled`` None: whether numba
        is installed; ``scales``: how many c the estimate sweeps (None: not known), one for the
        ``light`` paths. An unknown path, or numba's paths without numba, is a one-line
        error."""
        check_path(path)
        compiled = compiled_available() if compiled is None else compiled
        if path in ("numba", "brute") and not compiled:
            raise MitoolError(f"--search {path} needs numba: pip install numba")
        light = path == "auto" and compiled and scales == 1 and n <= SMALL_ROWS
        plan = cls(path, device, threads, compiled, n, d_x, d_t, "", "", "", False, light)
        return cls(
            path, device, threads, compiled, n, d_x, d_t,
            joint=plan.knn_path(n, d_x + d_t),
            x=plan.count_path(n, d_x),
            t=plan.count_path(n, d_t) if d_t else "none",
            sweep_1d=path in ("auto", "numba") and compiled and not light and d_x == d_t == 1,
            light=light,
        )  # fmt: skip

    @classmethod
    def for_pair(cls, x: Any, t: Any, path: str = "auto") -> SearchPlan:
        """The plan of arrays ``x`` and ``t`` (n rows each) on the CPU, with every core."""
        return cls.decide(len(x), x.shape[1], t.shape[1], path=path)

    def knn_path(self, n: int, dim: int) -> str:
        """The path of a max-norm k-th neighbour distance among n points in ``dim`` dimensions
        (without neighbour indices): tree, grid, kdtree, brute or torch."""
        if self.path == "torch":
            return "torch"
        if self.path == "tree" or not self.compiled or self.light:
            return "tree"
        if self.path == "brute":
            return "brute"
        if dim == 2:
            return "grid"
        return "brute" if all_pairs_win(n, dim) else "kdtree"

    def count_path(self, n: int, dim: int, metric: str = "chebyshev") -> str:
        """The path of counts within a radius among n points in ``dim`` dimensions: sorted,
        sorted-numpy, tree, kdtree, slabs, brute or torch."""
        if metric == "chebyshev" and self.path == "torch":
            return "torch"
        numpy_only = self.path == "tree" or not self.compiled or self.light
        if dim == 1:
            return "sorted-numpy" if numpy_only else "sorted"
        if metric != "chebyshev" or numpy_only:
            return "tree"
        if self.path == "brute":
            return "brute"
        if dim >= SLAB_MIN_DIM and n <= SLAB_ROWS * dim**2 and slabs_fit(n, dim):
            return "slabs"
        return "brute" if all_pairs_win(n, dim) else "kdtree"

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready values (the result's ``details["search"]``)."""
        return asdict(self)
