"""Whether the data suit the estimator and norm about to run, checked once at the API's
boundary so that a problem is a one-line error or warning naming the input, never a number the
estimator cannot stand behind.

- :func:`check_symbols`: a side an estimator reads as symbols (``ross``'s class labels,
  ``plugin``'s two sides) must look discrete, and each class label needs two rows.
- :func:`bulk_notes`: after a scaling norm (``local``, ``global``, ``global-linf``), the bulk of
  every column must stay visible. One extreme value (x = 1e10 among 300 standard normals) sets
  the standard deviation, or one column 400 decades larger sets the global spread, and the rest
  of the data shrinks towards a point: ``ksg/global-linf`` read −0.001 and 0.51 nats on those
  two cases against 0.51 and 1.02. The bulk is measured by the interquartile range, which
  extreme values do not move.
"""

from __future__ import annotations

import numpy as np

from mitool.errors import InputError
from mitool.estimators import EstimatorSpec
from mitool.normalize import normalize

#: Interquartile range of a standard normal: IQR / 1.349 estimates the sd on normal data.
NORMAL_IQR = 1.349
#: A column whose bulk is below this share of the unit its norm divides by is refused: the kNN
#: distances are then set by a handful of rows (or by other columns) and the bulk is invisible.
INVISIBLE_BULK = 1e-6
#: Below this share (and above :data:`INVISIBLE_BULK`) the estimate is kept, with a warning.
SHRUNK_BULK = 1e-2
#: The scaling norms, whose divisor an extreme value or a large column can set.
SCALING_NORMS = ("local", "global", "global-linf", "global-corrected")


def check_symbols(
    spec: EstimatorSpec, x: np.ndarray, t: np.ndarray, names: tuple[str, str]
) -> None:
    """Refuse a side read as symbols that looks continuous (more distinct rows than n/2), and,
    for class labels (``discrete_t`` without ``discrete_x``: ``ross``), a label on one row.

    Raises
    ------
    InputError
        Naming the side (its file on the command line) and what to do.
    """
    sides = [(t, names[1])] if spec.discrete_t else []
    if spec.discrete_x:
        sides.insert(0, (x, names[0]))
    for a, name in sides:
        values, counts = np.unique(a.reshape(len(a), -1), axis=0, return_counts=True)
        if 2 * len(values) > len(a):
            what = "symbols" if spec.discrete_x else "class labels"
            raise InputError(
                name,
                f"has {len(values)} distinct values in {len(a)} rows (more than n/2): it looks "
                f"continuous, and {spec.name} reads it as {what}; use --estimator auto (or ksg)",
            )
        if spec.discrete_t and not spec.discrete_x and np.any(counts < 2):
            lonely = ", ".join(f"{v:g}" for v in values[counts < 2][:5, 0])
            more = int(np.sum(counts < 2))
            raise InputError(
                name,
                f"label(s) {lonely}{' ...' if more > 5 else ''} occur in only one row ({more} "
                f"such labels); {spec.name} needs two rows per class (a lone row has no "
                "neighbour of its own class): merge rare classes or drop those rows",
            )


def bulk_notes(
    spec: EstimatorSpec, x: np.ndarray, t: np.ndarray, norm: str, names: tuple[str, str]
) -> list[str]:
    """Warnings for columns whose bulk a scaling norm shrinks below :data:`SHRUNK_BULK` of its
    unit; an error below :data:`INVISIBLE_BULK`. Sides read as symbols are not normalised and
    not checked; columns without a spread in their middle half (point masses, discrete values)
    are left to the tie checks.

    Raises
    ------
    InputError
        Naming the side and the column, the share, and what to do.
    """
    if norm not in SCALING_NORMS or spec.family not in ("knn", "neural"):
        return []
    notes = []
    sides = [(x, names[0])] if not spec.discrete_x else []
    if not spec.discrete_t:
        sides.append((t, names[1]))
    for a, name in sides:
        raw = _iqr(a)
        bulk = _iqr(normalize(a, norm, name)) / NORMAL_IQR
        shown = np.flatnonzero(raw > 0)
        if not len(shown):
            continue
        j = shown[np.argmin(bulk[shown])]
        share = float(bulk[j])
        cause = (
            "a few extreme values set its standard deviation"
            if norm == "local"
            else "a few extreme values, or columns far larger than it, set the one spread that "
            "divides every column"
        )
        problem = (
            f"column {j}: under the '{norm}' norm the middle half of its values spans "
            f"{share:.1g} of the unit it is divided by ({cause}), so the neighbour distances "
            "ignore the bulk of the data"
        )
        if share < INVISIBLE_BULK:
            raise InputError(
                name, f"{problem}; use --norm rank (or --estimator auto), which is immune to it"
            )
        if share < SHRUNK_BULK:
            notes.append(
                f"{name} {problem}: the estimate is likely biased low; --norm rank (or "
                "--estimator auto) is immune to it"
            )
    return notes


def _iqr(a: np.ndarray) -> np.ndarray:
    """Interquartile range of each column."""
    upper, lower = np.percentile(a, [75, 25], axis=0)
    return upper - lower
