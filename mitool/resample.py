"""Uncertainty for any estimator: subsampling and bootstrap intervals, permutation tests.

Every replicate re-runs the whole estimator through ``point(x, t, seed) -> nats``: the
normalization constants, the maximum over c and the tie handling are recomputed on the
replicate's rows, since anything computed once on the full data would narrow the interval.

**Subsampling** (the default, valid for kNN estimators). Resampling rows with replacement
duplicates them, and duplicates give zero kNN distances that inflate KSG (paper-000 digest
§7.8: an estimate of 0.255 nats averaged 1.015 over bootstrap replicates). Instead, following
Holmes & Nemenman (PRE 2019), the rows are shuffled and cut into q = ⌊n/m⌋ disjoint subsamples
of m rows, as often as needed for B estimates. Disjoint subsamples of an i.i.d. sample are
independent samples of size m, so the pooled within-split variance is an unbiased estimate of
Var Î_m; the estimator's variance falls as 1/n, so sd(Î_n) = sd(Î_m) · √(m/n). (The plain
variance over overlapping subsamples would be too small: they share rows.) Only the
replicates' spread is used, never their mean: Î_m has its own bias, which depends on m. The
interval is Î_n ± z_(1+level)/2 · sd(Î_n), centred on the full-data estimate, so it covers
E[Î_n]; it says nothing of the estimator's bias.

By default m = n/2 up to 4000 rows, then m = max(2000, n/50) (:func:`default_subsample_size`):
B = 100 subsamples then hold at most max(200,000, 2n) rows, so that from n = 100,000 on the
default run costs 1.3-3.2 point estimates, the point estimate included (1.3 in 5-D, where the
search grows faster than n log n), instead of 30-60 with halves. sd(Î_s) · √s was flat within
about 10% from s = 1000 rows on, and the rescaled sd from m = 2000 matched the estimator's
real sd at n = 20,000 and 100,000 (benchmarks/study_intervals.py --large; the cost in
benchmarks/study_interval_cost.py).

**Bootstrap** (with replacement, n rows, duplicates broken by the estimator's spread-relative
jitter): the same normal interval with the bootstrap sd. Available for comparison and for
estimators without neighbour ties; for kNN estimators it is biased, and the result says so.

**Permutation test** of independence: T's rows are shuffled against X; the p-value is
(1 + #{null ≥ observed}) / (1 + P), and observed − mean(null) is a bias-corrected estimate.

Replicates run in parallel processes (joblib), each seeded from its own child of
``numpy.random.SeedSequence.spawn``, so the output does not depend on the number of jobs.
Subsamples of at most :data:`ONE_THREAD_ROWS` rows search on one thread each: the replicates
share the cores, not each search.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
from scipy.special import ndtri

from mitool.errors import MitoolError
from mitool.parallel import limit_threads, parallel_map, search_threads

CI_METHODS = ("subsample", "bootstrap")

#: ``point(x, t, seed)``: the whole estimator on some rows, in nats (picklable: a module-level
#: function or a functools.partial of one, so that worker processes can run it).
PointFn = Callable[[np.ndarray, np.ndarray, int], float]


@dataclass(frozen=True)
class Interval:
    """A confidence interval for the estimate (values in the estimate's units).

    ``sd`` is the estimated standard deviation of the full-data estimate, ``replicate_mean``
    the mean of the replicate estimates (at m rows for subsampling), ``resamples`` how many
    replicates gave a value and ``failed`` how many could not be estimated (e.g. a subsample
    whose column happened to be constant).
    """

    low: float
    high: float
    level: float
    method: str
    resamples: int
    subsample_size: int | None
    sd: float
    replicate_mean: float
    failed: int = 0
    widened: float = 1.0

    def scaled(self, factor: float) -> Interval:
        """The same interval in other units (every value multiplied by ``factor``)."""
        return replace(
            self,
            low=self.low * factor,
            high=self.high * factor,
            sd=self.sd * factor,
            replicate_mean=self.replicate_mean * factor,
        )

    def widen(self, value: float, factor: float) -> Interval:
        """The interval around ``value`` with its half-widths and sd multiplied by ``factor``."""
        return replace(
            self,
            low=value - factor * (value - self.low),
            high=value + factor * (self.high - value),
            sd=self.sd * factor,
            widened=self.widened * factor,
        )


#: Below this many rows no interval is given. The half-samples' spread, rescaled by √(m/n),
#: measured 0.32-0.46 of the estimator's real sd at n = 10 and about 0.65 at n = 20, and its
#: coverage of the estimator's mean 44-80% (benchmarks/study_small_n.py): no single widening
#: repairs that, since the factor needed (1.6-3.9) depends on the data.
MIN_INTERVAL_ROWS = 30
#: From MIN_INTERVAL_ROWS up to this many rows the half-width is multiplied by WIDEN, the
#: largest factor that 95% coverage of the estimator's mean needed there (1.49 at n = 30-50;
#: 83-92% coverage before).
WIDEN_BELOW_ROWS = 100
WIDEN = 1.5


def small_sample_policy(n: int) -> tuple[bool, float]:
    """(whether an interval may be given at n rows, the factor its half-width takes)."""
    if n < MIN_INTERVAL_ROWS:
        return False, 1.0
    return True, WIDEN if n < WIDEN_BELOW_ROWS else 1.0


@dataclass(frozen=True)
class NullTest:
    """A permutation test of independence (values in the estimate's units)."""

    p_value: float
    null_mean: float
    null_sd: float
    corrected: float
    permutations: int
    failed: int = 0

    def scaled(self, factor: float) -> NullTest:
        """The same test in other units (every estimate multiplied by ``factor``)."""
        return NullTest(
            self.p_value,
            self.null_mean * factor,
            self.null_sd * factor,
            self.corrected * factor,
            self.permutations,
            self.failed,
        )


class _Task(NamedTuple):
    """A unit of parallel work: ``count`` estimates drawn with one seed.

    For a split, the seed shuffles the rows into ⌊n/size⌋ blocks and draws one estimator seed
    per block; the task estimates blocks ``first`` to ``first + count - 1``, so a split can be
    shared among several tasks and the values do not depend on how it is shared.
    """

    kind: str  # "split" (disjoint subsamples), "bootstrap" or "permute"
    seed: np.random.SeedSequence
    size: int  # rows of each replicate
    count: int
    first: int = 0


def _safe(point: PointFn, x: np.ndarray, t: np.ndarray, seed: int) -> float:
    try:
        return float(point(x, t, seed))
    except MitoolError:  # e.g. a column constant on these rows: this replicate has no value
        return math.nan


#: Subsamples of at most this many rows search on one thread: the work is shared among the
#: replicates instead (worker processes start when they pay, :func:`mitool.parallel.
#: parallel_map`). A search on every core of a shared, loaded 2-core machine cost 148 ms per
#: 2000-row replicate against 28 ms on one thread, and made the default interval at n = 1e5
#: (1-D) cost 22.6 point estimates instead of 3.4 (benchmarks/study_interval_cost.py --wall).
ONE_THREAD_ROWS = 20_000


def _run_task(point: PointFn, x: np.ndarray, t: np.ndarray, task: _Task) -> np.ndarray:
    rng = np.random.default_rng(task.seed)
    n = len(x)
    if task.kind == "split":
        rows = rng.permutation(n)
        chosen = range(task.first, task.first + task.count)
        blocks = [np.sort(rows[j * task.size : (j + 1) * task.size]) for j in chosen]
        seeds = rng.integers(0, 2**63 - 1, size=n // task.size)[task.first :][: task.count]
    else:
        if task.kind == "bootstrap":
            blocks = [np.sort(rng.integers(0, n, task.size)) for _ in range(task.count)]
        else:  # permute: T's rows shuffled against X
            blocks = [rng.permutation(n) for _ in range(task.count)]
        seeds = rng.integers(0, 2**63 - 1, size=task.count)
    if task.kind == "permute":
        return np.array([_safe(point, x, t[b], int(s)) for b, s in zip(blocks, seeds, strict=True)])
    threads = 1 if task.size <= ONE_THREAD_ROWS else search_threads()
    with limit_threads(threads):
        return np.array(
            [_safe(point, x[b], t[b], int(s)) for b, s in zip(blocks, seeds, strict=True)]
        )


def _run(
    point: PointFn,
    x: np.ndarray,
    t: np.ndarray,
    tasks: list[_Task],
    jobs: int | None,
    progress: bool,
    description: str,
    backend: str | None = None,
    threads: bool = False,
) -> list[np.ndarray]:
    """Run every task, in order, on ``jobs`` processes (or the engine ``backend``, with x and t
    shipped once, :func:`mitool.parallel.parallel_map`); one array of estimates per task.
    ``threads``: ``point`` may run in several threads at once (no process-wide state), so the
    tasks that stay in this process share the cores on threads."""
    return parallel_map(
        _run_task,
        [(point, x, t, task) for task in tasks],
        jobs=jobs,
        progress=progress,
        description=description,
        steps=[task.count for task in tasks],
        backend=backend,
        threads=threads,
    )


def _normal_interval(
    estimate: float,
    sd: float,
    level: float,
    method: str,
    values: np.ndarray,
    resamples: int,
    size: int | None,
) -> Interval:
    """Î ± z_(1+level)/2 · sd, with what the replicates ``values`` say about themselves."""
    half = float(ndtri(0.5 + level / 2)) * sd  # scipy.stats.norm.ppf, bit for bit
    return Interval(
        low=estimate - half,
        high=estimate + half,
        level=level,
        method=method,
        resamples=len(values),
        subsample_size=size,
        sd=sd,
        replicate_mean=float(values.mean()),
        failed=resamples - len(values),
    )


#: The default subsample size m (:func:`default_subsample_size`): n/2 up to 2 · SUBSAMPLE_ROWS
#: rows; above, SUBSAMPLE_ROWS rows, or n / SUBSAMPLE_FRACTION where that is more (from
#: n = 100,000 on), so that B = 100 subsamples hold at most max(200,000, 2n) rows. The
#: rescaling sd(Î_n) = sd(Î_m) · √(m/n) held there: at n = 20,000 and 100,000 (m = 2000) the
#: rescaled sd was 0.92-1.10 of the estimator's real sd over 100-200 datasets (each figure
#: ± 5-7%), and the 95% intervals covered the estimator's mean in 93.5-96% of them (1-D and
#: 5-D Gaussians, a 1-D Student t, auto and ksg/global-linf; benchmarks/study_intervals.py
#: --large).
SUBSAMPLE_ROWS = 2000
SUBSAMPLE_FRACTION = 50


def default_subsample_size(n: int, min_rows: int = 1) -> int:
    """m = n // 2 for n ≤ 2 · SUBSAMPLE_ROWS, else max(SUBSAMPLE_ROWS, n // SUBSAMPLE_FRACTION),
    and never below ``min_rows`` (the k + 2 rows a subsample needs) nor above n // 2."""
    return min(n // 2, max(SUBSAMPLE_ROWS, n // SUBSAMPLE_FRACTION, min_rows))


def subsample_size(n: int, size: int | None, min_rows: int) -> int:
    """The rows m of each subsample (:func:`default_subsample_size` when ``size`` is None); it
    must lie in [min_rows, n // 2]."""
    m = default_subsample_size(n, min_rows) if size is None else size
    if not min_rows <= m <= n // 2:
        raise MitoolError(
            f"the subsample size must lie between {min_rows} (enough rows for k) and n/2 = "
            f"{n // 2} (two disjoint subsamples), got {m}"
            + ("; there are too few rows to subsample" if n // 2 < min_rows else "")
        )
    return m


def subsample_interval(
    point: PointFn,
    x: np.ndarray,
    t: np.ndarray,
    estimate: float,
    *,
    resamples: int,
    level: float,
    size: int,
    seed: np.random.SeedSequence,
    jobs: int | None = None,
    progress: bool = False,
    backend: str | None = None,
    threads: bool = False,
) -> Interval | None:
    """Interval from B estimates on disjoint m-row subsamples (see the module docstring); the
    replicates run on ``jobs`` processes or the engine ``backend``, or on threads when
    ``threads`` says ``point`` allows it (:func:`_run`).

    Returns None when fewer than two estimates in one split succeeded (no spread to measure).
    """
    n = len(x)
    per_split = n // size
    splits = seed.spawn(math.ceil(resamples / per_split))
    counts = [min(per_split, resamples - i * per_split) for i in range(len(splits))]
    # A split of many small blocks is shared among tasks of about n/10 rows of estimates each
    # (each task shuffles the n rows again, O(n)), so that the workers share the work.
    chunk = max(1, math.ceil(n / (10 * size)))
    tasks = [
        _Task("split", s, size, min(chunk, c - first), first)
        for s, c in zip(splits, counts, strict=True)
        for first in range(0, c, chunk)
    ]
    split_of = [i for i, c in enumerate(counts) for _ in range(0, c, chunk)]
    parts = _run(point, x, t, tasks, jobs, progress, "subsamples", backend, threads)
    groups = [
        np.concatenate([p for p, j in zip(parts, split_of, strict=True) if j == i])
        for i in range(len(splits))
    ]
    groups = [g[np.isfinite(g)] for g in groups]
    dof = sum(len(g) - 1 for g in groups if len(g) > 1)
    if dof < 1:
        return None
    within = sum(float(np.sum((g - g.mean()) ** 2)) for g in groups if len(g) > 1)
    sd = math.sqrt(within / dof * size / n)
    values = np.concatenate(groups)
    return _normal_interval(estimate, sd, level, "subsample", values, resamples, size)


def bootstrap_interval(
    point: PointFn,
    x: np.ndarray,
    t: np.ndarray,
    estimate: float,
    *,
    resamples: int,
    level: float,
    seed: np.random.SeedSequence,
    jobs: int | None = None,
    progress: bool = False,
    backend: str | None = None,
    threads: bool = False,
) -> Interval | None:
    """Interval from B with-replacement bootstrap estimates: Î ± z · sd(replicates)."""
    n = len(x)
    tasks = [_Task("bootstrap", s, n, 1) for s in seed.spawn(resamples)]
    values = np.concatenate(_run(point, x, t, tasks, jobs, progress, "bootstrap", backend, threads))
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return None
    sd = float(values.std(ddof=1))
    return _normal_interval(estimate, sd, level, "bootstrap", values, resamples, None)


def permutation_test(
    point: PointFn,
    x: np.ndarray,
    t: np.ndarray,
    observed: float,
    *,
    permutations: int,
    seed: np.random.SeedSequence,
    jobs: int | None = None,
    progress: bool = False,
    backend: str | None = None,
    threads: bool = False,
) -> NullTest | None:
    """Shuffle T against X ``permutations`` times; None when fewer than two gave a value."""
    n = len(x)
    tasks = [_Task("permute", s, n, 1) for s in seed.spawn(permutations)]
    null = np.concatenate(
        _run(point, x, t, tasks, jobs, progress, "permutations", backend, threads)
    )
    null = null[np.isfinite(null)]
    if len(null) < 2:
        return None
    mean = float(null.mean())
    return NullTest(
        p_value=(1 + int(np.sum(null >= observed))) / (1 + len(null)),
        null_mean=mean,
        null_sd=float(null.std(ddof=1)),
        corrected=observed - mean,
        permutations=len(null),
        failed=permutations - len(null),
    )
