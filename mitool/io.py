"""Reading X and T from files: .npy, .npz, .h5/.hdf5, .parquet, .csv/.tsv, or standard input.

Only file-level problems are checked here (missing, unreadable, pickled, non-numeric, wrong
shape, unknown names, declared sizes that the file or the memory cannot hold, row counts that
differ between two files); the values themselves (NaN, n <= k) are checked by
:mod:`mitool.validate`. Every problem is a one-line :class:`~mitool.errors.InputError` naming
the source as the user typed it. Pickles are never loaded.

Reading has two steps. Opening a source reads only what it declares (an .npy header, an HDF5
dataset's shape and type, a parquet schema; a CSV file is parsed whole), so that selections,
row counts and memory are checked before any large array is read. Then only the selected
columns are read, once, and converted to float64 without losing values: integer columns beyond
2^53 are shifted by their minimum (mutual information does not change under a shift), or
refused when even the shifted values do not fit float64 exactly.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import stat
import sys
import zipfile
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO

import numpy as np

from mitool.errors import InputError
from mitool.validate import EXACT_INTEGERS, beyond_message, store_exactly

FORMATS = ("csv", "npy", "npz", "h5", "parquet")
"""Values accepted for ``fmt`` (``--format``)."""

STDIN = "-"
STDIN_LABEL = "<stdin>"
#: The first bytes of every .npy file (the NumPy format's magic string).
NPY_MAGIC = b"\x93NUMPY"
#: Separators that CSV reading detects, in order of preference when the first line is ambiguous.
SEPARATORS = (",", "\t", ";", "|")

_EXTENSIONS = {
    ".npy": "npy",
    ".npz": "npz",
    ".h5": "h5",
    ".hdf5": "h5",
    ".parquet": "parquet",
    ".csv": "csv",
    ".tsv": "csv",
}
_ALIASES = {"hdf5": "h5", "pq": "parquet", "tsv": "csv"}
_SUPPORTED = ".npy, .npz[:key], .h5/.hdf5[:/dataset], .parquet, .csv, .tsv"
_NUMERIC_KINDS = "biuf"  # bool, signed, unsigned, float
_PICKLE_MESSAGE = "contains pickled Python objects; mitool never loads pickles"
_MAX_LISTED = 10
#: Integers up to this magnitude are exact in float64.
#: Bytes read at a time from a stream whose length is not known in advance.
_CHUNK = 1 << 24
_RANGE = re.compile(r"\s*(\d+)\s*-\s*(\d+)\s*")
_INTEGER = re.compile(r"\s*\d+\s*")
_INTEGER_TEXT = re.compile(r"[+-]?\d+")
_SEP_NAMES = {",": "','", "\t": "tabs", ";": "';'", "|": "'|'"}


@dataclass(frozen=True)
class Table:
    """One variable read from a file.

    Attributes
    ----------
    data : float64 array of shape (n, d), C-contiguous; rows are samples. An integer column
        whose values exceed 2^53 in magnitude holds them minus the column's minimum (exact;
        mutual information is invariant under such a shift).
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
    sep: str | None = None,
) -> tuple[Table, Table]:
    """Load X and T.

    Parameters
    ----------
    x_spec, t_spec : where X and T are (see :func:`load_table`). If ``t_spec`` is None, both
        come from the one table ``x_spec``: name the columns of X, of T, or of both. When only
        one side is named, the other side takes every remaining numeric column (text columns
        are left out).
    x_cols, t_cols : columns to use for X and T (None: all columns, or the remaining ones for
        one table). Integers and ranges such as ``"0-3"`` pick columns by 0-based position
        (see :func:`load_table`).
    fmt : format overriding the file extensions (one of :data:`FORMATS`).
    stdin : stream read for ``-`` (default ``sys.stdin.buffer``); it is read at most once.
    text_labels : read text columns (CSV, parquet) as class labels (codes of their distinct
        texts) instead of refusing them; for estimators that treat a side as discrete.
    sep : CSV separator, one character; None detects it (see :func:`load_table`).

    Returns
    -------
    (X, T) : two :class:`Table` objects.

    Raises
    ------
    InputError
        For any problem with the files, the specs or the column selections, for two files
        whose declared row counts differ (before either is read), or for data that the
        available memory cannot hold.
    """
    _check_sep(sep, _label(x_spec))
    if t_spec is None:
        if x_cols is None and t_cols is None:
            raise InputError(
                _label(x_spec),
                "one table holds both X and T, so name their columns with --x-cols and --t-cols "
                "(or one of them: the other side then takes the remaining numeric columns)",
            )
        raw = _open(x_spec, fmt, stdin, sep)
        if x_cols is None:
            tc, t_labels = _resolve(raw, t_cols, "--t-cols", text_labels)
            xc, x_labels = _rest(raw, tc, "X", "--x-cols", "--t-cols"), []
        elif t_cols is None:
            xc, x_labels = _resolve(raw, x_cols, "--x-cols", text_labels)
            tc, t_labels = _rest(raw, xc, "T", "--t-cols", "--x-cols"), []
        else:
            xc, x_labels = _resolve(raw, x_cols, "--x-cols", text_labels)
            tc, t_labels = _resolve(raw, t_cols, "--t-cols", text_labels)
        values = _load(raw, [xc, tc])
        return _build(raw, xc, x_labels, values), _build(raw, tc, t_labels, values)
    if x_spec == STDIN and t_spec == STDIN:
        raise InputError(
            STDIN_LABEL,
            "standard input can only be read once; use one table with --x-cols/--t-cols",
        )
    x_raw = _open(x_spec, fmt, stdin, sep)
    t_raw = _open(t_spec, fmt, stdin, sep)
    xc, x_labels = _resolve(x_raw, x_cols, "--x-cols", text_labels)
    tc, t_labels = _resolve(t_raw, t_cols, "--t-cols", text_labels)
    if x_raw.rows != t_raw.rows:  # the same message as mitool.validate.check_pair
        raise InputError(
            f"{x_raw.source}, {t_raw.source}",
            f"row counts differ ({x_raw.rows} vs {t_raw.rows}); rows are samples",
        )
    if not (x_raw.streamed or t_raw.streamed):
        need = _need(x_raw, [xc]) + _need(t_raw, [tc])
        _check_memory(f"{x_raw.source}, {t_raw.source}", need, "reading both as float64")
    x = _build(x_raw, xc, x_labels, _load(x_raw, [xc]))
    t = _build(t_raw, tc, t_labels, _load(t_raw, [tc]))
    return x, t


