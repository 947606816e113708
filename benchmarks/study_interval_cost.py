"""What the default interval costs, in point estimates (issue 21: at most 3 at n >= 1e5).

For each cell (n, d per side, estimator) on correlated Gaussians (rho = 0.6 per pair):

- ``point``: ``mitool.estimate(x, t, resamples=0)``, the best of ``--repeats`` runs;
- ``new``: the default run, B = 100 subsamples of m = max(2000, n/50) rows (n/2 up to 4000);
- ``old``: the previous default, B = 100 subsamples of n/2 rows (``subsample=n // 2``). Where
  that would take long (more than ``--old-budget`` s predicted), it is extrapolated from a run
  with B = 4: point + (that run − point) · 100/4, marked ``≈``.

Each ratio is that run's time over ``point``: the cost in point estimates, the point estimate
included (target <= 3 at n >= 1e5). By default the runs are timed in CPU seconds in one process
on one thread (``jobs=1``, searches on one thread): the work, which a shared machine's load
disturbs little. ``--wall`` times them instead in wall seconds with the defaults (all cores,
worker processes when they pay), as a user's run would go; the load average is printed.

    python benchmarks/study_interval_cost.py [--cells 1e4:1,1e5:5] [--estimators auto,ksg] [--wall]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

import mitool
from mitool.parallel import limit_threads
from mitool.resample import default_subsample_size

CELLS = "1e4:1,1e4:5,1e5:1,1e5:5,1e6:1"


def gaussians(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    return x, 0.6 * x + 0.8 * rng.standard_normal((n, d))


#: Set by --wall: wall seconds with the defaults instead of CPU seconds on one thread.
WALL = False


def timed(**kwargs) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if WALL:
            started = time.perf_counter()
            mitool.estimate(**kwargs)
            return time.perf_counter() - started
        with limit_threads(1):
            started = time.process_time()
            mitool.estimate(**kwargs, jobs=1)
            return time.process_time() - started


def cell(n: int, d: int, estimator: str, repeats: int, old_budget: float) -> dict:
    x, t = gaussians(n, d)
    common = {"x": x, "t": t, "estimator": estimator}
    point = min(timed(**common, resamples=0) for _ in range(repeats))
    new = timed(**common)
    half = n // 2
    predicted_old = point * 100 * 0.5
    if predicted_old <= old_budget:
        old, extrapolated = timed(**common, subsample=half), False
    else:
        four = timed(**common, subsample=half, resamples=4)
        old, extrapolated = point + (four - point) * 100 / 4, True
    return {
        "m": default_subsample_size(n, 5),
        "point": point,
        "new": new,
        "old": old,
        "extrapolated": extrapolated,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", default=CELLS, help="n:d pairs, comma-separated")
    parser.add_argument("--estimators", default="auto,ksg")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--old-budget", type=float, default=120.0)
    parser.add_argument("--wall", action="store_true", help="wall seconds, default jobs")
    args = parser.parse_args()
    global WALL
    WALL = args.wall
    with warnings.catch_warnings():  # compile the kernels once, start nothing else
        warnings.simplefilter("ignore")
        x, t = gaussians(3000, 2)
        for estimator in args.estimators.split(","):
            mitool.estimate(x, t, estimator=estimator, resamples=4)
    unit = "wall s, default jobs" if WALL else "CPU s, one thread"
    print(
        f"# Cost of the default interval ({unit}): {os.cpu_count()} cores, mitool "
        f"{mitool.__version__}, load average {os.getloadavg()[0]:.1f} at the start\n"
    )
    print(
        "| n | d per side | estimator | m (new) | point (s) | new default (s) | new / point "
        "| old default, m = n/2 (s) | old / point |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for spec in args.cells.split(","):
        size, d = spec.split(":")
        n = int(float(size))
        for estimator in args.estimators.split(","):
            r = cell(n, int(d), estimator, args.repeats, args.old_budget)
            mark = "≈" if r["extrapolated"] else ""
            print(
                f"| {n:.0e} | {d} | {estimator} | {r['m']} | {r['point']:.2f} | "
                f"{r['new']:.2f} | {r['new'] / r['point']:.2f} | {mark}{r['old']:.1f} | "
                f"{mark}{r['old'] / r['point']:.1f} |",
                flush=True,
            )
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
