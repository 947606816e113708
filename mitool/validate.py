"""Checks at the boundary: turn user arrays into clean float arrays or raise one-line errors."""

from __future__ import annotations

import numpy as np

from mitool.errors import InputError, MitoolError

#: float64 holds every integer up to 2^53 exactly, and not all beyond.
EXACT_INTEGERS = 2**53
#: Seeds are whole numbers in [0, 2^63): what every numpy generator takes.
MAX_SEED = 2**63


def whole_number(value: object, name: str, least: int, below: int | None = None) -> int:
    """``value`` as an int (an integral float such as 3.0 is accepted), at least ``least`` and
    below ``below`` when given, or a one-line error naming ``name``."""
    whole = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not whole and isinstance(value, (float, np.floating)) and float(value).is_integer():
        value, whole = int(value), True
    if not whole:
        raise MitoolError(f"{name} must be a whole number, got {value!r}")
    value = int(value)
    if value < least or (below is not None and value >= below):
        top = "2^63 - 1" if below == MAX_SEED else str(below - 1) if below is not None else ""
        bound = f"from {least} to {top}" if below is not None else f"at least {least}"
        raise MitoolError(f"{name} must be {bound}, got {value}")
    return value


def as_samples(a: object, name: str) -> np.ndarray:
    """A float64 2-D array (rows are samples) from array-like ``a``; 1-D becomes one column."""
    arr = np.asarray(a)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise InputError(name, f"is not numeric (dtype {arr.dtype})")
    if np.iscomplexobj(arr):
        raise InputError(name, "is complex; mutual information needs real values")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise InputError(name, f"has {arr.ndim} dimensions; expected 1-D or 2-D (rows are samples)")
    if arr.shape[1] == 0:
        raise InputError(name, "has no columns")
    if arr.dtype.itemsize < 8 or arr.dtype.kind not in "iuf":  # every value converts exactly
        return np.ascontiguousarray(arr, dtype=np.float64)
    out = np.empty(arr.shape, dtype=np.float64)
    for j in range(arr.shape[1]):
        store_exactly(out[:, j], arr[:, j], name, str(j))
    return out


def check_pair(
    x: object, t: object, *, k: int, names: tuple[str, str] = ("X", "T"), drop_nan: bool = False
) -> tuple[np.ndarray, np.ndarray, int]:
    """Validate a pair of samples for a kNN estimate with k neighbours.

    Returns ``(x, t, dropped)``, where ``dropped`` is the number of rows removed from both
    because either held NaN or inf (only with ``drop_nan``; otherwise they are an error).
    """
    x_name, t_name = names
    x, t = as_samples(x, x_name), as_samples(t, t_name)
    if len(x) != len(t):
        raise InputError(
            f"{x_name}, {t_name}", f"row counts differ ({len(x)} vs {len(t)}); rows are samples"
        )
    if k < 1:
        raise InputError("k", f"must be at least 1 (got {k})")
    bad = ~(np.all(np.isfinite(x), axis=1) & np.all(np.isfinite(t), axis=1))
    dropped = int(bad.sum())
    if dropped and not drop_nan:
        name = x_name if not np.all(np.isfinite(x)) else t_name
        raise InputError(
            name,
            f"contains NaN or inf in {rows(dropped)}; pass --drop-nan (drop_nan=True in Python) "
            "to drop those rows",
        )
    if dropped:
        x, t = x[~bad], t[~bad]
    if len(x) <= k:
        raise InputError(
            x_name,
            f"has {rows(len(x))} usable; k = {k} neighbour{'s' * (k != 1)} needs at least {k + 1}",
        )
    return x, t, dropped


def rows(n: int) -> str:
    """A count of rows in a message: "1 row", "2 rows"."""
    return f"{n} row" if n == 1 else f"{n} rows"


def store_exactly(dest: np.ndarray, column: np.ndarray, source: str, name: str) -> None:
    """Write ``column`` into the float64 ``dest`` without losing values.

    64-bit integers beyond 2^53 in magnitude are written minus the column's minimum (computed
    exactly), which float64 holds exactly when the range is within 2^53; a wider range is
    refused unless every shifted value happens to be exact. Floats wider than float64 are
    refused when they are beyond its range.
    """
    kind, width = column.dtype.kind, column.dtype.itemsize
    if kind in "iu" and width >= 8 and len(column):
        lo, hi = int(column.min()), int(column.max())
        if max(-lo, hi) > EXACT_INTEGERS:
            shifted = column.astype(np.uint64)  # two's complement: the difference below is exact
            shifted -= np.uint64(lo % 2**64)
            dest[:] = shifted
            if hi - lo > EXACT_INTEGERS:
                fits = dest < 2.0**64
                back = np.where(fits, dest, 0.0).astype(np.uint64)
                if not np.all(fits & (back == shifted)):
                    raise InputError(source, beyond_message(name, lo, hi))
            return
    with np.errstate(over="ignore", invalid="ignore"):
        dest[:] = column
    if kind == "f" and width > 8:
        lost = np.isinf(dest) & np.isfinite(column)
        if lost.any():
            value = np.format_float_scientific(column[np.argmax(lost)], precision=3)
            raise InputError(
                source,
                f"column {name!r} holds values beyond the float64 range (e.g. {value}); rescale it",
            )


def beyond_message(name: str, lo: int, hi: int) -> str:
    return (
        f"column {name!r} holds integers beyond 2^53 that float64 cannot represent exactly "
        f"(range {lo} to {hi}, {float(hi - lo):.3g} wide, more than 2^53 even after shifting "
        "by the minimum); rescale or recode it"
    )
