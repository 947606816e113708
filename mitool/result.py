"""The result of one estimate: the number, how it was produced, and what was noticed."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from mitool.resample import Interval, NullTest
from mitool.ties import TieStats

UNITS = ("nats", "bits")


def convert(nats: float, units: str) -> float:
    """Express a value in nats in the requested units."""
    return nats / math.log(2) if units == "bits" else nats


class CurvePoint(NamedTuple):
    """Î(X; c·T) at one c of the grid; ``value`` is None where the sweep skipped it, having
    proved it below the maximum by ``upper_bound`` (which equals ``value`` elsewhere)."""

    c: float
    value: float | None
    upper_bound: float


@dataclass(frozen=True)
class MIResult:
    """One mutual-information estimate (``value`` is in ``units``).

    ``scale`` is the chosen c (argmax of the per-c ``curve``) under a global norm with a kNN
    estimator, and None otherwise. ``interval`` (a confidence interval) and ``null`` (a
    permutation test of independence) are None when not asked for; their numbers are also
    properties of the result (``ci_low``, ``ci_high``, ``p_value``, ...). ``choice`` is what
    ``auto`` chose and why, with the diagnosis behind it (None when an estimator was named);
    ``estimator`` and ``norm`` are then the chosen ones.
    """

    value: float
    units: str
    estimator: str
    norm: str
    k: int
    n: int
    d_x: int
    d_t: int
    scale: float | None
    curve: list[CurvePoint] | None
    ties: TieStats
    seconds: float
    seed: int
    dropped_rows: int = 0
    warnings: list[str] = field(default_factory=list)
    interval: Interval | None = None
    null: NullTest | None = None
    details: dict[str, Any] = field(default_factory=dict)
    choice: dict[str, Any] | None = None

    @property
    def ci_low(self) -> float | None:
        return None if self.interval is None else self.interval.low

    @property
    def ci_high(self) -> float | None:
        return None if self.interval is None else self.interval.high

    @property
    def p_value(self) -> float | None:
        return None if self.null is None else self.null.p_value

    @property
    def corrected(self) -> float | None:
        """The estimate minus the mean of its permutation null (a bias-corrected estimate)."""
        return None if self.null is None else self.null.corrected

    def __repr__(self) -> str:
        """One line: the estimate, its interval, what ran (not the curve or the diagnosis)."""
        interval = "" if self.interval is None else f" [{self.ci_low:.4f}, {self.ci_high:.4f}]"
        return (
            f"MIResult({self.value:.4f} {self.units}{interval}, {self.estimator}/{self.norm}, "
            f"n={self.n}, d_x={self.d_x}, d_t={self.d_t})"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: every field, the curve as a list of {c, value} objects, and the
        interval and permutation test flattened (null where not computed)."""
        from mitool import __version__

        ci, null = self.interval, self.null
        return {
            "value": self.value,
            "ci_low": None if ci is None else ci.low,
            "ci_high": None if ci is None else ci.high,
            "ci_level": None if ci is None else ci.level,
            "ci_method": None if ci is None else ci.method,
            "resamples": 0 if ci is None else ci.resamples,
            "subsample_size": None if ci is None else ci.subsample_size,
            "ci_widened": None if ci is None else ci.widened,
            "sd": None if ci is None else ci.sd,
            "replicate_mean": None if ci is None else ci.replicate_mean,
            "p_value": None if null is None else null.p_value,
            "null_mean": None if null is None else null.null_mean,
            "null_sd": None if null is None else null.null_sd,
            "corrected": None if null is None else null.corrected,
            "permutations": 0 if null is None else null.permutations,
            "units": self.units,
            "estimator": self.estimator,
            "norm": self.norm,
            "k": self.k,
            "n": self.n,
            "d_x": self.d_x,
            "d_t": self.d_t,
            "scale": self.scale,
            "curve": None if self.curve is None else [p._asdict() for p in self.curve],
            "ties": self.ties.to_dict(),
            "dropped_rows": self.dropped_rows,
            "seconds": self.seconds,
            "seed": self.seed,
            "warnings": list(self.warnings),
            "details": self.details,
            "details_units": "nats",
            "choice": self.choice,
            "version": __version__,
        }
