"""KSG speed: mitool beside scikit-learn and ennemi on the same data, in one run.

For each n and d (per side) it draws correlated Gaussians (ρ = 0.8 per dimension, seed 0),
times each tool's KSG (k = 3, algorithm 1, median of --repeats runs after a warm-up), prints
the estimates (all are KSG algorithm 1, so they should agree to ~1e-6 apart from each tool's
rescaling and noise) and the ratios, and the cost of mitool's 20-scale global-linf sweep in
units of one KSG. scikit-learn's mutual_info_regression takes only a 1-D target, and ennemi's
public estimate_mi only 1-D variables, so for d > 1 ennemi's private _estimate_single_mi is
used (marked "private").

    python benchmarks/bench_ksg.py                 # n in 1e3, 1e4, 1e5; d in 1, 5
    python benchmarks/bench_ksg.py --n 1000,10000 --d 1 --repeats 5
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

import mitool

try:
    import ennemi
    from ennemi._entropy_estimators import _estimate_single_mi
except ImportError:  # pip install '.[bench]'
    ennemi = None
try:
    from sklearn.feature_selection import mutual_info_regression
except ImportError:
    mutual_info_regression = None


def timed(fn: Callable[[], float], repeats: int) -> tuple[float, float]:
    """(median seconds, value) of ``fn`` over ``repeats`` runs after one warm-up."""
    value = fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), float(value)


def tools(x: np.ndarray, t: np.ndarray) -> dict[str, Callable[[], float]]:
    d = x.shape[1]
    out: dict[str, Callable[[], float]] = {
        "mitool ksg": lambda: mitool.estimate(x, t, norm="none").value,
    }
    if mutual_info_regression is not None and d == 1:
        out["sklearn MIR"] = lambda: mutual_info_regression(
            x, t[:, 0], n_neighbors=3, random_state=0
        )[0]
    if ennemi is not None:
        if d == 1:
            out["ennemi"] = lambda: ennemi.estimate_mi(t[:, 0], x[:, 0], k=3)[0, 0]
        else:
            out["ennemi (private)"] = lambda: _estimate_single_mi(x, t, 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="1000,10000,100000")
    parser.add_argument("--d", default="1,5")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sweep-max-n", type=int, default=100000)
    args = parser.parse_args()
    print(
        f"# machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
        f"python {platform.python_version()}, mitool {mitool.__version__}"
    )
    header = f"{'d':>2} {'n':>7}  {'tool':<18} {'seconds':>9} {'estimate':>9} {'vs mitool':>9}"
    print(header)
    print("-" * len(header))
    sweeps = []
    for d in (int(v) for v in args.d.split(",")):
        for n in (int(float(v)) for v in args.n.split(",")):
            rng = np.random.default_rng(0)
            x = rng.standard_normal((n, d))
            t = 0.8 * x + 0.6 * rng.standard_normal((n, d))
            results = {name: timed(fn, args.repeats) for name, fn in tools(x, t).items()}
            ours = results["mitool ksg"][0]
            for name, (seconds, value) in results.items():
                print(
                    f"{d:>2} {n:>7}  {name:<18} {seconds:>9.4f} {value:>9.4f} "
                    f"{seconds / ours:>8.2f}x"
                )
            others = [s for name, (s, _) in results.items() if name != "mitool ksg"]
            if others:
                print(f"{'':>11}  fastest reference / mitool = {min(others) / ours:.2f}")
            if n <= args.sweep_max_n:
                sweep, value = timed(
                    lambda x=x, t=t: mitool.estimate(x, t, norm="global-linf").value, 1
                )
                sweeps.append((d, n, sweep, ours, value))
    print()
    print("20-scale sweep (ksg, global-linf, c = 0.1..2.0) in units of one KSG (norm none):")
    print(f"{'d':>2} {'n':>7} {'sweep s':>9} {'one KSG s':>9} {'ratio':>6} {'estimate':>9}")
    for d, n, sweep, one, value in sweeps:
        print(f"{d:>2} {n:>7} {sweep:>9.3f} {one:>9.4f} {sweep / one:>6.1f} {value:>9.4f}")
    print(f"\ntruth: {', '.join(f'd={d}: {-d / 2 * math.log(1 - 0.64):.3f}' for d in (1, 5))} nats")


if __name__ == "__main__":
    main()
