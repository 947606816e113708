"""Reading X and T from files: .npy, .npz, .h5/.hdf5, .parquet, .csv, or standard input.

Only file-level problems are checked here (missing, unreadable, pickled, non-numeric, wrong
shape, unknown names); the values themselves (NaN, row counts, n <= k) are checked by
:mod:`mitool.validate`. Every problem is a one-line :class:`~mitool.errors.InputError` naming
the source as the user typed it. Pickles are never loaded.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from mitool.errors import InputError

FORMATS = ("csv", "npy", "npz", "h5", "parquet")
"""Values accepted for ``fmt`` (``--format``)."""

STDIN = "-"
STDIN_LABEL = "<stdin>"
#: The first bytes of every .npy file (the NumPy format's magic string).
NPY_MAGIC = b"\x93NUMPY"

_EXTENSIONS = {
    ".npy": "npy",
    ".npz": "npz",
    ".h5": "h5",
    ".hdf5": "h5",
    ".parquet": "parquet",
    ".csv": "csv",
}
_ALIASES = {"hdf5": "h5", "pq": "parquet"}
_SUPPORTED = ".npy, .npz[:key], .h5/.hdf5[:/dataset], .parquet, .csv"
_NUMERIC_KINDS = "biuf"  # bool, signed, unsigned, float
_PICKLE_MESSAGE = "contains pickled Python objects; mitool never loads pickles"
_MAX_LISTED = 10


@dataclass(frozen=True)
class Table:
    """One variable read from a file.

    Attributes
    ----------
    data : float64 array of shape (n, d), C-contiguous; rows are samples.
    columns : the d column names (``"0"``, ``"1"``, ... for arrays without names).
    source : label used in messages, e.g. ``x.npy``, ``data.h5:/g/x`` or ``<stdin>``.
    text_columns : the columns that held text, read as class labels: each distinct text is a
        code 0, 1, ... in sorted order (only with ``text_labels``; empty cells are NaN).
    """

    data: np.ndarray
    columns: list[str]
    source: str
    text_columns: tuple[str, ...] = ()


def load_pair(
    x_spec: str,
    t_spec: str | None,
    *,
    x_cols: list[str] | None = None,
    t_cols: list[str] | None = None,
    fmt: str | None = None,
    stdin: BinaryIO | None = None,
    text_labels: bool = False,
) -> tuple[Table, Table]:
    """Load X and T.

    Parameters
    ----------
    x_spec, t_spec : where X and T are (see :func:`load_table`). If ``t_spec`` is None, both
        come from the one table ``x_spec``, and ``x_cols`` and ``t_cols`` are then required.
    x_cols, t_cols : columns to use for X and T (None: all columns).
    fmt : format overriding the file extensions (one of :data:`FORMATS`).
    stdin : stream read for ``-`` (default ``sys.stdin.buffer``); it is read at most once.
    text_labels : read text columns (CSV, parquet) as class labels (codes of their distinct
        texts) instead of refusing them; for estimators that treat a side as discrete.

    Returns
    -------
    (X, T) : two :class:`Table` objects.

    Raises
    ------
    InputError
        For any problem with the files, the specs or the column selections.
    """
    if t_spec is None:
        if x_cols is None or t_cols is None:
            raise InputError(
                _label(x_spec),
                "one table holds both X and T, so name their columns with --x-cols and --t-cols",
            )
        raw = _read(x_spec, fmt, stdin, wanted=[*x_cols, *t_cols])
        return (
            _select(raw, x_cols, "--x-cols", text_labels),
            _select(raw, t_cols, "--t-cols", text_labels),
        )
    if x_spec == STDIN and t_spec == STDIN:
        raise InputError(
            STDIN_LABEL,
            "standard input can only be read once; use one table with --x-cols/--t-cols",
        )
    x = _select(_read(x_spec, fmt, stdin, wanted=x_cols), x_cols, "--x-cols", text_labels)
    t = _select(_read(t_spec, fmt, stdin, wanted=t_cols), t_cols, "--t-cols", text_labels)
    return x, t


def load_table(
    spec: str,
    *,
    columns: list[str] | None = None,
    fmt: str | None = None,
    stdin: BinaryIO | None = None,
) -> Table:
    """Load one variable.

    Parameters
    ----------
    spec : ``file.npy``, ``file.npz[:key]``, ``file.h5[:/group/dataset]``, ``file.parquet``,
        ``file.csv``, or ``-`` for standard input (CSV, or .npy with ``fmt="npy"``).
    columns : names of the columns to use (integer strings ``"0"``, ``"1"``... for arrays and
        header-less CSV); None uses all columns.
    fmt : format overriding the file extension (one of :data:`FORMATS`).
    stdin : stream read for ``-`` (default ``sys.stdin.buffer``).

    Returns
    -------
    Table

    Raises
    ------
    InputError
        For any problem with the file, the spec or the column selection.
    """
    return _select(_read(spec, fmt, stdin, wanted=columns), columns, None)


# --- what a reader returns ------------------------------------------------------------------


@dataclass(frozen=True)
class _Raw:
    """Columns found in one source, before selection.

    Either ``array`` (a 2-D numeric array whose columns are named "0", "1", ...) or ``columns``
    (float64 1-D arrays by name, only those that were loaded) holds the values. ``names`` lists
    every column in file order; ``default`` those used when no selection is given;
    ``non_numeric`` maps columns that are not numbers to a short description, and ``text``
    those of them that hold text to the codes of their texts (:func:`_text_codes`).
    """

    source: str
    names: list[str]
    array: np.ndarray | None = None
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    non_numeric: dict[str, str] = field(default_factory=dict)
    default: list[str] | None = None
    text: dict[str, np.ndarray] = field(default_factory=dict)


def _label(spec: str) -> str:
    return STDIN_LABEL if spec == STDIN else spec


def _short(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line if len(line) <= 200 else line[:197] + "..."


def _quoted(names: list[str], limit: int = 20) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


# --- reading --------------------------------------------------------------------------------


def _normal_format(fmt: str, source: str) -> str:
    kind = _ALIASES.get(fmt.strip().lower(), fmt.strip().lower())
    if kind not in FORMATS:
        raise InputError(source, f"unknown format '{fmt}'; choose one of: {', '.join(FORMATS)}")
    return kind


def _split_spec(spec: str, fmt: str | None) -> tuple[str, str | None]:
    """``file.npz:key`` -> (``file.npz``, ``key``); the key may itself hold ``/`` (HDF5)."""
    if os.path.exists(spec):
        return spec, None
    lower = spec.lower()
    cut = -1
    for ext in _EXTENSIONS:
        at = lower.rfind(ext + ":")
        if at >= 0:
            cut = max(cut, at + len(ext))
    kind = None if fmt is None else fmt.strip().lower()
    archive = kind is not None and _ALIASES.get(kind, kind) in ("npz", "h5")
    if cut < 0 and archive and ":" in spec:
        cut = spec.rfind(":")  # an archive with another extension, e.g. data.bin:key
    if cut < 0:
        return spec, None
    return spec[:cut], spec[cut + 1 :].strip() or None


def _format_of(path: str, fmt: str | None, source: str) -> str:
    if fmt is not None:
        return _normal_format(fmt, source)
    kind = _EXTENSIONS.get(os.path.splitext(path)[1].lower())
    if kind is None:
        raise InputError(
            source, f"unknown file type; supported: {_SUPPORTED} (or name one with --format)"
        )
    return kind


def _read(spec: str, fmt: str | None, stdin: BinaryIO | None, wanted: list[str] | None) -> _Raw:
    if spec == STDIN:
        return _read_stdin(fmt, stdin)
    path, key = _split_spec(spec, fmt)
    kind = _format_of(path, fmt, spec)
    if key is not None and kind not in ("npz", "h5"):
        raise InputError(spec, f"a ':{key}' suffix only applies to .npz and .h5 files")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(spec, "file not found") from None
    except OSError as exc:
        raise InputError(spec, f"cannot read: {exc.strerror or _short(exc)}") from None
    if stat.S_ISDIR(mode):
        raise InputError(spec, "is a directory, not a file")
    try:
        if kind == "npy":
            with open(path, "rb") as handle:
                return _from_array(_load_npy(handle, spec), spec)
        if kind == "npz":
            return _read_npz(path, key, spec)
        if kind == "h5":
            return _read_h5(path, key, spec)
        if kind == "parquet":
            return _read_parquet(path, spec, wanted)
        with open(path, "rb") as handle:
            return _read_csv(handle.read(), spec)
    except (InputError, MemoryError):
        raise
    except Exception as exc:  # any reader failure on a corrupt or unreadable file
        raise _cannot_read(spec, kind, exc) from None


def _cannot_read(source: str, kind: str, exc: Exception) -> InputError:
    if isinstance(exc, OSError) and exc.strerror and not str(exc).startswith("Unable"):
        return InputError(source, f"cannot read: {exc.strerror}")
    return InputError(source, f"cannot read as {kind}: {_short(exc)}")


def _read_stdin(fmt: str | None, stdin: BinaryIO | None) -> _Raw:
    kind = "csv" if fmt is None else _normal_format(fmt, STDIN_LABEL)
    if kind not in ("csv", "npy"):
        raise InputError(STDIN_LABEL, "standard input must be CSV or, with --format npy, .npy")
    stream = stdin if stdin is not None else getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise InputError(STDIN_LABEL, "standard input is not available")
    try:
        if stream.isatty():
            raise InputError(STDIN_LABEL, "is a terminal; pipe a table into mitool or name a file")
    except (AttributeError, OSError, ValueError):
        pass
    try:
        data = stream.read()
    except (OSError, ValueError) as exc:
        raise InputError(STDIN_LABEL, f"cannot read standard input: {_short(exc)}") from None
    if not data:
        raise InputError(STDIN_LABEL, "standard input is empty")
    if fmt is None and data.startswith(NPY_MAGIC):
        kind = "npy"  # an .npy stream announces itself: no --format npy needed
    try:
        if kind == "npy":
            return _from_array(_load_npy(io.BytesIO(data), STDIN_LABEL), STDIN_LABEL)
        return _read_csv(data, STDIN_LABEL)
    except (InputError, MemoryError):
        raise
    except Exception as exc:
        raise _cannot_read(STDIN_LABEL, kind, exc) from None


def _load_npy(handle: BinaryIO, source: str) -> np.ndarray:
    if handle.read(6) != b"\x93NUMPY":
        raise InputError(source, "is not an .npy file (its header is missing)")
    handle.seek(0)
    try:
        return np.load(handle, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise InputError(source, _PICKLE_MESSAGE) from None
        raise


def _read_npz(path: str, key: str | None, source: str) -> _Raw:
    if not zipfile.is_zipfile(path):
        raise InputError(source, "is not an .npz archive (not a zip file)")
    with np.load(path, allow_pickle=False) as archive:
        keys = list(archive.files)
        if not keys:
            raise InputError(source, "holds no arrays")
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
                raise InputError(source, _PICKLE_MESSAGE) from None
            raise
    if not isinstance(array, np.ndarray):
        raise InputError(source, f"member '{key}' of the archive is not an .npy array")
    return _from_array(array, source)


def _read_h5(path: str, key: str | None, source: str) -> _Raw:
    import h5py

    with h5py.File(path, "r") as f:
        datasets: list[str] = []

        def visit(name: str, obj: object) -> None:
            if isinstance(obj, h5py.Dataset):
                datasets.append("/" + name)

        f.visititems(visit)
        shown = ", ".join(datasets[:_MAX_LISTED]) + (
            f", ... ({len(datasets)} in all)" if len(datasets) > _MAX_LISTED else ""
        )
        if key is None:
            if not datasets:
                raise InputError(source, "holds no datasets")
            if len(datasets) != 1:
                raise InputError(
                    source, f"holds {len(datasets)} datasets; pick one with :/path ({shown})"
                )
            key = datasets[0]
        try:
            node = f.get(key)
        except Exception:  # e.g. a broken link on the way
            node = None
        if node is None:
            listing = f"; it holds: {shown}" if datasets else "; it holds no datasets"
            raise InputError(source, f"has no dataset '{key}'{listing}")
        if not isinstance(node, h5py.Dataset):
            listing = f"; datasets: {shown}" if datasets else ""
            raise InputError(source, f"'{key}' is a group, not a dataset{listing}")
        if node.shape is None:
            raise InputError(source, f"dataset '{key}' is empty")
        _check_shape(len(node.shape), source)
        _check_dtype(node.dtype, source)
        array = node[()]
    return _from_array(np.asarray(array), source)


def _read_parquet(path: str, source: str, wanted: list[str] | None) -> _Raw:
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    names = list(schema.names)
    repeated = _repeated(names)
    if repeated:
        raise InputError(source, f"has repeated column names: {_quoted(repeated)}")
    non_numeric = {f.name: f"type {f.type}" for f in schema if not _arrow_numeric(f.type)}
    index = _pandas_index_columns(schema)
    default = [n for n in names if n not in index]
    chosen = default if wanted is None else [n for n in dict.fromkeys(wanted) if n in names]
    load = [n for n in chosen if n not in non_numeric]
    texts = [n for n in chosen if n in non_numeric and _arrow_text(schema.field(n).type)]
    table = pq.read_table(path, columns=load + texts)
    columns = {n: _arrow_to_float(table.column(n)) for n in load}
    text = {n: _text_codes(table.column(n).to_pylist()) for n in texts}
    return _Raw(source, names, columns=columns, non_numeric=non_numeric, default=default, text=text)


def _pandas_index_columns(schema: object) -> set[str]:
    """Columns that pandas wrote for its index (not data), from the schema metadata."""
    try:
        meta = schema.pandas_metadata or {}  # type: ignore[attr-defined]
        return {c for c in meta.get("index_columns", []) if isinstance(c, str)}
    except Exception:
        return set()


def _arrow_numeric(kind: object) -> bool:
    import pyarrow.types as pt

    return bool(
        pt.is_integer(kind) or pt.is_floating(kind) or pt.is_boolean(kind) or pt.is_decimal(kind)
    )


def _arrow_text(kind: object) -> bool:
    import pyarrow.types as pt

    if pt.is_dictionary(kind):
        kind = kind.value_type  # type: ignore[attr-defined]
    return bool(pt.is_string(kind) or pt.is_large_string(kind))


def _text_codes(cells: list[object]) -> np.ndarray:
    """Class codes of text cells: 0, 1, ... in the sorted order of the distinct stripped texts;
    empty or missing cells are NaN (missing values, as in numeric columns)."""
    texts = [None if c is None or not str(c).strip() else str(c).strip() for c in cells]
    code = {v: float(i) for i, v in enumerate(sorted({v for v in texts if v is not None}))}
    return np.array([np.nan if v is None else code[v] for v in texts], dtype=np.float64)


def _arrow_to_float(column: object) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    as_float = pc.cast(column, pa.float64(), safe=False)  # nulls become NaN below
    return np.asarray(as_float.to_numpy(zero_copy_only=False), dtype=np.float64)


def _read_csv(data: bytes, source: str) -> _Raw:
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    lines: list[int] = []
    for row in reader:
        rows.append(row)
        lines.append(reader.line_num)
    blank = [not row or (len(row) == 1 and not row[0].strip()) for row in rows]
    while rows and blank[-1]:  # trailing blank lines
        rows.pop()
        lines.pop()
        blank.pop()
    first = next((i for i, b in enumerate(blank) if not b), None)
    if first is None:
        raise InputError(source, "has no rows")
    head = rows[first]
    has_header = any(not _is_number(cell) for cell in head)
    width = len(head)
    if has_header:
        names = [cell.strip() for cell in head]
        repeated = _repeated(names)
        if repeated:
            raise InputError(source, f"has repeated column names: {_quoted(repeated)}")
        if width == 1 and (";" in head[0] or "\t" in head[0]):
            sep = "';'" if ";" in head[0] else "tabs"
            raise InputError(
                source, f"looks separated by {sep}; mitool reads comma-separated values"
            )
    else:
        names = [str(j) for j in range(width)]
    body: list[list[str]] = []
    body_lines: list[int] = []
    for i in range(first + (1 if has_header else 0), len(rows)):
        row = rows[i]
        if blank[i]:
            if width > 1:
                continue  # a blank line in a wide table holds no row
            row = [""]  # in a one-column table it is a missing value
        if len(row) != width:
            raise InputError(source, f"line {lines[i]} has {len(row)} fields; expected {width}")
        body.append(row)
        body_lines.append(lines[i])
    if not body:
        raise InputError(source, "has a header but no data rows")
    columns: dict[str, np.ndarray] = {}
    non_numeric: dict[str, str] = {}
    text: dict[str, np.ndarray] = {}
    for j, name in enumerate(names):
        cells = [row[j] for row in body]
        try:
            columns[name] = np.array(
                [float(c) if c.strip() else np.nan for c in cells], dtype=np.float64
            )
        except ValueError:
            at = next(i for i, c in enumerate(cells) if not _is_number(c))
            non_numeric[name] = f"e.g. {cells[at].strip()!r} on line {body_lines[at]}"
            text[name] = _text_codes(cells)
    return _Raw(source, names, columns=columns, non_numeric=non_numeric, text=text)


def _repeated(names: list[str]) -> list[str]:
    return sorted(n for n, count in Counter(names).items() if count > 1)


def _is_number(cell: str) -> bool:
    cell = cell.strip()
    if not cell:
        return True  # an empty field is a missing value (NaN), checked later
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _check_shape(ndim: int, source: str) -> None:
    if ndim == 0 or ndim > 2:
        raise InputError(
            source, f"has {ndim} dimensions; expected a 1-D or 2-D array (rows are samples)"
        )


def _check_dtype(dtype: np.dtype, source: str) -> None:
    if dtype.kind == "c":
        raise InputError(source, f"is complex (dtype {dtype}); mutual information needs reals")
    if dtype.kind not in _NUMERIC_KINDS:
        raise InputError(source, f"is not numeric (dtype {dtype})")


def _from_array(array: np.ndarray, source: str) -> _Raw:
    if array.dtype.hasobject:
        raise InputError(source, _PICKLE_MESSAGE)
    _check_shape(array.ndim, source)
    _check_dtype(array.dtype, source)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    return _Raw(source, [str(j) for j in range(array.shape[1])], array=array)


# --- selecting ------------------------------------------------------------------------------


def _select(
    raw: _Raw, names: list[str] | None, flag: str | None, text_labels: bool = False
) -> Table:
    if names is not None and not names:
        where = f" ({flag})" if flag else ""
        raise InputError(raw.source, f"the column selection{where} is empty")
    if not raw.names:
        raise InputError(raw.source, "has no columns")
    chosen = list(names) if names is not None else list(raw.default or raw.names)
    unknown = [n for n in dict.fromkeys(chosen) if n not in raw.names]
    if unknown:
        noun = "column" if len(unknown) == 1 else "columns"
        raise InputError(
            raw.source,
            f"no {noun} {_quoted(unknown)}; available: {_quoted(raw.names)}",
        )
    labels = [n for n in dict.fromkeys(chosen) if text_labels and n in raw.text]
    bad = [n for n in dict.fromkeys(chosen) if n in raw.non_numeric and n not in labels]
    if bad:
        if len(bad) == 1:
            problem = f"column {bad[0]!r} is not numeric ({raw.non_numeric[bad[0]]})"
        else:
            problem = f"columns {_quoted(bad)} are not numeric"
        if names is None:
            problem += "; select numeric columns with --x-cols/--t-cols"
        raise InputError(raw.source, problem)
    if raw.array is not None:
        n_rows = raw.array.shape[0]
        if n_rows == 0:
            raise InputError(raw.source, "has no rows")
        values = raw.array if names is None else raw.array[:, [int(n) for n in chosen]]
        data = np.ascontiguousarray(values, dtype=np.float64)
    else:
        first = raw.text[chosen[0]] if chosen[0] in labels else raw.columns[chosen[0]]
        if len(first) == 0:
            raise InputError(raw.source, "has no rows")
        values = [raw.text[n] if n in labels else raw.columns[n] for n in chosen]
        data = np.ascontiguousarray(np.column_stack(values)).astype(np.float64, copy=False)
    return Table(data, chosen, raw.source, tuple(labels))
