"""The Python API: ``estimate(x, t)``. The command line is a thin layer over it.

The data path is one straight line: validate → normalise → break ties → estimate (at every c
of the grid, for a kNN estimator under a global norm) → report.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence

import numpy as np

from mitool.errors import MitoolError
from mitool.estimators import get_estimator
from mitool.estimators.knn import Curve
from mitool.normalize import GLOBAL_NORMS, constant_columns, normalize
from mitool.result import UNITS, CurvePoint, MIResult, convert
from mitool.ties import break_ties, tie_stats
from mitool.validate import check_pair

#: The paper's grid of rescalings c of T for the global norms: 0.1, 0.2, ..., 2.0 (Remark 2).
DEFAULT_SCALES: tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(1, 21))


class MitoolWarning(UserWarning):
    """Something the user should know about an estimate (ties, constant columns, ...)."""


def estimate(
    x: object,
    t: object,
    *,
    estimator: str = "ksg",
    norm: str | None = None,
    k: int = 3,
    scales: Sequence[float] = DEFAULT_SCALES,
    units: str = "nats",
    seed: int = 0,
    drop_nan: bool = False,
    full_curve: bool = False,
    names: tuple[str, str] = ("X", "T"),
) -> MIResult:
    """Estimate the mutual information I(X; T) between two samples.

    Parameters
    ----------
    x, t : array-likes of shape (n,) or (n, d); rows are samples.
    estimator : ``ksg`` (Kraskov algorithm 1), ``ksg2`` (algorithm 2) or ``bi-ksg``.
    norm : ``none``, ``local``, ``global`` or ``global-linf`` (paper 000, Definitions 1-3);
        None picks the estimator family's recommended norm (``global-linf`` for kNN).
    k : number of neighbours.
    scales : the grid of c for the global norms, where the estimate is max_c Î(X; c·T).
    units : ``nats`` or ``bits``.
    seed : seeds every random step (here, the jitter that breaks ties).
    drop_nan : drop rows holding NaN or inf instead of raising.
    full_curve : compute Î(X; c·T) at every c, even those provably below the maximum (the
        maximum and c* are the same either way; skipped values are reported as upper bounds).
    names : how to call X and T in messages (file names on the command line).

    Returns
    -------
    MIResult, whose warnings are also issued as :class:`MitoolWarning`.
    """
    started = time.perf_counter()
    spec = get_estimator(estimator)
    norm = spec.default_norm if norm is None else norm
    if norm not in spec.norms:
        raise MitoolError(
            f"unknown norm '{norm}' for {estimator}; choose one of: {', '.join(spec.norms)}"
        )
    if units not in UNITS:
        raise MitoolError(f"unknown units '{units}'; choose one of: {', '.join(UNITS)}")
    grid = _check_scales(scales) if spec.sweeps_scale and norm in GLOBAL_NORMS else (1.0,)

    x, t, dropped = check_pair(x, t, k=k, names=names, drop_nan=drop_nan)
    notes = _notes_on_columns(x, t, names, dropped)
    if any(a.shape[1] == len(constant_columns(a)) for a in (x, t)) and norm == "none":
        curve = Curve.exact(grid, np.zeros(len(grid)))  # a constant shares no information
        ties = tie_stats(x, t, k)  # reported, but nothing to break: the answer is 0
    else:
        xn, tn = normalize(x, norm, names[0]), normalize(t, norm, names[1])
        xn, tn, ties = break_ties(xn, tn, k, seed)
        curve = spec.curve(xn, tn, grid, k, exhaustive=full_curve)
    if ties.jittered:
        notes.append(
            f"{ties.duplicate_rows} duplicate row(s) ({ties.zero_radius} with a zero k-th "
            f"neighbour distance): ties broken with seeded jitter of {ties.jitter:g} x each "
            "column's standard deviation"
        )

    best = curve.best
    for note in notes:
        warnings.warn(note, MitoolWarning, stacklevel=2)
    return MIResult(
        value=convert(float(curve.values[best]), units),
        units=units,
        estimator=estimator,
        norm=norm,
        k=k,
        n=len(x),
        d_x=x.shape[1],
        d_t=t.shape[1],
        scale=grid[best] if len(grid) > 1 else None,
        curve=_report_curve(curve, units) if len(grid) > 1 else None,
        ties=ties,
        seconds=time.perf_counter() - started,
        seed=seed,
        dropped_rows=dropped,
        warnings=notes,
    )


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


def _notes_on_columns(
    x: np.ndarray, t: np.ndarray, names: tuple[str, str], dropped: int
) -> list[str]:
    notes = [f"dropped {dropped} row(s) holding NaN or inf"] if dropped else []
    for a, name in zip((x, t), names, strict=False):
        const = constant_columns(a)
        if len(const) == a.shape[1]:
            notes.append(f"{name} is constant: it shares no information with anything")
        elif len(const):
            cols = ", ".join(str(c) for c in const)
            notes.append(f"{name} column(s) {cols} are constant and carry no information")
    return notes
