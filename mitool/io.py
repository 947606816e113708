"""Reading X and T from files: .npy, .npz, .h5/.hdf5, .parquet, .csv, or standard input.

Only file-level problems are checked here (missing, unreadable, pickled, non-numeric, wrong
shape, unknown names); the values themselves (NaN, row counts, n ≤ k) are checked by
:mod:`mitool.validate`. Every problem is an :class:`~mitool.errors.InputError` naming the
source as the user typed it. Pickles are never loaded.
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from mitool.errors import InputError

FORMATS = ("csv", "npy", "npz", "h5", "parquet")
_EXTENSIONS = {".csv": "csv", ".npy": "npy", ".npz": "npz", ".h5": "h5", ".hdf5": "h5"}
_EXTENSIONS[".parquet"] = "parquet"
STDIN = "-"


@dataclass(frozen=True)
class Table:
    """A numeric sample: ``data`` is float64 (n, d), ``columns`` its names, ``source`` a label."""

    data: np.ndarray
    columns: list[str]
    source: str


@dataclass(frozen=True)
class _Raw:
    """What a reader returns: named columns (any dtype) in file order."""

    columns: dict[str, np.ndarray]
    source: str


def load_pair(
    x_spec: str,
    t_spec: str | None,
    *,
    x_cols: list[str] | None = None,
    t_cols: list[str] | None = None,
    fmt: str | None = None,
    stdin: BinaryIO | None = None,
) -> tuple[Table, Table]:
    """Load X and T; with ``t_spec`` None both come from the one table ``x_spec``."""
    if t_spec is None:
        if x_cols is None or t_cols is None:
            raise InputError(
                x_spec,
                "one table holds both X and T: name their columns with --x-cols and --t-cols",
            )
        raw = _read(x_spec, fmt, stdin)
        return _select(raw, x_cols), _select(raw, t_cols)
    if x_spec == STDIN and t_spec == STDIN:
        raise InputError(
            "<stdin>",
            "standard input can only be read once; use one table with --x-cols and --t-cols",
        )
    x = _select(_read(x_spec, fmt, stdin), x_cols)
    return x, _select(_read(t_spec, fmt, stdin), t_cols)


def load_table(
    spec: str,
    *,
    columns: list[str] | None = None,
    fmt: str | None = None,
    stdin: BinaryIO | None = None,
) -> Table:
    """Load one variable from ``spec`` (all numeric columns, or the named ones)."""
    return _select(_read(spec, fmt, stdin), columns)


# --- reading ----------------------------------------------------------------------------------


def _split_spec(spec: str) -> tuple[str, str | None]:
    """``file.npz:key`` → (``file.npz``, ``key``); the key may itself hold ``/`` (HDF5)."""
    for ext in (".npz:", ".h5:", ".hdf5:"):
        at = spec.lower().rfind(ext)
        if at >= 0:
            cut = at + len(ext) - 1
            return spec[:cut], spec[cut + 1 :]
    return spec, None


def _format_of(path: str, fmt: str | None, source: str) -> str:
    if fmt is not None:
        if fmt not in FORMATS:
            raise InputError(source, f"unknown format '{fmt}'; choose one of: {', '.join(FORMATS)}")
        return fmt
    found = _EXTENSIONS.get(Path(path).suffix.lower())
    if found is None:
        raise InputError(
            source,
            "unknown file type; supported: .npy, .npz, .h5/.hdf5, .parquet, .csv (or --format)",
        )
    return found


def _read(spec: str, fmt: str | None, stdin: BinaryIO | None) -> _Raw:
    if spec == STDIN:
        fmt = fmt or "csv"
        if fmt not in ("csv", "npy"):
            raise InputError("<stdin>", "standard input must be CSV or, with --format npy, .npy")
        data = (stdin or sys.stdin.buffer).read()
        if not data:
            raise InputError("<stdin>", "standard input is empty")
        return _read_bytes(data, fmt, "<stdin>")
    path, key = _split_spec(spec)
    kind = _format_of(path, fmt, spec)
    if not Path(path).exists():
        raise InputError(spec, "file not found")
    if Path(path).is_dir():
        raise InputError(spec, "is a directory, not a file")
    if key is not None and kind not in ("npz", "h5"):
        raise InputError(spec, f"a ':{key}' suffix only applies to .npz and .h5 files")
    try:
        if kind == "npz":
            return _read_npz(path, key, spec)
        if kind == "h5":
            return _read_h5(path, key, spec)
        if kind == "parquet":
            return _read_parquet(path, spec)
        return _read_bytes(Path(path).read_bytes(), kind, spec)
    except InputError:
        raise
    except Exception as exc:  # any reader failure on a corrupt or unreadable file
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(spec, f"cannot read as {kind}: {reason}") from None


def _read_bytes(data: bytes, kind: str, source: str) -> _Raw:
    try:
        if kind == "npy":
            return _from_array(_load_npy(io.BytesIO(data), source), source)
        return _read_csv(data.decode("utf-8-sig"), source)
    except InputError:
        raise
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(source, f"cannot read as {kind}: {reason}") from None


def _load_npy(handle: BinaryIO, source: str) -> np.ndarray:
    if handle.read(6) != b"\x93NUMPY":
        raise InputError(source, "is not an .npy file (its header is missing)")
    handle.seek(0)
    try:
        return np.load(handle, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise InputError(
                source, "contains pickled Python objects; mitool never loads pickles"
            ) from None
        raise


def _read_npz(path: str, key: str | None, source: str) -> _Raw:
    with np.load(path, allow_pickle=False) as archive:
        keys = list(archive.files)
        if key is None:
            if len(keys) != 1:
                raise InputError(
                    source, f"holds {len(keys)} arrays; pick one with :key ({', '.join(keys)})"
                )
            key = keys[0]
        if key not in keys:
            raise InputError(source, f"has no array '{key}'; it holds: {', '.join(keys)}")
        try:
            array = archive[key]
        except ValueError as exc:
            if "pickle" in str(exc).lower():
                raise InputError(
                    source, "contains pickled Python objects; mitool never loads pickles"
                ) from None
            raise
    return _from_array(array, source)


def _read_h5(path: str, key: str | None, source: str) -> _Raw:
    import h5py

    with h5py.File(path, "r") as f:
        datasets: list[str] = []
        f.visititems(
            lambda name, obj: datasets.append("/" + name) if isinstance(obj, h5py.Dataset) else None
        )
        shown = ", ".join(datasets[:10]) + (", ..." if len(datasets) > 10 else "")
        if key is None:
            if len(datasets) != 1:
                raise InputError(
                    source, f"holds {len(datasets)} datasets; pick one with :/path ({shown})"
                )
            key = datasets[0]
        node = f.get(key)
        if node is None:
            raise InputError(source, f"has no dataset '{key}'; it holds: {shown}")
        if not isinstance(node, h5py.Dataset):
            raise InputError(source, f"'{key}' is a group, not a dataset; datasets: {shown}")
        if node.dtype.kind not in "biuf":
            raise InputError(source, f"dataset '{key}' is not numeric (dtype {node.dtype})")
        array = node[()]
    return _from_array(np.asarray(array), source)


def _read_parquet(path: str, source: str) -> _Raw:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        if _arrow_numeric(column.type):
            columns[name] = column.to_numpy(zero_copy_only=False).astype(np.float64)
        else:
            columns[name] = np.asarray(column.to_pylist(), dtype=object)
    return _Raw(columns, source)


def _arrow_numeric(kind: object) -> bool:
    import pyarrow.types as pt

    return bool(pt.is_integer(kind) or pt.is_floating(kind) or pt.is_boolean(kind))


def _read_csv(text: str, source: str) -> _Raw:
    rows = [row for row in csv.reader(io.StringIO(text)) if row and any(c.strip() for c in row)]
    if not rows:
        raise InputError(source, "has no rows")
    has_header = any(not _is_number(cell) for cell in rows[0])
    header = [c.strip() for c in rows[0]] if has_header else [str(i) for i in range(len(rows[0]))]
    body = rows[1:] if has_header else rows
    if not body:
        raise InputError(source, "has a header but no data rows")
    width = len(header)
    for line, row in enumerate(body, start=2 if has_header else 1):
        if len(row) != width:
            raise InputError(source, f"line {line} has {len(row)} fields; expected {width}")
    columns = {}
    for j, name in enumerate(header):
        cells = [row[j].strip() for row in body]
        if all(_is_number(c) for c in cells):
            columns[name] = np.array([float(c) if c else np.nan for c in cells])
        else:
            columns[name] = np.asarray(cells, dtype=object)
    return _Raw(columns, source)


def _is_number(cell: str) -> bool:
    cell = cell.strip()
    if not cell:
        return True  # an empty field is a missing value (NaN), checked later
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _from_array(array: np.ndarray, source: str) -> _Raw:
    if array.ndim == 0 or array.ndim > 2:
        raise InputError(
            source, f"has {array.ndim} dimensions; expected a 1-D or 2-D array (rows are samples)"
        )
    if array.dtype.kind not in "biuf":
        raise InputError(source, f"is not numeric (dtype {array.dtype})")
    if array.ndim == 1:
        array = array[:, None]
    return _Raw({str(j): array[:, j] for j in range(array.shape[1])}, source)


# --- selecting --------------------------------------------------------------------------------


def _select(raw: _Raw, names: list[str] | None) -> Table:
    if names is not None and not names:
        raise InputError(raw.source, "the column selection is empty")
    chosen = list(raw.columns) if names is None else names
    unknown = [name for name in chosen if name not in raw.columns]
    if unknown:
        available = ", ".join(list(raw.columns)[:20])
        raise InputError(raw.source, f"no column(s) {', '.join(unknown)}; available: {available}")
    bad = [name for name in chosen if raw.columns[name].dtype.kind not in "biuf"]
    if bad:
        hint = "" if names is not None else "; select numeric ones with --x-cols/--t-cols"
        raise InputError(raw.source, f"column(s) {', '.join(bad)} not numeric{hint}")
    if not chosen or len(raw.columns[chosen[0]]) == 0:
        raise InputError(raw.source, "has no rows")
    data = np.column_stack([raw.columns[name] for name in chosen]).astype(np.float64)
    return Table(np.ascontiguousarray(data), chosen, raw.source)