def load_table(
    spec: str,
    *,
    columns: list[str] | None = None,
    fmt: str | None = None,
    stdin: BinaryIO | None = None,
    sep: str | None = None,
) -> Table:
    """Load one variable.

    Parameters
    ----------
    spec : ``file.npy``, ``file.npz[:key]``, ``file.h5[:/group/dataset]``, ``file.parquet``,
        ``file.csv`` (``file.tsv``: tab-separated), or ``-`` for standard input (CSV, or .npy,
        which is recognised by its first bytes or named with ``fmt="npy"``).
    columns : the columns to use, by name; None uses all columns. Arrays and header-less CSV
        name their columns ``"0"``, ``"1"``, ...; a token ``"i-j"`` (i <= j) that is not itself a
        column name stands for columns i to j. In a table with named columns, none of which is
        an integer, integers and ranges pick columns by 0-based position in the file.
    fmt : format overriding the file extension (one of :data:`FORMATS`).
    stdin : stream read for ``-`` (default ``sys.stdin.buffer``).
    sep : CSV separator, one character. None takes a tab for ``.tsv`` files and otherwise
        detects it from the first non-empty line among ``,``, tab, ``;`` and ``|`` (a line
        with none of them is one column). Other formats ignore it.

    Returns
    -------
    Table

    Raises
    ------
    InputError
        For any problem with the file, the spec or the column selection, or for data that
        the available memory cannot hold.
    """
    _check_sep(sep, _label(spec))
    raw = _open(spec, fmt, stdin, sep)
    chosen, labels = _resolve(raw, columns, None, False)
    return _build(raw, chosen, labels, _load(raw, [chosen]))


# --- what opening a source returns ----------------------------------------------------------


