"""Neural estimators on correlated Gaussians: value against the truth and CPU wall time.

Prints one markdown table: for n = 1000 and 5000, 1-D rho = 0.9 (truth 0.830) with the raw
data and d = 4 per side rho = 0.5 (truth 0.575) with the default global-corrected norm, the
value of mine, nwj, infonce and ReMINE (lambda 0.1) with the paper's defaults (one hidden layer
of 20, Adam 1e-3, 50 epochs, batches of 100), the mean and sd over ``--seeds`` data sets, and the
wall time of one fit.

    python benchmarks/bench_neural.py [--seeds 3]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch

import mitool

CASES = [
    ("1-D, rho 0.9, none", 1, 0.9, "none"),
    ("d=4, rho 0.5, global-corrected", 4, 0.5, "global-corrected"),
]
ESTIMATORS = [
    ("mine", "mine", {}),
    ("nwj", "nwj", {}),
    ("infonce", "infonce", {}),
    ("remine λ=0.1", "mine", {"remine_lambda": 0.1}),
]


def gaussians(n: int, d: int, rho: float, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    t = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, d))
    return x, t, -0.5 * d * np.log(1 - rho**2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    print(
        f"# mitool neural estimators: {platform.machine()}, torch {torch.__version__}, "
        f"CPU, one thread per fit, {args.seeds} data sets per cell\n"
    )
    print("| case | n | truth | estimator | mean | sd | seconds per fit |")
    print("|---|---|---|---|---|---|---|")
    for label, d, rho, norm in CASES:
        for n in (1000, 5000):
            for name, estimator, options in ESTIMATORS:
                values, seconds = [], []
                for seed in range(args.seeds):
                    x, t, truth = gaussians(n, d, rho, seed)
                    started = time.perf_counter()
                    r = mitool.estimate(
                        x,
                        t,
                        estimator=estimator,
                        norm=norm,
                        resamples=0,
                        seed=seed,
                        options=options,
                    )
                    seconds.append(time.perf_counter() - started)
                    values.append(r.value)
                print(
                    f"| {label} | {n} | {truth:.3f} | {name} | {np.mean(values):.3f} | "
                    f"{np.std(values, ddof=1):.3f} | {np.median(seconds):.2f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
