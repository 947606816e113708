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
Spearman correlation of at least 0.9. Values and tolerances are in ``units`` (nats or bits);
the default tolerance's 0.05 nats is 0.072 bits.

Each pair has a role. Pairs under test (``"test"``) decide :attr:`CheckResult.passed`, and so the
commands' exit status; contrast pairs (``"contrast"``) are judged and shown too but do not
count: they are the unnormalised or locally normalised KSG that the paper's figures show failing
beside the recommended, scale-invariant KSG-Global-L∞ (:data:`RECOMMENDED`). By default each
check runs its :data:`DEFAULT_PAIRS` with only :data:`RECOMMENDED` under test; every pair named
by the caller is under test (see :func:`parse_pairs`).

Without files the checks draw built-in data with known MI (:mod:`mitool.synthetic`); with files
they transform the user's X and T, and the truth is unknown. Within a trial every grid point
transforms the same draw (a paired design), so the curves show the transformation's effect, not
sampling noise. Trials, grid points and pairs are seeded from ``numpy.random.SeedSequence(seed)``,
so the results do not depend on ``jobs``. ``jobs`` defaults to every core, at most one worker
per grid point and trial (on 2 cores, worker processes made the default checks about twice as
slow as ``jobs=1``, since each neighbour query already uses every core; they pay off on many).
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
from mitool.result import UNITS, convert
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
#: The pair under test among each check's defaults: KSG-Global-L∞, the paper's recommended
#: scale-invariant pair (``ksg``'s default norm). The other defaults are contrasts.
RECOMMENDED = "ksg/global-linf"
#: A pair's role: under test (its verdict counts) or a contrast (shown, not counted).
TEST, CONTRAST = "test", "contrast"
ROLES = (TEST, CONTRAST)


