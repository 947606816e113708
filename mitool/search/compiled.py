"""What the compiled kernels share: whether numba is there, and the k-best list of a kNN search.

numba is optional: without it every search takes the ``tree`` path (scipy, scikit-learn, numpy),
and :func:`available` is False. The kernels are compiled on first use and cached on disk
(``cache=True``), so later processes load them.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mitool.search.plan import SearchPlan

try:
    import numba
    from numba import njit
except ImportError:  # the tree paths still work; the kernels are simply not offered
    numba = None


def available() -> bool:
    """True when numba imports (the compiled kernels can run)."""
    return numba is not None


if numba is not None:

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


#: One kernel of each module of kernels (the one a search of that module calls last), by the
#: paths of the search plan that use it: its cache tells whether the module was compiled here.
PROBES = {
    "grid": ("grid2d", "_grid_knn"),
    "kdtree": ("kdtree", "_knn_many"),
    "sorted": ("sorted1d", "_count_sorted"),
    "slabs": ("slabs", "_count_rows"),
    "brute": ("all_pairs", "_knn"),
    "sweep_1d": ("rank_grid", "_sweep"),
}
#: Seconds to compile each module's kernels, rounded up, for the first run's notice (measured
#: on 2 shared cores: benchmarks/RESULTS.md; slabs and all_pairs estimated from their size).
COMPILE_S = {"grid2d": 4, "kdtree": 12, "sorted1d": 4, "slabs": 8, "all_pairs": 4, "rank_grid": 15}


def uncompiled(paths: set[str]) -> list[str]:
    """The modules of kernels that ``paths`` (a plan's paths, and ``sweep_1d``) need and that
    numba's cache does not hold for this machine: those the first search compiles. Empty
    without numba, or where the cache cannot be read (numba's own ``_cache`` is private)."""
    if numba is None:
        return []
    from importlib import import_module

    cold = []
    for module, kernel in sorted({PROBES[p] for p in paths if p in PROBES}):
        try:
            dispatcher = getattr(import_module(f"mitool.search.{module}"), kernel)
            if not dispatcher._cache._cache_file._load_index():
                cold.append(module)
        except Exception:  # noqa: BLE001 (another numba: no notice rather than an error)
            continue
    return cold


def announce_compile(plan: SearchPlan, scales: int) -> None:
    """Tell the user on stderr, before a search of ``scales`` c compiles kernels that numba's
    cache lacks, that the first run compiles them and for about how long (one line; nothing
    when cached). The one-pass sweep runs only for more than one c."""
    one_pass = plan.sweep_1d and scales > 1
    paths = {plan.joint, plan.x, plan.t} | ({"sweep_1d"} if one_pass else set())
    cold = uncompiled(paths)
    if cold:
        seconds = sum(COMPILE_S[m] for m in cold)
        print(
            "mitool: compiling the search kernels for this machine (first run only, about "
            f"{seconds} s) ...",
            file=sys.stderr,
            flush=True,
        )
