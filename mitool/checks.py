"""Sanity checks: does an estimator respond to a transformation of the data as the true MI does?

Each check estimates the MI of transformed data over a grid of one parameter, for several
estimator/norm pairs side by side, over independent trials, and compares each pair with what
the truth does (paper 000, §5.1.1–5.1.4 and Appendix C.1):

- :func:`check_scale`: I(X; ηT) for η from 1e-2 to 1e3 (Fig. 4; Propositions 2–3). The truth
  does not depend on η; the statistic is the largest |Î(η) − Î(1)|.
- :func:`check_noise`: X' = [X, ε_1, …, ε_k] with low-energy noise columns (Fig. 1a). The truth
  does not depend on k; the statistic is the largest drop Î(0) − Î(k).
- :func:`check_duplicate`: X' = [X, …, X] (Fig. 3a). The truth does not depend on the copies;
  the statistic is the largest |Î(K copies) − Î(1 copy)|.
- :func:`check_snr`: T' = 0.1·(X + ε) with SNR = 1/σ² from 0.5 to 5 (Fig. 5). The truth rises
  with the SNR; the statistic is the Spearman correlation of the estimates with the truth.

A pair passes when its statistic is within the tolerance: by default the larger of 0.05 nats
and 5% of the pair's own value at the reference point (η = 1, no noise column, one copy), or a
Spearman correlation of at least 0.9. Without files the checks draw built-in data with known
MI (:mod:`mitool.synthetic`); with files they transform the user's X and T, and the truth is
unknown. Within a trial every grid point transforms the same draw (a paired design), so the
curves show the transformation's effect, not sampling noise. Trials, grid points and pairs are
seeded from ``numpy.random.SeedSequence(seed)``, so the results do not depend on ``jobs``.
``jobs`` defaults to 1 (each neighbour query still uses every core): on 2 cores, worker
processes made the default checks about twice as slow; they pay off on many cores.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from mitool.api import AUTO, MitoolWarning, estimate
from mitool.errors import MitoolError
from mitool.estimators import get_estimator
from mitool.parallel import parallel_map, resolve_jobs
from mitool.plotting import pyplot, save
from mitool.synthetic import Sample, additive_gaussian, correlated_gaussians, snr_gaussian
from mitool.validate import check_pair

#: Absolute and relative parts of the default tolerance: the larger of 0.05 nats and 5%.
ABSOLUTE_TOLERANCE = 0.05
RELATIVE_TOLERANCE = 0.05
#: check-snr passes when the estimates' Spearman correlation with the truth reaches this.
MIN_SPEARMAN = 0.9

#: η from 1e-2 to 1e3, five per decade (26 values, 1 among them; paper 000, Fig. 4).
SCALE_FACTORS: tuple[float, ...] = tuple(10.0 ** (i / 5 - 2) for i in range(26))
#: Numbers of noise columns (Fig. 1a) and their sd σ' in units of X's spread (Appendix C.1).
NOISE_COLUMNS: tuple[int, ...] = tuple(range(0, 21, 2))
NOISE_SD = 0.04
#: Copies of X: d_X' = 2, 22, …, 182 for the built-in d = 2 (Fig. 3a, Appendix C.1).
COPIES: tuple[int, ...] = tuple(range(1, 92, 10))
#: Signal-to-noise ratios 1/σ² (Fig. 5; the paper's SNR = 0 would be σ = ∞) and the scale of T.
SNRS: tuple[float, ...] = tuple(0.5 * i for i in range(1, 11))
SNR_SCALE = 0.1

#: Built-in data (Appendix C.1): d per side, ρ of the correlated Gaussians, σ of the noise.
BUILTIN_D = 2
BUILTIN_RHO = 0.8
BUILTIN_SIGMA = 1 / math.sqrt(2)

SIDES = ("x", "t", "both")
CHECKS = ("scale", "noise", "duplicate", "snr")
#: The pairs each check compares when none are given (those the paper's figures contrast).
DEFAULT_PAIRS: dict[str, tuple[str, ...]] = {
    "scale": ("ksg/none", "ksg/local", "ksg/global-linf"),
    "noise": ("ksg/local", "ksg/global-linf"),
    "duplicate": ("ksg/none", "ksg/local", "ksg/global-linf"),
    "snr": ("ksg/local", "ksg/global-linf"),
}


@dataclass(frozen=True)
class Pair:
    """An estimator and the normalization it runs under (paper 000, Table 1)."""

    estimator: str
    norm: str | None  # None: ``auto``, which chooses its own

    @property
    def label(self) -> str:
        return self.estimator if self.norm is None else f"{self.estimator}/{self.norm}"


def parse_pairs(
    estimators: Sequence[str] | None = None,
    norms: Sequence[str] | None = None,
    pairs: Sequence[str] | None = None,
    *,
    check: str = "scale",
) -> tuple[Pair, ...]:
    """The pairs to compare: the product of ``estimators`` and ``norms``, plus ``pairs``
    written ``estimator/norm``; the check's :data:`DEFAULT_PAIRS` when nothing is given.

    Without ``norms``, each estimator runs under the check's default norms that it accepts
    (its own default norm when it accepts none of them); without ``estimators``, ``ksg``.
    Every pair is checked against the estimator registry; repeats are dropped.
    """
    chosen: list[Pair] = []
    for text in pairs or ():
        estimator, sep, norm = text.partition("/")
        if text.strip() == AUTO:
            chosen.append(Pair(AUTO, None))
            continue
        if not sep or not estimator or not norm:
            raise MitoolError(f"a pair is written estimator/norm (e.g. ksg/local), got '{text}'")
        chosen.append(Pair(estimator.strip(), norm.strip()))
    if estimators or norms or not chosen:
        default = [Pair(*p.split("/")) for p in DEFAULT_PAIRS[check]]
        for estimator in estimators or (["ksg"] if norms or chosen else []):
            if estimator == AUTO:
                chosen.append(Pair(AUTO, None))
                continue
            spec = get_estimator(estimator)
            accepted = [p.norm for p in default if p.norm in spec.norms] or [spec.default_norm]
            chosen += [Pair(estimator, norm) for norm in (norms or accepted)]
        if not estimators and not norms and not chosen:
            chosen = default
    for pair in chosen:
        if pair.estimator == AUTO:
            continue
        spec = get_estimator(pair.estimator)
        if pair.norm not in spec.norms:
            raise MitoolError(
                f"unknown norm '{pair.norm}' for {pair.estimator}; choose one of: "
                f"{', '.join(spec.norms)}"
            )
    return tuple(dict.fromkeys(chosen))


@dataclass(frozen=True)
class PairResult:
    """One pair's curve over the grid and its verdict.

    Attributes
    ----------
    estimator, norm : the pair.
    values : estimates in nats, one tuple per trial, one value per grid point.
    mean, sd : over trials at each grid point (sd is None with one trial).
    ci_low, ci_high : the mean over trials of the interval's ends (None without resamples).
    reference : the mean at the reference point (None for check-snr).
    statistic : the deviation in nats (the largest |Î − reference|, or drop for check-noise), or
        the Spearman correlation with the truth (check-snr); NaN when it cannot be computed.
    tolerance : the largest deviation allowed, or the smallest correlation.
    passed : whether the statistic is within the tolerance.
    """

    estimator: str
    norm: str
    values: tuple[tuple[float, ...], ...]
    mean: tuple[float, ...]
    sd: tuple[float, ...] | None
    ci_low: tuple[float, ...] | None
    ci_high: tuple[float, ...] | None
    reference: float | None
    statistic: float
    tolerance: float
    passed: bool

    @property
    def label(self) -> str:
        return Pair(self.estimator, self.norm).label

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimator": self.estimator,
            "norm": self.norm,
            "mean": _json_list(self.mean),
            "sd": None if self.sd is None else _json_list(self.sd),
            "ci_low": None if self.ci_low is None else _json_list(self.ci_low),
            "ci_high": None if self.ci_high is None else _json_list(self.ci_high),
            "values": [_json_list(v) for v in self.values],
            "reference": _json_float(self.reference),
            "statistic": _json_float(self.statistic),
            "tolerance": self.tolerance,
            "passed": self.passed,
        }


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check.

    Attributes
    ----------
    check : ``scale``, ``noise``, ``duplicate`` or ``snr``.
    estimand : what was estimated, e.g. ``I(X; ηT)``.
    parameter : the name of the grid's parameter (``η``, ``noise columns``, ``copies``, ``SNR``).
    grid : its values; ``reference_index`` is the position of the reference point (None for
        check-snr).
    truth : the true MI in nats at each grid point (None on user data: unknown).
    statistic : what each pair's statistic measures, in words.
    pairs : one :class:`PairResult` per estimator/norm pair, in the order given.
    data : the data, in words; ``n``, ``d_x``, ``d_t`` its shape before the transformation.
    trials, seed, k, resamples : the settings; ``settings`` holds the check's own.
    seconds : wall time.
    warnings : distinct warnings of the estimates, each prefixed with its pair.
    """

    check: str
    estimand: str
    parameter: str
    grid: tuple[float, ...]
    reference_index: int | None
    truth: tuple[float, ...] | None
    statistic: str
    pairs: tuple[PairResult, ...]
    data: str
    n: int
    d_x: int
    d_t: int
    trials: int
    seed: int
    k: int
    resamples: int
    seconds: float
    settings: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True when every pair passes."""
        return all(p.passed for p in self.pairs)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN becomes null)."""
        from mitool import __version__

        return {
            "check": self.check,
            "passed": self.passed,
            "estimand": self.estimand,
            "parameter": self.parameter,
            "grid": list(self.grid),
            "reference_index": self.reference_index,
            "truth": None if self.truth is None else _json_list(self.truth),
            "statistic": self.statistic,
            "pairs": [p.to_dict() for p in self.pairs],
            "data": self.data,
            "n": self.n,
            "d_x": self.d_x,
            "d_t": self.d_t,
            "units": "nats",
            "trials": self.trials,
            "seed": self.seed,
            "k": self.k,
            "resamples": self.resamples,
            "settings": dict(self.settings),
            "seconds": self.seconds,
            "warnings": list(self.warnings),
            "version": __version__,
        }


