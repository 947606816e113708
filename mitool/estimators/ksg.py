"""Kraskov, Stögbauer & Grassberger (2004), algorithms 1 and 2, with the max-norm.

``ksg`` is algorithm 1 exactly as NPEET computes it (the code behind paper 000's experiments;
see the paper-000 digest, sections 1.4 and 7.1):

    Î = ψ(k) + ψ(n) − ⟨ψ(n_x + 1) + ψ(n_t + 1)⟩,

where ε_i is the max-norm distance to the k-th joint neighbour (i excluded) and n_x counts the
other points strictly inside ε_i in X. The paper's printed Eq. 6 mixes this with algorithm 2
and is biased by about −1/k, so it is not offered.

``ksg2`` is algorithm 2: ε_x(i), ε_t(i) are the largest marginal distances among the k joint
neighbours, n_x counts the other points with distance ≤ ε_x(i), and

    Î = ψ(k) − 1/k + ψ(n) − ⟨ψ(n_x) + ψ(n_t)⟩.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import digamma

from mitool.estimators.base import EstimatorSpec, register
from mitool.estimators.curve import Curve
from mitool.estimators.sweep import MonotoneForm, each_scale, monotone_sweep
from mitool.normalize import NORMS
from mitool.search.counters import Counter
from mitool.search.joint import kth_neighbor
from mitool.search.plan import SearchPlan
from mitool.steps import NO_STEPS, Steps, steps_of

KNN_NORMS = tuple(norm for norm in NORMS if norm != "global-corrected")


#: Algorithm 1: A = ψ(k) + ψ(n); the strict counts include the point itself, so they are n_x + 1.
KSG1_FORM = MonotoneForm(
    metric="chebyshev",
    strict=True,
    offset=lambda n, d_x, d_t, k: float(digamma(k) + digamma(n)),
    term=digamma,
)


def ksg2_at_scale(
    x: Counter, t: Counter, k: int, plan: SearchPlan, steps: Steps = NO_STEPS
) -> float:
    """Algorithm 2 on the pair held by the two counters (T already multiplied by c); ``steps``
    hears of a unit as each of the three searches ends (joint, X, T)."""
    n = len(x.points)
    z = np.hstack([x.points, t.points])
    _, nbrs = kth_neighbor(z, k, plan, "chebyshev", return_index=True)
    steps.advance()
    nx = x.count(_marginal_extent(x.points, nbrs), strict=False) - 1
    steps.advance()
    nt = t.count(_marginal_extent(t.points, nbrs), strict=False) - 1
    steps.advance()
    return float(digamma(k) - 1.0 / k + digamma(n) - np.mean(digamma(nx) + digamma(nt)))


def _marginal_extent(points: np.ndarray, nbrs: np.ndarray) -> np.ndarray:
    """ε_x(i): the largest max-norm distance in this marginal from i to its k joint neighbours."""
    extent = np.zeros(len(points))
    for j in range(nbrs.shape[1]):
        dist = np.max(np.abs(points[nbrs[:, j]] - points), axis=1)
        np.maximum(extent, dist, out=extent)
    return extent


def ksg1(
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
    """KSG algorithm 1 at each c in ``scales``: Î(X; c·T) in nats. ``progress``: a
    :class:`~mitool.steps.Steps` to report to (anything else: report nothing)."""
    return monotone_sweep(
        x, t, scales, k, KSG1_FORM, plan=plan, exhaustive=exhaustive, steps=steps_of(progress)
    )


def ksg2(
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
    """KSG algorithm 2 at each c in ``scales``: Î(X; c·T) in nats (always every c).
    ``progress``: a :class:`~mitool.steps.Steps` to report to (anything else: report nothing)."""
    return each_scale(
        x, t, scales, k, metric="chebyshev", at_scale=ksg2_at_scale, plan=plan,
        steps=steps_of(progress),
    )  # fmt: skip


register(
    EstimatorSpec(
        name="ksg",
        family="knn",
        default_norm="global-linf",
        norms=KNN_NORMS,
        curve=ksg1,
        summary="Kraskov et al. 2004, algorithm 1 (max-norm; NPEET semantics)",
        # c → 0: n_x + 1 → k + 1 and n_t + 1 → n, so Î → ψ(k) − ψ(k + 1) = −1/k
        edge_limit=lambda k, d_x, d_t, n: -1.0 / k,
    )
)
register(
    EstimatorSpec(
        name="ksg2",
        family="knn",
        default_norm="global-linf",
        norms=KNN_NORMS,
        curve=ksg2,
        summary="Kraskov et al. 2004, algorithm 2 (marginal extents of the k neighbours)",
        # c → 0: n_x → k and n_t → n − 1, so Î → −1/k + ψ(n) − ψ(n − 1) = −1/k + 1/(n − 1)
        edge_limit=lambda k, d_x, d_t, n: -1.0 / k + 1.0 / (n - 1),
    )
)
