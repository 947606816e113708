"""Normalizations of a variable before estimation (paper 000, Section 4.1, Definitions 1-3),
and the rank-copula norm (not the paper's).

Every function takes one validated 2-D float array (rows are samples) and returns a new array.
All of them centre first (paper-000 digest, section 7.4: harmless for kNN estimators, which are
translation-invariant) and then divide by a spread computed exactly as the definitions say,
with population moments (ddof = 0).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import ndtri

from mitool.errors import InputError

#: Norms that divide the whole variable by one scalar; the kNN family maximises over c·T with them.
GLOBAL_NORMS = ("global", "global-linf", "global-corrected")
NORMS = ("none", "local", "global", "global-linf", "global-corrected", "rank")


def constant_columns(a: np.ndarray) -> np.ndarray:
    """Indices of the columns of ``a`` whose values are all equal."""
    return np.flatnonzero(np.all(a == a[:1], axis=0))


def none(a: np.ndarray, name: str = "X") -> np.ndarray:
    """The raw variable, unchanged (the paper's plain KSG and MINE)."""
    return a


def centre(a: np.ndarray) -> np.ndarray:
    """Each column minus its mean, and a constant column (max == min, tested exactly) exactly 0.

    The computed mean of n copies of 7.3 is not 7.3 in floating point, so without the exact
    test a constant column would become a column of rounding errors, which a norm then divides
    by their tiny spread and turns into noise (ross read −8.2 nats on a constant X of 7.3).
    """
    centred = a - a.mean(axis=0)
    centred[:, np.all(a == a[:1], axis=0)] = 0.0
    return centred


def power_of_two_scale(a: np.ndarray) -> np.ndarray:
    """Per column, the power of two at or just above its largest |value| (1 for a zero column).

    Dividing by it is exact (only the exponents change), so a computation on ``a / scale`` gives
    bit for bit what it gives on ``a`` wherever that did not overflow or underflow, and it
    cannot overflow or underflow in squares and sums: values near 1e±300 standardise as
    values near 1 do.
    """
    largest = np.max(np.abs(a), axis=0)
    _, exponent = np.frexp(largest)
    return np.where(largest > 0, np.ldexp(1.0, exponent), 1.0)


def local(a: np.ndarray, name: str = "X") -> np.ndarray:
    """Definition 1: each dimension divided by its own standard deviation, X_σ.

    A constant column carries no information and contributes nothing to any distance, so it is
    left at zero rather than divided by zero; the caller warns about it. A variable whose every
    column is constant is an error. Each column is first divided by a power of two near its
    largest value (:func:`power_of_two_scale`): exact, and the squares can neither overflow nor
    underflow, so X = [1e200·g0, 1e-200·g1] standardises both columns.
    """
    a = a / power_of_two_scale(a)
    centred = centre(a)
    sd = np.sqrt(np.mean(centred**2, axis=0))
    if not np.any(sd > 0):
        raise InputError(name, "has zero spread; the 'local' norm divides by it")
    sd[sd == 0] = 1.0
    return centred / sd


def global_l2(a: np.ndarray, name: str = "X") -> np.ndarray:
    """Definition 2: X_Σ = X / sqrt(E_S ||X − E_S X||_2²), one scalar for the whole variable
    (first divided by one power of two near its largest value, so the squares stay finite)."""
    a = a / np.max(power_of_two_scale(a))
    centred = centre(a)
    spread = np.sqrt(np.mean(np.sum(centred**2, axis=1)))
    return _divide(centred, spread, name, "global")


def global_linf(a: np.ndarray, name: str = "X") -> np.ndarray:
    """Definition 3: X_Σ∞ = X / E_S ||X − E_S X||_∞ (the plain mean, not the RMS, of the norms)."""
    centred = centre(a)
    spread = np.mean(np.max(np.abs(centred), axis=1))
    return _divide(centred, spread, name, "global-linf")


def global_corrected(a: np.ndarray, name: str = "X") -> np.ndarray:
    """Table 1, MINE-Global-Corrected: √d · X_Σ, so that the mean energy per dimension is 1."""
    return np.sqrt(a.shape[1]) * global_l2(a, name)


def rank(a: np.ndarray, name: str = "X") -> np.ndarray:
    """The rank-copula norm: each column to the normal scores of its ranks, Φ⁻¹(r / (n + 1)).

    Ties share their average rank (so equal values stay equal, and duplicate rows stay
    duplicates). The result depends on each column's order alone: it is invariant to any
    strictly increasing map of each column, per-column units included, and every column gets
    the same standard-normal marginal, which tames heavy tails (the copula transform of Ince et
    al. 2017, Hum. Brain Mapp. 38:1541, used before KSG). Not the paper's: its Definitions 1-3
    divide by spreads; rank is not a global norm (no max over c). A constant column becomes 0,
    as under ``local``; a variable whose every column is constant is an error.
    """
    if np.all(a == a[:1]):
        raise InputError(name, "has zero spread; the 'rank' norm needs at least two values")
    return normal_scores(average_ranks(a))


def average_ranks(a: np.ndarray) -> np.ndarray:
    """Ranks 1..n of each column of ``a`` (n, d), ties at their average (multiples of ½, exact),
    a column holding a NaN all NaN: ``scipy.stats.rankdata(method="average", axis=0)``, whose
    values are exact, so the same bits, without importing scipy.stats."""
    a = a.reshape(len(a), -1)
    n = len(a)
    ranks = np.empty(a.shape)
    order = np.argsort(a, axis=0, kind="stable")
    for j in range(a.shape[1]):
        line = a[order[:, j], j]
        starts = np.flatnonzero(np.r_[True, line[1:] != line[:-1]])
        ties = np.diff(np.r_[starts, n])
        ranks[order[:, j], j] = np.repeat(starts + 1 + (ties - 1) / 2, ties)
    ranks[:, np.isnan(a).any(axis=0)] = np.nan
    return ranks


def normal_scores(ranks: np.ndarray) -> np.ndarray:
    """Φ⁻¹(r / (n + 1)) of ranks r in 1..n (n the number of rows)."""
    return ndtri(ranks / (len(ranks) + 1))


def _divide(centred: np.ndarray, spread: float, name: str, norm: str) -> np.ndarray:
    if not spread > 0:
        raise InputError(name, f"has zero spread; the '{norm}' norm divides by it")
    return centred / spread


NORMALIZERS: dict[str, Callable[[np.ndarray, str], np.ndarray]] = {
    "none": none,
    "local": local,
    "global": global_l2,
    "global-linf": global_linf,
    "global-corrected": global_corrected,
    "rank": rank,
}


def normalize(a: np.ndarray, norm: str, name: str = "X") -> np.ndarray:
    """Apply the named normalization (one of :data:`NORMS`) to the variable ``a``."""
    return NORMALIZERS[norm](a, name)
