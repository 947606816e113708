"""Below what n can the default (subsample) interval not be trusted?

For n = 10 ... 300 and four kinds of data, many independent datasets each get
``mitool.estimate(x, t, estimator=E, norm=N, k=3, resamples=100)`` (subsample interval: B
disjoint half-samples, sd rescaled by sqrt(m/n), value +- 1.96 sd). Per cell the table gives

- ``mean``: the mean of the estimates over the datasets (the estimator's expectation at n),
- ``sd``: their standard deviation, and ``sd ratio``: the median interval sd over it,
- ``cov E``: the share of intervals that cover ``mean`` (what the interval claims: 95%),
- ``cov truth``: the share that cover the true MI,
- ``excl 0``: when the truth is 0, the share of intervals that exclude 0 (false "dependence"),
- ``half``: the median half-width,
- ``z95``: the 95th percentile of |value - mean| / sd over the datasets, the multiplier of the
  interval sd that would cover ``mean`` 95% of the time, and ``f = z95 / 1.96``, the factor by
  which the half-width would have to grow.

The kinds of data: (a) independent 1x1 Gaussians, (b) 1x1 Gaussians with rho = 0.6,
(c) independent 5x5 Gaussians, (d) balanced class labels 0, 1, 2 (each label on n/3 rows,
shuffled) independent of a 1-D Gaussian X. Pairs: ksg/none and ksg/global-linf, and ross/none
for (d). A second table gives the permutation test (``resamples=0, permutations=200``) on
independent data at n = 10 and 20: the share of p < 0.05 should be about 5%.

The same dataset is given to every pair of its kind. Datasets run in worker processes (each
estimate single-process); results do not depend on ``--jobs``.

    python benchmarks/study_small_n.py [--trials 200] [--jobs 2] [--seed 0]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
import warnings

import numpy as np

import mitool
from mitool.parallel import limit_threads, parallel_map

SIZES = (10, 15, 20, 30, 50, 75, 100, 150, 200, 300)
PERMUTATION_SIZES = (10, 20)
PERMUTATIONS = 200
RESAMPLES = 100
Z = 1.959963984540054  # z_0.975
RHO = 0.6

#: kind -> (description, truth in nats, estimator/norm pairs)
KINDS: dict[str, tuple[str, float, tuple[tuple[str, str], ...]]] = {
    "a": ("independent 1x1 Gaussians", 0.0, (("ksg", "none"), ("ksg", "global-linf"))),
    "b": (
        f"1x1 Gaussians, rho = {RHO}",
        -0.5 * math.log(1 - RHO**2),
        (("ksg", "none"), ("ksg", "global-linf")),
    ),
    "c": ("independent 5x5 Gaussians", 0.0, (("ksg", "none"), ("ksg", "global-linf"))),
    "d": (
        "3 balanced labels independent of 1-D X",
        0.0,
        (("ksg", "none"), ("ksg", "global-linf"), ("ross", "none")),
    ),
}
#: Chunks of datasets per worker task (one task per kind, n and chunk: every pair of the kind).
CHUNK = 20


def dataset(kind: str, n: int, seed: np.random.SeedSequence) -> tuple[np.ndarray, np.ndarray]:
    """One dataset of ``kind`` with n rows, drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    if kind == "a":
        return rng.standard_normal((n, 1)), rng.standard_normal((n, 1))
    if kind == "b":
        x = rng.standard_normal((n, 1))
        return x, RHO * x + math.sqrt(1 - RHO**2) * rng.standard_normal((n, 1))
    if kind == "c":
        return rng.standard_normal((n, 5)), rng.standard_normal((n, 5))
    labels = rng.permutation(np.arange(n) % 3).astype(float)
    return rng.standard_normal((n, 1)), labels.reshape(n, 1)


def data_seed(seed: int, kind: str, n: int, trial: int) -> np.random.SeedSequence:
    return np.random.SeedSequence([seed, ord(kind), n, trial])


def run_intervals(kind: str, n: int, trials: range, seed: int) -> dict[tuple[str, str], np.ndarray]:
    """Per pair, one row (value, low, high, sd) per dataset; NaN where there is no interval."""
    warnings.simplefilter("ignore", mitool.MitoolWarning)
    with limit_threads(1):  # estimates this small run fastest on one thread, in every process
        out = {pair: np.full((len(trials), 4), np.nan) for pair in KINDS[kind][2]}
        for i, trial in enumerate(trials):
            x, t = dataset(kind, n, data_seed(seed, kind, n, trial))
            for (estimator, norm), rows in out.items():
                try:
                    r = mitool.estimate(
                        x,
                        t,
                        estimator=estimator,
                        norm=norm,
                        k=3,
                        resamples=RESAMPLES,
                        seed=seed * 1_000_003 + trial,
                        jobs=1,
                    )
                except mitool.MitoolError:
                    continue
                rows[i, 0] = r.value
                if r.interval is not None:
                    rows[i, 1:] = r.interval.low, r.interval.high, r.interval.sd
        return out