# --- the checks -------------------------------------------------------------------------------


def check_scale(
    x: object = None,
    t: object = None,
    *,
    pairs: Sequence[Pair] | None = None,
    factors: Sequence[float] = SCALE_FACTORS,
    side: str = "t",
    trials: int = 1,
    seed: int = 0,
    k: int = 3,
    resamples: int = 0,
    tolerance: float | None = None,
    samples: int = 1000,
    jobs: int | None = 1,
    progress: bool = False,
    names: tuple[str, str] = ("X", "T"),
) -> CheckResult:
    """I(X; ηT) (``side="t"``), I(ηX; T) (``"x"``) or I(ηX; ηT) (``"both"``) over η.

    Paper 000, §5.1.4 and Fig. 4: plain KSG tends to 0 as η → 0 or ∞ (Proposition 3, for
    algorithm 1); the normalised variants do not move. η = 1 is added to ``factors`` if absent.
    Without ``x`` and ``t``: correlated Gaussians, d = 2 per side, ρ = 0.8, ``samples`` rows.
    """
    if side not in SIDES:
        raise MitoolError(f"unknown side '{side}'; choose one of: {', '.join(SIDES)}")
    grid = _grid(factors, "scale factors", reference=1.0, minimum=0.0, open_minimum=True)
    source = _source(
        x,
        t,
        k=k,
        names=names,
        samples=samples,
        draw=partial(correlated_gaussians, samples, BUILTIN_D, BUILTIN_RHO),
        builtin=f"built-in correlated Gaussians: d = {BUILTIN_D} per side, ρ = {BUILTIN_RHO}",
    )

    def tasks(x: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> list[Callable]:
        return [partial(_rescaled, x, t, float(eta), side) for eta in grid]

    return _run_check(
        "scale",
        {"x": "I(ηX; T)", "t": "I(X; ηT)", "both": "I(ηX; ηT)"}[side],
        "η",
        grid,
        1.0,
        "largest |Î(η) − Î(η = 1)|",
        source,
        tasks,
        pairs=pairs,
        trials=trials,
        seed=seed,
        k=k,
        resamples=resamples,
        tolerance=_nats(tolerance),
        jobs=jobs,
        progress=progress,
        names=names,
        settings={"side": side},
    )


def check_noise(
    x: object = None,
    t: object = None,
    *,
    pairs: Sequence[Pair] | None = None,
    columns: Sequence[int] = NOISE_COLUMNS,
    noise_sd: float = NOISE_SD,
    trials: int = 1,
    seed: int = 0,
    k: int = 3,
    resamples: int = 0,
    tolerance: float | None = None,
    samples: int = 1000,
    jobs: int | None = 1,
    progress: bool = False,
    names: tuple[str, str] = ("X", "T"),
) -> CheckResult:
    """I([X, ε_1, …, ε_m]; T) over the number m of noise columns, ε_i ~ N(0, (σ'·s)²).

    Paper 000, §5.1.1, Fig. 1a: local normalization blows the noise columns up to unit variance
    and the estimate drops; the global norms do not. s is X's spread, the mean over X's columns
    of their standard deviation (ddof = 0; about 1 for the built-in X ~ N(0, I)), so σ' = 0.04
    means noise 25 times weaker than X's columns on any data. The columns are nested: the draw
    with m + 2 columns extends the draw with m. 0 is added to ``columns`` if absent. Without
    ``x`` and ``t``: T = X + ε, d = 2, σ = 1/√2 (I = ln 3), ``samples`` rows.
    """
    if not (math.isfinite(noise_sd) and noise_sd > 0):
        raise MitoolError(f"the noise sd must be a positive number, got {noise_sd:g}")
    grid = _grid(columns, "numbers of noise columns", reference=0, minimum=0, integer=True)
    source = _source(
        x,
        t,
        k=k,
        names=names,
        samples=samples,
        draw=partial(additive_gaussian, samples, BUILTIN_D, BUILTIN_SIGMA),
        builtin=f"built-in T = X + ε: d = {BUILTIN_D}, σ = 1/√2",
    )

    def tasks(x: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> list[Callable]:
        spread = float(np.mean(np.std(x, axis=0)))
        if spread == 0:
            raise MitoolError(f"{names[0]} is constant: noise relative to its spread is zero")
        noise = noise_sd * spread * rng.standard_normal((len(x), int(max(grid))))
        return [partial(_with_noise, x, t, noise, int(m)) for m in grid]

    return _run_check(
        "noise",
        "I([X, ε_1, …, ε_m]; T)",
        "noise columns",
        grid,
        0,
        "largest drop Î(0) − Î(m)",
        source,
        tasks,
        pairs=pairs,
        trials=trials,
        seed=seed,
        k=k,
        resamples=resamples,
        tolerance=_nats(tolerance),
        jobs=jobs,
        progress=progress,
        names=names,
        settings={"noise_sd": noise_sd, "spread": "mean per-column sd of X (ddof = 0)"},
        drop=True,
    )


def check_duplicate(
    x: object = None,
    t: object = None,
    *,
    pairs: Sequence[Pair] | None = None,
    copies: Sequence[int] = COPIES,
    trials: int = 1,
    seed: int = 0,
    k: int = 3,
    resamples: int = 0,
    tolerance: float | None = None,
    samples: int = 1000,
    jobs: int | None = 1,
    progress: bool = False,
    names: tuple[str, str] = ("X", "T"),
) -> CheckResult:
    """I([X, …, X]; T) over the number of copies of X (ds; paper 000, §5.1.3, Fig. 3a).

    The truth is unchanged; plain KSG, KSG-Local and KSG-Global-L∞ are exactly invariant (the
    L∞ distances and the per-column spreads do not change); KSG-Global (L2) shrinks X by the
    square root of the copies. 1 is added to ``copies`` if absent. Without ``x`` and ``t``:
    T = X + ε, d = 2, σ = 1/√2 (I = ln 3), ``samples`` rows.
    """
    grid = _grid(copies, "numbers of copies", reference=1, minimum=1, integer=True)
    source = _source(
        x,
        t,
        k=k,
        names=names,
        samples=samples,
        draw=partial(additive_gaussian, samples, BUILTIN_D, BUILTIN_SIGMA),
        builtin=f"built-in T = X + ε: d = {BUILTIN_D}, σ = 1/√2",
    )

    def tasks(x: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> list[Callable]:
        return [partial(_duplicated, x, t, int(c)) for c in grid]

    return _run_check(
        "duplicate",
        "I([X, …, X]; T)",
        "copies",
        grid,
        1,
        "largest |Î(K copies) − Î(1 copy)|",
        source,
        tasks,
        pairs=pairs,
        trials=trials,
        seed=seed,
        k=k,
        resamples=resamples,
        tolerance=_nats(tolerance),
        jobs=jobs,
        progress=progress,
        names=names,
    )


def check_snr(
    *,
    pairs: Sequence[Pair] | None = None,
    snrs: Sequence[float] = SNRS,
    min_spearman: float = MIN_SPEARMAN,
    trials: int = 1,
    seed: int = 0,
    k: int = 3,
    resamples: int = 0,
    samples: int = 1000,
    jobs: int | None = 1,
    progress: bool = False,
) -> CheckResult:
    """I(X; T') with T' = 0.1·(X + ε), σ = 1/√SNR, d = 2 (paper 000, §5.1.4, Fig. 5).

    The truth ln(1 + SNR) rises with the SNR; a pair passes when the Spearman correlation of
    its mean estimates with the truth is at least ``min_spearman``. Within a trial every SNR
    uses the same draw of X and of the standardised noise.
    """
    grid = _grid(snrs, "signal-to-noise ratios", reference=None, minimum=0.0, open_minimum=True)
    if len(grid) < 3:
        raise MitoolError("check-snr needs at least 3 signal-to-noise ratios for a correlation")
    if not -1 <= min_spearman <= 1:
        raise MitoolError(f"the smallest correlation must lie in [-1, 1], got {min_spearman:g}")
    source = _source(
        None,
        None,
        k=k,
        names=("X", "T'"),
        samples=samples,
        draw=None,
        builtin=f"built-in X ~ N(0, I_{BUILTIN_D}), ε ~ N(0, I/SNR)",
    )

    def tasks(x: None, t: None, rng: np.random.Generator) -> list[Callable]:
        draw = np.random.SeedSequence(int(rng.integers(0, 2**63 - 1)))
        return [partial(_snr_draw, samples, float(v), draw) for v in grid]

    return _run_check(
        "snr",
        f"I(X; {SNR_SCALE:g}·(X + ε))",
        "SNR",
        grid,
        None,
        "Spearman correlation of the mean estimate with the truth",
        source,
        tasks,
        pairs=pairs,
        trials=trials,
        seed=seed,
        k=k,
        resamples=resamples,
        tolerance=min_spearman,
        jobs=jobs,
        progress=progress,
        names=("X", "T'"),
        truth=tuple(0.5 * BUILTIN_D * math.log1p(v) for v in grid),
        settings={"scale": SNR_SCALE, "min_spearman": min_spearman},
    )


# --- transformations (module level, so that worker processes can unpickle them) --------------


def _rescaled(x: np.ndarray, t: np.ndarray, eta: float, side: str) -> tuple[np.ndarray, ...]:
    return (eta * x if side != "t" else x), (eta * t if side != "x" else t)


def _with_noise(x: np.ndarray, t: np.ndarray, noise: np.ndarray, m: int) -> tuple[np.ndarray, ...]:
    return np.hstack([x, noise[:, :m]]), t


def _duplicated(x: np.ndarray, t: np.ndarray, copies: int) -> tuple[np.ndarray, ...]:
    return np.tile(x, (1, copies)), t


def _snr_draw(n: int, snr: float, seed: np.random.SeedSequence) -> tuple[np.ndarray, ...]:
    x, t, _ = snr_gaussian(n, BUILTIN_D, snr, seed, scale=SNR_SCALE)
    return x, t


# --- the engine -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """Where a check's data comes from: the user's arrays, or a built-in draw per trial."""

    description: str
    shape: tuple[int, int, int]  # n, d_x, d_t before the transformation
    arrays: tuple[np.ndarray, np.ndarray] | None
    draw: Callable[[np.random.SeedSequence], Sample] | None

    def get(self, seed: np.random.SeedSequence) -> tuple[Any, Any, float | None]:
        """(x, t, truth) for one trial; x and t are None when the tasks draw their own."""
        if self.arrays is not None:
            return (*self.arrays, None)
        if self.draw is None:
            return None, None, None
        return tuple(self.draw(seed))


def _source(
    x: object,
    t: object,
    *,
    k: int,
    names: tuple[str, str],
    samples: int,
    draw: Callable[[np.random.SeedSequence], Sample] | None,
    builtin: str,
) -> _Source:
    """Validate the user's X and T (both or neither), or describe the built-in data."""
    if x is not None or t is not None:
        if x is None or t is None:
            raise MitoolError("give both X and T, or neither (built-in data)")
        x, t, _ = check_pair(x, t, k=k, names=names)
        description = f"{names[0]} and {names[1]}; the true MI is unknown"
        return _Source(description, (len(x), x.shape[1], t.shape[1]), (x, t), None)
    if samples <= k:
        raise MitoolError(f"the built-in data needs more rows than k = {k}, got {samples}")
    return _Source(f"{builtin}, n = {samples}", (samples, BUILTIN_D, BUILTIN_D), None, draw)


def _nats(tolerance: float | None) -> float | None:
    if tolerance is not None and not (math.isfinite(tolerance) and tolerance >= 0):
        raise MitoolError(f"the tolerance must be a number of nats ≥ 0, got {tolerance:g}")
    return tolerance


def _run_check(
    check: str,
    estimand: str,
    parameter: str,
    grid: tuple[float, ...],
    reference: float | None,
    statistic: str,
    source: _Source,
    tasks: Callable[[Any, Any, np.random.Generator], list[Callable]],
    *,
    pairs: Sequence[Pair] | None,
    trials: int,
    seed: int,
    k: int,
    resamples: int,
    tolerance: float | None,
    jobs: int | None,
    progress: bool,
    names: tuple[str, str],
    settings: dict[str, Any] | None = None,
    truth: tuple[float, ...] | None = None,
    drop: bool = False,
) -> CheckResult:
    """Estimate every pair on every grid point of every trial, then judge each pair.

    ``tasks(x, t, rng)`` turns one trial's data into one function per grid point, each
    returning the transformed (x, t); ``rng`` draws the check's own randomness (noise columns).
    """
    started = time.perf_counter()
    pairs = tuple(pairs) if pairs else parse_pairs(check=check)
    if trials < 1:
        raise MitoolError(f"the number of trials must be at least 1, got {trials}")
    if resamples < 0 or resamples == 1:
        raise MitoolError(f"resamples must be 0 (no interval) or at least 2, got {resamples}")
    resolve_jobs(jobs)  # a bad --jobs is an error before any work

    work: list[tuple[int, int, Callable]] = []  # (trial, grid point, make data)
    seeds = []  # one seed per trial for the estimates' own random steps (tie jitter, ...)
    for trial, child in enumerate(np.random.SeedSequence(seed).spawn(trials)):
        data_seed, check_seed, estimate_seed = child.spawn(3)
        x, t, value = source.get(data_seed)
        if value is not None:
            truth = tuple(value for _ in grid)
        made = tasks(x, t, np.random.default_rng(check_seed))
        work += [(trial, j, make) for j, make in enumerate(made)]
        seeds.append(int(estimate_seed.generate_state(1)[0]))

    run = partial(_estimate_all, pairs=pairs, k=k, resamples=resamples, names=names)
    out = parallel_map(
        run,
        [(make, seeds[trial]) for trial, _, make in work],
        jobs=jobs,
        progress=progress,
        description=f"check-{check}",
    )

    values = np.full((trials, len(grid), len(pairs), 3), np.nan)  # estimate, ci_low, ci_high
    notes: dict[str, None] = {}
    for (trial, j, _), (numbers, messages) in zip(work, out, strict=True):
        values[trial, j] = numbers
        notes.update(dict.fromkeys(messages))
    ref = None if reference is None else grid.index(reference)
    judged = tuple(
        _judge(values[:, :, i], pair, ref, truth, tolerance, drop, resamples > 0)
        for i, pair in enumerate(pairs)
    )
    n, d_x, d_t = source.shape
    return CheckResult(
        check=check,
        estimand=estimand,
        parameter=parameter,
        grid=grid,
        reference_index=ref,
        truth=truth,
        statistic=statistic,
        pairs=judged,
        data=source.description,
        n=n,
        d_x=d_x,
        d_t=d_t,
        trials=trials,
        seed=seed,
        k=k,
        resamples=resamples,
        seconds=time.perf_counter() - started,
        settings=dict(settings or {}),
        warnings=tuple(notes),
    )


def _estimate_all(
    make: Callable[[], tuple[np.ndarray, np.ndarray]],
    seed: int,
    *,
    pairs: tuple[Pair, ...],
    k: int,
    resamples: int,
    names: tuple[str, str],
) -> tuple[list[tuple[float, float, float]], list[str]]:
    """Every pair on one grid point's data: (estimate, ci_low, ci_high) in nats, and notes."""
    x, t = make()
    numbers, notes = [], []
    for pair in pairs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MitoolWarning)
            r = estimate(
                x,
                t,
                estimator=pair.estimator,
                norm=pair.norm,
                k=k,
                seed=seed,
                resamples=resamples,
                jobs=1,
                names=names,
            )
        low, high = (math.nan, math.nan) if r.interval is None else (r.ci_low, r.ci_high)
        numbers.append((r.value, low, high))
        notes += [f"{pair.label}: {note}" for note in r.warnings]
    return numbers, notes


def _judge(
    values: np.ndarray,
    pair: Pair,
    ref: int | None,
    truth: tuple[float, ...] | None,
    tolerance: float | None,
    drop: bool,
    intervals: bool,
) -> PairResult:
    """Summarise one pair's (trials, points, 3) array and compare it with the truth."""
    estimates = values[:, :, 0]
    mean = estimates.mean(axis=0)
    sd = estimates.std(axis=0, ddof=1) if len(estimates) > 1 else None
    if ref is None:  # check-snr: does the estimate rise with the truth?
        reference = None
        if np.all(np.isfinite(mean)) and np.ptp(mean) > 0:
            statistic = float(spearmanr(truth, mean).statistic)
        else:
            statistic = math.nan
        allowed = MIN_SPEARMAN if tolerance is None else tolerance
        passed = statistic >= allowed
    else:
        reference = float(mean[ref])
        change = reference - mean if drop else np.abs(mean - reference)
        statistic = float(np.max(change)) if np.all(np.isfinite(mean)) else math.nan
        allowed = (
            max(ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE * abs(reference))
            if tolerance is None
            else tolerance
        )
        passed = statistic <= allowed
    return PairResult(
        estimator=pair.estimator,
        norm=pair.norm,
        values=tuple(tuple(float(v) for v in row) for row in estimates),
        mean=tuple(float(v) for v in mean),
        sd=None if sd is None else tuple(float(v) for v in sd),
        ci_low=tuple(float(v) for v in values[:, :, 1].mean(axis=0)) if intervals else None,
        ci_high=tuple(float(v) for v in values[:, :, 2].mean(axis=0)) if intervals else None,
        reference=reference,
        statistic=statistic,
        tolerance=float(allowed),
        passed=bool(passed),
    )


def _grid(
    values: Sequence[float],
    what: str,
    *,
    reference: float | None,
    minimum: float,
    open_minimum: bool = False,
    integer: bool = False,
) -> tuple[float, ...]:
    """Sorted, distinct grid values with the reference point added; checked at the boundary."""
    out = set()
    for v in values:
        v = float(v)
        low = v <= minimum if open_minimum else v < minimum
        if not math.isfinite(v) or low or (integer and v != int(v)):
            kind = "integers" if integer else "numbers"
            bound = f"> {minimum:g}" if open_minimum else f"≥ {minimum:g}"
            raise MitoolError(f"the {what} must be {kind} {bound}, got {v:g}")
        out.add(int(v) if integer else v)
    if reference is not None:
        out.add(int(reference) if integer else float(reference))
    if not out:
        raise MitoolError(f"no {what} given")
    return tuple(sorted(out))


def _json_float(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def _json_list(values: Sequence[float]) -> list[float | None]:
    return [_json_float(v) for v in values]


def save_plot(result: CheckResult, path: str) -> None:
    """Draw each pair's mean curve (± sd with trials) and the truth, as a PNG at ``path``.

    check-scale uses a log η axis. matplotlib is an optional dependency (``mitool[plot]``).
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    grid = np.asarray(result.grid, dtype=float)
    for pair in result.pairs:
        mean = np.asarray(pair.mean)
        (line,) = ax.plot(grid, mean, marker="o", markersize=3, label=pair.label)
        if pair.sd is not None:
            sd = np.asarray(pair.sd)
            ax.fill_between(grid, mean - sd, mean + sd, color=line.get_color(), alpha=0.2)
    if result.truth is not None:
        ax.plot(grid, result.truth, color="black", linestyle="--", label="truth")
    if result.check == "scale":
        ax.set_xscale("log")
    ax.set_xlabel(result.parameter)
    ax.set_ylabel("estimate (nats)")
    verdict = "PASS" if result.passed else "FAIL"
    ax.set_title(f"check-{result.check}: {result.estimand} [{verdict}]", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save(fig, path)
