"""The result of one estimate: the number, how it was produced, and what was noticed."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

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
    estimator, and None otherwise. Later features (intervals, p-values) add fields here.
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

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: every field, the curve as a list of {c, value} objects."""
        from mitool import __version__

        return {
            "value": self.value,
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
            "version": __version__,
        }
