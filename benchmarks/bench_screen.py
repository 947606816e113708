"""``mitool screen`` beside scikit-learn, at scale, and its false discovery rate (issue 22).

Four parts, each printing what it measured (``--part``, default all):

- ``equivalence``: on tie-free data at unit sd, ``screen(..., estimator="ksg", norm="none")``
  against scikit-learn's ``_compute_mi_cc`` (its KSG, without the scaling and noise) and
  against ``mutual_info_regression(n_neighbors=3, random_state=0)`` (which divides each column
  by its sd, adds noise of 1e-10 x max(1, mean |x|) and clips at 0: on unit-sd data the
  division is a no-op and the noise moves no count, so we compare max(ours, 0)); then
  ``norm="local"`` (mitool's own division by the sd) on the raw data against scikit-learn on
  the raw data. Prints the largest absolute differences.
- ``speed``: 1,000 features x n = 1e4 (Gaussian, 20 of them informative), ``screen`` (ksg,
  none; the compiled pass on 2 threads) against ``mutual_info_regression(n_neighbors=3,
  n_jobs=2)``, side by side on the same data: each run in a fresh process (wall-clock and the
  CPU seconds of the process and its workers), alternating, ``--repeats`` times; the ratio of
  the best wall-clock times.
- ``large``: 10,000 features x n = 2,000 (the ``fdr`` part's data, 20 informative) screened
  with intervals (``-B`` subsamples) and pooled-permutation p-values (``-P`` shuffles a
  feature) at FDR 0.05, 2 workers: wall-clock, CPU seconds, discoveries.
- ``fdr``: ``--datasets`` data sets of 1,000 features with mixed marginals, the first 50
  informative (a correlation of 0.3-0.7 with y after a monotone map), n = 500: BH at q = 0.05
  on pooled-permutation p-values (ksg under the rank norm, P = 10 a feature, so 10,000 null
  values a screen); the false discovery proportion averaged over data sets, and the power.
  With each feature's own 10 shuffles (``null="feature"``) no p-value can go below 1/11 and
  BH, which needs p <= 0.05 x i/1000, selects nothing: shown for contrast.

    python benchmarks/bench_screen.py                       # everything (tens of minutes)
    python benchmarks/bench_screen.py --part speed --repeats 1
    python benchmarks/bench_screen.py --part large --features 2000 --rows 2000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

PARTS = ("equivalence", "speed", "large", "fdr")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cell(args: list[str]) -> dict:
    """One timed run in a fresh process: its JSON line, with the CPU seconds it and its worker
    processes spent (they are reaped when it exits)."""
    before = children_cpu()
    out = subprocess.run(
        [sys.executable, __file__, "--cell", *args], capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["cpu_s"] = children_cpu() - before
    return result


def cell(argv: list[str]) -> None:
    """Run one cell (in this fresh process) and print one JSON line."""
    kind, path = argv[0], argv[1]
    data = np.load(path)
    x, y = data["x"], data["y"]
    if kind == "mitool":
        from mitool.screening import screen

        screen(x[:200, :2], y[:200], estimator="ksg", norm="none")  # load the compiled pass
        started = time.perf_counter()
        result = screen(x, y, estimator="ksg", norm="none", jobs=2)
        seconds = time.perf_counter() - started
        values = list(result.values)
    elif kind == "sklearn":
        from sklearn.feature_selection import mutual_info_regression

        started = time.perf_counter()
        values = mutual_info_regression(x, y, n_neighbors=3, random_state=0, n_jobs=2).tolist()
        seconds = time.perf_counter() - started
    else:  # large
        from mitool.screening import screen

        resamples, permutations = int(argv[2]), int(argv[3])
        started = time.perf_counter()
        result = screen(
            x, y, estimator="ksg", norm="rank", resamples=resamples,
            permutations=permutations, fdr=0.05, jobs=2,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        values = [len(result.selected), result.null]
    print(json.dumps({"seconds": seconds, "values": values}))


def speed_data(features: int, rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, features))
    y = x[:, :20] @ rng.uniform(0.2, 1.0, 20) + rng.standard_normal(rows)
    return x / x.std(axis=0), y / y.std()


def equivalence() -> None:
    from sklearn.feature_selection import mutual_info_regression
    from sklearn.feature_selection._mutual_info import _compute_mi_cc

    from mitool.screening import screen

    rng = np.random.default_rng(1)
    n, m = 2000, 200
    raw = rng.standard_normal((n, m)) * rng.uniform(0.1, 100, m)
    raw[:, ::3] = np.exp(raw[:, ::3] / raw[:, ::3].std(axis=0))  # skewed columns
    y_raw = np.sin(raw[:, 0] / raw[:, 0].std()) + raw[:, 1] / raw[:, 1].std()
    y_raw = y_raw + rng.standard_normal(n)
    x, y = raw / raw.std(axis=0), y_raw / y_raw.std()
    ours = np.array(screen(x, y, estimator="ksg", norm="none").values)
    direct = np.array([_compute_mi_cc(x[:, j], y, 3) for j in range(m)])
    theirs = mutual_info_regression(x, y, n_neighbors=3, random_state=0)
    local = np.array(screen(raw, y_raw, estimator="ksg", norm="local").values)
    theirs_raw = mutual_info_regression(raw, y_raw, n_neighbors=3, random_state=0)
    print(f"equivalence: {m} tie-free features, n = {n}")
    gaps = {
        "max(ours, 0) vs _compute_mi_cc": np.maximum(ours, 0) - direct,
        "max(ours, 0) vs mutual_info_regression": np.maximum(ours, 0) - theirs,
        "max(local, 0) vs mutual_info_regression, raw data": np.maximum(local, 0) - theirs_raw,
    }
    for what, gap in gaps.items():
        print(f"  largest |difference|, {what}: {np.max(np.abs(gap)):.2e}")
    print(f"  features sklearn clipped to 0 (ours negative): {int(np.sum(ours < 0))}")


def speed(repeats: int) -> None:
    x, y = speed_data(1000, 10_000)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "data.npz")
        np.savez(path, x=x, y=y)
        runs: dict[str, list[dict]] = {"mitool": [], "sklearn": []}
        for _ in range(repeats):
            for tool in runs:
                runs[tool].append(run_cell([tool, path]))
    best = {tool: min(r["seconds"] for r in rs) for tool, rs in runs.items()}
    ours = np.maximum(np.array(runs["mitool"][0]["values"]), 0)
    diff = np.max(np.abs(ours - np.array(runs["sklearn"][0]["values"])))
    print(f"speed: 1,000 features x n = 10,000, 2 workers, load average {os.getloadavg()[0]:.1f}")
    for tool, rs in runs.items():
        walls = ", ".join(f"{r['seconds']:.1f}" for r in rs)
        cpus = ", ".join(f"{r['cpu_s']:.1f}" for r in rs)
        print(f"  {tool:8s} wall {walls} s; CPU (process + workers) {cpus} s")
    print(f"  ratio (sklearn / mitool, best wall-clock): {best['sklearn'] / best['mitool']:.1f}x")
    cpu_ratio = min(r["cpu_s"] for r in runs["sklearn"]) / min(r["cpu_s"] for r in runs["mitool"])
    print(f"  ratio of CPU seconds: {cpu_ratio:.1f}x; max |max(ours, 0) - sklearn| = {diff:.1e}")


def large(features: int, rows: int, resamples: int, permutations: int) -> None:
    x, y = fdr_dataset(2, n=rows, m=features, informative=20)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "data.npz")
        np.savez(path, x=x, y=y)
        result = run_cell(["large", path, str(resamples), str(permutations)])
    selected, null = result["values"]
    print(
        f"large: {features:,} features x n = {rows:,}, ksg/rank, B = {resamples} subsamples, "
        f"P = {permutations} shuffles a feature ({null} null), FDR 0.05, 2 workers, load "
        f"average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"  wall {result['seconds']:.0f} s ({result['seconds'] / 60:.1f} min), CPU "
        f"{result['cpu_s']:.0f} s; {selected} selected (20 informative, correlations 0.3-0.7)"
    )


def fdr_dataset(seed: int, n: int = 500, m: int = 1000, informative: int = 50):
    rng = np.random.default_rng(seed)
    y = rng.standard_normal(n)
    z = rng.standard_normal((n, m))
    rho = rng.uniform(0.3, 0.7, informative)
    z[:, :informative] = rho * y[:, None] + np.sqrt(1 - rho**2) * z[:, :informative]
    maps = (lambda v: v, np.exp, lambda v: v**3, np.tanh, lambda v: np.sign(v) * v**2)
    return np.column_stack([maps[j % len(maps)](z[:, j]) for j in range(m)]), y


def fdr(datasets: int) -> None:
    from mitool.screening import screen

    def study(null: str, count: int) -> tuple[list[float], list[int], list[int]]:
        proportions, true, total = [], [], []
        for seed in range(count):
            x, y = fdr_dataset(seed)
            result = screen(
                x, y, estimator="ksg", norm="rank", permutations=10, null=null, fdr=0.05,
                seed=seed, jobs=2,
            )  # fmt: skip
            chosen = {int(name) for name in result.selected}
            false = sum(1 for j in chosen if j >= 50)
            proportions.append(false / max(len(chosen), 1))
            true.append(len(chosen) - false)
            total.append(len(chosen))
        return proportions, true, total

    started = time.perf_counter()
    fdp, true, total = study("pooled", datasets)
    seconds = time.perf_counter() - started
    print(
        f"fdr: {datasets} data sets, 1,000 features (50 informative), n = 500, ksg/rank, "
        f"P = 10 a feature, BH at q = 0.05 ({seconds:.0f} s)"
    )
    print(
        f"  pooled null: mean FDP {np.mean(fdp):.4f} (sd of the mean "
        f"{np.std(fdp, ddof=1) / np.sqrt(len(fdp)):.4f}), mean discoveries {np.mean(total):.1f}, "
        f"power {np.mean(true) / 50:.2f}"
    )
    fdp, true, total = study("feature", min(datasets, 5))
    print(
        f"  each feature's own 10 shuffles ({min(datasets, 5)} data sets): mean discoveries "
        f"{np.mean(total):.1f} (p >= 1/11)"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--cell":
        cell(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=(*PARTS, "all"), default="all")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--features", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=2_000)
    parser.add_argument("-B", "--resamples", type=int, default=100)
    parser.add_argument("-P", "--permutations", type=int, default=10)
    parser.add_argument("--datasets", type=int, default=50)
    args = parser.parse_args()
    parts = PARTS if args.part == "all" else (args.part,)
    if "equivalence" in parts:
        equivalence()
    if "speed" in parts:
        speed(args.repeats)
    if "large" in parts:
        large(args.features, args.rows, args.resamples, args.permutations)
    if "fdr" in parts:
        fdr(args.datasets)


if __name__ == "__main__":
    main()
