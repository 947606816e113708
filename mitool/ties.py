"""Ties and duplicate rows: detect them, and break them with jitter relative to each column.

Exact duplicates make kNN distances zero, and then KSG's counts, and ψ of them, break
(scikit-learn issue #30772; NPEET, ennemi). The usual fix, a fixed absolute noise of 1e-10,
is not scale-invariant. Here the jitter of each column is ``JITTER × (its own standard
deviation) × N(0, 1)`` drawn from the seeded generator, added to the centred column, and only
when duplicates exist; a constant column has no spread and is left as it is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from mitool.normalize import centre

#: Jitter standard deviation, relative to each column's own standard deviation.
JITTER = 1e-10


@dataclass(frozen=True)
class TieStats:
    """Tie statistics of a sample, before any jitter.

    Attributes
    ----------
    duplicate_rows : joint rows (x, t) equal to an earlier row.
    zero_radius : points whose k-th joint neighbour is at distance 0 (k or more copies).
    x_tied_rows, t_tied_rows : rows of X (of T) equal to an earlier row of X (of T).
    jittered : whether jitter was added to break the ties.
    jitter : the relative jitter used (0 when none).
    """

    duplicate_rows: int
    zero_radius: int
    x_tied_rows: int
    t_tied_rows: int
    jittered: bool
    jitter: float

    def to_dict(self) -> dict[str, int | float | bool]:
        return asdict(self)


def _duplicates(a: np.ndarray) -> tuple[int, np.ndarray]:
    """(number of rows equal to an earlier row, size of each row's group of equal rows).

    Rows can only repeat where their first column does, so continuous data costs one 1-D sort.
    """
    first = np.sort(a[:, 0])
    if not np.any(first[1:] == first[:-1]):
        return 0, np.ones(len(a), dtype=np.int64)
    _, inverse, counts = np.unique(a, axis=0, return_inverse=True, return_counts=True)
    return len(a) - len(counts), counts[inverse.ravel()]


def tie_stats(x: np.ndarray, t: np.ndarray, k: int) -> TieStats:
    """Count duplicate rows and zero k-th-neighbour distances (a row with ≥ k copies)."""
    x_tied, _ = _duplicates(x)
    t_tied, _ = _duplicates(t)
    duplicate_rows, group = (0, None) if 0 in (x_tied, t_tied) else _duplicates(np.hstack([x, t]))
    return TieStats(
        duplicate_rows=duplicate_rows,
        zero_radius=0 if group is None else int(np.sum(group > k)),
        x_tied_rows=x_tied,
        t_tied_rows=t_tied,
        jittered=False,
        jitter=0.0,
    )


def jitter(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Centre each column and add noise of JITTER × its standard deviation."""
    centred = centre(a)
    sd = np.sqrt(np.mean(centred**2, axis=0))
    return centred + rng.standard_normal(a.shape) * (JITTER * sd)


def break_ties(
    x: np.ndarray, t: np.ndarray, k: int, seed: int
) -> tuple[np.ndarray, np.ndarray, TieStats]:
    """Return (x, t, stats), jittered with a generator seeded by ``seed`` if rows repeat."""
    stats = tie_stats(x, t, k)
    if stats.duplicate_rows == 0:
        return x, t, stats
    rng = np.random.default_rng(seed)
    x, t = jitter(x, rng), jitter(t, rng)
    return x, t, TieStats(**{**stats.to_dict(), "jittered": True, "jitter": JITTER})
