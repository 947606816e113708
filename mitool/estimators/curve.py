"""What every estimator returns: Î(X; c·T) in nats along a grid of c (numpy only, so that the
estimator interface imports nothing heavy)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Curve:
    """Î(X; c·T) in nats along a grid of c.

    ``values`` is NaN where the sweep proved the value below the maximum without computing it;
    ``bounds`` then holds the upper bound that proved it (elsewhere it equals ``values``).
    ``details`` holds what an estimator reports beyond its value (a training trace, a ceiling),
    JSON-ready, and ``notes`` what the user should be warned about.
    """

    scales: tuple[float, ...]
    values: np.ndarray
    bounds: np.ndarray
    details: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @classmethod
    def exact(
        cls,
        scales: Sequence[float],
        values: Sequence[float],
        details: Mapping[str, Any] | None = None,
        notes: Sequence[str] = (),
    ) -> Curve:
        values = np.asarray(values, dtype=float)
        return cls(tuple(scales), values, values.copy(), dict(details or {}), tuple(notes))

    @property
    def best(self) -> int:
        """Index of the maximum (the first one on ties, as ``np.argmax``)."""
        return int(np.nanargmax(self.values))
