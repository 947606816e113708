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
   half the rows), a ``-B 0`` run one.

    python benchmarks/bench_light.py [--repeats 20000]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20000, help="rows x repeats per cell")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
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
