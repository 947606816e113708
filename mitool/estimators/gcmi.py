"""Gaussian-copula mutual information (GCMI): Ince et al. (2017).

R. A. A. Ince, B. L. Giordano, C. Kayser, G. A. Rousselet, J. Gross & P. G. Schyns, "A
statistical framework for neuroimaging data analysis based on mutual information estimated
via a gaussian copula", Human Brain Mapping 38:1541-1573, 2017; reference code
github.com/robince/gcmi (``copnorm``, ``ent_g``, ``mi_gg``, ``gcmi_cc``).

1. Copula normalisation: each column becomes the normal scores of its ranks,
   z = Φ⁻¹(r / (n + 1)), r the rank in 1..n. Tied values get their average rank
   (``scipy.stats.rankdata(method="average")``); the reference ``copnorm`` breaks ties by
   position instead; on tie-free data the normal scores are the same, bit for bit.
2. The Gaussian MI of the normalised data from its covariance S (divisor n − 1):
   I = H(X) + H(T) − H(X, T), with the Gaussian entropy of d dimensions
   H = ½ ln|S| + (d/2)(ln 2π + 1) (the constants cancel in I).
3. Ince's analytic bias correction of each log-determinant (``biascorrect`` in ``ent_g`` and
   ``mi_gg``): for demeaned Gaussian data (n − 1)·S is Wishart with n − 1 degrees of
   freedom, so E[½ ln|S|] = ½ ln|Σ| + b(d) with

       b(d) = ½ Σ_{i=1..d} ψ((n − i)/2) − (d/2) ln((n − 1)/2),

   and each entropy term subtracts its b(d). Hence

       Î = ½ ln(|S_x| |S_t| / |S|) − b(d_x) − b(d_t) + b(d_x + d_t).

   The ln((n − 1)/2) terms cancel in Î; the remaining correction is about −d_x·d_t/(2n).

What it measures: Î is a lower bound on I(X; T), up to sampling error. With one column per
side the normal scores have exactly normal marginals and the Gaussian has the largest joint
entropy for its covariance, so I(X; T) ≥ the Gaussian MI of the scores; with several columns
per side the bound is Ince et al.'s (the marginal entropies are not fixed there, so read it as
"usually below"). It is exact when the dependence is a Gaussian copula, i.e. when some strictly
increasing map of each column makes (X, T) jointly Gaussian. It sees only the monotone, "linear
after ranking" part of the dependence and reads ≈ 0 on non-monotone dependence (T = X², a
circle, ...). The bias-corrected value is not clipped: on independent data it scatters around
0 and may be slightly negative.

Invariance: the value depends on the data only through each column's ranks, so any strictly
increasing map of any column (every normalization of :mod:`mitool.normalize` is one) gives the
same value bit for bit. The estimator has no k and no sweep over c (family ``copula``).

Degenerate columns:

- A constant column carries no information and contributes 0: it is dropped (its normal
  scores would all be 0, a singular covariance). A side whose every column is constant gives
  Î = 0 exactly.
- A column whose ranks repeat those of an earlier column of the same side, or reverse them
  (one column is a strictly monotone function of another: duplicated dimensions), adds nothing
  under a Gaussian copula and is dropped, with a note; Î([X, X]; T) = Î(X; T) exactly.
- A column of X whose ranks equal (or reverse) those of a column of T makes I infinite under
  the Gaussian copula: a :class:`~mitool.errors.MitoolError`, as is any other singular
  covariance, or fewer than d_x + d_t + 2 rows. The value is never NaN.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import digamma

from mitool.errors import MitoolError
from mitool.estimators.base import EstimatorSpec, register
from mitool.estimators.curve import Curve
from mitool.normalize import NORMS, average_ranks, normal_scores


def bias(n: int, d: int) -> float:
    """b(d): Ince's expected excess of ½ ln|S| over ½ ln|Σ| for n Gaussian rows in d dimensions
    (``biascorrect`` of ``ent_g``): ½ Σ_{i=1..d} ψ((n − i)/2) − (d/2) ln((n − 1)/2)."""
    i = np.arange(1, d + 1)
    return float(0.5 * np.sum(digamma((n - i) / 2.0)) - 0.5 * d * np.log((n - 1) / 2.0))


def gaussian_mi(zx: np.ndarray, zt: np.ndarray, *, bias_correct: bool = True) -> float:
    """The Gaussian MI in nats of (zx, zt), shapes (n, d_x) and (n, d_t), from their covariance,
    with Ince's bias correction of each log-determinant unless ``bias_correct`` is False.

    Raises
    ------
    MitoolError
        When a covariance is singular (or too few rows for the dimensions).
    """
    n, d_x = zx.shape
    d_t = zt.shape[1]
    d = d_x + d_t
    if n < d + 2:
        raise MitoolError(
            f"gcmi needs at least d_x + d_t + 2 = {d + 2} rows for {d_x} + {d_t} dimensions, "
            f"got {n}"
        )
    z = np.hstack([zx, zt])
    z = z - z.mean(axis=0)
    cov = (z.T @ z) / (n - 1)
    half_logdet = [_half_logdet(cov[:d_x, :d_x]), _half_logdet(cov[d_x:, d_x:]), _half_logdet(cov)]
    value = half_logdet[0] + half_logdet[1] - half_logdet[2]
    if bias_correct:
        value += -bias(n, d_x) - bias(n, d_t) + bias(n, d)
    if not np.isfinite(value):
        raise MitoolError(
            "gcmi: the covariance of the copula-normalised data is singular (a column is a "
            "function of the others); drop the redundant columns"
        )
    return float(value)


def _half_logdet(cov: np.ndarray) -> float:
    """½ ln|cov| from the Cholesky factor (as ``ent_g``); a MitoolError when not positive."""
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise MitoolError(
            "gcmi: the covariance of the copula-normalised data is singular (a column is a "
            "function of the others); drop the redundant columns"
        ) from None
    with np.errstate(divide="ignore"):
        return float(np.sum(np.log(np.diagonal(chol))))


def _informative(ranks: np.ndarray, name: str, notes: list[str]) -> np.ndarray:
    """Indices of the columns kept: not constant, and not repeating (or reversing) the ranks of
    an earlier column; a note names the repeated ones."""
    n = len(ranks)
    kept: list[int] = []
    repeated: list[int] = []
    seen: set[bytes] = set()  # the ranks of the kept columns, and their reversals, as bytes
    for j in range(ranks.shape[1]):
        col = np.ascontiguousarray(ranks[:, j])
        if np.all(col == col[0]):
            continue  # constant: no information (the API already warns about it)
        if col.tobytes() in seen:  # O(n) per column: 1000 columns once took 5 s pairwise
            repeated.append(j)
            continue
        kept.append(j)
        seen.update((col.tobytes(), (n + 1 - col).tobytes()))
    if repeated:
        cols = ", ".join(str(j) for j in repeated)
        notes.append(
            f"gcmi: {name} column(s) {cols} are monotone functions of earlier columns (same or "
            "reversed ranks) and add nothing under a Gaussian copula; dropped"
        )
    return np.array(kept, dtype=np.intp)


def gcmi_value(x: np.ndarray, t: np.ndarray, *, bias_correct: bool = True) -> tuple[float, list]:
    """(Î in nats, notes) for ``x`` (n, d_x) and ``t`` (n, d_t): copnorm, then the Gaussian MI."""
    notes: list[str] = []
    rx, rt = average_ranks(x), average_ranks(t)
    keep_x = _informative(rx, "X", notes)
    keep_t = _informative(rt, "T", notes)
    if keep_x.size == 0 or keep_t.size == 0:
        return 0.0, notes  # a constant side shares no information
    n = len(rx)
    for i in keep_x:
        for j in keep_t:
            if np.array_equal(rx[:, i], rt[:, j]) or np.all(rx[:, i] + rt[:, j] == n + 1):
                raise MitoolError(
                    f"gcmi: X column {i} and T column {j} have the same (or reversed) ranks: one "
                    "is a monotone function of the other, and the Gaussian-copula MI is infinite"
                )
    zx, zt = normal_scores(rx[:, keep_x]), normal_scores(rt[:, keep_t])
    return gaussian_mi(zx, zt, bias_correct=bias_correct), notes


def gcmi(
    x: np.ndarray,
    t: np.ndarray,
    scales: Sequence[float],
    k: int,
    **_: object,  # exhaustive, seed, options, progress: one value, nothing random, no options
) -> Curve:
    """Gaussian-copula MI of ``x`` (n, d_x) and ``t`` (n, d_t) in nats, at every c of ``scales``
    (``(1.0,)`` from the API: the family does not sweep c, and the value ignores any c > 0).
    ``k`` is not used."""
    value, notes = gcmi_value(x, t)
    return Curve.exact(tuple(scales), [value] * len(scales), notes=notes)


#: Every normalization is a strictly increasing map of each column: all give the same value.
GCMI_NORMS = tuple(norm for norm in NORMS if norm != "global-corrected")

register(
    EstimatorSpec(
        name="gcmi",
        family="copula",
        default_norm="rank" if "rank" in GCMI_NORMS else "none",
        norms=GCMI_NORMS,
        curve=gcmi,
        summary="Ince et al. 2017: Gaussian-copula MI, bias-corrected (a lower bound; ranks only)",
        keeps_ties=True,
        uses_k=False,
    )
)