@dataclass(frozen=True)
class _Raw:
    """One opened source: what it declares, and how to read its columns.

    ``names`` lists every column in file order; ``rows`` is the number of rows the source
    declares (known before reading its data); ``default`` the columns used when no selection is
    given; ``non_numeric`` maps columns that are not numbers to a short description, and
    ``text`` names those of them that hold text (readable as class labels). ``fetch`` reads
    the named columns, once per call, and returns them by name as 1-D arrays (of the file's
    own type for arrays; float64 or text codes for CSV and parquet). ``hold_fixed`` and
    ``hold_per_column`` are the bytes that reading holds in memory besides the float64 copy;
    ``streamed`` sources (.npy on a pipe) can only tell whether their data are all there by
    reading them.
    """

    source: str
    kind: str
    names: list[str]
    rows: int
    fetch: Callable[[list[str]], dict[str, np.ndarray]]
    non_numeric: dict[str, str] = field(default_factory=dict)
    default: list[str] | None = None
    text: frozenset[str] = frozenset()
    hold_fixed: int = 0
    hold_per_column: int = 0
    streamed: bool = False


def _label(spec: str) -> str:
    return STDIN_LABEL if spec == STDIN else spec


def _short(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line if len(line) <= 200 else line[:197] + "..."


def _quoted(names: list[str], limit: int = 20) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def _size(n: int) -> str:
    """A byte count in decimal units: ``128 bytes``, ``16 GB``, ``32 TB``."""
    if n < 1000:
        return f"{n} bytes"
    value, unit = float(n), "bytes"
    for bigger in ("kB", "MB", "GB", "TB", "PB"):
        if float(f"{value:.3g}") < 1000:
            break
        value, unit = value / 1000, bigger
    return f"{value:.3g} {unit}"


def _declared(shape: tuple[int, ...], dtype: np.dtype) -> str:
    """``1000000000000 × 4 float64 (32 TB)``."""
    count = math.prod(shape)
    return f"{' × '.join(str(s) for s in shape)} {dtype.name} ({_size(count * dtype.itemsize)})"


def _check_sep(sep: str | None, source: str) -> None:
    if sep is None:
        return
    if not isinstance(sep, str) or len(sep) != 1 or sep in '"\r\n':
        raise InputError(
            source,
            f"the separator must be a single character other than a quote or a line break; "
            f"got {sep!r}",
        )


# --- memory ---------------------------------------------------------------------------------


def _available_memory() -> int | None:
    """Bytes of memory available to new allocations: ``MemAvailable`` of /proc/meminfo, or less
    where a container's memory limit (cgroup v2 ``memory.max`` less ``memory.current``, or v1
    ``memory.limit_in_bytes`` less ``memory.usage_in_bytes``) leaves less; None where neither
    is known (then no size is refused)."""
    known = [v for v in (_meminfo_available(), *_cgroup_room()) if v is not None]
    return min(known) if known else None


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


#: (limit, usage) files of the cgroup v2 and v1 memory controllers.
_CGROUP_FILES = (
    ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
    ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
)


def _cgroup_room() -> list[int | None]:
    """Per cgroup controller found, its limit less its usage (None where there is no limit)."""
    room: list[int | None] = []
    for limit_file, usage_file in _CGROUP_FILES:
        try:
            with open(limit_file, encoding="ascii") as handle:
                limit = handle.read().strip()
            with open(usage_file, encoding="ascii") as handle:
                usage = int(handle.read().strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and int(limit) < 2**60:  # "max", or v1's "no limit" near 2^63
            room.append(max(int(limit) - usage, 0))
    return room


def _check_memory(source: str, need: int, what: str) -> None:
    available = _available_memory()
    if available is not None and need > available:
        raise InputError(
            source,
            f"is too large: {what} needs {_size(need)} of memory, but {_size(available)} is "
            "available",
        )


def _need(raw: _Raw, selections: list[list[str]]) -> int:
    """Bytes that reading ``selections`` of ``raw`` holds: the source's own copy of the columns
    read and one float64 copy per selection."""
    union = dict.fromkeys(n for chosen in selections for n in chosen)
    out = raw.rows * sum(len(chosen) for chosen in selections) * 8
    return raw.hold_fixed + raw.hold_per_column * len(union) + out


def _load(raw: _Raw, selections: list[list[str]]) -> dict[str, np.ndarray]:
    """Read the columns of ``selections`` (once) after checking that memory can hold them."""
    union = list(dict.fromkeys(n for chosen in selections for n in chosen))
    k = sum(len(chosen) for chosen in selections)
    reading = f"reading {raw.rows} × {k} values as float64"
    if raw.streamed:  # whether the data are all there is only known by reading them
        _check_memory(raw.source, raw.hold_fixed, "holding the data its header declares")
        values = _fetch(raw, union)
        _check_memory(raw.source, raw.rows * k * 8, reading)
        return values
    _check_memory(raw.source, _need(raw, selections), reading)
    return _fetch(raw, union)


def _fetch(raw: _Raw, names: list[str]) -> dict[str, np.ndarray]:
    try:
        return raw.fetch(names)
    except (InputError, MemoryError):
        raise
    except Exception as exc:  # any reader failure on a corrupt or unreadable file
        raise _cannot_read(raw.source, raw.kind, exc) from None


# --- opening --------------------------------------------------------------------------------


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


def _open(spec: str, fmt: str | None, stdin: BinaryIO | None, sep: str | None) -> _Raw:
    if spec == STDIN:
        return _open_stdin(fmt, stdin, sep)
    path, key = _split_spec(spec, fmt)
    kind = _format_of(path, fmt, spec)
    if key is not None and kind not in ("npz", "h5"):
        raise InputError(spec, f"a ':{key}' suffix only applies to .npz and .h5 files")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(spec, "file not found") from None
    except OSError as exc:
        raise InputError(spec, f"cannot read: {exc.strerror or _short(exc)}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(spec, "is a directory, not a file")
    try:
        if kind == "npy":
            return _open_npy(path, spec, info)
        if kind == "npz":
            return _open_npz(path, key, spec)
        if kind == "h5":
            return _open_h5(path, key, spec)
        if kind == "parquet":
            return _open_parquet(path, spec)
        if sep is None and path.lower().endswith(".tsv"):
            sep = "\t"
        with open(path, "rb") as handle:
            return _read_csv(handle.read(), spec, sep)
    except (InputError, MemoryError):
        raise
    except Exception as exc:  # any reader failure on a corrupt or unreadable file
        raise _cannot_read(spec, kind, exc) from None


def _cannot_read(source: str, kind: str, exc: Exception) -> InputError:
    if isinstance(exc, OSError) and exc.strerror and not str(exc).startswith("Unable"):
        return InputError(source, f"cannot read: {exc.strerror}")
    return InputError(source, f"cannot read as {kind}: {_short(exc)}")


def _open_stdin(fmt: str | None, stdin: BinaryIO | None, sep: str | None) -> _Raw:
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
        head = stream.read(len(NPY_MAGIC))
        if fmt is None and head == NPY_MAGIC:
            kind = "npy"  # an .npy stream announces itself: no --format npy needed
        rest = b"" if kind == "npy" or not head else stream.read()
    except (OSError, ValueError) as exc:
        raise InputError(STDIN_LABEL, f"cannot read standard input: {_short(exc)}") from None
    if not head:
        raise InputError(STDIN_LABEL, "standard input is empty")
    try:
        if kind == "npy":
            header = _npy_header(stream, STDIN_LABEL, head)
            return _npy_stream(stream, header, STDIN_LABEL, "standard input")
        return _read_csv(head + rest, STDIN_LABEL, sep)
    except (InputError, MemoryError):
        raise
    except Exception as exc:
        raise _cannot_read(STDIN_LABEL, kind, exc) from None


# --- .npy and .npz --------------------------------------------------------------------------


_Header = tuple[tuple[int, ...], bool, np.dtype]


def _npy_header(handle: BinaryIO, source: str, magic: bytes | None = None) -> _Header:
    """Read an .npy header (magic string, version, dictionary) and check what it declares:
    (shape, fortran_order, dtype) of a 1-D or 2-D numeric array. The data are not read."""
    from numpy.lib import format as npy_format

    magic = handle.read(len(NPY_MAGIC)) if magic is None else magic
    if magic != NPY_MAGIC:
        raise InputError(source, "is not an .npy file (its header is missing)")
    version = tuple(handle.read(2))
    if version == (1, 0):
        shape, fortran, dtype = npy_format.read_array_header_1_0(handle)
    elif version == (2, 0):
        shape, fortran, dtype = npy_format.read_array_header_2_0(handle)
    elif version == (3, 0):  # UTF-8 field names; numpy has no public reader for it
        reader = getattr(npy_format, "_read_array_header", None)
        if reader is None:
            from numpy.lib import _format_impl  # numpy >= 2

            reader = _format_impl._read_array_header
        shape, fortran, dtype = reader(handle, version)
    else:
        raise InputError(source, f"cannot read as npy: unknown format version {version}")
    if dtype.hasobject:
        raise InputError(source, _PICKLE_MESSAGE)
    _check_shape(len(shape), source)
    _check_dtype(dtype, source)
    return tuple(int(s) for s in shape), bool(fortran), dtype


def _dims(shape: tuple[int, ...]) -> tuple[int, int]:
    return (shape[0], 1) if len(shape) == 1 else (shape[0], shape[1])


def _check_held(source: str, header: _Header, held: int, where: str) -> None:
    """Refuse data bytes that differ from what the header declares."""
    shape, _, dtype = header
    declared = math.prod(shape) * dtype.itemsize
    if held < declared:
        raise InputError(
            source,
            f"cannot read as npy: it is truncated: its header declares {_declared(shape, dtype)} "
            f"but {where} holds {_size(held)} of data",
        )
    if held > declared:
        raise InputError(
            source,
            f"cannot read as npy: its header declares {_declared(shape, dtype)} but {where} "
            f"holds {_size(held)} of data; the header does not describe the data",
        )


def _array_raw(source: str, kind: str, header: _Header, block: Callable[[], np.ndarray]) -> _Raw:
    """A source holding one numeric array; ``block()`` gives it, as a 2-D array, when needed."""
    shape, _, dtype = header
    rows, cols = _dims(shape)

    def fetch(names: list[str]) -> dict[str, np.ndarray]:
        array = block()
        return {n: array[:, int(n)] for n in names}

    return _Raw(source, kind, [str(j) for j in range(cols)], rows, fetch)


def _open_npy(path: str, source: str, info: os.stat_result) -> _Raw:
    if not stat.S_ISREG(info.st_mode):  # a pipe, e.g. <(command): read it as a stream
        handle = open(path, "rb")  # noqa: SIM115 (closed once the data are read)
        try:
            header = _npy_header(handle, source)
        except BaseException:
            handle.close()
            raise
        return _npy_stream(handle, header, source, "the stream", close=True)
    with open(path, "rb") as handle:
        header = _npy_header(handle, source)
        offset = handle.tell()
    _check_held(source, header, info.st_size - offset, "the file")
    shape, fortran, dtype = header
    rows, cols = _dims(shape)

    def block() -> np.ndarray:  # mapped: only the selected columns are ever read
        if rows * cols == 0:
            return np.empty((rows, cols), dtype=dtype)
        order = "F" if fortran else "C"
        mapped = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order=order)
        return mapped if mapped.ndim == 2 else mapped.reshape(rows, 1)

    return _array_raw(source, "npy", header, block)


def _npy_stream(
    stream: BinaryIO, header: _Header, source: str, where: str, close: bool = False
) -> _Raw:
    """A source whose .npy data follow ``header`` on ``stream`` (read once, when needed;
    ``close`` closes the stream then)."""
    shape, _, dtype = header
    cache: list[np.ndarray] = []

    def block() -> np.ndarray:
        if not cache:
            try:
                cache.append(_read_body(stream, header, source, where).reshape(_dims(shape)))
            finally:
                if close:
                    stream.close()
        return cache[0]

    raw = _array_raw(source, "npy", header, block)
    return replace(raw, hold_fixed=math.prod(shape) * dtype.itemsize, streamed=True)


def _read_body(stream: BinaryIO, header: _Header, source: str, where: str) -> np.ndarray:
    """The data after an .npy header, read in bounded chunks: a header that declares more than
    the stream holds is caught when the stream ends, before memory for all of it is taken."""
    shape, fortran, dtype = header
    nbytes = math.prod(shape) * dtype.itemsize
    chunks: deque[bytes] = deque()
    got = 0
    while got < nbytes:
        chunk = stream.read(min(_CHUNK, nbytes - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    _check_held(source, header, got, where)
    if stream.read(1):
        raise InputError(
            source,
            f"cannot read as npy: its header declares {_declared(shape, dtype)} but {where} "
            "holds more data; the header does not describe the data",
        )
    data = np.empty(math.prod(shape), dtype=dtype)
    flat = data.view(np.uint8)
    at = 0
    while chunks:  # each chunk is freed as it is copied
        chunk = chunks.popleft()
        flat[at : at + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
        at += len(chunk)
    return data.reshape(shape, order="F" if fortran else "C")


def _open_npz(path: str, key: str | None, source: str) -> _Raw:
    if not zipfile.is_zipfile(path):
        raise InputError(source, "is not an .npz archive (not a zip file)")
    with zipfile.ZipFile(path) as archive:
        members = archive.namelist()
        keys = [m[:-4] if m.endswith(".npy") else m for m in members]  # as numpy.load names them
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
        member = members[keys.index(key)]
        with archive.open(member) as handle:
            magic = handle.read(len(NPY_MAGIC))
            if magic != NPY_MAGIC:
                raise InputError(source, f"member '{key}' of the archive is not an .npy array")
            header = _npy_header(handle, source, magic)
            offset = handle.tell()
        _check_held(source, header, archive.getinfo(member).file_size - offset, "the member")
    cache: list[np.ndarray] = []

    def block() -> np.ndarray:
        if not cache:
            with zipfile.ZipFile(path) as archive, archive.open(member) as handle:
                _npy_header(handle, source)
                data = _read_body(handle, header, source, "the member")
            cache.append(data.reshape(_dims(header[0])))
        return cache[0]

    raw = _array_raw(source, "npz", header, block)
    return replace(raw, hold_fixed=math.prod(header[0]) * header[2].itemsize)


# --- HDF5 -----------------------------------------------------------------------------------


def _open_h5(path: str, key: str | None, source: str) -> _Raw:
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
        shape, dtype, name = tuple(int(s) for s in node.shape), node.dtype, node.name
        _check_stored(node, source)
    rows, cols = _dims(shape)

    def fetch(names: list[str]) -> dict[str, np.ndarray]:
        wanted = sorted({int(n) for n in names})
        with h5py.File(path, "r") as f:
            node = f[name]
            if len(shape) == 1 or wanted == list(range(cols)):
                block = np.asarray(node[()]).reshape(rows, cols)
                at = {j: j for j in wanted}
            else:  # only the selected columns (an increasing list, as h5py requires)
                block = np.asarray(node[:, wanted])
                at = {j: p for p, j in enumerate(wanted)}
        return {n: block[:, at[int(n)]] for n in names}

    names = [str(j) for j in range(cols)]
    return _Raw(source, "h5", names, rows, fetch, hold_per_column=rows * dtype.itemsize)


def _check_stored(node: Any, source: str) -> None:
    """Refuse an HDF5 dataset whose declared data were never (or only partly) written: reading
    it would give fill values, never what a user means to measure."""
    count = math.prod(node.shape)
    if not count or node.is_virtual or node.external:
        return  # the data live elsewhere: the storage size says nothing
    stored = node.id.get_storage_size()
    rows = node.shape[0]
    if stored == 0:
        raise InputError(
            source, f"dataset '{node.name}' declares {rows} rows but holds no stored data"
        )
    declared = count * node.dtype.itemsize
    plain = node.chunks is not None and node.id.get_create_plist().get_nfilters() == 0
    if plain and stored < declared:  # unfiltered chunks are stored whole, once written
        raise InputError(
            source,
            f"dataset '{node.name}' declares {rows} rows ({_size(declared)}) but only "
            f"{_size(stored)} of them are stored; the rest would be fill values",
        )


# --- parquet --------------------------------------------------------------------------------


def _open_parquet(path: str, source: str) -> _Raw:
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    rows = pq.read_metadata(path).num_rows
    names = list(schema.names)
    repeated = _repeated(names)
    if repeated:
        raise InputError(source, f"has repeated column names: {_quoted(repeated)}")
    non_numeric = {f.name: f"type {f.type}" for f in schema if not _arrow_numeric(f.type)}
    text = frozenset(n for n in non_numeric if _arrow_text(schema.field(n).type))
    index = _pandas_index_columns(schema)
    default = [n for n in names if n not in index]

    def fetch(wanted: list[str]) -> dict[str, np.ndarray]:
        table = pq.read_table(path, columns=wanted)
        return {
            n: _text_codes(table.column(n).to_pylist())
            if n in non_numeric
            else _arrow_to_float(table.column(n), source, n)
            for n in wanted
        }

    return _Raw(
        source,
        "parquet",
        names,
        rows,
        fetch,
        non_numeric=non_numeric,
        default=default,
        text=text,
        hold_per_column=rows * 8,
    )


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


def _arrow_to_float(column: Any, source: str, name: str) -> np.ndarray:
    """A float64 copy of a numeric arrow column; nulls become NaN. 64-bit integers beyond 2^53
    are shifted by their minimum, or refused, as in :func:`_store`."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.types as pt

    kind = column.type
    if pt.is_integer(kind) and kind.bit_width == 64 and column.null_count < len(column):
        bounds = pc.min_max(column)
        lo, hi = bounds["min"].as_py(), bounds["max"].as_py()
        if max(-lo, hi) > EXACT_INTEGERS:
            missing = np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=bool)
            ints = np.asarray(pc.fill_null(column, lo).to_numpy(zero_copy_only=False))
            out = np.empty(len(ints), dtype=np.float64)
            store_exactly(out, ints, source, name)
            out[missing] = np.nan
            return out
    as_float = pc.cast(column, pa.float64(), safe=False)  # nulls become NaN below
    return np.asarray(as_float.to_numpy(zero_copy_only=False), dtype=np.float64)


# --- CSV ------------------------------------------------------------------------------------


def _detect_sep(text: str) -> str:
    """The separator of a CSV text, from its first non-empty line: the candidate of
    :data:`SEPARATORS` found there that splits the next lines into as many fields (if any do),
    the most frequent one, and on a tie the earlier in :data:`SEPARATORS`; ``,`` when the line
    holds none of them (one column)."""
    lines: list[str] = []
    for line in io.StringIO(text[: 1 << 20], newline=None):
        if line.strip():
            lines.append(line.rstrip("\r\n"))
            if len(lines) > 50:
                break
    if not lines:
        return ","
    bare = re.sub(r'"[^"]*"', "", lines[0])  # separators inside quotes do not count
    found = [c for c in SEPARATORS if c in bare]
    if not found:
        return ","

    def steady(sep: str) -> bool:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=sep))
        rows = rows[:-1] if len(lines) > 50 else rows  # the last line read may be cut short
        return len({len(row) for row in rows}) == 1

    consistent = [c for c in found if steady(c)] or found
    return max(consistent, key=lambda c: (bare.count(c), -SEPARATORS.index(c)))


def _read_csv(data: bytes, source: str, sep: str | None = None) -> _Raw:
    text = data.decode("utf-8-sig")
    given = sep
    sep = _detect_sep(text) if sep is None else sep
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
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
        other = [c for c in SEPARATORS if c != sep and c in head[0]]
        if width == 1 and given is not None and other:
            raise InputError(
                source,
                f"looks separated by {_SEP_NAMES[other[0]]}, not by {sep!r}",
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
    for j, name in enumerate(names):
        cells = [row[j] for row in body]
        try:
            values = np.array([float(c) if c.strip() else np.nan for c in cells], dtype=np.float64)
        except ValueError:
            at = next(i for i, c in enumerate(cells) if not _is_number(c))
            non_numeric[name] = f"e.g. {cells[at].strip()!r} on line {body_lines[at]}"
            columns[name] = _text_codes(cells)
            continue
        if np.any(np.abs(values) >= EXACT_INTEGERS):  # float() may drop integer digits
            values = _csv_integers(cells, values, body_lines, source, name)
        columns[name] = values

    def fetch(wanted: list[str]) -> dict[str, np.ndarray]:
        return {n: columns[n] for n in wanted}

    text_columns = frozenset(non_numeric)
    return _Raw(source, "csv", names, len(body), fetch, non_numeric=non_numeric, text=text_columns)


def _csv_integers(
    cells: list[str], values: np.ndarray, lines: list[int], source: str, name: str
) -> np.ndarray:
    """The column ``values`` parsed from ``cells``, with integers written with more digits than
    float64 holds read exactly: shifted by the column's minimum, or refused."""
    ints = {i: int(c) for i, c in enumerate(cells) if _INTEGER_TEXT.fullmatch(c.strip())}
    beyond = [i for i, v in ints.items() if abs(v) > EXACT_INTEGERS]
    if not beyond:
        return values
    others = [i for i in range(len(cells)) if i not in ints and not np.isnan(values[i])]
    if others:
        raise InputError(
            source,
            f"column {name!r} holds integers beyond 2^53 that float64 cannot represent exactly "
            f"(e.g. {cells[beyond[0]].strip()} on line {lines[beyond[0]]}) mixed with other "
            f"numbers (e.g. {cells[others[0]].strip()!r} on line {lines[others[0]]}); write "
            "them all as integers, or shift them into ±2^53",
        )
    lo, hi = min(ints.values()), max(ints.values())
    out = np.full(len(cells), np.nan)
    for i, v in ints.items():
        out[i] = float(v - lo)
    if hi - lo > EXACT_INTEGERS and any(int(out[i]) != v - lo for i, v in ints.items()):
        raise InputError(source, beyond_message(name, lo, hi))
    return out


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


# --- selecting ------------------------------------------------------------------------------


def _resolve(
    raw: _Raw, names: list[str] | None, flag: str | None, text_labels: bool = False
) -> tuple[list[str], list[str]]:
    """The column names a selection stands for, and those of them read as text labels."""
    where = f" ({flag})" if flag else ""
    if names is not None and not names:
        raise InputError(raw.source, f"the column selection{where} is empty")
    if not raw.names:
        raise InputError(raw.source, "has no columns")
    chosen = _expand(raw, names, where) if names is not None else list(raw.default or raw.names)
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
    if raw.rows == 0:
        raise InputError(raw.source, "has no rows")
    return chosen, labels


def _expand(raw: _Raw, tokens: list[str], where: str) -> list[str]:
    """Names for ``tokens``: a column name stands for itself; otherwise ``i-j`` (i <= j) for
    columns i to j, and an integer for one column. Where the columns are numbered (arrays,
    header-less CSV) or none of their names is an integer, integers are 0-based positions;
    where some names are integers, integers are those names."""
    numbered = raw.names == [str(j) for j in range(len(raw.names))]
    positional = numbered or not any(_INTEGER.fullmatch(n) for n in raw.names)
    known = set(raw.names)
    chosen: list[str] = []
    unknown: list[str] = []
    for token in tokens:
        if token in known:
            chosen.append(token)
            continue
        span = _RANGE.fullmatch(token)
        if span is not None:
            lo, hi = int(span[1]), int(span[2])
            if lo > hi:
                raise InputError(
                    raw.source, f"column range '{token}'{where} is reversed; write '{hi}-{lo}'"
                )
            if positional and hi >= len(raw.names):
                raise InputError(
                    raw.source,
                    f"column range '{token}'{where} goes past the last column: the "
                    f"{len(raw.names)} columns are numbered 0 to {len(raw.names) - 1}",
                )
        elif positional and _INTEGER.fullmatch(token) and int(token) < len(raw.names):
            lo = hi = int(token)
        else:
            unknown.append(token)
            continue
        for j in range(lo, hi + 1):
            if positional:
                chosen.append(raw.names[j])
            elif str(j) in known:
                chosen.append(str(j))
            else:
                unknown.append(str(j))
    if unknown:
        unknown = list(dict.fromkeys(unknown))
        noun = "column" if len(unknown) == 1 else "columns"
        hint = ""
        if positional and not numbered:
            hint = "; integers and ranges such as 0-2 pick columns by 0-based position"
        raise InputError(
            raw.source, f"no {noun} {_quoted(unknown)}; available: {_quoted(raw.names)}{hint}"
        )
    return chosen


def _rest(raw: _Raw, taken: list[str], side: str, own: str, other: str) -> list[str]:
    """Every numeric column of ``raw`` that ``taken`` leaves (text columns are left out)."""
    used = set(taken)
    rest = [n for n in raw.default or raw.names if n not in used and n not in raw.non_numeric]
    if not rest:
        raise InputError(
            raw.source,
            f"{other} takes every numeric column, so none is left for {side}; "
            f"name {side}'s columns with {own}",
        )
    return rest


def _build(raw: _Raw, chosen: list[str], labels: list[str], values: dict[str, np.ndarray]) -> Table:
    data = np.empty((raw.rows, len(chosen)), dtype=np.float64)
    for j, name in enumerate(chosen):
        store_exactly(data[:, j], values[name], raw.source, name)
    return Table(data, chosen, raw.source, tuple(labels))
