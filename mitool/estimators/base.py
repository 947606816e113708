"""The estimator interface: every estimator is one registered :class:`EstimatorSpec`.

An estimator is a pure function of two validated, normalised float arrays (rows are samples)
that returns its estimate in nats at each requested rescaling c of T, as a
:class:`~mitool.estimators.curve.Curve`. The kNN family gets the whole grid of c at once, so it
can share work between scales and skip those provably below the maximum (unless
``exhaustive``); estimators that do not maximise over scales are called with ``scales = (1.0,)``.
Estimators with settings of their own (the neural family: epochs, learning rate, ...) declare
them as a frozen dataclass, ``options_type``; they receive an instance of it, and the ``seed``
of their random steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Protocol

import numpy as np

from mitool.errors import MitoolError
from mitool.estimators.curve import Curve
from mitool.steps import Steps


class CurveFn(Protocol):
    """``curve(x, t, scales, k, ...)``: Î(X; c·T) in nats for each c in scales.

    ``seed`` seeds the estimator's own random steps, ``options`` is an instance of the spec's
    ``options_type`` (None for estimators without one). ``progress`` asks for progress: the API
    passes the estimators that search neighbours (``uses_k``) a :class:`~mitool.steps.Steps`
    when it draws, which they report their phases to (they never draw), and the others True
    (the neural ones draw their epochs' bar); False: nothing.
    Estimators that search neighbours (``uses_k``) also take ``plan``, the
    :class:`~mitool.search.plan.SearchPlan` of their searches (None: ``auto``).
    """

    def __call__(
        self,
        x: np.ndarray,
        t: np.ndarray,
        scales: Sequence[float],
        k: int,
        *,
        exhaustive: bool = False,
        seed: int = 0,
        options: Any = None,
        progress: bool | Steps = False,
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
    options_type : a frozen dataclass of the estimator's own settings, with defaults; None when
        it has none.
    discrete_t : T holds class labels, which are never normalised or jittered.
    edge_limit : ``edge_limit(k, d_x, d_t, n)``, the estimate's limit as c → 0 (and ∞) on any
        data, for the kNN family; a global norm (max over c) is refused where it is above 0,
        since the maximum would then pick the grid's edge. None: not known (not checked).
    uses_k : whether the estimate depends on k (not for plug-in, Gaussian-copula or neural
        estimators).
    discrete_x : X holds symbols too (a discrete × discrete estimator): X is never normalised
        nor jittered either.
    keeps_ties : repeated values are part of what the estimator measures (or it does not use
        neighbour distances): the rows reach it as they are, never jittered.
    thread_safe : its estimates may run in several threads of one process at once (it sets no
        process-wide state); the neural ones set torch's global seed and thread count.
    """

    name: str
    family: str
    default_norm: str
    norms: tuple[str, ...]
    curve: CurveFn
    summary: str
    options_type: type | None = None
    discrete_t: bool = False
    edge_limit: Callable[[int, int, int, int], float] | None = None
    uses_k: bool = True
    discrete_x: bool = False
    keeps_ties: bool = False
    thread_safe: bool = True

    def make_options(self, given: Mapping[str, Any] | None) -> Any:
        """The estimator's settings: defaults overridden by ``given``, each name checked."""
        given = dict(given or {})
        if self.options_type is None:
            if given:
                raise MitoolError(
                    f"{self.name} takes no options (got: {', '.join(sorted(given))}); they "
                    "belong to other estimators"
                )
            return None
        known = {f.name for f in fields(self.options_type)}
        unknown = sorted(set(given) - known)
        if unknown:
            raise MitoolError(
                f"unknown option(s) {', '.join(unknown)} for {self.name}; it takes: "
                f"{', '.join(sorted(known))}"
            )
        return self.options_type(**given)

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
