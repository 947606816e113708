"""Run estimator/norm pairs on the accuracy suite (:mod:`mitool.suite`) and score them.

Each task is drawn once, at n rows, from its own child of ``SeedSequence(seed)`` (child i for
task i), and every pair runs on the same rows, with ``resamples = 0`` and ``jobs = 1``; tasks
run in parallel processes (:func:`mitool.parallel.parallel_map`), so ``jobs`` never changes the
numbers. A pair is ``"estimator/norm"`` or ``"estimator"`` (the estimator's default norm); the
names are passed to :func:`mitool.estimate` as they are, and a :class:`mitool.MitoolError` it
raises (an unknown name, data it refuses) is recorded for that task and pair, not raised.

Scores, per pair, over the tasks of a group and over all tasks (tasks with an error left out):

- MAE: mean |Î − I| in nats;
- Spearman: rank correlation of Î and I over all tasks (per group where it is defined);
- within ×1.5: the share of tasks where Î is within a factor 1.5 of I (I/1.5 ≤ Î ≤ 1.5·I),
  or, where I < 0.1 nats (independent and nearly independent pairs, where a ratio means
  nothing), within 0.05 nats of I;
- seconds: mean wall time of one estimate;
- max units shift (``units_check``): each task is run again on the same rows with every column
  of X and T in other units (:func:`mitool.suite.per_column_units`), and the largest
  |Î(units) − Î| is reported; 0 for an estimator that is invariant to per-column rescaling.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.stats import spearmanr

import mitool
from mitool.engines import check_engine, engine
from mitool.errors import MitoolError
from mitool.parallel import parallel_map
from mitool.suite import Task, per_column_units, tasks

FACTOR = 1.5  # "within ×1.5"
SMALL_TRUTH = 0.1  # below it, "within" is an absolute band ...
SMALL_BAND = 0.05  # ... of this many nats


@dataclass
class TaskResult:
    """One task: its truth and, per pair, the estimate, the seconds, an error or the units run."""

    index: int
    name: str
    group: str
    truth: float
    values: dict[str, float]
    seconds: dict[str, float]
    errors: dict[str, str] = field(default_factory=dict)
    units_values: dict[str, float] | None = None

    def to_dict(self) -> dict:
        return _clean(asdict(self))


@dataclass
class PairScore:
    """How one pair did over a set of tasks (NaN where nothing could be scored)."""

    pair: str
    tasks: int  # tasks scored (without an error)
    errors: int
    mae: float
    spearman: float
    within: float  # share of the scored tasks
    seconds: float  # mean seconds per estimate
    max_units_shift: float | None = None

    def to_dict(self) -> dict:
        return _clean(asdict(self))


@dataclass
class SuiteResult:
    """A whole run: the settings, every task's numbers, and the scores per pair."""

    split: str
    n: int
    seed: int
    pairs: tuple[str, ...]
    tasks: list[TaskResult]
    overall: dict[str, PairScore]
    groups: dict[str, dict[str, PairScore]]  # group → pair → score
    seconds: float
    units_check: bool = False

    def to_dict(self) -> dict:
        return {
            "split": self.split,
            "n": self.n,
            "seed": self.seed,
            "pairs": list(self.pairs),
            "seconds": self.seconds,
            "units_check": self.units_check,
            "conventions": {
                "within_factor": FACTOR,
                "small_truth": SMALL_TRUTH,
                "small_band": SMALL_BAND,
            },
            "overall": {p: s.to_dict() for p, s in self.overall.items()},
            "groups": {g: {p: s.to_dict() for p, s in d.items()} for g, d in self.groups.items()},
            "tasks": [t.to_dict() for t in self.tasks],
        }


