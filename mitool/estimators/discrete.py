"""I(Z; Y) between a continuous Z and a discrete Y: Ross (2014), extended to a multivariate Z.

B. C. Ross, "Mutual information between discrete and continuous data sets", PLoS ONE 9(2),
2014: the estimator behind scikit-learn's ``mutual_info_classif``. For each point i, d_i is the
max-norm distance from z_i to its k_i-th nearest neighbour among the N_{y_i} points of its own
label (k_i = min(k, N_{y_i} − 1), as scikit-learn caps it), m_i counts the points of any label
strictly closer than d_i (i itself included), and

    Î = ψ(n) + ⟨ψ(k_i)⟩ − ⟨ψ(N_{y_i})⟩ − ⟨ψ(m_i)⟩.

In one dimension the max-norm is |Δz| and the value is scikit-learn's (without its clipping of
negative estimates to 0). Y holds class labels: any values, each distinct row one class (so
several columns are one label per distinct row), never rescaled or jittered (``discrete_t`` in
the registry).
Rescaling Z by one constant leaves every count unchanged, so there is no sweep over c.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import digamma

from mitool.errors import MitoolError
from mitool.estimators.base import EstimatorSpec, register
from mitool.estimators.curve import Curve
from mitool.normalize import NORMS
from mitool.search.counters import build_counter
from mitool.search.joint import kth_neighbor
from mitool.search.plan import SearchPlan


def label_codes(y: np.ndarray) -> np.ndarray:
    """Codes 0, 1, ... of the labels (rows of ``y``): each distinct row is one class, whatever
    its value (integer codes, or codes in any units: only equality matters).

    Raises
    ------
    MitoolError
        When a label is not finite, or a label has fewer than 2 rows (its points have no
        neighbour of their own label).
    """
    y = y.reshape(len(y), -1)
    if not np.all(np.isfinite(y)):
        raise MitoolError("the labels must be finite for the ross estimator")
    values, codes, counts = np.unique(y, axis=0, return_inverse=True, return_counts=True)
    if np.any(counts < 2):
        lonely = ", ".join(f"{v:g}" for v in values[counts < 2][:5, 0])
        raise MitoolError(f"label(s) {lonely} occur in only one row; each label needs at least 2")
    return codes.ravel()


def ross(
    z: np.ndarray,
    y: np.ndarray,
    scales: Sequence[float],
    k: int,
    *,
    plan: SearchPlan | None = None,
    **_: object,  # exhaustive, seed, options, progress: one value, nothing random, no options
) -> Curve:
    """Ross's estimate of I(Z; Y) in nats, for ``z`` of shape (n, d) and labels ``y`` (n, 1).

    ``scales`` is ``(1.0,)``: the estimator does not sweep c (its family is not ``knn``).
    ``plan``: the searches' paths, all in Z (None: ``auto`` for these rows).
    """
    plan = SearchPlan.decide(len(z), z.shape[1], 0) if plan is None else plan
    codes = label_codes(y)
    n = len(z)
    radius = np.empty(n)
    k_i = np.empty(n)
    n_y = np.empty(n)
    for code in range(codes.max() + 1):
        rows = np.flatnonzero(codes == code)
        k_i[rows] = min(k, len(rows) - 1)
        n_y[rows] = len(rows)
        radius[rows], _ = kth_neighbor(z[rows], int(k_i[rows[0]]), plan)
    # "Strictly closer than d_i" as "<= the float below d_i", scikit-learn's nextafter(r, 0):
    # a zero radius (copies of z_i within its label) still counts those copies, so m_i >= 1.
    m = build_counter(z, plan).count(np.nextafter(radius, 0), strict=False)
    value = digamma(n) + np.mean(digamma(k_i)) - np.mean(digamma(n_y)) - np.mean(digamma(m))
    return Curve.exact(tuple(scales), [float(value)] * len(scales))


register(
    EstimatorSpec(
        name="ross",
        family="discrete",
        default_norm="global-linf",
        norms=tuple(norm for norm in NORMS if norm != "global-corrected"),
        curve=ross,
        summary="Ross 2014: continuous X against discrete class labels T (max-norm kNN)",
        discrete_t=True,
    )
)
