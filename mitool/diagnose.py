"""What the data look like, measured before choosing an estimator (``mitool diagnose``).

Every figure here that ``auto`` (:mod:`mitool.choose`) acts on is invariant to each column's
units: counts of distinct values (which no strictly increasing map changes) and the excess
kurtosis (which no affine map changes). The spread ratio describes the raw scales and is
reported only.

- A side is *discrete* when it has few distinct rows: at most n / ``ROWS_PER_SYMBOL`` (each
  symbol seen ``ROWS_PER_SYMBOL`` times on average) and at most ``MAX_SYMBOLS``.
- A column has *point masses* when a share of at least ``POINT_MASS`` of the joint sample's
  distinct rows repeat one of its values (a zero-inflated or rounded column); continuous data
  repeat values with probability 0.
- *Copies* are joint rows equal to an earlier row. They look like duplicated records (which
  inflate every kNN estimate: each copy is a neighbour at distance 0) when a side is continuous,
  the distinct rows have no point mass in any continuous column, and no row has more than
  ``RECORD_COPIES`` copies: a point mass of probability p gives a group of about p·n equal rows,
  which grows with n, while copied records come in small groups whatever n.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import kurtosis

#: A side is discrete when each of its symbols has at least this many rows on average...
ROWS_PER_SYMBOL = 10
#: ...and it has at most this many symbols.
MAX_SYMBOLS = 1000
#: Copies look like duplicated records only while no row has more than this many equal rows.
RECORD_COPIES = 4
#: Tails are heavy when a column's excess kurtosis is above this (a Laplace's is 3, a uniform's
#: −1.2, a Gaussian's 0 ± √(24/n)).
HEAVY_TAILS = 3.0
#: A column has point masses when at least this share of the distinct joint rows repeat one of
#: its values.
POINT_MASS = 0.05


@dataclass(frozen=True)
class Side:
    """What one variable (X or T) looks like.

    Attributes
    ----------
    columns : its number of columns (d).
    symbols : its number of distinct rows.
    discrete : few distinct rows (module docstring).
    constant : every row is the same.
    constant_columns : how many of its columns are constant.
    smallest_class : rows of its rarest symbol (meaningful when discrete).
    point_mass : the largest share, over its columns, of the distinct joint rows whose value in
        that column occurs in another distinct row.
    kurtosis : the largest excess kurtosis of a non-constant column (0 for a Gaussian, −1.2
        for a uniform; heavy tails read tens to thousands; inf where the moments overflow).
        Invariant to each column's units (an affine map leaves it unchanged).
    spread_ratio : the largest column standard deviation over the smallest non-zero one.
    """

    columns: int
    symbols: int
    discrete: bool
    constant: bool
    constant_columns: int
    smallest_class: int
    point_mass: float
    kurtosis: float
    spread_ratio: float


@dataclass(frozen=True)
class Diagnosis:
    """The diagnostics of a pair (X, T), JSON-ready through :meth:`to_dict`.

    ``copies`` counts joint rows equal to an earlier row; ``copies_are_records`` says whether
    they look like duplicated records rather than point masses (module docstring).
    """

    n: int
    x: Side
    t: Side
    copies: int
    copies_are_records: bool

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def diagnose(x: np.ndarray, t: np.ndarray) -> Diagnosis:
    """Diagnose validated float arrays ``x`` (n, d_x) and ``t`` (n, d_t)."""
    n = len(x)
    joint = np.hstack([x, t])
    unique_rows, group = np.unique(joint, axis=0, return_counts=True)
    copies = n - len(unique_rows)
    ux, ut = unique_rows[:, : x.shape[1]], unique_rows[:, x.shape[1] :]
    sx, st = _side(x, ux), _side(t, ut)
    continuous = [s for s in (sx, st) if not s.discrete]
    records = (
        copies > 0
        and bool(continuous)
        and all(s.point_mass < POINT_MASS for s in continuous)
        and int(group.max()) <= RECORD_COPIES + 1
    )
    return Diagnosis(n=n, x=sx, t=st, copies=copies, copies_are_records=records)


def _side(a: np.ndarray, distinct: np.ndarray) -> Side:
    """Diagnose one side from all its rows and its part of the distinct joint rows."""
    n = len(a)
    _, counts = np.unique(a, axis=0, return_counts=True)
    constant_columns = int(np.sum(np.all(a == a[:1], axis=0)))
    with np.errstate(all="ignore"):
        sd = a.std(axis=0)
    positive = sd[sd > 0]
    varying = a[:, ~np.all(a == a[:1], axis=0)]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # moments beyond the float range
        excess = kurtosis(varying, axis=0, fisher=True, bias=True)
    # a moment that overflows (values near 1e100 and beyond) is a heavy tail for our purposes
    excess = np.where(np.isfinite(excess), excess, np.inf)
    return Side(
        columns=a.shape[1],
        symbols=len(counts),
        discrete=len(counts) <= min(n / ROWS_PER_SYMBOL, MAX_SYMBOLS),
        constant=len(counts) == 1,
        constant_columns=constant_columns,
        smallest_class=int(counts.min()),
        point_mass=max(_repeated_share(column) for column in distinct.T),
        kurtosis=float(excess.max()) if len(excess) else 0.0,
        spread_ratio=_ratio(positive),
    )


def _repeated_share(column: np.ndarray) -> float:
    """The share of the entries of ``column`` whose value occurs more than once."""
    _, counts = np.unique(column, return_counts=True)
    return float(counts[counts > 1].sum() / len(column))


def _ratio(spreads: np.ndarray) -> float:
    """The largest over the smallest of positive spreads (1 for none; inf beyond the floats)."""
    if not len(spreads):
        return 1.0
    with np.errstate(all="ignore"):
        ratio = spreads.max() / spreads.min()
    return float(ratio) if np.isfinite(ratio) else math.inf
