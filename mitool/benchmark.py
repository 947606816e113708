"""The accuracy study of paper 000 §5.2: estimators against known ground truth, row by row.

A row is a base distribution, an ordered list of MI-preserving transforms of X, a dimension d
and a sample size n. Each of its trials draws a fresh per-trial parameter, data and transform
(digest §7.11: correlated base ρ ~ U[0, 0.8]; additive base SNR = 1/σ² ~ U[0.5, 5]), and every
estimator/norm pair is run on the same data. Over the trials (paper §5.2, digest §3.4, §7.12):

- RMSE = sqrt(mean (Î_i − I_i)²); RMSE_base = sqrt(mean over all ordered pairs (I_i − I_j)²)
  = sqrt(2·Var(I)), the error of guessing another trial's truth; normalized RMSE = their ratio
  (above 1 is worse than such guessing);
- Spearman = the rank correlation of Î and I;
- bias = mean(Î − I).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import spearmanr

from mitool.api import AUTO, MitoolWarning, estimate
from mitool.engines import check_engine, engine
from mitool.errors import EstimateError, MitoolError
from mitool.estimators import get_estimator
from mitool.parallel import parallel_map
from mitool.result import convert
from mitool.synthetic import additive_gaussian, correlated_gaussians
from mitool.transforms import apply

BASES = ("additive", "correlated")
RHO_RANGE = (0.0, 0.8)  # correlated base, per trial (as in the paper's Fig. 4c/d)
SNR_RANGE = (0.5, 5.0)  # additive base, per trial (the paper's SNR sweep, Fig. 5)


@dataclass(frozen=True)
class Row:
    """One row of a study: data from ``base`` in d dimensions per side, n rows, X transformed."""

    base: str
    transforms: tuple[str, ...]
    d: int
    n: int

    @property
    def label(self) -> str:
        return ",".join(self.transforms) or "none"


@dataclass(frozen=True)
class Score:
    """How one estimator did on one row, over its trials."""

    nrmse: float
    spearman: float
    bias: float
    rmse: float
    failed: int = 0  # trials whose estimate was an error (a diverged training): not scored


@dataclass(frozen=True)
class RowResult:
    row: Row
    truths: np.ndarray
    estimates: dict[str, np.ndarray]  # pair → one estimate per trial
    scores: dict[str, Score]

    def in_units(self, units: str) -> RowResult:
        """The same result with truths, estimates, bias and RMSE in ``units`` (nats or bits);
        the normalized RMSE and the Spearman correlation have no units."""
        f = convert(1.0, units)
        return RowResult(
            self.row,
            self.truths * f,
            {pair: values * f for pair, values in self.estimates.items()},
            {
                pair: Score(s.nrmse, s.spearman, s.bias * f, s.rmse * f, s.failed)
                for pair, s in self.scores.items()
            },
        )


def parse_pairs(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"ksg/none,ksg/global-linf"`` → validated estimator/norm pairs (``auto`` alone: it
    chooses its own)."""
    items = [p.strip() for p in text.split(",")] if isinstance(text, str) else list(text)
    pairs = tuple(p for p in items if p)
    if not pairs:
        raise MitoolError("give at least one estimator/norm pair, e.g. ksg/global-linf")
    for pair in pairs:
        if pair == AUTO:
            continue  # chooses its own estimator and norm
        estimator, _, norm = pair.partition("/")
        spec = get_estimator(estimator)
        if norm not in spec.norms:
            raise MitoolError(
                f"'{pair}': {estimator} takes the norms {', '.join(spec.norms)} (as estimator/norm)"
            )
    return pairs


def draw(
    base: str, n: int, d: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, float]:
    """One trial's data and true MI in nats, with the per-trial parameter drawn from ``rng``."""
    if base == "correlated":
        return correlated_gaussians(n, d, rng.uniform(*RHO_RANGE), rng)
    if base == "additive":
        return additive_gaussian(n, d, 1.0 / math.sqrt(rng.uniform(*SNR_RANGE)), rng)
    raise MitoolError(f"unknown base '{base}'; choose one of: {', '.join(BASES)}")


def score(estimates: np.ndarray, truths: np.ndarray) -> Score:
    """Normalized RMSE, Spearman and bias of estimates against truths (module docstring).

    Trials whose estimate is NaN (the estimator refused the data, or its training diverged)
    are not scored, and are counted in ``failed``."""
    estimates, truths = np.asarray(estimates, float), np.asarray(truths, float)
    ok = ~np.isnan(estimates)
    failed = int(np.sum(~ok))
    estimates, truths = estimates[ok], truths[ok]
    if len(estimates) < 2:
        return Score(math.nan, math.nan, math.nan, math.nan, failed)
    rmse = math.sqrt(np.mean((estimates - truths) ** 2))
    base = math.sqrt(np.mean((truths[:, None] - truths[None, :]) ** 2))
    rho = spearmanr(estimates, truths).statistic if len(truths) > 1 else math.nan
    return Score(
        nrmse=rmse / base if base > 0 else math.inf,
        spearman=float(rho),
        bias=float(np.mean(estimates - truths)),
        rmse=rmse,
        failed=failed,
    )


def _trial(
    row: Row, pairs: tuple[str, ...], seed: np.random.SeedSequence, k: int
) -> tuple[float, list[float]]:
    rng = np.random.default_rng(seed)
    x, t, truth = draw(row.base, row.n, row.d, rng)
    x = apply(x, row.transforms, rng)
    values = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MitoolWarning)
        for pair in pairs:
            estimator, _, norm = pair.partition("/")
            pair_seed = int(rng.integers(2**63 - 1))
            try:
                result = estimate(
                    x,
                    t,
                    estimator=estimator,
                    norm=norm or None,
                    k=k,
                    resamples=0,
                    seed=pair_seed,
                    jobs=1,
                )
            except EstimateError:  # e.g. a diverged MINE: counted as failed, not scored
                values.append(math.nan)
                continue
            values.append(result.value)
    return truth, values


def run(
    rows: Sequence[Row],
    pairs: Sequence[str],
    *,
    trials: int = 40,
    k: int = 3,
    seed: int = 0,
    jobs: int | None = None,
    progress: bool = False,
    backend: str | None = None,
    address: str | None = None,
) -> list[RowResult]:
    """Run every trial of every row (in parallel over ``jobs`` processes, or on the engine
    ``backend`` at ``address``, :mod:`mitool.engines`) and score them.

    Trial j of row r is seeded by child j of child r of ``SeedSequence(seed)``, so the numbers
    do not depend on ``jobs`` nor on the engine; every pair sees the same data within a trial.
    """
    pairs = parse_pairs(pairs)
    if trials < 2:
        raise MitoolError("at least 2 trials are needed to score an estimator")
    check_engine(backend, address)
    seeds = [s.spawn(trials) for s in np.random.SeedSequence(seed).spawn(len(rows))]
    tasks = [
        (row, pairs, s, k) for row, row_seeds in zip(rows, seeds, strict=True) for s in row_seeds
    ]
    with engine(backend, address) as where:
        outcomes = parallel_map(
            _trial, tasks, jobs=jobs, progress=progress, description="trials", backend=where
        )
    out = []
    for r, row in enumerate(rows):
        chunk = outcomes[r * trials : (r + 1) * trials]
        truths = np.array([truth for truth, _ in chunk])
        values = np.array([v for _, v in chunk])
        estimates = {pair: values[:, i] for i, pair in enumerate(pairs)}
        scores = {pair: score(est, truths) for pair, est in estimates.items()}
        out.append(RowResult(row, truths, estimates, scores))
    return out