def run_permutations(kind: str, n: int, trials: range, seed: int) -> dict[tuple[str, str], list]:
    """Per pair, the permutation p-value of each dataset (NaN where there is none)."""
    warnings.simplefilter("ignore", mitool.MitoolWarning)
    with limit_threads(1):  # estimates this small run fastest on one thread, in every process
        out: dict[tuple[str, str], list] = {pair: [] for pair in KINDS[kind][2]}
        for trial in trials:
            x, t = dataset(kind, n, data_seed(seed + 1, kind, n, trial))
            for (estimator, norm), values in out.items():
                try:
                    r = mitool.estimate(
                        x,
                        t,
                        estimator=estimator,
                        norm=norm,
                        k=3,
                        resamples=0,
                        permutations=PERMUTATIONS,
                        seed=seed * 1_000_003 + trial,
                        jobs=1,
                    )
                    values.append(math.nan if r.p_value is None else r.p_value)
                except mitool.MitoolError:
                    values.append(math.nan)
        return out


def chunks(trials: int) -> list[range]:
    return [range(i, min(i + CHUNK, trials)) for i in range(0, trials, CHUNK)]


def gather(fn, cells: list[tuple[str, int]], trials: int, seed: int, jobs: int | None) -> dict:
    """Run ``fn`` on every cell's chunks of datasets; per (kind, n, pair) the joined rows."""
    tasks = [(kind, n, part, seed) for kind, n in cells for part in chunks(trials)]
    # The largest cells first, so that the last tasks to start are short.
    order = sorted(range(len(tasks)), key=lambda i: -tasks[i][1] * (5 if tasks[i][0] == "c" else 1))
    done = parallel_map(fn, [tasks[i] for i in order], jobs=jobs)
    results: dict = {}
    for i, part in sorted(zip(order, done, strict=True)):
        kind, n = tasks[i][:2]
        for pair, rows in part.items():
            results.setdefault((kind, n, pair), []).append(np.asarray(rows))
    return {key: np.concatenate(parts) for key, parts in results.items()}


def summarise(rows: np.ndarray, truth: float) -> dict:
    """The cell's figures (see the module docstring) from rows (value, low, high, sd)."""
    valid = rows[np.isfinite(rows).all(axis=1)]
    value, low, high, sd = valid.T
    mean = float(np.mean(rows[np.isfinite(rows[:, 0]), 0]))
    spread = float(np.std(value, ddof=1))
    # An interval of width 0 (every replicate gave the same value) needs an infinite factor.
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(sd > 0, np.abs(value - mean) / sd, math.inf)
    z95 = float(np.quantile(ratio, 0.95, method="higher"))
    return {
        "intervals": len(valid),
        "missing": len(rows) - len(valid),
        "mean": mean,
        "sd": spread,
        "sd_ratio": float(np.median(sd)) / spread,
        "cover_mean": float(np.mean((low <= mean) & (mean <= high))),
        "cover_truth": float(np.mean((low <= truth) & (truth <= high))),
        "exclude_zero": float(np.mean((low > 0) | (high < 0))) if truth == 0 else math.nan,
        "half": float(np.median(high - low)) / 2,
        "z95": z95,
        "f": z95 / Z,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200, help="datasets per cell")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (all cores)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()

    print(
        f"# Small-n interval study: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, mitool {mitool.__version__}, {args.trials} datasets per "
        f"cell, k = 3, B = {RESAMPLES}, 95% subsample intervals, seed {args.seed}\n"
    )
    cells = [(kind, n) for kind in KINDS for n in SIZES]
    rows = gather(run_intervals, cells, args.trials, args.seed, args.jobs)
    interval_seconds = time.perf_counter() - started
    print(
        "| data | truth | E/N | n | intervals | mean | sd | sd ratio | cov E | cov truth "
        "| excl 0 | half | z95 | f |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind, (label, truth, pairs) in KINDS.items():
        for estimator, norm in pairs:
            for n in SIZES:
                s = summarise(rows[(kind, n, (estimator, norm))], truth)
                excl = "" if math.isnan(s["exclude_zero"]) else f"{s['exclude_zero']:.1%}"
                print(
                    f"| ({kind}) {label} | {truth:.4f} | {estimator}/{norm} | {n} | "
                    f"{s['intervals']} | {s['mean']:.4f} | {s['sd']:.4f} | "
                    f"{s['sd_ratio']:.2f} | {s['cover_mean']:.1%} | {s['cover_truth']:.1%} | "
                    f"{excl} | {s['half']:.4f} | {s['z95']:.2f} | {s['f']:.2f} |",
                    flush=True,
                )
    print(f"\nIntervals: {interval_seconds:.0f} s\n")

    print(f"## Permutation test on independent data (resamples=0, permutations={PERMUTATIONS})\n")
    print("| data | E/N | n | tests | share p < 0.05 | mean p | smallest p |")
    print("|---|---|---:|---:|---:|---:|---:|")
    tic = time.perf_counter()
    null_cells = [(kind, n) for kind in ("a", "c", "d") for n in PERMUTATION_SIZES]
    p_values = gather(run_permutations, null_cells, args.trials, args.seed, args.jobs)
    for kind, n in null_cells:
        for pair in KINDS[kind][2]:
            p = p_values[(kind, n, pair)]
            p = p[np.isfinite(p)]
            print(
                f"| ({kind}) {KINDS[kind][0]} | {'/'.join(pair)} | {n} | {len(p)} | "
                f"{np.mean(p < 0.05):.1%} | {p.mean():.3f} | {p.min():.4f} |",
                flush=True,
            )
    print(
        f"\nPermutations: {time.perf_counter() - tic:.0f} s; "
        f"wall time {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
