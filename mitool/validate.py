"""Checks at the boundary: turn user arrays into clean float arrays or raise one-line errors."""

from __future__ import annotations

import numpy as np

from mitool.errors import InputError


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
    return np.ascontiguousarray(arr, dtype=np.float64)


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
