"""What the default costs: ``auto`` against the previous default (``ksg``, ``global-linf``).

Both run in this process on the same data, alternately, and the table prints each one's
median wall time over ``--repeats`` runs, their ratio, and the share of ``auto``'s time spent
diagnosing the data. Point estimates only (``resamples=0``) unless ``--resamples`` is given.
The first call of each path compiles numba kernels, so a warm-up run of each precedes the
timed ones.

    python benchmarks/bench_auto.py [--cells 1x1:1e5,1x1:1e6,4x4:1e5,25x25:5e3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import warnings

import numpy as np

import mitool
from mitool.diagnose import diagnose


def cell(text: str) -> tuple[int, int, int]:
    """``"4x4:1e5"`` → (d_x, d_t, n)."""
    dims, _, n = text.partition(":")
    d_x, _, d_t = dims.partition("x")
    return int(d_x), int(d_t), int(float(n))


def data(d_x: int, d_t: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Correlated Gaussians: T's first columns are 0.6·X's plus noise."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d_x))
    t = rng.standard_normal((n, d_t))
    shared = min(d_x, d_t)
    t[:, :shared] = 0.6 * x[:, :shared] + 0.8 * t[:, :shared]
    return x, t


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", default="1x1:1e5,1x1:1e6,4x4:1e5,25x25:5e3")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--resamples", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.simplefilter("ignore", mitool.MitoolWarning)
    print(f"# auto against ksg/global-linf: {platform.machine()}, mitool {mitool.__version__}")
    print(f"resamples = {args.resamples}, median of {args.repeats} runs\n")
    print("| cell | auto chose | auto (s) | ksg/global-linf (s) | ratio | diagnosis (s) |")
    print("|---|---|---:|---:|---:|---:|")
    for text in args.cells.split(","):
        d_x, d_t, n = cell(text)
        x, t = data(d_x, d_t, n, args.seed)
        runs = {
            "auto": lambda x=x, t=t: mitool.estimate(x, t, resamples=args.resamples),
            "ksg": lambda x=x, t=t: mitool.estimate(
                x, t, estimator="ksg", norm="global-linf", resamples=args.resamples
            ),
        }
        for fn in runs.values():  # warm-up: numba compiles on first use
            fn()
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.repeats):
            for name, fn in runs.items():
                times[name].append(timed(fn))
        chose = mitool.estimate(x, t, resamples=0)
        auto, ksg = (statistics.median(times[name]) for name in ("auto", "ksg"))
        diag = statistics.median(timed(lambda x=x, t=t: diagnose(x, t)) for _ in range(3))
        print(
            f"| {text} | {chose.estimator}/{chose.norm} | {auto:.3f} | {ksg:.3f} | "
            f"{auto / ksg:.2f} | {diag:.3f} |"
        )


if __name__ == "__main__":
    main()
