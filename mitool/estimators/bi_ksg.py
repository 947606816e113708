"""BI-KSG: the bias-improved KSG of Gao, Oh & Viswanath (2017), in two forms.

    Î = ψ(k) + ln n + ln(c_{d_X} c_{d_T} / c_{d_X + d_T}) − ⟨ln n_x + ln n_t⟩,

where ρ_i is the distance to the k-th joint neighbour (i excluded), n_x counts the other points
with dist(X_j, X_i) ≤ ρ_i, and c_d is the volume of the unit ball of the norm (paper-000 digest,
section 1.5; the authors' ``knnie.revised_mi``).

- ``bi-ksg`` uses the max-norm, the authors' default: the unit ball is the cube, c_d = 2^d, and
  the volume term is ln(2^{d_X} 2^{d_T} / 2^{d_X + d_T}) = 0. Max-norm distances are exact (a
  maximum of rounded differences, the same in the joint space and in each marginal), so the
  k joint neighbours are always counted in both marginals (n_x, n_t ≥ k).
- ``bi-ksg-l2`` uses the Euclidean norm, c_d = π^{d/2} / Γ(d/2 + 1). Its volume term does not
  cancel: on independent 25 × 25 Gaussians at n = 2000 it reads about 9 nats at c = 1 (matching
  a brute-force L2 BI-KSG, so the bias is the form's, not the code's). The squared distances of
  the joint space and of a marginal round differently, so a count is floored at its proven
  minimum k (each of the k joint neighbours lies within ρ_i in both marginals); without that
  floor a 1-2 ulp miss at k = 1 gave ln 0 and an infinite estimate.

Under a global norm the kNN family reports max_c Î(X; c·T). That is sound only if the estimate
cannot be maximal at the grid's ends for a reason that is not the data's. As c → 0 the joint
neighbours become X's alone: n_x → k, n_t → n − 1 and Î → ψ(k) − ln k + ln(n / (n − 1)) +
volume term (:func:`edge_limit`, symmetric as c → ∞). For the max-norm form that is
ψ(k) − ln k + ln(n/(n−1)) < 0; for the L2 form the volume term makes it positive (1.88 nats on
independent 5 × 5 data at c = 0.1), so the maximum would pick the grid's edge: the API refuses
a global norm for an estimator whose edge limit is above 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from scipy.special import digamma, gammaln

from mitool.estimators.base import EstimatorSpec, register
from mitool.estimators.curve import Curve
from mitool.estimators.ksg import KNN_NORMS
from mitool.estimators.sweep import MonotoneForm, monotone_sweep
from mitool.search.plan import SearchPlan
from mitool.steps import steps_of


def log_unit_ball_volume(d: int) -> float:
    """ln c_d, the log-volume of the unit Euclidean ball in d dimensions."""
    return 0.5 * d * np.log(np.pi) - gammaln(0.5 * d + 1.0)


def _l2_volumes(d_x: int, d_t: int) -> float:
    """ln(c_{d_X} c_{d_T} / c_{d_X + d_T}) for the Euclidean unit balls (≥ 0)."""
    return float(
        log_unit_ball_volume(d_x) + log_unit_ball_volume(d_t) - log_unit_ball_volume(d_x + d_t)
    )


def _offset_max(n: int, d_x: int, d_t: int, k: int) -> float:
    """ψ(k) + ln n: the cube volumes cancel."""
    return float(digamma(k) + np.log(n))


def _offset_l2(n: int, d_x: int, d_t: int, k: int) -> float:
    """ψ(k) + ln n + ln(c_{d_X} c_{d_T} / c_{d_X + d_T})."""
    return _offset_max(n, d_x, d_t, k) + _l2_volumes(d_x, d_t)


def _log_others(count: np.ndarray) -> np.ndarray:
    """ln n_x from a count that includes the point itself."""
    return np.log(count - 1)


BI_KSG_FORM = MonotoneForm(
    metric="chebyshev",
    strict=False,
    offset=_offset_max,
    term=_log_others,
)

BI_KSG_L2_FORM = MonotoneForm(
    metric="euclidean",
    strict=False,
    offset=_offset_l2,
    term=_log_others,
    # "<= rho" with one ulp of slack, so that rounding in the squared distances rarely drops
    # one of the k joint neighbours; ulps scale with the data, so counts stay scale-invariant.
    widen=lambda rho: np.nextafter(rho, np.inf),
)


def edge_limit_max(k: int, d_x: int, d_t: int, n: int) -> float:
    """lim_{c→0} Î(X; c·T) of the max-norm form: ψ(k) − ln k + ln(n/(n−1)) (module docstring)."""
    return float(digamma(k) - np.log(k) + np.log(n / (n - 1)))


def edge_limit_l2(k: int, d_x: int, d_t: int, n: int) -> float:
    """lim_{c→0} Î(X; c·T) of the L2 form: the max-norm limit plus the volume term."""
    return edge_limit_max(k, d_x, d_t, n) + _l2_volumes(d_x, d_t)


def bi_ksg(
    x: np.ndarray,
    t: np.ndarray,
    scales: Sequence[float],
    k: int,
    *,
    exhaustive: bool = False,
    plan: SearchPlan | None = None,
    progress: object = False,
    **_: object,  # seed, options: nothing random, no options
) -> Curve:
    """BI-KSG with the max-norm at each c in ``scales``: Î(X; c·T) in nats. ``progress``: a
    :class:`~mitool.steps.Steps` to report to (anything else: report nothing)."""
    return monotone_sweep(
        x, t, scales, k, BI_KSG_FORM, plan=plan, exhaustive=exhaustive, steps=steps_of(progress)
    )


def bi_ksg_l2(
    x: np.ndarray,
    t: np.ndarray,
    scales: Sequence[float],
    k: int,
    *,
    exhaustive: bool = False,
    plan: SearchPlan | None = None,
    progress: object = False,
    **_: object,  # seed, options: nothing random, no options
) -> Curve:
    """BI-KSG with the Euclidean norm at each c in ``scales``: Î(X; c·T) in nats.

    Each count (self included) is floored at k + 1, its proven minimum (module docstring).
    ``progress``: a :class:`~mitool.steps.Steps` to report to (anything else: report nothing).
    """
    floor = k + 1
    form = replace(BI_KSG_L2_FORM, term=lambda count: _log_others(np.maximum(count, floor)))
    return monotone_sweep(
        x, t, scales, k, form, plan=plan, exhaustive=exhaustive, steps=steps_of(progress)
    )


register(
    EstimatorSpec(
        name="bi-ksg",
        family="knn",
        default_norm="global-linf",
        norms=KNN_NORMS,
        curve=bi_ksg,
        summary="Gao, Oh & Viswanath 2017 bias-improved KSG (max-norm, log counts)",
        edge_limit=edge_limit_max,
    )
)
register(
    EstimatorSpec(
        name="bi-ksg-l2",
        family="knn",
        default_norm="none",
        norms=KNN_NORMS,
        curve=bi_ksg_l2,
        summary="BI-KSG with the Euclidean norm (biased upwards by its ball volumes; no global "
        "norm)",
        edge_limit=edge_limit_l2,
    )
)
