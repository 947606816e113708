"""KSG speed and memory: mitool's paths beside the reference tools, same data, same run.

Each cell (tool, d per side, n) runs in a fresh subprocess: correlated Gaussians (ρ = 0.8 per
dimension, seed 0), KSG algorithm 1, k = 3, max-norm; the median of ``--repeats`` timed runs
after a warm-up (which also loads numba's compiled kernels), the estimate, and the process's
peak RSS. Tools:

- ``mitool`` (``--backend auto``) and its single paths: ``tree`` (scipy/scikit-learn only),
  ``numba`` (compiled kernels: grid and sorted counts in 1-D, mitool's kd-tree for 2-15
  dimensions, all pairs beyond), ``torch`` (all pairs in float64 on the CPU here);
- scikit-learn's ``mutual_info_regression`` (1-D only), ennemi (``estimate_mi`` in 1-D, its
  private ``_estimate_single_mi`` otherwise);
- ``npeet-style`` and ``bmi-style``: NPEET's and bmi's KSG algorithms as
  ../shared/reference/performance.md describes them (NPEET: single-threaded scikit-learn
  KDTree, BallTree from 20 dimensions, radius − 1e-15; bmi: all pairs with a per-row sort,
  10 rows at a time), re-implemented here because neither installs from the package index.

Then the 20-scale global-linf sweep against one KSG (``--sweep``), the default point estimate
(``auto``, what ``mitool estimate x t -B 0`` runs) against one KSG with its peak memory
(``--default``), and the ratios of mitool to the fastest reference in each row.

    python benchmarks/bench_ksg.py                    # the issue's cells (minutes)
    python benchmarks/bench_ksg.py --cells 1:1e5,5:1e4 --repeats 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

DEFAULT_CELLS = "1:1e4,1:1e5,1:1e6,5:1e4,5:1e5,20:1e3,20:1e4"
TOOLS = ("mitool", "mitool-tree", "mitool-numba", "mitool-torch", "sklearn", "ennemi",
         "npeet-style", "bmi-style")  # fmt: skip
#: Skip a (tool, d, n) cell predicted to take minutes (all-pairs tools at large n, ...).
TOO_SLOW = {
    "mitool-torch": lambda d, n: n > 3e4,
    "bmi-style": lambda d, n: n > 1e4,
    "sklearn": lambda d, n: d > 1,
    "ennemi": lambda d, n: n * d > 2e5,
    "npeet-style": lambda d, n: d >= 20 and n > 1e4,
}


def data(d: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, d))
    return x, 0.8 * x + 0.6 * rng.standard_normal((n, d))


def npeet_style(x: np.ndarray, t: np.ndarray, k: int = 3) -> float:
    from scipy.special import digamma
    from sklearn.neighbors import BallTree, KDTree

    def tree(p: np.ndarray):
        return (BallTree if p.shape[1] >= 20 else KDTree)(p, metric="chebyshev")

    z = np.hstack([x, t])
    eps = tree(z).query(z, k=k + 1)[0][:, k]
    nx = tree(x).query_radius(x, eps - 1e-15, count_only=True)
    nt = tree(t).query_radius(t, eps - 1e-15, count_only=True)
    return float(digamma(k) + digamma(len(x)) - np.mean(digamma(nx) + digamma(nt)))


def bmi_style(x: np.ndarray, t: np.ndarray, k: int = 3) -> float:
    from scipy.special import digamma

    n = len(x)
    total = 0.0
    for start in range(0, n, 10):
        rows = slice(start, start + 10)
        dx = np.abs(x[rows, None, :] - x[None, :, :]).max(axis=2)
        dt = np.abs(t[rows, None, :] - t[None, :, :]).max(axis=2)
        dz = np.maximum(dx, dt)
        eps = np.sort(dz, axis=1)[:, k]  # column 0 is the point itself
        nx = (dx < eps[:, None]).sum(axis=1)
        nt = (dt < eps[:, None]).sum(axis=1)
        total += float(np.sum(digamma(nx) + digamma(nt)))
    return float(digamma(k) + digamma(n) - total / n)


def runner(tool: str, x: np.ndarray, t: np.ndarray, sweep: bool = False):
    import mitool

    if tool == "mitool-default":  # what `mitool estimate x t -B 0` runs: auto's choice
        return lambda: mitool.estimate(x, t, resamples=0).value
    if tool.startswith("mitool"):
        backend = tool.partition("-")[2] or "auto"
        norm = "global-linf" if sweep else "none"
        return lambda: (
            mitool.estimate(x, t, estimator="ksg", norm=norm, resamples=0, search=backend).value
        )
    if tool == "sklearn":
        from sklearn.feature_selection import mutual_info_regression

        return lambda: mutual_info_regression(x, t[:, 0], n_neighbors=3, random_state=0)[0]
    if tool == "ennemi":
        import ennemi
        from ennemi._entropy_estimators import _estimate_single_mi

        if x.shape[1] == 1:
            return lambda: ennemi.estimate_mi(t[:, 0], x[:, 0], k=3)[0, 0]
        return lambda: _estimate_single_mi(x, t, 3)
    if tool == "npeet-style":
        return lambda: npeet_style(x, t)
    return lambda: bmi_style(x, t)


def cell(tool: str, d: int, n: int, repeats: int, sweep: bool) -> dict:
    """Run in this process (the subprocess side): time, estimate and peak RSS."""
    x, t = data(d, n)
    fn = runner(tool, x, t, sweep)
    value = fn()  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - started)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"seconds": statistics.median(times), "value": float(value), "peak_mib": peak}


def measure(tool: str, d: int, n: int, repeats: int, sweep: bool = False) -> dict | None:
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import bench_ksg as b; "
        "print(json.dumps(b.cell(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), "
        "int(sys.argv[5]), sys.argv[6] == '1')))"
    )
    here = os.path.dirname(os.path.abspath(__file__))
    argv = [sys.executable, "-c", code, here, tool, str(d), str(n), str(repeats), str(int(sweep))]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        print(f"  {tool} d={d} n={n}: failed: {proc.stderr.strip().splitlines()[-1:]}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", default=DEFAULT_CELLS, help="d:n pairs, e.g. 1:1e6,5:1e5")
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sweep", default="1:1e5,5:1e5", help="cells for the sweep ratio")
    parser.add_argument("--memory", default="4:1e6", help="cells for mitool's peak RSS")
    parser.add_argument(
        "--default",
        default="",
        help="cells for the default point estimate (auto, -B 0) against one KSG, e.g. 1:1e6,4:1e6",
    )
    args = parser.parse_args()
    cells = [(int(a), int(float(b))) for a, b in (c.split(":") for c in args.cells.split(","))]
    tools = args.tools.split(",")
    print(
        f"# KSG benchmark: {platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}\n"
    )
    print("| d | n | tool | seconds | estimate | peak MiB |")
    print("|---:|---:|---|---:|---:|---:|")
    summary = []
    for d, n in cells:
        row = {}
        for tool in tools:
            if TOO_SLOW.get(tool, lambda d, n: False)(d, n):
                continue
            r = measure(tool, d, n, args.repeats)
            if r is None:
                continue
            row[tool] = r
            print(
                f"| {d} | {n:.0e} | {tool} | {r['seconds']:.4f} | {r['value']:.4f} | "
                f"{r['peak_mib']:.0f} |",
                flush=True,
            )
        refs = {k: v["seconds"] for k, v in row.items() if not k.startswith("mitool")}
        if "mitool" in row and refs:
            fastest = min(refs, key=refs.get)
            summary.append((d, n, fastest, refs[fastest], row["mitool"]["seconds"]))
    print("\n| d | n | fastest reference | its seconds | mitool seconds | speed-up |")
    print("|---:|---:|---|---:|---:|---:|")
    for d, n, name, ref, ours in summary:
        print(f"| {d} | {n:.0e} | {name} | {ref:.4f} | {ours:.4f} | {ref / ours:.1f}x |")

    if args.sweep:
        print("\n20-scale sweep (global-linf, c = 0.1..2.0) against one KSG (norm none):\n")
        print("| d | n | one KSG s | sweep s | ratio | estimate |")
        print("|---:|---:|---:|---:|---:|---:|")
        for spec in args.sweep.split(","):
            d, n = int(spec.split(":")[0]), int(float(spec.split(":")[1]))
            one = measure("mitool", d, n, args.repeats)
            sweep = measure("mitool", d, n, args.repeats, sweep=True)
            if one and sweep:
                print(
                    f"| {d} | {n:.0e} | {one['seconds']:.3f} | {sweep['seconds']:.3f} | "
                    f"{sweep['seconds'] / one['seconds']:.1f} | {sweep['value']:.4f} |",
                    flush=True,
                )
    if args.default:
        print("\nThe default point estimate (auto, -B 0) against one KSG (norm none):\n")
        print("| d | n | one KSG s | default s | ratio | default's peak MiB | estimate |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for spec in args.default.split(","):
            d, n = int(spec.split(":")[0]), int(float(spec.split(":")[1]))
            one = measure("mitool", d, n, args.repeats)
            default = measure("mitool-default", d, n, args.repeats)
            if one and default:
                print(
                    f"| {d} | {n:.0e} | {one['seconds']:.3f} | {default['seconds']:.3f} | "
                    f"{default['seconds'] / one['seconds']:.2f} | {default['peak_mib']:.0f} | "
                    f"{default['value']:.4f} |",
                    flush=True,
                )
    if args.memory:
        print("\nPeak memory (mitool, one KSG, whole process):\n")
        for spec in args.memory.split(","):
            d, n = int(spec.split(":")[0]), int(float(spec.split(":")[1]))
            r = measure("mitool", d, n, 1)
            if r:
                print(
                    f"- d = {d}, n = {n:.0e}: {r['peak_mib']:.0f} MiB peak RSS, "
                    f"{r['seconds']:.1f} s, estimate {r['value']:.4f}"
                )


if __name__ == "__main__":
    main()
