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

import warnings
from dataclasses import asdict, dataclass

import numpy as np

from mitool.normalize import power_of_two_scale

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


def excess_kurtosis(a: np.ndarray) -> np.ndarray:
    """Each column's biased excess kurtosis m4 / m2² − 3, NaN where m2 is 0 to within the floats:
    ``scipy.stats.kurtosis(a, axis=0, fisher=True, bias=True)`` in the same operations, so the
    same bits, without importing scipy.stats (about half the start-up of an estimate)."""
    with np.errstate(all="ignore"):
        mean = np.mean(a, axis=0, keepdims=True)
        centred = a - mean
        m2 = np.mean(centred**2, axis=0)
        m4 = np.mean((centred**2) ** 2, axis=0)
        zero = m2 <= (np.finfo(m2.dtype).eps * np.squeeze(mean, axis=0)) ** 2
        return np.where(zero, np.nan, m4 / m2**2.0) - 3


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
        for a uniform; heavy tails read tens to thousands), computed on each column divided by
        a power of two near its largest value, so that values near 1e±300 read as values near
        1 do. Invariant to each column's units (an affine map leaves it unchanged).
    spread_decades : log10 of the largest column standard deviation over the smallest non-zero
        one (0: all alike; 4: four orders of magnitude apart), finite even for columns in units
        of 1e±200.
    """

    columns: int
    symbols: int
    discrete: bool
    constant: bool
    constant_columns: int
    smallest_class: int
    point_mass: float
    kurtosis: float
    spread_decades: float


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
    """Diagnose validated float arrays ``x`` (n, d_x) and ``t`` (n, d_t).

    Each column is sorted once. A column whose values are all distinct settles that every row
    of its side (and of the pair) is distinct, which is the common case of continuous data;
    only otherwise are rows compared, through per-column codes combined into one code per row
    (1-D sorts only, never a sort of rows).
    """
    n = len(x)
    joint = np.hstack([x, t]) + 0.0  # −0.0 and 0.0 are one value
    counted = [_count_values(column) for column in joint.T]
    distinct = [d for d, _ in counted]
    if max(distinct) == n:  # every joint row is distinct
        first, largest = None, 1
    else:
        codes = [_codes(column) for column in joint.T]
        _, first, group = np.unique(_row_codes(codes, n), return_index=True, return_counts=True)
        largest = int(group.max())
    copies = 0 if first is None else n - len(first)
    d_x = x.shape[1]
    sx = _side(joint[:, :d_x], counted[:d_x], first)
    st = _side(joint[:, d_x:], counted[d_x:], first)
    continuous = [s for s in (sx, st) if not s.discrete]
    records = (
        copies > 0
        and bool(continuous)
        and all(s.point_mass < POINT_MASS for s in continuous)
        and largest <= RECORD_COPIES + 1
    )
    return Diagnosis(n=n, x=sx, t=st, copies=copies, copies_are_records=records)


def few_symbols(symbols: int, n: int) -> bool:
    """Whether ``symbols`` distinct rows among ``n`` make a discrete variable: at most one per
    ``ROWS_PER_SYMBOL`` rows and at most ``MAX_SYMBOLS``."""
    return symbols <= min(n / ROWS_PER_SYMBOL, MAX_SYMBOLS)


def first_rows(a: np.ndarray) -> np.ndarray:
    """Indices of the first row of each group of equal rows of ``a``, in order (1-D sorts only:
    the columns' codes combined, :func:`_row_codes`)."""
    a = a + 0.0  # −0.0 and 0.0 are one value
    _, first = np.unique(_row_codes([_codes(c) for c in a.T], len(a)), return_index=True)
    return np.sort(first)


def _count_values(column: np.ndarray) -> tuple[int, float]:
    """(the number of distinct values, the share of entries whose value occurs more than once)."""
    ordered = np.sort(column)
    same = ordered[1:] == ordered[:-1]
    repeated = np.zeros(len(ordered), dtype=bool)
    repeated[1:] |= same
    repeated[:-1] |= same
    return len(ordered) - int(np.count_nonzero(same)), np.count_nonzero(repeated) / len(ordered)


def _codes(column: np.ndarray) -> np.ndarray:
    """Each value's code 0, 1, ... among the column's distinct values."""
    _, inverse = np.unique(column, return_inverse=True)
    return inverse.ravel().astype(np.int64)


def _row_codes(columns: list[np.ndarray], n: int) -> np.ndarray:
    """One code per row, equal for equal rows: the columns' codes combined one at a time, made
    dense again whenever the combined range passes n (so it never overflows: n² < 2^63)."""
    key, size = np.zeros(n, dtype=np.int64), 1
    for code in columns:
        cardinality = int(code.max()) + 1
        key = key * cardinality + code
        size *= cardinality
        if size > n:
            _, key = np.unique(key, return_inverse=True)
            key = key.ravel().astype(np.int64)
            size = int(key.max()) + 1
    return key


def _side(a: np.ndarray, counted: list[tuple[int, float]], first: np.ndarray | None) -> Side:
    """Diagnose one side from its rows, :func:`_count_values` of each column, and the first row
    of each distinct joint row (None: every joint row is distinct)."""
    n = len(a)
    distinct = [d for d, _ in counted]
    if max(distinct) == n:
        counts = np.ones(n, dtype=np.int64)  # its rows are all distinct
    else:
        counts = np.bincount(_row_codes([_codes(c) for c in a.T], n))
        counts = counts[counts > 0]
    constant = np.array([size == 1 for size in distinct])
    varying = a[:, ~constant]
    scale = power_of_two_scale(varying)  # exact, and keeps every moment within the floats
    scaled = varying / scale
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        excess = excess_kurtosis(scaled)
        decades = np.log10(scale) + np.log10(scaled.std(axis=0))
    # a moment that still escapes the floats (a degenerate column) counts as a heavy tail, read
    # as the largest float so that the JSON stays valid
    excess = np.where(np.isfinite(excess), excess, np.finfo(float).max)
    decades = decades[np.isfinite(decades)]
    if first is None:  # the distinct joint rows are all the rows
        point_mass = max(share for _, share in counted)
    else:
        point_mass = max(_count_values(column)[1] for column in a[first].T)
    return Side(
        columns=a.shape[1],
        symbols=len(counts),
        discrete=few_symbols(len(counts), n),
        constant=len(counts) == 1,
        constant_columns=int(constant.sum()),
        smallest_class=int(counts.min()),
        point_mass=float(point_mass),
        kurtosis=float(excess.max()) if len(excess) else 0.0,
        spread_decades=float(decades.max() - decades.min()) if len(decades) else 0.0,
    )
