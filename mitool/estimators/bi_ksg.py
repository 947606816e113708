"""BI-KSG: the bias-improved KSG of Gao, Oh & Viswanath (2017), with the L2 norm.

    Î = ψ(k) + ln n + ln(c_{d_X} c_{d_T} / c_{d_X + d_T}) − ⟨ln n_x + ln n_t⟩,

where ρ_i is the Euclidean distance to the k-th joint neighbour (i excluded), n_x counts the
other points with ||X_j − X_i||_2 ≤ ρ_i, and c_d = π^{d/2} / Γ(d/2 + 1) is the volume of the
unit L2 ball (paper-000 digest, section 1.5; the authors' ``knnie.revised_mi``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import digamma, gammaln

from mitool.estimators.base import EstimatorSpec, register
from mitool.estimators.knn import Curve, MonotoneForm, monotone_sweep
from mitool.estimators.ksg import KNN_NORMS


def log_unit_ball_volume(d: int) -> float:
    """ln c_d, the log-volume of the unit Euclidean ball in d dimensions."""
    return 0.5 * d * np.log(np.pi) - gammaln(0.5 * d + 1.0)


def _offset(n: int, d_x: int, d_t: int, k: int) -> float:
    """ψ(k) + ln n + ln(c_{d_X} c_{d_T} / c_{d_X + d_T})."""
    volumes = log_unit_ball_volume(d_x) + log_unit_ball_volume(d_t)
    return float(digamma(k) + np.log(n) + volumes - log_unit_ball_volume(d_x + d_t))


BI_KSG_FORM = MonotoneForm(
    metric="euclidean",
    strict=False,
    offset=_offset,
    term=lambda count: np.log(count - 1),  # the counts include the point itself
    # "<= rho" with one ulp of slack, so that rounding in the squared distances can never drop
    # one of the k joint neighbours (each lies within rho in both marginals); ulps scale with
    # the data, so the counts stay scale-invariant.
    widen=lambda rho: np.nextafter(rho, np.inf),
)


def bi_ksg(
    x: np.ndarray,
    t: np.ndarray,
    scales: Sequence[float],
    k: int,
    *,
    exhaustive: bool = False,
    **_: object,  # seed, options, progress: nothing random, no options, too fast for a bar
) -> Curve:
    """BI-KSG at each c in ``scales``: Î(X; c·T) in nats."""
    return monotone_sweep(x, t, scales, k, BI_KSG_FORM, exhaustive=exhaustive)


register(
    EstimatorSpec(
        name="bi-ksg",
        family="knn",
        default_norm="global-linf",
        norms=KNN_NORMS,
        curve=bi_ksg,
        summary="Gao, Oh & Viswanath 2017 bias-improved KSG (L2 norm, log counts)",
    )
)
