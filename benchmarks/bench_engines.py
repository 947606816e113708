"""The same screen in this process and on a local Dask cluster (issue 22, item 6).

Screens ``--features`` 1-D Gaussian features (20 informative, correlations 0.3-0.7 with y) x
``--rows`` rows against y, as ``mitool screen -e ksg --norm rank -B 100 -P 10 --fdr 0.05``
would: an interval and a pooled-permutation p-value per feature, Benjamini-Hochberg at 0.05.
First in this process (``jobs=None``: all cores), then on a ``LocalCluster`` of ``--workers``
worker processes, one thread each (``backend="dask"``); prints both wall-clock times, their
ratio, whether the results are identical, and what each task shipped to the cluster besides the
table (which goes to every worker once, scattered).

    python benchmarks/bench_engines.py                        # 10,000 features x n = 2,000
    python benchmarks/bench_engines.py --features 1000        # scaled down
"""

from __future__ import annotations

import argparse
import os
import pickle
import time

import numpy as np


def dataset(features: int, rows: int, informative: int = 20, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.standard_normal(rows)
    x = rng.standard_normal((rows, features))
    rho = rng.uniform(0.3, 0.7, informative)
    x[:, :informative] = rho * y[:, None] + np.sqrt(1 - rho**2) * x[:, :informative]
    return x, y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=2_000)
    parser.add_argument("-B", "--resamples", type=int, default=100)
    parser.add_argument("-P", "--permutations", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    import distributed

    import mitool.parallel
    from mitool.screening import screen

    x, y = dataset(args.features, args.rows)
    options = {
        "estimator": "ksg", "norm": "rank", "resamples": args.resamples,
        "permutations": args.permutations, "fdr": 0.05,
    }  # fmt: skip
    screen(x[:200, :2], y[:200], estimator="ksg", norm="rank", resamples=4)  # compile first
    load = os.getloadavg()[0]
    started = time.perf_counter()
    local = screen(x, y, **options)
    local_s = time.perf_counter() - started

    shipped: list[int] = []  # pickled bytes of each task, the shared table left out
    on_engine = mitool.parallel._on_engine

    def measured(fn, tasks, backend):
        shared = {id(a) for a in mitool.parallel.shared_arrays(tasks)}
        for task in tasks:
            shipped.append(len(pickle.dumps([None if id(a) in shared else a for a in task])))
        return on_engine(fn, tasks, backend)

    mitool.parallel._on_engine = measured
    load_remote = os.getloadavg()[0]
    started = time.perf_counter()
    with distributed.LocalCluster(
        n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        start_s = time.perf_counter() - started
        started = time.perf_counter()
        remote = screen(x, y, backend="dask", address=cluster.scheduler_address, **options)
        remote_s = time.perf_counter() - started
    mitool.parallel._on_engine = on_engine

    a, b = local.to_dict(), remote.to_dict()
    a.pop("seconds")
    b.pop("seconds")
    print(
        f"screen of {args.features:,} features x n = {args.rows:,}, ksg/rank, "
        f"B = {args.resamples}, P = {args.permutations} (pooled), FDR 0.05; "
        f"{os.cpu_count()} cores shared with other work"
    )
    print(
        f"  in this process (jobs=None): {local_s:.1f} s; {len(local.selected)} selected "
        f"(load average {load:.1f} before)"
    )
    print(
        f"  local Dask cluster, {args.workers} workers x 1 thread: {remote_s:.1f} s "
        f"(+ {start_s:.1f} s to start the cluster); ratio Dask / in-process "
        f"{remote_s / local_s:.2f} (load average {load_remote:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after)"
    )
    print(f"  results identical: {a == b}")
    print(
        f"  shipped: the table ({x.nbytes / 1e6:.1f} MB) scattered once to each worker; "
        f"{len(shipped)} tasks of {min(shipped) / 1e3:.1f}-{max(shipped) / 1e3:.1f} kB each "
        f"(the target, column indices, seeds, settings)"
    )


if __name__ == "__main__":
    main()
