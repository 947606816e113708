"""The Python API: ``estimate(x, t)``. The command line is a thin layer over it.

The data path is one straight line: validate → normalise → break ties → estimate (at every c
of the grid, for a kNN estimator under a global norm) → resample (interval, permutation test:
each replicate repeats normalise → break ties → estimate on its own rows) → report.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from mitool.choose import choose
from mitool.data_checks import bulk_notes, check_symbols
from mitool.diagnose import diagnose, few_symbols, first_rows
from mitool.engines import check_engine, engine
from mitool.errors import EstimateError, MitoolError, MitoolWarning
from mitool.estimators import EstimatorSpec, get_estimator
from mitool.estimators.curve import Curve
from mitool.normalize import GLOBAL_NORMS, constant_columns, normalize
from mitool.parallel import resolve_jobs, search_threads
from mitool.resample import (
    CI_METHODS,
    MIN_INTERVAL_ROWS,
    WIDEN_BELOW_ROWS,
    Interval,
    NullTest,
    bootstrap_interval,
    permutation_test,
    small_sample_policy,
    subsample_interval,
    subsample_size,
)
from mitool.result import UNITS, CurvePoint, MIResult, convert
from mitool.search.plan import SEARCH_PATHS, SearchPlan, check_path
from mitool.ties import JITTER, TieStats, break_ties, jitter, tie_stats
from mitool.validate import MAX_SEED, check_pair, rows, whole_number

if TYPE_CHECKING:  # loads scipy's trees: on first use of given
    from mitool.conditional import ConditionalResult

#: The estimator name that diagnoses the data and chooses (:mod:`mitool.choose`).
AUTO = "auto"

#: The paper's grid of rescalings c of T for the global norms: 0.1, 0.2, ..., 2.0 (Remark 2).
DEFAULT_SCALES: tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(1, 21))


def estimate(
    x: object,
    t: object,
    *,
    given: object = None,
    estimator: str = AUTO,
    norm: str | None = None,
    k: int = 3,
    scales: Sequence[float] = DEFAULT_SCALES,
    units: str = "nats",
    seed: int = 0,
    drop_nan: bool = False,
    full_curve: bool = False,
    ci: float = 0.95,
    resamples: int | None = None,
    ci_method: str = "subsample",
    subsample: int | None = None,
    permutations: int = 0,
    jobs: int | None = None,
    progress: bool = False,
    options: Mapping[str, Any] | None = None,
    search: str = "auto",
    device: str | None = None,
    names: tuple[str, str] = ("X", "T"),
    backend: str | None = None,
    address: str | None = None,
) -> MIResult | ConditionalResult:
    """Estimate the mutual information I(X; T) between two samples, or I(X; T | Z) with
    ``given=z``.

    Parameters
    ----------
    x, t : array-likes of shape (n,) or (n, d); rows are samples.
    given : Z, an array-like of shape (n,) or (n, d_z): estimate the conditional MI
        I(X; T | Z) by :func:`mitool.conditional_mi` (KSG-CMI of Frenzel & Pompe 2007, Eq. 6,
        in the form of Vejmelka & Paluš 2008, Eq. 14; stratified by a discrete Z, the chain
        rule for a discrete X or T; KSG-CMI with the copula bias correction) and return its
        :class:`~mitool.conditional.ConditionalResult`. ``auto`` is then the only estimator:
        it routes by which variables are discrete; the norm (default ``rank``; ``none``,
        ``local``, ``rank``, ``global``, ``global-linf``)
        applies to Z as to X and T; ``permutations`` runs the local permutation test of
        Runge (2018), T permuted among rows with nearby Z, never a plain shuffle. k, units,
        seed and jobs apply; ``names`` may name Z third. Settings without a counterpart
        (scales, full_curve, drop_nan, an interval, neural options, search, device,
        backend) are a one-line MitoolError when set; ``progress`` draws nothing.
    estimator : ``auto`` (diagnose the data and choose, :mod:`mitool.choose`; the choice and
        its reasons are in ``result.choice``), ``ksg`` (Kraskov algorithm 1), ``ksg2``
        (algorithm 2), ``bi-ksg`` (max-norm), ``bi-ksg-l2``, ``ross`` (T holds class labels),
        ``mixed-ksg`` (discrete-continuous mixtures), ``gcmi`` (Gaussian copula, a lower
        bound), ``plugin`` (discrete x discrete), or a neural estimator: ``mine``, ``nwj``,
        ``infonce`` (these need PyTorch).
    norm : ``none``, ``local``, ``global``, ``global-linf`` (kNN) or ``global-corrected``
        (neural) (paper 000, Definitions 1-3 and Table 1), or ``rank`` (each column to the
        normal scores of its ranks); None picks the estimator's recommended norm
        (``global-linf`` for kNN, ``global-corrected`` for neural). ``auto`` picks its own.
    k : number of neighbours.
    scales : the grid of c for the global norms, where the estimate is max_c Î(X; c·T).
    units : ``nats`` or ``bits``.
    seed : seeds every random step (the jitter that breaks ties, the resampling, permutations).
    drop_nan : drop rows holding NaN or inf instead of raising.
    full_curve : compute Î(X; c·T) at every c, even those provably below the maximum (the
        maximum and c* are the same either way; skipped values are reported as upper bounds).
    ci : level of the confidence interval.
    resamples : number of replicate estimates behind the interval (0: no interval; None: 100,
        or none with ``given``).
    ci_method : ``subsample`` (disjoint subsamples without replacement, valid for kNN
        estimators) or ``bootstrap`` (with replacement; biased for kNN estimators). See
        :mod:`mitool.resample`.
    subsample : rows of each subsample (default n // 2 up to 4000 rows, then
        max(2000, n // 50): :func:`mitool.resample.default_subsample_size`).
    permutations : number of shuffles of T for a permutation test of independence (0: none).
    jobs : worker processes for the replicates (None: all cores). The output does not depend
        on it.
    progress : draw a progress bar on stderr while the replicates (or training epochs) run,
        and while a kNN point estimate runs past 2 s (its phases: joint search, counts at each c).
    options : the estimator's own settings, e.g. ``{"epochs": 100, "hidden": (100, 100)}`` for
        the neural estimators (:class:`mitool.estimators.neural.NeuralOptions`).
    search : the kNN searches' path: ``auto`` (by n, dimension and what is installed),
        ``tree``, ``numba``, ``brute`` or ``torch``; every path gives identical counts
        (:mod:`mitool.search`). The plan of the searches is in ``result.details["search"]``.
    device : ``cpu``, ``cuda`` or ``auto``: where the torch search path (chosen by ``auto``
        when the device is not the CPU) or a neural estimator runs.
    names : how to call X and T in messages (file names on the command line).
    backend, address : where the replicates and permutations run (:mod:`mitool.engines`):
        None or ``processes`` (``jobs`` worker processes here), ``dask`` or ``ray`` (the
        workers of the cluster at ``address``; without one, the client or connection already
        open in this process). The output does not depend on it. A search path (``auto``,
        ``tree``, ...) is the old meaning, kept for one release: it sets ``search``, with a
        DeprecationWarning.

    Returns
    -------
    MIResult (ConditionalResult with ``given``), whose warnings are also issued as
    :class:`MitoolWarning`.
    """
    started = time.perf_counter()
    if given is not None:  # I(X; T | Z): conditional_mi, refusing what it has no counterpart for
        from mitool.conditional import estimate_given

        set_here = {
            "scales": tuple(scales) != DEFAULT_SCALES,
            "full_curve": full_curve,
            "drop_nan": drop_nan,
            "ci": ci != 0.95,
            "resamples": resamples not in (None, 0),
            "ci_method": ci_method != "subsample",
            "subsample": subsample is not None,
            "options": bool(options),
            "search": search != "auto",
            "device": device not in (None, "cpu"),
            "backend": backend is not None,
            "address": address is not None,
        }
        refused = [name for name, on in set_here.items() if on]
        return estimate_given(
            x, t, given, refused=refused, estimator=estimator, norm=norm, k=k, units=units,
            seed=seed, permutations=permutations, jobs=jobs, names=names,
        )  # fmt: skip
    resamples = 100 if resamples is None else resamples
    if backend in SEARCH_PATHS:  # the old meaning of backend
        warnings.warn(
            f"estimate(backend={backend!r}) is now estimate(search={backend!r}); backend names "
            "where the replicates run (processes, dask, ray), as in mitool trace",
            DeprecationWarning,
            stacklevel=2,
        )
        search, backend = backend, None
    check_engine(backend, address)
    if estimator == AUTO:
        if norm is not None:
            raise MitoolError(
                "auto chooses the norm with the estimator; name an estimator to set --norm"
            )
    else:
        _spec_and_norm(estimator, norm)  # fail on a bad name before reading any data
    if units not in UNITS:
        raise MitoolError(f"unknown units '{units}'; choose one of: {', '.join(UNITS)}")
    _check_resampling(ci, resamples, ci_method, permutations)
    k, seed = whole_number(k, "k", 1), whole_number(seed, "seed", 0, MAX_SEED)
    resolve_jobs(jobs)

    x, t, dropped = check_pair(x, t, k=k, names=names, drop_nan=drop_nan)
    d_x, d_t = x.shape[1], t.shape[1]
    choice = diagnosis = None
    if estimator == AUTO:
        diagnosis = diagnose(x, t)
        choice = choose(diagnosis, names)
        estimator, norm = choice.estimator, choice.norm
        if choice.dedupe:
            x, t = _distinct_rows(x, t)
        if choice.swap:
            x, t, names = t, x, (names[1], names[0])
    spec, norm = _spec_and_norm(estimator, norm)
    _check_edge(spec, norm, k, x, t)
    check_symbols(spec, x, t, names)
    grid = _check_scales(scales) if spec.sweeps_scale and norm in GLOBAL_NORMS else (1.0,)
    search, device = _check_search(spec.family, search, device)
    if progress and spec.uses_k and search == "auto":  # a person's first run on a terminal
        from mitool.search.warm import tree_while_cold

        search = tree_while_cold(len(x))
    if spec.family == "neural" and device != "cpu":
        options = {"device": device, **(options or {})}
    settings = spec.make_options(options)

    allowed, widen = small_sample_policy(len(x))
    subsampled = resamples and allowed and ci_method == "subsample"
    m = subsample_size(len(x), subsample, k + 2) if subsampled else 0
    notes = _notes_on_columns(x, t, names, dropped)
    notes += bulk_notes(spec, x, t, norm, names)
    curve, ties = point_curve(
        x,
        t,
        estimator=estimator,
        norm=norm,
        k=k,
        grid=grid,
        seed=seed,
        exhaustive=full_curve,
        options=settings,
        progress=progress,
        backend=search,
        device=device,
        names=names,
    )
    notes += curve.notes
    notes += _notes_on_ties(ties, spec, len(x), names, choice is None)

    best = curve.best
    value = float(curve.values[best])
    if not math.isfinite(value):
        raise EstimateError(
            f"{estimator} gave a non-finite estimate ({value}) on these data; try --estimator "
            "auto, or another estimator or norm"
        )
    if value > math.log(len(x)):
        notes.append(
            f"the estimate {value:.3f} nats is above ln n = {math.log(len(x)):.3f}, the most "
            f"that {len(x)} rows can show: {estimator} is biased upwards on these data (e.g. "
            "bi-ksg-l2's ball volumes); try --estimator auto"
        )
    point = partial(
        point_value,
        estimator=estimator,
        norm=norm,
        k=k,
        grid=grid,
        options=settings,
        backend=search,
        device=device,
    )
    shipped = (resamples and allowed) or permutations  # else no task: nothing to connect to
    with engine(backend if shipped else None, address if shipped else None) as where:
        interval, null = _resample(
            point, x, t, value, seed=seed, level=ci, resamples=resamples if allowed else 0,
            method=ci_method, size=m, permutations=permutations, jobs=jobs, progress=progress,
            backend=where, threads=spec.thread_safe and search != "torch",
        )  # fmt: skip
    if resamples and not allowed:
        notes.append(
            f"no interval: below {MIN_INTERVAL_ROWS} rows the resampled spread measured a third "
            "to two thirds of the estimator's real sd, and no fixed widening repairs it; use "
            "--permutations (e.g. -P 200) to test for dependence"
        )
    elif interval is not None and widen != 1.0:
        interval = interval.widen(value, widen)
        notes.append(
            f"the interval is widened {widen:g}x: below {WIDEN_BELOW_ROWS} rows the resampled "
            "spread understates the estimator's sd (83-92% coverage unwidened)"
        )
    notes += _notes_on_resampling(interval, null, resamples if allowed else 0, permutations, value)

    for note in notes:
        warnings.warn(note, MitoolWarning, stacklevel=2)
    factor = convert(1.0, units)
    return MIResult(
        value=convert(value, units),
        units=units,
        estimator=estimator,
        norm=norm,
        k=k,
        n=len(x),
        d_x=d_x,
        d_t=d_t,
        scale=grid[best] if len(grid) > 1 else None,
        curve=_report_curve(curve, units) if len(grid) > 1 else None,
        ties=ties,
        seconds=time.perf_counter() - started,
        seed=seed,
        dropped_rows=dropped,
        warnings=notes,
        interval=None if interval is None else interval.scaled(factor),
        null=None if null is None else null.scaled(factor),
        details=dict(curve.details),
        choice=None if choice is None else {**choice.to_dict(), "diagnosis": diagnosis.to_dict()},
    )


def point_curve(
    x: np.ndarray,
    t: np.ndarray,
    *,
    estimator: str,
    norm: str,
    k: int,
    grid: tuple[float, ...],
    seed: int,
    exhaustive: bool = False,
    options: Any = None,
    progress: bool = False,
    backend: str = "auto",
    device: str = "cpu",
    names: tuple[str, str] = ("X", "T"),
) -> tuple[Curve, TieStats]:
    """The estimator on validated rows: normalise → break ties → Î(X; c·T) for c in ``grid``.

    A neighbour-search estimator gets the plan of its searches (:mod:`mitool.search.plan`:
    ``backend`` is the search path asked for), decided here once and reported in the curve's
    ``details["search"]``."""
    if norm == "none" and any(a.shape[1] == len(constant_columns(a)) for a in (x, t)):
        # A constant shares no information; its ties are reported, but there is nothing to break.
        return Curve.exact(grid, np.zeros(len(grid))), tie_stats(x, t, k)
    spec = get_estimator(estimator)
    if spec.keeps_ties or spec.discrete_x:  # ties are what it measures, or it has no distances
        xn = x if spec.discrete_x else normalize(x, norm, names[0])
        tn = t if spec.discrete_t else normalize(t, norm, names[1])
        ties = tie_stats(x, t, k)
    elif spec.discrete_t:  # T holds class labels: never rescaled nor jittered
        xn, tn, ties = normalize(x, norm, names[0]), t, tie_stats(x, t, k)
        if ties.x_tied_rows:  # repeated rows of X would give zero radii: jitter X alone
            xn = jitter(xn, np.random.default_rng(seed))
            ties = replace(ties, jittered=True, jitter=JITTER)
    else:
        xn, tn = normalize(x, norm, names[0]), normalize(t, norm, names[1])
        xn, tn, ties = break_ties(xn, tn, k, seed)
    if not spec.uses_k:  # no neighbour search
        curve = spec.curve(
            xn, tn, grid, k, exhaustive=exhaustive, seed=seed, options=options, progress=progress
        )
        return curve, ties
    d_t = 0 if spec.discrete_t else tn.shape[1]  # T's class labels are not searched
    plan = SearchPlan.decide(
        len(xn), xn.shape[1], d_t, path=backend, device=device, threads=search_threads(),
        scales=len(grid),
    )  # fmt: skip
    if progress:  # on a terminal: say why a first run waits (numba compiles once per machine)
        from mitool.search.compiled import announce_compile

        announce_compile(plan, len(grid))
    from mitool.progress import step_bar

    with step_bar(estimator, progress) as steps:  # its phases, drawn after 2 s (issue 21)
        curve = spec.curve(
            xn, tn, grid, k, exhaustive=exhaustive, seed=seed, options=options, progress=steps,
            plan=plan,
        )  # fmt: skip
    return replace(curve, details={**curve.details, "search": plan.to_dict()}), ties


def point_value(
    x: np.ndarray,
    t: np.ndarray,
    seed: int,
    *,
    estimator: str,
    norm: str,
    k: int,
    grid: tuple[float, ...],
    options: Any = None,
    backend: str = "auto",
    device: str = "cpu",
) -> float:
    """The estimate in nats (the maximum over the grid): what every replicate recomputes."""
    curve, _ = point_curve(
        x,
        t,
        estimator=estimator,
        norm=norm,
        k=k,
        grid=grid,
        seed=seed,
        options=options,
        backend=backend,
        device=device,
    )
    return float(curve.values[curve.best])


def _resample(
    point: Any,
    x: np.ndarray,
    t: np.ndarray,
    value: float,
    *,
    seed: int,
    level: float,
    resamples: int,
    method: str,
    size: int,
    permutations: int,
    jobs: int | None,
    progress: bool,
    backend: str | None = None,
    threads: bool = False,
) -> tuple[Interval | None, NullTest | None]:
    """The interval and the permutation test, each from its own child of the seed; their tasks
    run on ``jobs`` processes, or on the engine ``backend``, and those that stay in this
    process on threads when ``threads`` (``point`` keeps no process-wide state)
    (:func:`mitool.parallel.parallel_map`)."""
    ci_seed, null_seed = np.random.SeedSequence(seed).spawn(2)
    common = {"jobs": jobs, "progress": progress, "backend": backend, "threads": threads}
    interval = None
    if resamples and method == "subsample":
        interval = subsample_interval(
            point,
            x,
            t,
            value,
            resamples=resamples,
            level=level,
            size=size,
            seed=ci_seed,
            **common,
        )
    elif resamples:
        interval = bootstrap_interval(
            point, x, t, value, resamples=resamples, level=level, seed=ci_seed, **common
        )
    null = None
    if permutations:
        null = permutation_test(
            point, x, t, value, permutations=permutations, seed=null_seed, **common
        )
    return interval, null


def _spec_and_norm(estimator: str, norm: str | None) -> tuple[EstimatorSpec, str]:
    """The estimator's spec and the norm it runs (its default for None), both checked."""
    spec = get_estimator(estimator)
    norm = spec.default_norm if norm is None else norm
    if norm not in spec.norms:
        raise MitoolError(
            f"unknown norm '{norm}' for {estimator}; choose one of: {', '.join(spec.norms)}"
        )
    return spec, norm


def _check_edge(spec: EstimatorSpec, norm: str, k: int, x: np.ndarray, t: np.ndarray) -> None:
    """Refuse the max over c where the estimate's limit at the grid's ends is above 0."""
    if not (spec.sweeps_scale and norm in GLOBAL_NORMS and spec.edge_limit is not None):
        return
    limit = spec.edge_limit(k, x.shape[1], t.shape[1], len(x))
    if limit > 0:
        raise MitoolError(
            f"{spec.name} cannot take the '{norm}' norm here: as c -> 0 it tends to "
            f"{limit:.3f} nats on any data (k = {k}, d = {x.shape[1]} + {t.shape[1]}), so the "
            "maximum over c would pick the grid's edge; use --norm none, local or rank"
        )


def _distinct_rows(x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pair without rows that repeat an earlier joint row (first copies kept, in order)."""
    keep = first_rows(np.hstack([x, t]))
    return x[keep], t[keep]


def _check_search(family: str, search: str, device: str | None) -> tuple[str, str]:
    check_path(search)
    if device not in (None, "cpu", "cuda", "auto"):
        raise MitoolError(f"unknown device '{device}'; choose one of: cpu, cuda, auto")
    if family == "knn" and search == "auto" and device in ("cuda", "auto"):
        search = "torch"  # the GPU path: chunked all-pairs in float64
    return search, device or "cpu"


def _check_resampling(ci: float, resamples: int, ci_method: str, permutations: int) -> None:
    if not 0 < ci < 1:
        raise MitoolError(f"the confidence level must lie strictly between 0 and 1, got {ci}")
    if resamples < 0 or resamples == 1:
        raise MitoolError(f"resamples must be 0 (no interval) or at least 2, got {resamples}")
    if ci_method not in CI_METHODS:
        raise MitoolError(
            f"unknown interval method '{ci_method}'; choose one of: {', '.join(CI_METHODS)}"
        )
    if permutations < 0:
        raise MitoolError(f"permutations must be 0 (no test) or more, got {permutations}")


def _notes_on_resampling(
    interval: Interval | None,
    null: NullTest | None,
    resamples: int,
    permutations: int,
    value: float,
) -> list[str]:
    notes = []
    if resamples and interval is None:
        notes.append("no interval: fewer than two replicates could be estimated")
    elif interval is not None and interval.failed:
        notes.append(f"{interval.failed} of {resamples} replicates could not be estimated")
    if null is not None and null.p_value <= 1.0 / (null.permutations + 1) + 1e-12:
        notes.append(
            f"the p-value {null.p_value:.4g} is the smallest {null.permutations} permutations "
            "can give (no shuffle reached the estimate): the true p-value may be far smaller; "
            "raise --permutations to resolve it"
        )
    if permutations and null is None:
        notes.append("no permutation test: fewer than two permutations could be estimated")
    elif null is not None and null.failed:
        notes.append(f"{null.failed} of {permutations} permutations could not be estimated")
    if (
        interval is not None
        and interval.method == "bootstrap"
        and abs(interval.replicate_mean - value) > max(interval.sd, 1e-12)
        and math.isfinite(interval.replicate_mean)
    ):
        notes.append(
            f"bootstrap replicates average {interval.replicate_mean:.4f} nats against the "
            f"estimate {value:.4f}: rows drawn with replacement repeat, which biases kNN "
            "estimators; prefer --ci-method subsample"
        )
    return notes


def _report_curve(curve: Curve, units: str) -> list[CurvePoint]:
    return [
        CurvePoint(c, None if np.isnan(v) else convert(float(v), units), convert(float(b), units))
        for c, v, b in zip(curve.scales, curve.values, curve.bounds, strict=True)
    ]


def _check_scales(scales: Sequence[float]) -> tuple[float, ...]:
    grid = tuple(float(c) for c in scales)
    if not grid or not all(np.isfinite(c) and c > 0 for c in grid):
        raise MitoolError("scales must be a non-empty list of positive numbers")
    return grid


def _notes_on_ties(
    ties: TieStats, spec: EstimatorSpec, n: int, names: tuple[str, str], explicit: bool
) -> list[str]:
    """What ties and discrete data do to an estimator built for continuous data.

    ``explicit``: the user named the estimator (``auto`` avoids these cases, so it is not told).
    """
    notes = []
    if ties.jittered:
        notes.append(
            f"{rows(ties.duplicate_rows or ties.x_tied_rows)} repeated ({ties.zero_radius} "
            f"with a zero k-th neighbour distance) were separated by seeded jitter of "
            f"{ties.jitter:g} x each column's sd; the jitter does not remove their effect: kNN "
            "estimators count each copy as a neighbour, which inflates the estimate (every row "
            "twice: KSG reads 1.46 nats against 0.69 without the copies). If the copies are "
            "duplicated records, drop them; if the data have point masses, use --estimator "
            "mixed-ksg (--estimator auto does either)"
        )
    if explicit and spec.family in ("knn", "neural"):
        for tied, name in ((ties.x_tied_rows, names[0]), (ties.t_tied_rows, names[1])):
            symbols = n - tied
            if symbols > 1 and few_symbols(symbols, n):  # one value: the constant's own note
                notes.append(
                    f"{name} takes only {symbols} distinct values: {spec.name} assumes "
                    "continuous data and is biased on discrete data (ksg2 read 0.21 nats "
                    "against 0.54 on 5 values); use --estimator auto (ross, plugin or mixed-ksg)"
                )
    return notes


def _shared_columns(x: np.ndarray, t: np.ndarray) -> list[tuple[int, int]]:
    """Pairs (i, j) where X's column i and T's column j hold the same values in every row and
    take too many values to be discrete (:func:`mitool.diagnose.few_symbols`)."""

    def key(column: np.ndarray) -> tuple[float, float, float]:
        return float(column[0]), float(column[-1]), float(column.sum())

    t_keys: dict[tuple[float, float, float], list[int]] = {}
    for j, column in enumerate(t.T):
        t_keys.setdefault(key(column), []).append(j)
    shared = []
    for i, column in enumerate(x.T):
        for j in t_keys.get(key(column), []):
            if np.array_equal(column, t[:, j]) and not few_symbols(len(np.unique(column)), len(x)):
                shared.append((i, j))
    return shared


def _notes_on_columns(
    x: np.ndarray, t: np.ndarray, names: tuple[str, str], dropped: int
) -> list[str]:
    notes = [f"dropped {rows(dropped)} holding NaN or inf"] if dropped else []
    for i, j in _shared_columns(x, t)[:1]:
        raise MitoolError(
            f"{names[0]} column {i} and {names[1]} column {j} hold the same continuous values: "
            "their mutual information is infinite, and an estimate would only reflect n and k "
            "(it grows like ln n); select different columns"
        )
    for a, name in zip((x, t), names, strict=False):
        const = constant_columns(a)
        if len(const) == a.shape[1]:
            notes.append(f"{name} is constant: it shares no information with anything")
        elif len(const):
            cols = ", ".join(str(c) for c in const)
            notes.append(f"{name} column(s) {cols} are constant and carry no information")
    return notes