@dataclass(frozen=True)
class Pair:
    """An estimator and the normalization it runs under (paper 000, Table 1), and its role:
    ``"test"`` (its verdict counts) or ``"contrast"`` (shown for comparison). Two pairs with
    the same estimator and norm are equal whatever their roles."""

    estimator: str
    norm: str | None  # None: ``auto``, which chooses its own
    role: str = field(default=TEST, compare=False)

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
    Every pair is checked against the estimator registry; repeats are dropped (the first
    wins, so a pair named in ``pairs`` keeps its role).

    Roles: every pair named in ``pairs``, or built from ``norms``, is under test. A pair that
    only fills in a default takes the default's role: with nothing given, only
    :data:`RECOMMENDED` is under test; an estimator named without ``norms`` is under test with
    the recommended norm and a contrast with the others (all under test if it accepts none of
    the recommended ones).
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
        default = [
            Pair(*p.split("/"), role=TEST if p == RECOMMENDED else CONTRAST)
            for p in DEFAULT_PAIRS[check]
        ]
        for estimator in estimators or (["ksg"] if norms or chosen else []):
            if estimator == AUTO:
                chosen.append(Pair(AUTO, None))
                continue
            spec = get_estimator(estimator)
            if norms:
                chosen += [Pair(estimator, norm) for norm in norms]
                continue
            accepted = [p for p in default if p.norm in spec.norms]
            if not accepted:
                chosen.append(Pair(estimator, spec.default_norm))
            elif not any(p.role == TEST for p in accepted):
                chosen += [Pair(estimator, p.norm) for p in accepted]
            else:
                chosen += [Pair(estimator, p.norm, p.role) for p in accepted]
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
    values : estimates in the check's units, one tuple per trial, one value per grid point.
    mean, sd : over trials at each grid point (sd is None with one trial).
    ci_low, ci_high : the mean over trials of the interval's ends (None without resamples).
    reference : the mean at the reference point (None for check-snr).
    statistic : the deviation in the check's units (the largest |Î − reference|, or drop for
        check-noise), or the Spearman correlation with the truth (check-snr); NaN when it
        cannot be computed.
    tolerance : the largest deviation allowed, or the smallest correlation.
    passed : whether the statistic is within the tolerance.
    role : ``"test"`` (the verdict counts towards :attr:`CheckResult.passed`) or
        ``"contrast"`` (shown for comparison, not counted).
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
    role: str = TEST

    @property
    def label(self) -> str:
        return Pair(self.estimator, self.norm).label

    @property
    def counts(self) -> bool:
        """Whether this pair's verdict counts (it is under test, not a contrast)."""
        return self.role == TEST

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
            "role": self.role,
            "counts": self.counts,
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
    truth : the true MI at each grid point, in ``units`` (None on user data: unknown).
    statistic : what each pair's statistic measures, in words.
    pairs : one :class:`PairResult` per estimator/norm pair, in the order given.
    data : the data, in words; ``n``, ``d_x``, ``d_t`` its shape before the transformation.
    trials, seed, k, resamples : the settings; ``settings`` holds the check's own.
    seconds : wall time.
    warnings : distinct warnings of the estimates, each prefixed with its pair.
    units : ``nats`` or ``bits``: of every estimate, truth, deviation and tolerance.
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
    units: str = "nats"

    @property
    def passed(self) -> bool:
        """True when every pair under test passes (contrast pairs do not count)."""
        return all(p.passed for p in self.pairs if p.counts)

    @property
    def under_test(self) -> tuple[PairResult, ...]:
        """The pairs whose verdicts count."""
        return tuple(p for p in self.pairs if p.counts)

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
            "units": self.units,
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
    jobs: int | None = None,
    progress: bool = False,
    units: str = "nats",
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
        tolerance=_tolerance(tolerance, units),
        jobs=jobs,
        progress=progress,
        units=units,
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
    jobs: int | None = None,
    progress: bool = False,
    units: str = "nats",
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
        tolerance=_tolerance(tolerance, units),
        jobs=jobs,
        progress=progress,
        units=units,
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
    jobs: int | None = None,
    progress: bool = False,
    units: str = "nats",
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
        tolerance=_tolerance(tolerance, units),
        jobs=jobs,
        progress=progress,
        units=units,
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
    jobs: int | None = None,
    progress: bool = False,
    units: str = "nats",
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
        units=units,
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
        given = "your X and T" if tuple(names) == ("X", "T") else f"X = {names[0]}, T = {names[1]}"
        description = f"{given} (the true MI is unknown)"
        return _Source(description, (len(x), x.shape[1], t.shape[1]), (x, t), None)
    if samples <= k:
        raise MitoolError(f"the built-in data needs more rows than k = {k}, got {samples}")
    return _Source(f"{builtin}, n = {samples}", (samples, BUILTIN_D, BUILTIN_D), None, draw)


def _tolerance(tolerance: float | None, units: str) -> float | None:
    """A tolerance given in ``units``, checked (the units too, before any work)."""
    if units not in UNITS:
        raise MitoolError(f"unknown units '{units}'; choose one of: {', '.join(UNITS)}")
    if tolerance is not None and not (math.isfinite(tolerance) and tolerance >= 0):
        raise MitoolError(f"the tolerance must be a number of {units} ≥ 0, got {tolerance:g}")
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
    units: str,
    names: tuple[str, str],
    settings: dict[str, Any] | None = None,
    truth: tuple[float, ...] | None = None,
    drop: bool = False,
) -> CheckResult:
    """Estimate every pair on every grid point of every trial, then judge each pair.

    ``tasks(x, t, rng)`` turns one trial's data into one function per grid point, each
    returning the transformed (x, t); ``rng`` draws the check's own randomness (noise columns).
    The estimates are made in nats and judged in ``units``; ``tolerance`` is in ``units``.
    """
    started = time.perf_counter()
    _tolerance(None, units)
    pairs = tuple(pairs) if pairs else parse_pairs(check=check)
    if trials < 1:
        raise MitoolError(f"the number of trials must be at least 1, got {trials}")
    if not 0 <= seed < 2**63:  # as for estimate: what every numpy generator takes
        raise MitoolError(f"seed must be from 0 to 2^63 - 1, got {seed}")
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
        _judge(values[:, :, i], pair, ref, truth, tolerance, drop, resamples > 0, units)
        for i, pair in enumerate(pairs)
    )
    if truth is not None:
        truth = tuple(convert(v, units) for v in truth)
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
        units=units,
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
    units: str = "nats",
) -> PairResult:
    """Summarise one pair's (trials, points, 3) array of nats and compare it with the truth.

    Everything is judged and reported in ``units`` (``tolerance`` too); the default
    tolerance's absolute part, 0.05 nats, is converted."""
    values = convert(1.0, units) * values
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
            max(convert(ABSOLUTE_TOLERANCE, units), RELATIVE_TOLERANCE * abs(reference))
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
        role=pair.role,
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


