"""Mixed-KSG: Gao, Kannan, Oh & Viswanath (2017), for discrete, continuous and mixed data.

W. Gao, S. Kannan, S. Oh & P. Viswanath, "Estimating mutual information for
discrete-continuous mixtures", NeurIPS 2017 (arXiv:1709.06212), Algorithm 1, as the authors'
reference code computes it (``Mixed_KSG`` in github.com/wgao9/mixed_KSG, ``mixed.py``), with
the max-norm. For each point i:

- ρ_i: the max-norm distance to its k-th nearest neighbour in the joint space (i excluded);
- if ρ_i = 0 (k or more exact copies of the row (x_i, t_i)): k̃_i counts the rows at joint
  distance 0, and n_x,i, n_t,i the rows at distance 0 in X and in T, i itself included each
  time (the code's ``query_ball_point`` at radius 1e-15);
- otherwise k̃_i = k, and n_x,i, n_t,i count the rows strictly closer than ρ_i in X and in T,
  i included (the code's radius ρ_i − 1e-15);

    Î = ⟨ψ(k̃_i) + ln n − ψ(n_x,i) − ψ(n_t,i)⟩.

Here "strictly closer" and "at distance 0" are exact (:mod:`mitool.search.counters`, no
absolute 1e-15), so the estimate does not depend on the data's scale through them. The
counts, ψ and ln n are those of the reference code, which is what this module reproduces
(to the last bit of each count, on data whose distances are not within 1e-15 of ρ_i).

On tie-free data ρ_i > 0 everywhere and Î is KSG algorithm 1 (:mod:`mitool.estimators.ksg`)
with ln n in place of ψ(n): mixed = ksg − ψ(n) + ln n exactly (ψ(n) < ln n by about 1/(2n)).
On discrete data (every ρ_i = 0) it is a plug-in estimate: with T = X on m cells it gives
Ĥ(X) + m/(2n) ≈ H(X). Ties are the point, so the rows are never jittered (``keeps_ties`` in
the registry).

No sweep over c (the family is not ``knn``): under a global norm each side is divided by its
own spread and the estimate is taken at c = 1, with no maximum over c. Dividing by a spread
keeps zero distances zero, so the discrete part is read the same under every norm.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import digamma

from mitool.estimators.base import EstimatorSpec, register
from mitool.estimators.curve import Curve
from mitool.normalize import NORMS
from mitool.search.counters import build_counter
from mitool.search.joint import kth_neighbor
from mitool.search.plan import SearchPlan
from mitool.steps import NO_STEPS, Steps, steps_of


def mixed_ksg_counts(
    x: np.ndarray,
    t: np.ndarray,
    k: int,
    plan: SearchPlan | None = None,
    steps: Steps = NO_STEPS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(k̃_i, n_x,i, n_t,i) of Algorithm 1 for every point, as integer arrays (i included);
    ``plan``: the searches' paths (None: ``auto`` for these arrays). ``steps`` hears of a unit
    as each search ends: the joint one, X's counts, T's, the joint counts of tied rows."""
    plan = SearchPlan.for_pair(x, t) if plan is None else plan
    n = len(x)
    steps.begin(4)
    steps.phase("joint search")
    rho, _ = kth_neighbor(np.hstack([x, t]), k, plan)
    steps.advance()
    x_counter = build_counter(x, plan)
    t_counter = build_counter(t, plan)
    zero = np.flatnonzero(rho == 0)
    # Where ρ_i = 0 the counts are at distance 0, not strictly below 0 (which holds no point):
    # "strictly below the smallest positive float" is exactly "at distance 0" (the counter's
    # strictness is nextafter(r, -inf), which is 0.0 there), so one count serves every row.
    radius = np.where(rho == 0, np.nextafter(0.0, 1.0), rho)
    steps.phase("X counts")
    n_x = x_counter.count(radius, strict=True)
    steps.advance()
    steps.phase("T counts")
    n_t = t_counter.count(radius, strict=True)
    steps.advance()
    k_i = np.full(n, k, dtype=np.int64)
    if zero.size:
        steps.phase("joint counts of tied rows")
        joint = build_counter(np.hstack([x, t]), plan)
        k_i[zero] = joint.count(np.zeros(n), strict=False, rows=zero)
    steps.advance()  # at once where no row is tied
    return k_i, n_x, n_t


def mixed_ksg(
    x: np.ndarray,
    t: np.ndarray,
    scales: Sequence[float],
    k: int,
    *,
    plan: SearchPlan | None = None,
    progress: object = False,
    **_: object,  # exhaustive, seed, options: one value, nothing random, no options
) -> Curve:
    """Mixed-KSG estimate of I(X; T) in nats, of the rows as given (c = 1), repeated at every c
    of ``scales`` (``(1.0,)`` from the API: the family does not sweep c). ``progress``: a
    :class:`~mitool.steps.Steps` to report to (anything else: report nothing)."""
    k_i, n_x, n_t = mixed_ksg_counts(x, t, k, plan, steps_of(progress))
    value = np.mean(digamma(k_i) + np.log(len(x)) - digamma(n_x) - digamma(n_t))
    return Curve.exact(tuple(scales), [float(value)] * len(scales))


register(
    EstimatorSpec(
        name="mixed-ksg",
        family="mixed",
        default_norm="global-linf",
        norms=tuple(norm for norm in NORMS if norm != "global-corrected"),
        curve=mixed_ksg,
        summary="Gao et al. 2017: KSG for discrete, continuous and mixed data (ties kept)",
        keeps_ties=True,
    )
)
