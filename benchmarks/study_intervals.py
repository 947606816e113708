"""Are mitool's intervals and permutation p-values calibrated, and what do they cost?

Three studies (issue 4), each printing its full figures:

1. Calibration: over D independent correlated-Gaussian datasets (d = 2 per side, rho = 0.6,
   n = 2000), how often the 95% interval of one dataset contains the mean of the D estimates
   (target 92-97%), and the average interval width over 2 · 1.96 · (sd of the D estimates)
   (target 1 ± 0.25). For ``--norm global-linf`` and ``--norm local``, subsampling (default)
   and, with ``--bootstrap``, the with-replacement bootstrap for comparison.
2. Null: D independent datasets with X and T independent; the permutation p-values should be
   uniform (Kolmogorov-Smirnov p > 0.01) with 2-8% below 0.05.
3. Cost: B = 100 replicates at n = 10^4 against B × one full estimate (target <= 0.6).

Datasets run in parallel over the cores (each estimate single-process), so the studies take
about half an hour on 2 cores at the default sizes; ``--quick`` runs a small version.

    python benchmarks/study_intervals.py [--quick] [--datasets 200] [--bootstrap]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
from joblib import Parallel, delayed
from scipy import stats

import mitool


def gaussians(n: int, d: int, rho: float, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """X, T ~ N(0, I_d), E[X_i T_i] = rho; I = -(d/2) ln(1 - rho^2)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    t = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, d))
    return x, t, -0.5 * d * np.log(1 - rho**2)


def one_interval(seed: int, n: int, norm: str, method: str, resamples: int) -> tuple:
    x, t, _ = gaussians(n, 2, 0.6, 10_000 + seed)
    r = mitool.estimate(
        x, t, norm=norm, resamples=resamples, ci_method=method, seed=seed, jobs=1
    )
    return r.value, r.ci_low, r.ci_high, r.interval.replicate_mean


def calibration(datasets: int, n: int, norm: str, method: str, resamples: int) -> dict:
    started = time.perf_counter()
    rows = Parallel(n_jobs=-1)(
        delayed(one_interval)(s, n, norm, method, resamples) for s in range(datasets)
    )
    value, low, high, rep_mean = (np.array(c) for c in zip(*rows, strict=True))
    centre, spread = value.mean(), value.std(ddof=1)
    return {
        "norm": norm,
        "method": method,
        "datasets": datasets,
        "n": n,
        "truth": gaussians(2, 2, 0.6, 0)[2],
        "mean": centre,
        "sd": spread,
        "coverage": float(np.mean((low <= centre) & (centre <= high))),
        "width_ratio": float(np.mean(high - low) / (2 * 1.96 * spread)),
        "replicate_mean": float(rep_mean.mean()),
        "seconds": time.perf_counter() - started,
    }


def one_null(seed: int, n: int, permutations: int) -> float:
    rng = np.random.default_rng(20_000 + seed)
    x, t = rng.standard_normal((n, 2)), rng.standard_normal((n, 2))
    r = mitool.estimate(x, t, resamples=0, permutations=permutations, seed=seed, jobs=1)
    return r.p_value


def null(datasets: int, n: int, permutations: int) -> dict:
    started = time.perf_counter()
    jobs = (delayed(one_null)(s, n, permutations) for s in range(datasets))
    p = np.array(Parallel(n_jobs=-1)(jobs))
    return {
        "datasets": datasets,
        "n": n,
        "permutations": permutations,
        "ks_p": float(stats.kstest(p, "uniform").pvalue),
        "rate_below_005": float(np.mean(p < 0.05)),
        "mean_p": float(p.mean()),
        "seconds": time.perf_counter() - started,
    }


def cost(n: int, resamples: int, repeats: int) -> dict:
    x, t, _ = gaussians(n, 2, 0.6, 0)
    mitool.estimate(x, t, resamples=4)  # start the worker processes, warm caches
    one = min(_timed(lambda: mitool.estimate(x, t, resamples=0)) for _ in range(repeats))
    full = _timed(lambda: mitool.estimate(x, t, resamples=resamples))
    return {
        "n": n,
        "resamples": resamples,
        "one_estimate_s": one,
        "with_interval_s": full,
        "ratio": full / (resamples * one),
    }


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small version (minutes)")
    parser.add_argument("--datasets", type=int, default=200)
    parser.add_argument("--bootstrap", action="store_true", help="also study the bootstrap")
    parser.add_argument("--skip-cost", action="store_true")
    args = parser.parse_args()
    datasets = 40 if args.quick else args.datasets
    n_cal, n_cost = (1000, 4000) if args.quick else (2000, 10_000)

    print(f"# mitool interval study: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, mitool {mitool.__version__}\n")
    print("## Calibration (d = 2 per side, rho = 0.6, k = 3, B = 100, 95% intervals)\n")
    print("| norm | method | datasets | n | truth | mean of estimates | sd of estimates "
          "| replicate mean | coverage of the mean | width / (2·1.96·sd) | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    methods = ("subsample", "bootstrap") if args.bootstrap else ("subsample",)
    for norm in ("global-linf", "local"):
        for method in methods:
            r = calibration(datasets, n_cal, norm, method, 100)
            print(f"| {norm} | {method} | {datasets} | {n_cal} | {r['truth']:.4f} | "
                  f"{r['mean']:.4f} | {r['sd']:.4f} | {r['replicate_mean']:.4f} | "
                  f"{r['coverage']:.1%} | {r['width_ratio']:.3f} | {r['seconds']:.0f} |",
                  flush=True)

    print("\n## Null: X and T independent, ksg global-linf, d = 2 per side\n")
    print("| datasets | n | permutations | KS p (uniform) | rate p < 0.05 | mean p | seconds |")
    print("|---|---|---|---|---|---|---|")
    r = null(datasets, 1000 if not args.quick else 500, 99)
    print(f"| {r['datasets']} | {r['n']} | {r['permutations']} | {r['ks_p']:.3f} | "
          f"{r['rate_below_005']:.1%} | {r['mean_p']:.3f} | {r['seconds']:.0f} |", flush=True)

    if not args.skip_cost:
        print("\n## Cost: ksg global-linf, subsample intervals, all cores\n")
        print("| n | B | one estimate (s) | with interval (s) | with interval / (B · one) |")
        print("|---|---|---|---|---|")
        r = cost(n_cost, 100, 3)
        print(f"| {r['n']} | {r['resamples']} | {r['one_estimate_s']:.3f} | "
              f"{r['with_interval_s']:.2f} | {r['ratio']:.3f} |")


if __name__ == "__main__":
    main()