def _clean(value):
    """JSON-safe: NaN and inf become None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


# --- scoring -------------------------------------------------------------------------------------


def within(estimates: np.ndarray, truths: np.ndarray) -> np.ndarray:
    """Per task: Î within a factor 1.5 of I, or within 0.05 nats of I where I < 0.1."""
    est, tru = np.asarray(estimates, float), np.asarray(truths, float)
    ratio_ok = (est >= tru / FACTOR) & (est <= tru * FACTOR)
    band_ok = np.abs(est - tru) <= SMALL_BAND
    return np.where(tru < SMALL_TRUTH, band_ok, ratio_ok)


def score_pair(
    pair: str,
    estimates: Sequence[float],
    truths: Sequence[float],
    seconds: Sequence[float] = (),
    shifts: Sequence[float] | None = None,
) -> PairScore:
    """MAE, Spearman, within ×1.5 and mean seconds of one pair; NaN estimates are errors."""
    est, tru = np.asarray(estimates, float), np.asarray(truths, float)
    ok = np.isfinite(est)
    e, t = est[ok], tru[ok]
    if len(e) >= 2 and np.ptp(t) > 0 and np.ptp(e) > 0:
        rho = float(spearmanr(e, t).statistic)
    else:
        rho = math.nan
    secs = np.asarray(seconds, float)
    secs = secs[np.isfinite(secs)]
    shift = None
    if shifts is not None:
        s = np.asarray(shifts, float)
        s = s[np.isfinite(s)]
        shift = float(s.max()) if len(s) else math.nan
    return PairScore(
        pair=pair,
        tasks=int(ok.sum()),
        errors=int((~ok).sum()),
        mae=float(np.mean(np.abs(e - t))) if len(e) else math.nan,
        spearman=rho,
        within=float(np.mean(within(e, t))) if len(e) else math.nan,
        seconds=float(secs.mean()) if len(secs) else math.nan,
        max_units_shift=shift,
    )


def _scores(results: Sequence[TaskResult], pairs: Sequence[str]) -> dict[str, PairScore]:
    truths = [r.truth for r in results]
    out = {}
    for pair in pairs:
        shifts = None
        if results and results[0].units_values is not None:
            shifts = [abs(r.units_values[pair] - r.values[pair]) for r in results]
        out[pair] = score_pair(
            pair,
            [r.values[pair] for r in results],
            truths,
            [r.seconds[pair] for r in results if pair not in r.errors],
            shifts,
        )
    return out


# --- running -------------------------------------------------------------------------------------


def _split_pair(pair: str) -> tuple[str, str | None]:
    estimator, _, norm = pair.strip().partition("/")
    return estimator, (norm or None)


def _one(x: np.ndarray, t: np.ndarray, pair: str, seed: int) -> tuple[float, float, str | None]:
    estimator, norm = _split_pair(pair)
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", mitool.MitoolWarning)
            value = mitool.estimate(
                x, t, estimator=estimator, norm=norm, resamples=0, seed=seed, jobs=1
            ).value
        error = None
    except MitoolError as exc:
        value, error = math.nan, str(exc)
    return float(value), time.perf_counter() - started, error


def _run_task(
    index: int,
    task: Task,
    pairs: tuple[str, ...],
    n: int,
    seed: np.random.SeedSequence,
    units_check: bool,
) -> TaskResult:
    draw_seed, estimate_seed, units_seed = seed.spawn(3)
    sample = task.draw(n, np.random.default_rng(draw_seed))
    est_seed = int(estimate_seed.generate_state(1)[0])
    values, seconds, errors = {}, {}, {}
    for pair in pairs:
        values[pair], seconds[pair], error = _one(sample.x, sample.t, pair, est_seed)
        if error is not None:
            errors[pair] = error
    units_values = None
    if units_check:
        scaled = per_column_units(sample, np.random.default_rng(units_seed))
        units_values = {p: _one(scaled.x, scaled.t, p, est_seed)[0] for p in pairs}
    return TaskResult(
        index, task.name, task.group, sample.truth, values, seconds, errors, units_values
    )


def run_suite(
    pairs: str | Sequence[str],
    split: str | Sequence[Task],
    n: int = 5000,
    seed: int = 0,
    jobs: int | None = None,
    progress: bool = False,
    units_check: bool = False,
    backend: str | None = None,
    address: str | None = None,
) -> SuiteResult:
    """Run every pair on every task of ``split`` (``"tuning"``, ``"heldout"``, or a list of
    tasks) at n rows, and score them (module docstring); the tasks run on ``jobs`` processes or
    on the engine ``backend`` at ``address`` (:mod:`mitool.engines`), with the same scores."""
    check_engine(backend, address)
    items = [p.strip() for p in pairs.split(",")] if isinstance(pairs, str) else list(pairs)
    pairs = tuple(p for p in items if p)
    if not pairs:
        raise MitoolError("give at least one estimator or estimator/norm pair")
    if n < 10:
        raise MitoolError(f"n must be at least 10, got {n}")
    chosen = tasks(split) if isinstance(split, str) else list(split)
    label = split if isinstance(split, str) else "custom"
    seeds = np.random.SeedSequence(seed).spawn(len(chosen))
    work = [
        (i, task, pairs, n, s, units_check)
        for i, (task, s) in enumerate(zip(chosen, seeds, strict=True))
    ]
    started = time.perf_counter()
    with engine(backend, address) as where:
        results = parallel_map(
            _run_task, work, jobs=jobs, progress=progress, description="tasks", backend=where
        )
    elapsed = time.perf_counter() - started
    groups = {}
    for group in dict.fromkeys(r.group for r in results):
        groups[group] = _scores([r for r in results if r.group == group], pairs)
    return SuiteResult(
        split=label,
        n=n,
        seed=seed,
        pairs=pairs,
        tasks=results,
        overall=_scores(results, pairs),
        groups=groups,
        seconds=elapsed,
        units_check=units_check,
    )


# --- report --------------------------------------------------------------------------------------


def _f(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.{digits}f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> list[str]:
    spec = [("---" if i < len(align) and align[i] == "l" else "---:") for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(spec) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


def report_markdown(results: SuiteResult) -> str:
    """The run as markdown: per-group MAE table with the overall scores, then every task."""
    pairs = results.pairs
    out = [
        f"# Accuracy suite: split `{results.split}`, n = {results.n}, seed {results.seed}, "
        f"{len(results.tasks)} tasks, {results.seconds:.1f} s",
        "",
        "## MAE by group (nats; lower is better)",
        "",
    ]
    rows = []
    for group, scores in results.groups.items():
        count = sum(1 for t in results.tasks if t.group == group)
        rows.append([group, str(count), *(_f(scores[p].mae) for p in pairs)])
    ov = results.overall
    bold = lambda s: f"**{s}**"  # noqa: E731
    rows.append([bold("overall MAE"), str(len(results.tasks)), *(_f(ov[p].mae) for p in pairs)])
    rows.append(["Spearman (overall)", "", *(_f(ov[p].spearman) for p in pairs)])
    rows.append(
        ["within ×1.5", "", *(f"{100 * ov[p].within:.0f}%" if ov[p].tasks else "-" for p in pairs)]
    )
    rows.append(["mean seconds / estimate", "", *(_f(ov[p].seconds, 2) for p in pairs)])
    if results.units_check:
        rows.append(["max units shift", "", *(_f(ov[p].max_units_shift) for p in pairs)])
    if any(ov[p].errors for p in pairs):
        rows.append(["errors (tasks)", "", *(str(ov[p].errors) for p in pairs)])
    out += _table(["group", "tasks", *pairs], rows, "l")
    out += [
        "",
        f"within ×{FACTOR:g}: I/{FACTOR:g} ≤ Î ≤ {FACTOR:g}·I, or |Î − I| ≤ {SMALL_BAND:g} "
        f"nats where I < {SMALL_TRUTH:g}. Tasks with an error are left out of the scores.",
        "",
        "## Tasks (estimates in nats)",
        "",
    ]
    rows = []
    for t in results.tasks:
        cells = []
        for p in pairs:
            cell = "error" if p in t.errors else _f(t.values[p])
            if t.units_values is not None and p not in t.errors:
                cell += f" ({_f(t.units_values[p])})"
            cells.append(cell)
        rows.append([t.name, t.group, _f(t.truth), *cells])
    out += _table(["task", "group", "truth", *pairs], rows, "ll")
    if results.units_check:
        out += ["", "In parentheses: the same rows with every column in other units."]
    errors = {(p, msg) for t in results.tasks for p, msg in t.errors.items()}
    if errors:
        out += ["", "## Errors", ""]
        out += [f"- `{p}`: {msg}" for p, msg in sorted(errors)]
    return "\n".join(out) + "\n"