#: Marker shapes and line styles, one per pair in turn, so that curves with the same values stay
#: visible: the markers are hollow, and each pair's are smaller than the one's before.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", "-.", ":")


def verdict_text(pair: PairResult) -> str:
    """``PASS`` or ``FAIL``, with ``(contrast, not counted)`` for a pair whose verdict does
    not count."""
    return ("PASS" if pair.passed else "FAIL") + ("" if pair.counts else " (contrast, not counted)")


def save_plot(result: CheckResult, path: str) -> None:
    """Draw each pair's mean curve (± sd with trials) and the truth, as a PNG at ``path``.

    Each pair's legend entry gives its verdict and statistic; the band around each pair's
    value at the reference point (starred) is what its verdict allows: ± the tolerance, or for
    check-noise everything above the value less the tolerance (only drops count). Bands are
    shaded for pairs under test and outlined for contrasts, which are also drawn thinner.
    Curves with the same values are said to be so in the legend, and stay visible (hollow
    markers of decreasing size, a line style each). check-scale uses a log η axis. matplotlib
    is an optional dependency (``mitool[plot]``).
    """
    import textwrap

    plt = pyplot()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    fig, ax = plt.subplots(figsize=(7.2, 5.8))
    grid = np.asarray(result.grid, dtype=float)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    ref = result.reference_index
    count = len(result.pairs)
    if result.truth is not None:
        ax.plot(
            grid,
            result.truth,
            color="black",
            linestyle=(0, (5, 3)),
            linewidth=1,
            label="truth"
            if ref is not None
            else "truth (the verdict compares ranks with it, so no tolerance band)",
            zorder=2,
        )
    if ref is not None:
        ax.axvline(grid[ref], color="0.55", linewidth=0.8, linestyle=":", zorder=1)
    bands = []  # (low, high or None: upwards, colour, counts)
    for i, pair in enumerate(result.pairs):
        color = colors[i % len(colors)]
        mean = np.asarray(pair.mean, dtype=float)
        same = next((q.label for q in result.pairs[:i] if _same_curve(q.mean, pair.mean)), None)
        ax.plot(
            grid,
            mean,
            color=color,
            marker=MARKERS[i % len(MARKERS)],
            markersize=4 + 2.5 * (count - 1 - i),
            markerfacecolor="none",
            markeredgewidth=1.3,
            linestyle=LINESTYLES[i % len(LINESTYLES)],
            linewidth=2.0 if pair.counts else 1.2,
            label="\n".join(textwrap.wrap(_legend_label(result, pair, same), 100)),
            zorder=3 + i,
        )
        if pair.sd is not None:
            sd = np.asarray(pair.sd)
            ax.fill_between(grid, mean - sd, mean + sd, color=color, alpha=0.15, linewidth=0)
        if ref is None or pair.reference is None or not math.isfinite(pair.reference):
            continue
        high = None if result.check == "noise" else pair.reference + pair.tolerance
        bands.append((pair.reference - pair.tolerance, high, color, pair.counts))
        ax.plot(
            grid[ref],
            pair.reference,
            marker="*",
            markersize=13,
            color=color,
            markeredgecolor="black",
            markeredgewidth=0.6,
            linestyle="none",
            zorder=20,
        )
    bottom, top = ax.get_ylim()
    for low, high, _, _ in bands:
        edges = [low] if high is None else [low, high]
        bottom, top = min(bottom, *edges), max(top, *edges)
    shade = max(0.06, 0.18 / max(1, len(result.under_test)))  # overlapping bands stay light
    for low, high, color, counts in bands:
        if counts:
            ax.fill_between(
                grid[[0, -1]],
                low,
                top if high is None else high,
                color=color,
                alpha=shade,
                linewidth=0,
                zorder=0,
            )
        ax.hlines(
            [low] if high is None else [low, high],
            grid[0],
            grid[-1],
            color=color,
            linewidth=0.8 if counts else 0.7,
            linestyle="-" if counts else (0, (1, 2)),
            alpha=0.6 if counts else 1.0,
            zorder=1,
        )
    ax.set_ylim(bottom, top)
    extra = []  # legend entries that are not curves
    if result.trials > 1:
        extra.append(Patch(facecolor="0.6", alpha=0.2, label=f"± 1 sd over {result.trials} trials"))
    if bands:
        where = _reference_name(result)
        allowed = (
            f"the pair's value at {where} less the tolerance, and above (only drops count)"
            if result.check == "noise"
            else f"the pair's value at {where} ± the tolerance"
        )
        extra += [
            Patch(
                facecolor="0.6",
                alpha=0.35,
                label=f"allowed: {allowed}\n(shaded for pairs under test, dotted for contrasts)",
            ),
            Line2D(
                [],
                [],
                marker="*",
                markersize=11,
                color="0.5",
                markeredgecolor="black",
                markeredgewidth=0.6,
                linestyle="none",
                label=f"reference point ({where})",
            ),
        ]
    if result.check == "scale":
        ax.set_xscale("log")
    elif all(float(g).is_integer() for g in result.grid):  # columns or copies: whole numbers
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(_axis_label(result))
    ax.set_ylabel(f"estimate ({result.units})")
    ax.grid(True, color="0.92", linewidth=0.6)
    verdict = "PASS" if result.passed else "FAIL"
    tested = ", ".join(p.label for p in result.under_test) or "none"
    head = f"check-{result.check}: {result.estimand} — {verdict} (under test: {tested})"
    title = "\n".join([*textwrap.wrap(head, 80), *textwrap.wrap(result.data, 90)])
    ax.set_title(title, fontsize=9)
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(
        handles=handles + extra,
        fontsize=7.5,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.13),
        ncol=1,
        frameon=False,
    )
    fig.tight_layout()
    save(fig, path)


