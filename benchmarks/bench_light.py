"""Where the ``tree`` paths beat numba's for a small estimate: the measurement behind
:data:`mitool.search.plan.SMALL_ROWS` (issue 21).

A fresh process pays once for numba's first kernels (loading them from the cache and numba's
typing machinery); after that numba's searches are faster than scipy's trees. So the ``tree``
paths win for a run of few, small estimates, and lose for many. This prints:

1. per estimate, in one warm process, ``ksg`` (one c, local norm) on the ``tree`` and the
   ``numba`` paths, and their ratio, for n from 200 to 20,000 and 1 + 1, 2 + 2, 5 + 5 columns;
2. the one-time cost: the first estimate in a fresh process on each path, minus its second;
3. for each cell, how many estimates the one-time cost pays for: first-kernel cost / (tree −
   numba per estimate). A default run with its interval makes 101 estimates (100 replicates on
   half the rows), a ``-B 0`` run one;
4. (``--counts``) the ``tree`` path's two libraries for one max-norm count at the k-th
   neighbour distance (k = 3): scipy's cKDTree and scikit-learn's KDTree, and what importing
   scikit-learn costs a fresh process: the measurement behind
   :data:`mitool.search.counters.SCIPY_COUNT_ROWS`.

    python benchmarks/bench_light.py [--repeats 20000] [--counts]
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
import warnings

import numpy as np

SIZES = (200, 500, 1000, 2000, 5000, 20000)
DIMS = (1, 2, 5)

_FIRST = """
import sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
from mitool.api import estimate
rng = np.random.default_rng(0)
x = rng.standard_normal((1000, 2)); t = x + rng.standard_normal((1000, 2))
times = []
for _ in range(2):
    started = time.perf_counter()
    estimate(x, t, estimator="ksg", norm="local", scales=(1.0,), resamples=0, search=sys.argv[1])
    times.append(time.perf_counter() - started)
print(times[0] - times[1])
"""


def per_estimate(x: np.ndarray, t: np.ndarray, search: str, repeats: int) -> float:
    from mitool.api import estimate

    kw = {"estimator": "ksg", "norm": "local", "scales": (1.0,), "resamples": 0, "search": search}
    estimate(x, t, **kw)
    started = time.perf_counter()
    for _ in range(repeats):
        estimate(x, t, **kw)
    return (time.perf_counter() - started) / repeats


def first_cost(search: str, runs: int = 3) -> float:
    """Median over fresh processes of (first estimate − second) on ``search``."""
    costs = [
        float(subprocess.run([sys.executable, "-c", _FIRST, search], capture_output=True,
                             text=True, check=True).stdout)
        for _ in range(runs)
    ]  # fmt: skip
    return float(np.median(costs))


def counts_table() -> None:
    """Table 4: one count per library, best of 5, and scikit-learn's import."""
    from scipy.spatial import cKDTree

    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sklearn.neighbors"], check=True)
    with_import = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import scipy.spatial"], check=True)
    print(f"\nimporting sklearn.neighbors in a fresh process: {with_import:.2f} s (scipy.spatial: "
          f"{time.perf_counter() - started:.2f} s)\n")  # fmt: skip
    from sklearn.neighbors import KDTree as SklearnKDTree

    print("| n | columns | scikit-learn ms | scipy ms | scipy / scikit-learn |")
    print("|---:|---:|---:|---:|---:|")
    rng = np.random.default_rng(0)
    for n in (500, 1000, 2000, 4000, 20000):
        for d in (2, 3, 5, 10):
            p = rng.standard_normal((n, d))
            r = cKDTree(p).query(p, k=[4], p=np.inf)[0][:, 0]
            best = {"sklearn": np.inf, "scipy": np.inf}
            for _ in range(5):
                started = time.perf_counter()
                SklearnKDTree(p, metric="chebyshev").query_radius(p, r, count_only=True)
                best["sklearn"] = min(best["sklearn"], time.perf_counter() - started)
                started = time.perf_counter()
                cKDTree(p).query_ball_point(p, r, p=np.inf, return_length=True)
                best["scipy"] = min(best["scipy"], time.perf_counter() - started)
            print(f"| {n} | {d} | {best['sklearn'] * 1e3:.2f} | {best['scipy'] * 1e3:.2f} | "
                  f"{best['scipy'] / best['sklearn']:.2f} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20000, help="rows x repeats per cell")
    parser.add_argument("--counts", action="store_true", help="only table 4 (the two trees)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.counts:
        counts_table()
        return
    print(f"# bench_light on {platform.machine()}, python {platform.python_version()}")
    numba_once, tree_once = first_cost("numba"), first_cost("tree")
    print(f"\none-time cost of the first estimate in a fresh process (n = 1000, 2 + 2, median "
          f"of 3): numba {numba_once * 1e3:.0f} ms, tree {tree_once * 1e3:.0f} ms\n")  # fmt: skip
    print("| columns | n | tree ms | numba ms | tree / numba | estimates the first load pays for |")
    print("|---|---:|---:|---:|---:|---:|")
    rng = np.random.default_rng(0)
    for d in DIMS:
        for n in SIZES:
            x = rng.standard_normal((n, d))
            t = x + rng.standard_normal((n, d))
            repeats = max(3, args.repeats // n)
            tree = per_estimate(x, t, "tree", repeats)
            numba = per_estimate(x, t, "numba", repeats)
            pays = (numba_once - tree_once) / max(tree - numba, 1e-9)
            print(f"| {d} + {d} | {n} | {tree * 1e3:.2f} | {numba * 1e3:.2f} | "
                  f"{tree / numba:.2f} | {pays:.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
