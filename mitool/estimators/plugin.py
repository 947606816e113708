"""I(X; T) between two discrete variables: the plug-in estimate with the Miller-Madow correction.

Both sides hold symbols: each distinct row is one symbol (several columns are one symbol per
distinct row; any values, integer or not, serve as symbols, and only which rows are equal
matters). With n rows, the counts n_a of the m occupied cells of a variable give the plug-in
entropy Ĥ = −Σ_a (n_a/n) ln(n_a/n), and the Miller-Madow correction (G. A. Miller, "Note on
the bias of information estimates", in Information Theory in Psychology, 1955; the first-order
bias of Ĥ is −(m − 1)/(2n)) adds it back:

    Ĥ_MM = Ĥ + (m − 1)/(2n),        Î = Ĥ_MM(X) + Ĥ_MM(T) − Ĥ_MM(X, T).

The correction of Î is (m_x + m_t − m_xt − 1)/(2n); with every cell of the joint occupied,
m_xt = m_x·m_t, it is −(m_x − 1)(m_t − 1)/(2n), the plug-in's first-order bias on independent
data. The value is not clipped: on independent data it scatters around 0.

The rows are never normalised nor jittered (``discrete_x`` and ``discrete_t`` in the registry):
jitter would make every row its own symbol. Continuous data is refused: when a side has more
distinct symbols than n/2, most cells hold one row and the plug-in measures the sample size,
not the dependence (use ``ksg``, or ``mixed-ksg`` for data mixing discrete and continuous
values). There is no k and no sweep over c.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mitool.errors import MitoolError
from mitool.estimators.base import EstimatorSpec, register
from mitool.estimators.curve import Curve
from mitool.normalize import NORMS


def symbols(a: np.ndarray, name: str = "X") -> np.ndarray:
    """Codes 0..m−1 of the distinct rows of ``a`` (n,) or (n, d).

    Raises
    ------
    MitoolError
        When there are more distinct rows than n/2 (continuous data).
    """
    a = a.reshape(len(a), -1)
    _, codes = np.unique(a, axis=0, return_inverse=True)
    codes = codes.ravel()
    m = int(codes.max()) + 1
    if 2 * m > len(a):
        raise MitoolError(
            f"{name} has {m} distinct values in {len(a)} rows (more than n/2): it looks "
            "continuous, and the plug-in estimate would measure the sample size; use ksg (or "
            "mixed-ksg for data mixing discrete and continuous values)"
        )
    return codes


def entropy_mm(codes: np.ndarray, *, miller_madow: bool = True) -> float:
    """Ĥ_MM in nats of the symbols ``codes`` (0..m−1): plug-in + (m − 1)/(2n)."""
    n = len(codes)
    counts = np.bincount(codes)
    counts = counts[counts > 0]
    p = counts / n
    h = float(-np.sum(p * np.log(p)))
    return h + (len(counts) - 1) / (2 * n) if miller_madow else h


def plugin_mi(x: np.ndarray, t: np.ndarray, *, miller_madow: bool = True) -> float:
    """Î = Ĥ_MM(X) + Ĥ_MM(T) − Ĥ_MM(X, T) in nats, each side's distinct rows its symbols."""
    cx = symbols(x, "X")
    ct = symbols(t, "T")
    joint = cx * (int(ct.max()) + 1) + ct
    return (
        entropy_mm(cx, miller_madow=miller_madow)
        + entropy_mm(ct, miller_madow=miller_madow)
        - entropy_mm(joint, miller_madow=miller_madow)
    )


def plugin(
    x: np.ndarray,
    t: np.ndarray,
    scales: Sequence[float],
    k: int,
    **_: object,  # exhaustive, seed, options, progress: one value, nothing random, no options
) -> Curve:
    """The Miller-Madow plug-in estimate of I(X; T) in nats at every c of ``scales`` (the
    family does not sweep c; ``k`` is not used)."""
    value = plugin_mi(x, t)
    return Curve.exact(tuple(scales), [value] * len(scales))


register(
    EstimatorSpec(
        name="plugin",
        family="discrete",
        default_norm="none",
        norms=tuple(norm for norm in NORMS if norm != "global-corrected"),
        curve=plugin,
        summary="discrete X and T: plug-in MI with the Miller-Madow correction",
        discrete_t=True,
        discrete_x=True,
        uses_k=False,
        keeps_ties=True,
    )
)