def _same_curve(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether two mean curves coincide on a plot (equal to 1e-9 of their size)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    size = float(np.nanmax(np.abs(a), initial=0.0)) or 1.0
    return bool(np.allclose(a, b, rtol=0, atol=1e-9 * size, equal_nan=True))


def _legend_label(result: CheckResult, pair: PairResult, same: str | None) -> str:
    """``ksg/none — FAIL (contrast): largest deviation 0.9531 > 0.0511 nats``."""
    if result.reference_index is None:
        name, limit = "Spearman ρ", f"(≥ {pair.tolerance:g} passes)"
        value = f"= {pair.statistic:.2f}"
    else:
        name = "largest drop" if result.check == "noise" else "largest deviation"
        limit = f"{pair.tolerance:.4f} {result.units}"
        value = f"{pair.statistic:.4f} {'≤' if pair.passed else '>'}"
    what = f"{name} {value} {limit}" if math.isfinite(pair.statistic) else f"{name} not computed"
    label = f"{pair.label} — {verdict_text(pair)}: {what}"
    if same is not None:
        label += f"; same values as {same}"
    return label


def _reference_name(result: CheckResult) -> str:
    """The reference point in words: ``η = 1``, ``m = 0``, ``1 copy``."""
    value = result.grid[result.reference_index or 0]
    return {"scale": f"η = {value:g}", "noise": f"m = {value:g}"}.get(
        result.check, f"{value:g} cop{'y' if value == 1 else 'ies'}"
    )


def _axis_label(result: CheckResult) -> str:
    if result.check == "duplicate":
        return f"copies of X (d_X' = copies × {result.d_x})"
    if result.check == "noise":
        return "noise columns m appended to X"
    if result.check == "scale":
        return "scale factor η (log scale)"
    return "signal-to-noise ratio (SNR = 1/σ²)"
