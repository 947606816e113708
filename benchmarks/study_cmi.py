"""How accurate are ``mitool.conditional.conditional_mi`` and ``mitool.entropies.entropy``, and does
the local permutation test hold its level where the plain shuffle does not?

Three tables, printed as markdown:

1. CMI accuracy (issue 22's target: within 0.05 nats at n = 5000 for d up to 5 per variable),
   ``conditional_mi``'s default (KSG-CMI, k = 3, rank norm, with the copula bias correction)
   beside the plain KSG-CMI it corrects (``correction="none"``), on jointly Gaussian triples
   with closed forms I(X; T | Z) = ½ log(|Σ_xz| |Σ_tz| / (|Σ_z| |Σ_xtz|)):
   - ``chain``: X → Z → T, Z = X + N(0, I), T = Z + N(0, I) (truth 0);
   - ``collider s``: X, T ~ N(0, I) independent, Z = X + T + s·N(0, I) (truth > 0, larger for
     smaller s);
   - ``confounded``: Z ~ N(0, I), X = 0.7·Z + N(0, I), T = 0.7·Z + 0.3·X + N(0, I), then each
     variable mixed by its own random rotation (truth d·½ log 1.09 = 0.043·d; the rotations
     leave it unchanged but not the local norm's columns).
   and on three held-out shapes whose copula is not Gaussian (the correction's model is wrong
   there; nothing was tuned on them):
   - ``t3 collider s``: the collider's rows divided by √(W/3), W ~ χ²₃ (a multivariate
     Student-t, ν = 3); truth = Gaussian part + c(3, d, 2d) − c(3, d, d), c the Student-t
     term of :func:`mitool.suite.student_t_correction`, from I(X; T | Z) = I(X; (T, Z)) −
     I(X; Z);
   - ``warped …``: each variable v of the Gaussian triple mapped to Q₂ g(Q₁ v), Q random
     rotations and g(u) = u + 0.3 u³ per coordinate: invertible maps of each variable, so
     the truth is unchanged while the copula is no longer Gaussian.
   Each cell: mean estimate over ``--repeats`` datasets, the truth, and the largest |error|.
2. The permutation tests' level on a chain with strong Z dependence (issue 22: 2-8% rejections
   at 5% over 200 null datasets): X, T = a·ΣZ/√d_z + N(0, 1), Z ~ N(0, I_{d_z}), so X ⊥ T | Z.
   Each dataset gets the local permutation test (Runge 2018, 5 neighbours in Z) and the plain
   shuffle, with the same P; the share of p ≤ 0.05 is reported with its binomial 95% range
   under a valid test.
3. Entropy accuracy: Kozachenko–Leonenko (standardised columns, k = 3) at n = 5000 on
   Gaussians (½ log((2πe)^d |Σ|)), uniforms on boxes (log of the volume) and exponentials
   (1 − log λ per column), mean and largest |error| over the repeats.

Datasets run in worker processes (``--jobs``); each estimate is single-process, and the results
do not depend on ``--jobs``.

    python benchmarks/study_cmi.py [--datasets 200] [--permutations 19] [--repeats 3]
        [--jobs 2] [--only accuracy,level,entropy]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
import warnings

import numpy as np

from mitool.conditional import conditional_mi, gaussian_cmi
from mitool.entropies import entropy
from mitool.parallel import parallel_map
from mitool.suite import student_t_correction

N = 5000
DIMS = (1, 2, 3, 5)
#: (name, noise s) of the colliders.
COLLIDERS = (("collider s=1", 1.0), ("collider s=2", 2.0), ("collider s=3", 3.0))
#: Held-out shapes whose copula is not Gaussian (module docstring).
HELD_OUT = ("t3 collider s=2", "warped collider s=1", "warped chain")
#: Level settings: (n, d_z, a, k).
LEVEL_SETTINGS = ((500, 2, 2.0, 10), (500, 2, 3.0, 10), (500, 3, 1.0, 10), (500, 1, 3.0, 3))


def triple(kind: str, d: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """One (X, T, Z) of ``kind`` with d columns each, and its I(X; T | Z) in nats."""
    rng = np.random.default_rng(seed)
    if kind == "chain":
        x = rng.standard_normal((N, d))
        z = x + rng.standard_normal((N, d))
        return x, z + rng.standard_normal((N, d)), z, 0.0
    if kind.startswith("collider"):
        s = dict(COLLIDERS)[kind]
        x, t = rng.standard_normal((N, d)), rng.standard_normal((N, d))
        z = x + t + s * rng.standard_normal((N, d))
        per_dim = np.array([[1, 0, 1], [0, 1, 1], [1, 1, 2 + s * s]], dtype=float)
        return x, t, z, d * gaussian_cmi(per_dim, 1, 1)
    if kind.startswith("t3 "):
        x, t, z, truth = triple(kind[3:], d, seed)
        # Its own stream: the triple's generator replays rng's draws.
        w = np.sqrt(np.random.default_rng([seed, 1]).chisquare(3.0, (N, 1)) / 3.0)
        extra = student_t_correction(3.0, d, 2 * d) - student_t_correction(3.0, d, d)
        return x / w, t / w, z / w, truth + extra
    if kind.startswith("warped "):
        *variables, truth = triple(kind[7:], d, seed)
        warped, own = [], np.random.default_rng([seed, 2])  # not the triple's stream
        for v in variables:
            q1, q2 = (np.linalg.qr(own.standard_normal((d, d)))[0] for _ in range(2))
            u = v @ q1.T
            warped.append((u + 0.3 * u**3) @ q2.T)
        return warped[0], warped[1], warped[2], truth
    eye, zero = np.eye(d), np.zeros((d, d))
    rotations = [np.linalg.qr(rng.standard_normal((d, d)))[0] for _ in range(3)]
    # (X, T, Z) = M (Z, e_x, e_t) for independent standard sources, then rotated per variable.
    m = np.block([[0.7 * eye, eye, zero], [0.91 * eye, 0.3 * eye, eye], [eye, zero, zero]])
    m = np.block([[rotations[i] if i == j else zero for j in range(3)] for i in range(3)]) @ m
    rows = rng.standard_normal((N, 3 * d)) @ m.T
    return rows[:, :d], rows[:, d : 2 * d], rows[:, 2 * d :], gaussian_cmi(m @ m.T, d, d)


def accuracy_task(kind: str, d: int, seed: int) -> tuple[float, float, float, float]:
    """(corrected, plain KSG-CMI, truth, seconds of the corrected estimate) on one dataset."""
    x, t, z, truth = triple(kind, d, seed)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = conditional_mi(x, t, z, k=3, seed=seed, jobs=1)  # independent surrogates
    return result.value, result.statistic, truth, time.perf_counter() - started


def level_task(
    n: int, d_z: int, a: float, k: int, permutations: int, seed: int
) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, d_z))
    drive = a * z.sum(axis=1, keepdims=True) / math.sqrt(d_z)
    x = drive + rng.standard_normal((n, 1))
    t = drive + rng.standard_normal((n, 1))
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for null in ("local", "shuffle"):
            result = conditional_mi(  # the test does not use the correction: skip its cost
                x, t, z, k=k, permutations=permutations, null=null, seed=seed, jobs=1,
                correction="none",
            )  # fmt: skip
            out.append(result.p_value)
    return out[0], out[1]


def entropy_task(kind: str, d: int, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    if kind == "gaussian":
        a = rng.standard_normal((d, d)) * 0.5 + np.eye(d)
        x = rng.standard_normal((N, d)) @ a.T
        truth = 0.5 * math.log((2 * math.pi * math.e) ** d * np.linalg.det(a @ a.T))
    elif kind == "uniform":
        sides = rng.uniform(0.5, 3.0, d)
        x, truth = rng.uniform(0, 1, (N, d)) * sides, float(np.log(sides).sum())
    else:
        rates = rng.uniform(0.5, 2.0, d)
        x, truth = rng.exponential(1 / rates, (N, d)), float(np.sum(1 - np.log(rates)))
    return entropy(x, k=3).value, truth


def accuracy_table(repeats: int, jobs: int | None) -> list[str]:
    kinds = ("chain", *(name for name, _ in COLLIDERS), "confounded", *HELD_OUT)
    tasks = [(kind, d, 100 * d + r) for kind in kinds for d in DIMS for r in range(repeats)]
    results = parallel_map(accuracy_task, tasks, jobs=jobs)
    lines = [
        f"CMI, k = 3, rank norm, n = {N}, {repeats} datasets per cell: mean corrected estimate "
        "(the default) / mean plain KSG-CMI / truth, then the largest |error| of each "
        "(corrected, plain), nats; mean seconds of the corrected estimate. The last "
        f"{len(HELD_OUT)} rows are held out (copula not Gaussian).",
        "",
        "| data | " + " | ".join(f"d = {d}" for d in DIMS) + " |",
        "|---|" + "---|" * len(DIMS),
    ]
    for kind in kinds:
        cells = []
        for d in DIMS:
            got = [res for task, res in zip(tasks, results, strict=True) if task[:2] == (kind, d)]
            values, plain, truths, seconds = (np.array(col) for col in zip(*got, strict=True))
            worst = float(np.max(np.abs(values - truths)))
            worst_plain = float(np.max(np.abs(plain - truths)))
            flag = "" if worst <= 0.05 else " ✗"
            cells.append(
                f"{values.mean():.3f} / {plain.mean():.3f} / {truths.mean():.3f} "
                f"({worst:.3f}{flag}, {worst_plain:.3f}) {seconds.mean():.1f} s"
            )
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    return lines


def level_table(datasets: int, permutations: int, jobs: int | None) -> list[str]:
    lo, hi = binomial_range(datasets, 0.05)
    lines = [
        f"Permutation tests on X ⊥ T | Z (strong chain), {datasets} datasets, P = "
        f"{permutations}: share of p ≤ 0.05 (a valid test: {lo:.3f}-{hi:.3f}, binomial 95%)",
        "",
        "| n | d_z | a | k | local (Runge 2018) | plain shuffle | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for n, d_z, a, k in LEVEL_SETTINGS:
        started = time.perf_counter()
        tasks = [(n, d_z, a, k, permutations, 10_000 + i) for i in range(datasets)]
        p = np.array(parallel_map(level_task, tasks, jobs=jobs))
        local, shuffle = np.mean(p[:, 0] <= 0.05), np.mean(p[:, 1] <= 0.05)
        seconds = time.perf_counter() - started
        lines.append(f"| {n} | {d_z} | {a:g} | {k} | {local:.3f} | {shuffle:.3f} | {seconds:.0f} |")
    return lines


def entropy_table(repeats: int, jobs: int | None) -> list[str]:
    kinds = ("gaussian", "uniform", "exponential")
    tasks = [(kind, d, 7 * d + r) for kind in kinds for d in DIMS for r in range(repeats)]
    results = parallel_map(entropy_task, tasks, jobs=jobs)
    lines = [
        f"Entropy, Kozachenko-Leonenko k = 3 (standardised columns), n = {N}, {repeats} "
        "datasets per cell: mean error (largest |error|), nats",
        "",
        "| data | " + " | ".join(f"d = {d}" for d in DIMS) + " |",
        "|---|" + "---|" * len(DIMS),
    ]
    for kind in kinds:
        cells = []
        for d in DIMS:
            got = [res for task, res in zip(tasks, results, strict=True) if task[:2] == (kind, d)]
            errors = np.array([value - truth for value, truth in got])
            cells.append(f"{errors.mean():+.3f} ({np.max(np.abs(errors)):.3f})")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    return lines


def binomial_range(trials: int, p: float) -> tuple[float, float]:
    """The central 95% range of the share of successes in ``trials`` Bernoulli(p) draws."""
    from scipy.stats import binom

    return binom.ppf(0.025, trials, p) / trials, binom.ppf(0.975, trials, p) / trials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=200, help="null datasets per setting")
    parser.add_argument("--permutations", type=int, default=19, help="P of each test")
    parser.add_argument("--repeats", type=int, default=3, help="datasets per accuracy cell")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes")
    parser.add_argument("--only", default="accuracy,level,entropy", help="tables to print")
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(f"# study_cmi on {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    for name, table in (
        ("accuracy", lambda: accuracy_table(args.repeats, args.jobs)),
        ("level", lambda: level_table(args.datasets, args.permutations, args.jobs)),
        ("entropy", lambda: entropy_table(args.repeats, args.jobs)),
    ):
        if name in only:
            started = time.perf_counter()
            print("\n" + "\n".join(table()) + f"\n\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
