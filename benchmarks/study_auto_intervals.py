"""Are the default intervals calibrated for every estimator ``--estimator auto`` can choose?

``mitool.estimate(x, t)`` runs ``auto`` by default, and its default interval is the subsample
interval (B disjoint half-samples, sd rescaled by sqrt(m/n), value ± 1.96·sd). For each kind of
data that sends ``auto`` to a different estimator, D independent datasets are drawn at n = 2000
and each is estimated with its interval (one process per dataset, datasets in parallel):

- ``a``: correlated Gaussians, 2 × 2, rho = 0.6 (-> ``ksg-gcmi``, mostly the KSG side);
- ``b``: sparse 10 × 10 Gaussians, coordinate pairs (X_1, T_1) and (X_2, T_2) at rho = 0.7,
  the rest independent (-> ``ksg-gcmi``, the GCMI side);
- ``c``: 4 class labels y, X | y ~ N(0.8·y·(1, 1), I_2) (-> ``ross``);
- ``d``: X uniform on 4 values, T = (X + B) mod 4, B ~ Bernoulli(0.3) (-> ``plugin``);
- ``e``: zero-inflated X = 0 w.p. 0.4 else N(0, 1), T = X + N(0, 0.5^2) (-> ``mixed-ksg``).

Per case: the chosen estimator (a dataset whose choice differs is counted and flagged), the
truth where it has a closed form or a cheap Monte Carlo value, the mean and sd of the D
estimates, the mean of the half-sample replicates, the coverage of the mean (the share of the
D intervals that contain the mean of the D estimates; target 92-97%), the width ratio (mean
interval width over 2·1.96·sd of the D estimates; target about 1), the mean interval sd over the
sd of the estimates, and the seconds per dataset (one process) and in all (wall).

    python benchmarks/study_auto_intervals.py [--quick] [--datasets 200] [--resamples 100]
        [--jobs 2] [--seed 0] [--cases a,b,c,d,e]

``--quick`` runs 40 datasets at B = 40 (a few minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from collections import Counter
from collections.abc import Callable

import numpy as np
from joblib import Parallel, delayed
from scipy.special import logsumexp

import mitool

N = 2000
Data = tuple[np.ndarray, np.ndarray]


def gaussians(rng: np.random.Generator, n: int) -> Data:
    """(a) X, T ~ N(0, I_2), E[X_i T_i] = 0.6."""
    x = rng.standard_normal((n, 2))
    return x, 0.6 * x + 0.8 * rng.standard_normal((n, 2))


def sparse(rng: np.random.Generator, n: int) -> Data:
    """(b) X, T ~ N(0, I_10); (X_1, T_1) and (X_2, T_2) correlated at 0.7, the rest independent."""
    x = rng.standard_normal((n, 10))
    t = rng.standard_normal((n, 10))
    t[:, :2] = 0.7 * x[:, :2] + np.sqrt(1 - 0.7**2) * t[:, :2]
    return x, t


def labels(rng: np.random.Generator, n: int) -> Data:
    """(c) y uniform on {0, 1, 2, 3}, X | y ~ N(0.8·y·(1, 1), I_2); T = y (class labels)."""
    y = rng.integers(0, 4, n)
    return 0.8 * y[:, None] + rng.standard_normal((n, 2)), y


def discrete(rng: np.random.Generator, n: int) -> Data:
    """(d) X uniform on {0, 1, 2, 3}, T = (X + B) mod 4 with P(B = 1) = 0.3."""
    x = rng.integers(0, 4, n)
    return x, (x + (rng.random(n) < 0.3)) % 4


def zero_inflated(rng: np.random.Generator, n: int) -> Data:
    """(e) X = 0 w.p. 0.4, else N(0, 1); T = X + N(0, 0.5^2)."""
    x = np.where(rng.random(n) < 0.4, 0.0, rng.standard_normal(n))
    return x, x + 0.5 * rng.standard_normal(n)


def truth_labels(draws: int = 400_000, seed: int = 1) -> float:
    """I(X; y) for (c) by Monte Carlo: E[ln p(x | y) - ln mean_y' p(x | y')]."""
    x, y = labels(np.random.default_rng(seed), draws)
    means = 0.8 * np.arange(4)[None, :, None]  # (1, class, dim)
    logp = -0.5 * np.sum((x[:, None, :] - means) ** 2, axis=2)  # up to a common constant
    return float(np.mean(logp[np.arange(draws), y] - logsumexp(logp, axis=1) + np.log(4)))


def truth_zero_inflated(draws: int = 400_000, seed: int = 2) -> float:
    """I(X; T) for (e) by Monte Carlo: h(T) - h(T | X), h(T | X) = ln(0.5·sqrt(2·pi·e))."""
    _, t = zero_inflated(np.random.default_rng(seed), draws)
    s2 = 0.25
    # p(t) = 0.4·N(t; 0, 0.25) + 0.6·N(t; 0, 1.25)
    dens = 0.4 * np.exp(-(t**2) / (2 * s2)) / np.sqrt(2 * np.pi * s2) + 0.6 * np.exp(
        -(t**2) / (2 * (1 + s2))
    ) / np.sqrt(2 * np.pi * (1 + s2))
    return float(-np.mean(np.log(dens)) - 0.5 * np.log(2 * np.pi * np.e * s2))


def entropy(p: np.ndarray) -> float:
    return float(-np.sum(p * np.log(p)))


#: name: (what, generator, estimator auto should choose, truth in nats or a function for it)
CASES: dict[str, tuple[str, Callable[[np.random.Generator, int], Data], str, object]] = {
    "a": ("Gaussians 2x2, rho 0.6", gaussians, "ksg-gcmi", -np.log(1 - 0.6**2)),
    "b": ("sparse 10x10, 2 pairs rho 0.7", sparse, "ksg-gcmi", -np.log(1 - 0.7**2)),
    "c": ("4 labels y, X ~ N(0.8y, I_2)", labels, "ross", truth_labels),
    "d": ("4 x 4, T = X + B mod 4", discrete, "plugin", np.log(4) - entropy(np.array([0.7, 0.3]))),
    "e": ("zero-inflated 0.4, T = X + N(0, .25)", zero_inflated, "mixed-ksg", truth_zero_inflated),
}


def one_dataset(case: str, index: int, seed: int, resamples: int) -> dict:
    """Draw dataset ``index`` of ``case`` and estimate it with auto and its default interval."""
    started = time.perf_counter()
    rng = np.random.default_rng([seed, ord(case), index])
    x, t = CASES[case][1](rng, N)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = mitool.estimate(x, t, resamples=resamples, seed=seed * 100_003 + index, jobs=1)
    iv = r.interval
    return {
        "estimator": r.estimator,
        "norm": r.norm,
        "value": r.value,
        "low": np.nan if iv is None else iv.low,
        "high": np.nan if iv is None else iv.high,
        "sd": np.nan if iv is None else iv.sd,
        "replicate_mean": np.nan if iv is None else iv.replicate_mean,
        "failed": 0 if iv is None else iv.failed,
        "larger": (r.details or {}).get("larger"),
        "seconds": time.perf_counter() - started,
    }


def study(case: str, datasets: int, resamples: int, seed: int, jobs: int) -> dict:
    started = time.perf_counter()
    rows = Parallel(n_jobs=jobs)(
        delayed(one_dataset)(case, i, seed, resamples) for i in range(datasets)
    )
    wall = time.perf_counter() - started
    col = {
        key: np.array([r[key] for r in rows])
        for key in ("value", "low", "high", "sd", "replicate_mean", "seconds")
    }
    value, low, high = col["value"], col["low"], col["high"]
    centre, spread = float(value.mean()), float(value.std(ddof=1))
    covered = (low <= centre) & (centre <= high)
    coverage = float(np.mean(covered))
    chosen = Counter(f"{r['estimator']} ({r['norm']})" for r in rows)
    larger = Counter(r["larger"] for r in rows if r["larger"] is not None)
    truth = CASES[case][3]
    return {
        "case": case,
        "what": CASES[case][0],
        "expected": CASES[case][2],
        "chosen": chosen,
        "mismatch": sum(r["estimator"] != CASES[case][2] for r in rows),
        "larger": larger,
        "datasets": datasets,
        "resamples": resamples,
        "truth": truth() if callable(truth) else float(truth),
        "mean": centre,
        "sd": spread,
        "replicate_mean": float(np.nanmean(col["replicate_mean"])),
        "coverage": coverage,
        "coverage_se": float(np.sqrt(max(coverage * (1 - coverage), 1e-12) / datasets)),
        "width_ratio": float(np.nanmean(high - low) / (2 * 1.96 * spread)),
        "sd_ratio": float(np.nanmean(col["sd"]) / spread),
        "below": float(np.mean(high < centre)),
        "above": float(np.mean(low > centre)),
        "failed": int(sum(r["failed"] for r in rows)),
        "seconds_per_dataset": float(col["seconds"].mean()),
        "wall": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=200, help="independent datasets D")
    parser.add_argument("--resamples", type=int, default=100, help="half-samples B")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="datasets estimated at once (processes)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="40 datasets, B = 40")
    parser.add_argument("--cases", default="a,b,c,d,e", help="which of a-e to run")
    args = parser.parse_args()
    datasets, resamples = (40, 40) if args.quick else (args.datasets, args.resamples)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; choose from {', '.join(CASES)}")

    print(
        f"# auto + subsample intervals: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, {args.jobs} jobs, mitool {mitool.__version__}, n = {N}, "
        f"seed {args.seed}\n"
    )
    print(
        "| case | data | chosen (datasets) | D | B | truth | mean | sd | replicate mean "
        "| coverage of the mean | miss low / high | width / (2·1.96·sd) | interval sd / sd "
        "| s per dataset | wall s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    started = time.perf_counter()
    flags = []
    for case in cases:
        r = study(case, datasets, resamples, args.seed, args.jobs)
        chosen = ", ".join(f"{k} ×{v}" for k, v in r["chosen"].items())
        if r["larger"]:
            chosen += " [larger: " + ", ".join(f"{k} ×{v}" for k, v in r["larger"].items()) + "]"
        print(
            f"| {case} | {r['what']} | {chosen} | {r['datasets']} | {r['resamples']} | "
            f"{r['truth']:.4f} | {r['mean']:.4f} | {r['sd']:.4f} | {r['replicate_mean']:.4f} | "
            f"{r['coverage']:.1%} ± {r['coverage_se']:.1%} | {r['below']:.1%} / "
            f"{r['above']:.1%} | {r['width_ratio']:.3f} | {r['sd_ratio']:.3f} | "
            f"{r['seconds_per_dataset']:.2f} | {r['wall']:.0f} |",
            flush=True,
        )
        if r["mismatch"]:
            flags.append(f"{case}: {r['mismatch']} dataset(s) did not choose {r['expected']}")
        if not 0.92 <= r["coverage"] <= 0.97:
            flags.append(f"{case}: coverage {r['coverage']:.1%} outside 92-97%")
        if r["failed"]:
            flags.append(f"{case}: {r['failed']} replicate(s) failed")
    print(f"\nTotal wall time: {time.perf_counter() - started:.0f} s")
    for flag in flags:
        print(f"- {flag}")


if __name__ == "__main__":
    main()
