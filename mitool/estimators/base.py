"""The estimator interface: every estimator is one registered :class:`EstimatorSpec`.

An estimator is a pure function of two validated, normalised float arrays (rows are samples)
that returns its estimate in nats at each requested rescaling c of T, as a
:class:`~mitool.estimators.knn.Curve`. The kNN family gets the whole grid of c at once, so it
can share work between scales and skip those provably below the maximum (unless
``exhaustive``); estimators that do not maximise over scales are called with ``scales = (1.0,)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from mitool.errors import MitoolError
from mitool.estimators.knn import Curve


class CurveFn(Protocol):
    """``curve(x, t, scales, k, exhaustive=...)``: Î(X; c·T) in nats for each c in scales."""

    def __call__(
        self,
        x: np.ndarray,
        t: np.ndarray,
        scales: Sequence[float],
        k: int,
        *,
        exhaustive: bool = False,
    ) -> Curve: ...


@dataclass(frozen=True)
class EstimatorSpec:
    """What the API needs to know about an estimator.

    Attributes
    ----------
    name : the name users type (``--estimator``).
    family : ``"knn"`` (maximises over c·T under a global norm, Table 1) or another family.
    default_norm : the paper's recommended normalization for this family.
    norms : the normalizations the estimator accepts.
    curve : the estimator itself (see :data:`CurveFn`).
    summary : one line for ``--help`` and the README.
    """

    name: str
    family: str
    default_norm: str
    norms: tuple[str, ...]
    curve: CurveFn
    summary: str

    @property
    def sweeps_scale(self) -> bool:
        """True when a global norm means max over c·T (the kNN family, Table 1 and Remark 2)."""
        return self.family == "knn"


REGISTRY: dict[str, EstimatorSpec] = {}


def register(spec: EstimatorSpec) -> EstimatorSpec:
    """Add an estimator to the registry (one line per estimator module)."""
    REGISTRY[spec.name] = spec
    return spec


def get_estimator(name: str) -> EstimatorSpec:
    """Look up an estimator by name, with a one-line error listing the valid names."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise MitoolError(f"unknown estimator '{name}'; choose one of: {known}") from None
