"""Are mitool's intervals and permutation p-values calibrated, and what do they cost?

Three studies (issue 4), each printing its full figures:

1. Calibration: over D independent correlated-Gaussian datasets (d = 2 per side, rho = 0.6,
   n = 2000), how often the 95% interval of one dataset contains the mean of the D estimates
   (target 92-97%), and the average interval width over 2 · 1.96 · (sd of the D estimates)
   (target 1 ± 0.25). For ``--norm global-linf`` and ``--norm local``, subsampling (default)
   and, with ``--bootstrap``, the with-replacement bootstrap for comparison.
2. Null: D independent datasets with X and T independent; the permutation p-values should be
   uniform (Kolmogorov-Smirnov p > 0.01) with 2-8% below 0.05.
3. Cost: B = 100 replicates at n = 10^4 against one full estimate and B × one (the
   default subsamples hold 2000 rows there, n/5; benchmarks/study_interval_cost.py gives the
   cost at 10^4-10^6 rows against the previous n/2).

Datasets run in parallel over the cores (each estimate single-process), so the studies take
about half an hour on 2 cores at the default sizes; ``--quick`` runs a small version.

    python benchmarks/study_intervals.py [--quick] [--datasets 200] [--bootstrap]

``--large`` runs instead the study of the default interval at large n (issue 21), where the
subsamples hold m = max(2000, n/50) rows rather than n/2 (:func:`mitool.resample.
default_subsample_size`), so that the rescaling sd(Î_n) = sd(Î_m) · √(m/n) spans a factor of
up to 50 in rows:

4. The rescaling law: sd(Î_s) · √s over D independent datasets of s = 500 ... 5000 rows; the
   law holds where this is flat, and m must lie there.
5. Coverage at n = 20,000 and 100,000 (m = 2000: n/m = 10 and 50) of the default `auto`
   estimate (`ksg-gcmi`) on 1-D and 5-D Gaussians and a 1-D Student t (nu = 3, heavy tails:
   the rank norm, where KSG is the larger of the pair), and of `-e ksg` (global-linf, the sweep
   over c) on 1-D Gaussians: how often the 95% interval holds the mean of the D estimates
   (target 92-97%), and the mean rescaled sd over the sd of the D estimates (the law at m,
   target 1 ± 0.1, itself uncertain by ±1/√(2(D-1))).

    python benchmarks/study_intervals.py --large [--cases gauss1,t1] [--sizes 20000,100000]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

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
    r = mitool.estimate(x, t, norm=norm, resamples=resamples, ci_method=method, seed=seed, jobs=1)
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


#: The large-n cases: (dimension per side, estimator, data). Gaussian: rho = 0.6 per pair of
#: columns; Student t: a bivariate t with nu = 3 and the same rho.
LARGE_CASES = {
    "gauss1": (1, "auto", "gauss"),
    "gauss5": (5, "auto", "gauss"),
    "t1": (1, "auto", "student"),
    "gauss1-ksg": (1, "ksg", "gauss"),
    "gauss5-ksg": (5, "ksg", "gauss"),
}


def large_data(case: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    d, _, kind = LARGE_CASES[case]
    if kind == "gauss":
        x, t, _ = gaussians(n, d, 0.6, seed)
        return x, t
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 2))
    z[:, 1] = 0.6 * z[:, 0] + 0.8 * z[:, 1]
    z /= np.sqrt(rng.chisquare(3, n) / 3)[:, None]
    return z[:, :1], z[:, 1:]


def _case_seed(case: str, n: int, i: int) -> int:
    return 1_000_003 * list(LARGE_CASES).index(case) + 7919 * (n % 100_003) + i


def one_large(case: str, n: int, i: int, resamples: int) -> tuple:
    """One dataset: (estimate, low, high, rescaled sd, m, seconds); one core, one thread."""
    from mitool.parallel import limit_threads

    x, t = large_data(case, n, _case_seed(case, n, i))
    started = time.perf_counter()
    with warnings.catch_warnings(), limit_threads(1):
        warnings.simplefilter("ignore")
        r = mitool.estimate(
            x, t, estimator=LARGE_CASES[case][1], resamples=resamples, seed=i, jobs=1
        )
    seconds = time.perf_counter() - started
    if r.interval is None:
        return r.value, np.nan, np.nan, np.nan, 0, seconds
    return r.value, r.ci_low, r.ci_high, r.interval.sd, r.interval.subsample_size, seconds


def law(case: str, size: int, datasets: int, jobs: int) -> dict:
    rows = Parallel(n_jobs=jobs)(
        delayed(one_large)(case, size, 500_000 + i, 0) for i in range(datasets)
    )
    value = np.array([r[0] for r in rows])
    return {"sd_root_n": float(value.std(ddof=1) * np.sqrt(size)), "mean": float(value.mean())}


def large(case: str, n: int, datasets: int, jobs: int) -> dict:
    started = time.perf_counter()
    rows = Parallel(n_jobs=jobs)(delayed(one_large)(case, n, i, 100) for i in range(datasets))
    value, low, high, sd, m, seconds = (np.array(c) for c in zip(*rows, strict=True))
    centre, spread = value.mean(), value.std(ddof=1)
    return {
        "m": int(m[0]),
        "mean": float(centre),
        "sd": float(spread),
        "sd_root_n": float(spread * np.sqrt(n)),
        "law": float(np.mean(sd) / spread),
        "law_se": 1 / np.sqrt(2 * (datasets - 1)),
        "coverage": float(np.mean((low <= centre) & (centre <= high))),
        "seconds_per_dataset": float(seconds.mean()),
        "seconds": time.perf_counter() - started,
    }


def large_study(
    cases: list[str], sizes: list[int], datasets: int, large_datasets: int | None, jobs: int
) -> None:
    print("## The rescaling law at small s: sd(Î_s) · √s over independent datasets\n")
    law_sizes = (500, 1000, 2000, 5000)
    print("| case | estimator | datasets | " + " | ".join(f"s = {s}" for s in law_sizes) + " |")
    print("|---|---|---|" + "---|" * len(law_sizes))
    for case in cases:
        cells = [law(case, s, datasets, jobs)["sd_root_n"] for s in law_sizes]
        print(
            f"| {case} | {LARGE_CASES[case][1]} | {datasets} | "
            + " | ".join(f"{c:.3f}" for c in cells)
            + " |",
            flush=True,
        )
    print("\n## Coverage of the default interval at large n (B = 100, 95%, m by default)\n")
    print(
        "| case | n | m | datasets | mean of estimates | sd · √n | rescaled sd / sd (± se) "
        "| coverage of the mean | s per dataset (1 core) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for case in cases:
        for n in sizes:
            d = datasets if n <= 20_000 or large_datasets is None else large_datasets
            r = large(case, n, d, jobs)
            print(
                f"| {case} | {n} | {r['m']} | {d} | {r['mean']:.4f} | {r['sd_root_n']:.3f} | "
                f"{r['law']:.3f} ± {r['law_se']:.3f} | {r['coverage']:.1%} | "
                f"{r['seconds_per_dataset']:.1f} |",
                flush=True,
            )


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
        "points": full / one,
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
    parser.add_argument("--large", action="store_true", help="the large-n study (issue 21)")
    parser.add_argument("--cases", default=",".join(LARGE_CASES), help="for --large")
    parser.add_argument("--sizes", default="20000,100000", help="for --large")
    parser.add_argument("--jobs", type=int, default=-1, help="datasets run in parallel")
    parser.add_argument(
        "--large-datasets", type=int, default=None, help="for --large: datasets at n > 20,000"
    )
    args = parser.parse_args()
    if args.large:
        print(
            f"# mitool interval study at large n: {os.cpu_count()} cores, "
            f"mitool {mitool.__version__}\n"
        )
        sizes = [int(s) for s in args.sizes.split(",")]
        large_study(args.cases.split(","), sizes, args.datasets, args.large_datasets, args.jobs)
        return
    datasets = 40 if args.quick else args.datasets
    n_cal, n_cost = (1000, 4000) if args.quick else (2000, 10_000)

    print(
        f"# mitool interval study: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, mitool {mitool.__version__}\n"
    )
    print("## Calibration (d = 2 per side, rho = 0.6, k = 3, B = 100, 95% intervals)\n")
    print(
        "| norm | method | datasets | n | truth | mean of estimates | sd of estimates "
        "| replicate mean | coverage of the mean | width / (2·1.96·sd) | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    methods = ("subsample", "bootstrap") if args.bootstrap else ("subsample",)
    for norm in ("global-linf", "local"):
        for method in methods:
            r = calibration(datasets, n_cal, norm, method, 100)
            print(
                f"| {norm} | {method} | {datasets} | {n_cal} | {r['truth']:.4f} | "
                f"{r['mean']:.4f} | {r['sd']:.4f} | {r['replicate_mean']:.4f} | "
                f"{r['coverage']:.1%} | {r['width_ratio']:.3f} | {r['seconds']:.0f} |",
                flush=True,
            )

    print("\n## Null: X and T independent, ksg global-linf, d = 2 per side\n")
    print("| datasets | n | permutations | KS p (uniform) | rate p < 0.05 | mean p | seconds |")
    print("|---|---|---|---|---|---|---|")
    r = null(datasets, 1000 if not args.quick else 500, 99)
    print(
        f"| {r['datasets']} | {r['n']} | {r['permutations']} | {r['ks_p']:.3f} | "
        f"{r['rate_below_005']:.1%} | {r['mean_p']:.3f} | {r['seconds']:.0f} |",
        flush=True,
    )

    if not args.skip_cost:
        print("\n## Cost: the default (auto), subsample intervals, all cores\n")
        print(
            "| n | B | one estimate (s) | with interval (s) | with interval / one "
            "| with interval / (B · one) |"
        )
        print("|---|---|---|---|---|---|")
        r = cost(n_cost, 100, 3)
        print(
            f"| {r['n']} | {r['resamples']} | {r['one_estimate_s']:.3f} | "
            f"{r['with_interval_s']:.2f} | {r['points']:.1f} | {r['ratio']:.3f} |"
        )


if __name__ == "__main__":
    main()
