"""A corpus of bad (and awkward but good) inputs for the ``mitool`` command line (issue 19).

Every case must end in one of two ways:

- a correct number: exit status 0, a finite value in the ``--json`` output and, where the
  truth is known, within the case's stated tolerance (in nats unless the case says otherwise);
- a one-line error: exit status 2 and exactly one line on stderr (besides ``mitool: warning:``
  lines) that starts with ``mitool: error:`` and, where the problem concerns a file, names it.

Never a traceback, an ``internal error``, exit status 1, or a silently wrong number. Cases run
in-process through :func:`mitool.cli.main`. ``python tests/bad_input_corpus.py`` builds the
corpus in a temporary folder, runs every case and prints the failures;
``tests/test_bad_input_corpus.py`` runs each case as one pytest test.

Known mutual informations used as truths (nats):

- correlated Gaussians with correlation ρ per dimension: −(d/2)·ln(1 − ρ²);
- independent columns: 0; a constant column: 0 (it carries no information);
- a binary label X (p = 1/2) and T | X ~ N(2X − 1, 1): h(T) − h(T | X), by quadrature;
- discrete × discrete (4 symbols, T = X with probability 0.7, else uniform): exact sum.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import signal
import struct
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: Rows of most inputs: big enough for a stable estimate, small enough to stay fast.
N = 300
#: Correlation of the Gaussian pairs and their mutual information per dimension.
RHO = 0.8
MI_RHO = -0.5 * math.log(1 - RHO**2)  # 0.5108 nats
#: Tolerance for one-dimensional continuous pairs at n = 300. KSG's sd there is about 0.04-0.05
#: nats, and the maximum over the scale grid (global norms) adds up to about +0.05: 0.15 is
#: three sds of slack beyond that bias, yet far from any silently wrong answer (e.g. 0 or 2x).
TOL = 0.15
#: Two-dimensional pairs (MI about 1 nat): the sd roughly doubles.
TOL_2D = 0.25
#: A case may run no longer than this (seconds); a hang is a failure, not a stuck test suite.
CASE_TIMEOUT = 30
#: Options that keep an estimate fast and deterministic: no interval, one process.
FAST = ("--json", "-B", "0", "-j", "1")
#: Small grids for the check commands.
CHECK_FAST = ("--samples", "200", "--trials", "1", "-j", "1")


def _mi_binary_gaussian() -> float:
    """I(X; T) for X ~ Bernoulli(1/2), T | X ~ N(2X - 1, 1): h(T) - h(T | X), by quadrature."""
    grid = np.linspace(-14.0, 14.0, 280_001)
    step = grid[1] - grid[0]
    density = 0.5 * (np.exp(-0.5 * (grid - 1) ** 2) + np.exp(-0.5 * (grid + 1) ** 2))
    density /= math.sqrt(2 * math.pi)
    h_t = -float(np.sum(density * np.log(density)) * step)
    return h_t - 0.5 * math.log(2 * math.pi * math.e)


def _mi_discrete(symbols: int = 4, keep: float = 0.7) -> float:
    """I(X; T) for X uniform on ``symbols`` values, T = X with probability ``keep``, else a
    uniform draw (which may equal X): ln m - H(T | X), since T is uniform too."""
    same = keep + (1 - keep) / symbols
    other = (1 - keep) / symbols
    h_cond = -(same * math.log(same) + (symbols - 1) * other * math.log(other))
    return math.log(symbols) - h_cond


MI_BIN = _mi_binary_gaussian()  # about 0.34 nats
MI_DISC = _mi_discrete()  # about 0.66 nats
#: T = X + 0.1·ε: ρ² = 1 / 1.01, so I = ½ ln(1 + 100).
MI_COPY = 0.5 * math.log(1 + 100)


@dataclass(frozen=True)
class Case:
    """One command line and what it must end in.

    Attributes
    ----------
    name : unique id (the pytest id).
    category : files, shapes, values, options, commands or good.
    argv : the arguments after ``mitool``.
    expect : ``error`` (exit 2, one line), ``number`` (exit 0, finite, near ``truth``) or
        ``either`` (a clean error or a correct number are both acceptable).
    truth, tol : the known value and the largest deviation allowed (nats, unless ``--units``).
    names_file : a substring (a file's basename) that the error line must contain.
    stdin : bytes on standard input (otherwise it is empty).
    value_path : where the number is in the JSON on stdout (keys and list indices).
    why : what the case is about, when the name does not say it all.
    """

    name: str
    category: str
    argv: tuple[str, ...]
    expect: str
    truth: float | None = None
    tol: float | None = None
    names_file: str | None = None
    stdin: bytes | None = None
    value_path: tuple[str | int, ...] = ("value",)
    why: str = ""


@dataclass(frozen=True)
class Outcome:
    """What a case did: exit status (None: it raised out of ``main``), output and time."""

    code: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False


# --- writing the inputs -------------------------------------------------------------------------


class _Files:
    """Writes the inputs under ``root`` and returns their paths; with ``write=False`` only the
    paths (pytest collects the case names without touching the disk)."""

    def __init__(self, root: str | os.PathLike[str], write: bool) -> None:
        self.root = Path(root)
        self.write = write
        if write:
            self.root.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> str:
        return str(self.root / name)

    def raw(self, name: str, data: bytes) -> str:
        if self.write:
            Path(self.path(name)).parent.mkdir(parents=True, exist_ok=True)
            Path(self.path(name)).write_bytes(data)
        return self.path(name)

    def text(self, name: str, text: str) -> str:
        return self.raw(name, text.encode())

    def npy(self, name: str, array: np.ndarray, allow_pickle: bool = False) -> str:
        if self.write:
            Path(self.path(name)).parent.mkdir(parents=True, exist_ok=True)
            with open(self.path(name), "wb") as f:
                np.save(f, array, allow_pickle=allow_pickle)
        return self.path(name)

    def npz(self, name: str, **arrays: np.ndarray) -> str:
        if self.write:
            with open(self.path(name), "wb") as f:
                np.savez(f, **arrays)
        return self.path(name)

    def h5(self, name: str, fill: Callable[[Any], None]) -> str:
        if self.write:
            import h5py

            with h5py.File(self.path(name), "w") as f:
                fill(f)
        return self.path(name)

    def parquet(self, name: str, make: Callable[[], Any]) -> str:
        if self.write:
            import pyarrow.parquet as pq

            pq.write_table(make(), self.path(name))
        return self.path(name)

    def link(self, name: str, target: str) -> str:
        """A symbolic link ``name`` to ``target`` (which need not exist)."""
        if self.write and not os.path.lexists(self.path(name)):
            os.symlink(self.path(target), self.path(name))
        return self.path(name)

    def folder(self, name: str, arrays: dict[str, np.ndarray] | None = None) -> str:
        if self.write:
            Path(self.path(name)).mkdir(parents=True, exist_ok=True)
            for file, array in (arrays or {}).items():
                np.save(os.path.join(self.path(name), file), array)
        return self.path(name)


def _gauss(n: int, d: int, rho: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """X, T ~ N(0, I_d) with corr(X_i, T_i) = rho: I = -(d/2) ln(1 - rho²)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    t = rho * x + math.sqrt(1 - rho**2) * rng.standard_normal((n, d))
    return (x[:, 0], t[:, 0]) if d == 1 else (x, t)


def _binary(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels X in {0, 1} and T | X ~ N(2X - 1, 1): I = MI_BIN."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    return labels, 2.0 * labels - 1 + rng.standard_normal(n)


def _discrete(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """X uniform on 0..3; T = X with probability 0.7, else uniform: I = MI_DISC."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, n)
    t = np.where(rng.random(n) < 0.7, x, rng.integers(0, 4, n))
    return x, t


def _csv(header: Sequence[str] | None, columns: Sequence[Sequence[object]], eol: str = "\n") -> str:
    lines = [] if header is None else [",".join(header)]
    for row in zip(*columns, strict=True):
        lines.append(",".join(f"{v:.17g}" if isinstance(v, float) else str(v) for v in row))
    return eol.join(lines) + eol


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _npy_header(shape: tuple[int, ...], payload: bytes = b"\0" * 64) -> bytes:
    """A version 1.0 .npy file whose header promises ``shape`` float64 values; ``payload`` is
    all the data it really holds."""
    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape!r}, }}"
    header += " " * (64 - (10 + len(header) + 1) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload


def _est(*args: str, fast: Sequence[str] = FAST) -> tuple[str, ...]:
    return ("estimate", *args, *fast)


# --- the cases ----------------------------------------------------------------------------------


def build_cases(tmp_dir: str | os.PathLike[str], write: bool = True) -> list[Case]:
    """The corpus: every input written under ``tmp_dir`` (unless ``write`` is False)."""
    f = _Files(tmp_dir, write)
    common = _common(f)
    cases = [
        *_file_cases(f, common),
        *_shape_cases(f, common),
        *_value_cases(f, common),
        *_option_cases(f, common),
        *_command_cases(f, common),
        *_good_cases(f, common),
    ]
    repeated = [name for name, count in Counter(c.name for c in cases).items() if count > 1]
    if repeated:
        raise ValueError(f"repeated case names: {repeated}")
    return cases


def _common(f: _Files) -> dict[str, str]:
    """The well-formed inputs that many cases share."""
    x, t = _gauss(N, 1, RHO, seed=1)
    x2, t2 = _gauss(N, 2, RHO, seed=2)
    labels, values = _binary(N, seed=3)
    return {
        "x": f.npy("x.npy", x),
        "t": f.npy("t.npy", t),
        "x2": f.npy("x2.npy", x2),
        "t2": f.npy("t2.npy", t2),
        "pair_csv": f.text("pair.csv", _csv(["x", "t", "u"], [x, t, np.zeros(N) + 1.5])),
        "labels_csv": f.text(
            "labels.csv",
            _csv(["value", "label"], [values, ["dog" if v else "cat" for v in labels]]),
        ),
    }


def _file_cases(f: _Files, c: dict[str, str]) -> list[Case]:
    x, t = _gauss(N, 1, RHO, seed=1)
    cases: list[Case] = []

    def error(name: str, argv: tuple[str, ...], names: str | None, **kw: Any) -> None:
        cases.append(Case(name, "files", argv, "error", names_file=names, **kw))

    def number(name: str, argv: tuple[str, ...], truth: float = MI_RHO, **kw: Any) -> None:
        cases.append(Case(name, "files", argv, "number", truth=truth, tol=TOL, **kw))

    def either(name: str, argv: tuple[str, ...], names: str, truth: float = MI_RHO) -> None:
        cases.append(Case(name, "files", argv, "either", truth=truth, tol=TOL, names_file=names))

    error("missing_x", _est(f.path("nosuch_x.npy"), c["t"]), "nosuch_x.npy")
    error("missing_t", _est(c["x"], f.path("nosuch_t.npy")), "nosuch_t.npy")
    error("missing_no_extension", _est(f.path("nosuch_plain"), c["t"]), "nosuch_plain")
    error(
        "missing_csv_one_table",
        _est(f.path("nosuch.csv"), "--x-cols", "a", "--t-cols", "b"),
        "nosuch.csv",
    )
    error("directory_npy_name", _est(f.folder("adir.npy"), c["t"]), "adir.npy")
    error("directory_plain", _est(f.folder("plaindir"), c["t"]), "plaindir")
    error("directory_with_format", _est(f.folder("fmtdir"), c["t"], "--format", "npy"), "fmtdir")
    error("zero_bytes_npy", _est(f.raw("zero.npy", b""), c["t"]), "zero.npy")
    error("zero_bytes_csv", _est(f.raw("zero.csv", b""), c["t"]), "zero.csv")
    error("zero_bytes_npz", _est(f.raw("zero.npz", b""), c["t"]), "zero.npz")
    error("zero_bytes_h5", _est(f.raw("zero.h5", b""), c["t"]), "zero.h5")
    error("zero_bytes_parquet", _est(f.raw("zero.parquet", b""), c["t"]), "zero.parquet")
    error("blank_lines_csv", _est(f.text("blank.csv", "\n \n\n"), c["t"]), "blank.csv")
    error("wrong_extension_txt", _est(f.text("data.txt", _csv(None, [x])), c["t"]), "data.txt")
    error("csv_text_in_npy", _est(f.text("fake.npy", _csv(None, [x])), c["t"]), "fake.npy")
    npy = _npy_bytes(x)
    error("npy_truncated", _est(f.raw("cut.npy", npy[: len(npy) // 2]), c["t"]), "cut.npy")
    error("npy_header_only", _est(f.raw("head.npy", npy[:128]), c["t"]), "head.npy")
    error("npy_magic_only", _est(f.raw("magic.npy", npy[:6]), c["t"]), "magic.npy")
    error(
        "npy_lying_giant_header",
        _est(f.raw("giant.npy", _npy_header((10**15,))), c["t"]),
        "giant.npy",
        why="the header promises 8 PB of float64; the file holds 64 bytes",
    )
    error(
        "npy_lying_header_2d",
        _est(f.raw("giant2d.npy", _npy_header((10**8, 10**8))), c["t"]),
        "giant2d.npy",
    )
    error(
        "npy_lying_small_header",
        _est(f.raw("short.npy", _npy_header((N,), b"\0" * 80)), c["t"]),
        "short.npy",
        why="300 values promised, 10 present",
    )
    objects = np.empty(N, dtype=object)
    objects[:] = [{"v": float(v)} for v in x]
    error("npy_pickled_objects", _est(f.npy("pickled.npy", objects, True), c["t"]), "pickled.npy")
    structured = np.zeros(N, dtype=[("a", "f8"), ("b", "f8")])
    error("npy_structured", _est(f.npy("structured.npy", structured), c["t"]), "structured.npy")
    error("npy_strings", _est(f.npy("strings.npy", x.astype(str)), c["t"]), "strings.npy")
    dates = np.arange(N).astype("datetime64[D]")
    error("npy_datetime", _est(f.npy("dates.npy", dates), c["t"]), "dates.npy")
    error(
        "npy_timedelta", _est(f.npy("span.npy", np.arange(N).astype("m8[s]")), c["t"]), "span.npy"
    )
    pair_npz = f.npz("pair.npz", x=x, t=t)
    error("npz_two_arrays_no_key", _est(pair_npz, c["t"]), "pair.npz")
    error("npz_wrong_key", _est(pair_npz + ":nokey", c["t"]), "pair.npz")
    error("npz_not_zip", _est(f.text("notzip.npz", "x,t\n1,2\n"), c["t"]), "notzip.npz")
    error("npz_empty_archive", _est(f.npz("empty.npz"), c["t"]), "empty.npz")
    error("npz_pickled_member", _est(f.npz("pickled.npz", x=objects), c["t"]), "pickled.npz")
    error("key_suffix_on_csv", _est(c["pair_csv"] + ":x", c["t"]), "pair.csv")
    number("npz_with_keys", _est(pair_npz + ":x", pair_npz + ":t"))

    def fill_h5(h: Any) -> None:
        h["/data/x"] = x
        h["/data/t"] = t

    pair_h5 = f.h5("pair.h5", fill_h5)
    error("h5_wrong_dataset", _est(pair_h5 + ":/data/nosuch", c["t"]), "pair.h5")
    error("h5_wrong_group", _est(pair_h5 + ":/nogroup/x", c["t"]), "pair.h5")
    error("h5_group_not_dataset", _est(pair_h5 + ":/data", c["t"]), "pair.h5")
    error("h5_two_datasets_no_key", _est(pair_h5, c["t"]), "pair.h5")
    error("h5_garbage", _est(f.text("garbage.h5", "not hdf5 at all\n" * 20), c["t"]), "garbage.h5")
    error(
        "h5_no_datasets",
        _est(f.h5("nodata.h5", lambda h: h.create_group("g")), c["t"]),
        "nodata.h5",
    )

    def strings(h: Any) -> None:
        h["s"] = np.array([b"a", b"b"] * (N // 2))

    error("h5_string_dataset", _est(f.h5("strings.h5", strings), c["t"]), "strings.h5")

    def empty(h: Any) -> None:
        import h5py

        h.create_dataset("e", data=h5py.Empty("f8"))

    error("h5_empty_dataset", _est(f.h5("emptyds.h5", empty), c["t"]), "emptyds.h5")
    error(
        "h5_scalar_dataset",
        _est(f.h5("scalar.h5", lambda h: h.create_dataset("s", data=1.5)), c["t"]),
        "scalar.h5",
    )
    number("h5_with_keys", _est(pair_h5 + ":/data/x", pair_h5 + ":/data/t"))

    def table_with_text() -> Any:
        import pyarrow as pa

        return pa.table({"x": x, "t": t, "name": [f"row{i}" for i in range(N)]})

    text_pq = f.parquet("text.parquet", table_with_text)
    error(
        "parquet_text_column_ksg",
        _est(text_pq, "--x-cols", "name", "--t-cols", "t", "-e", "ksg"),
        "text.parquet",
    )
    error("parquet_text_all_columns", _est(text_pq, c["t"], "-e", "ksg"), "text.parquet")
    error(
        "parquet_garbage", _est(f.text("garbage.parquet", "PAR1 nope"), c["t"]), "garbage.parquet"
    )

    def duplicate_names() -> Any:
        import pyarrow as pa

        return pa.Table.from_arrays([pa.array(x), pa.array(t)], names=["x", "x"])

    error(
        "parquet_duplicate_names",
        _est(f.parquet("dup.parquet", duplicate_names), c["t"]),
        "dup.parquet",
    )
    number("parquet_with_cols", _est(text_pq, "--x-cols", "x", "--t-cols", "t"))

    error(
        "csv_text_column_ksg",
        _est(c["labels_csv"], "--x-cols", "label", "--t-cols", "value", "-e", "ksg"),
        "labels.csv",
    )
    ragged = _csv(["x", "t"], [x, t]).splitlines()
    ragged[57] += ",9.5"
    error("csv_ragged", _est(f.text("ragged.csv", "\n".join(ragged) + "\n"), c["t"]), "ragged.csv")
    error(
        "csv_header_only",
        _est(f.text("header.csv", "x,t\n"), "--x-cols", "x", "--t-cols", "t"),
        "header.csv",
    )
    # Other separators: reading them right or refusing them by name are both fine.
    semicolon = _csv(["x", "t"], [x, t]).replace(",", ";")
    either(
        "csv_semicolon",
        _est(f.text("semi.csv", semicolon), "--x-cols", "x", "--t-cols", "t"),
        "semi.csv",
    )
    either(
        "csv_tabs",
        _est(f.text("tabs.csv", semicolon.replace(";", "\t")), "--x-cols", "x", "--t-cols", "t"),
        "tabs.csv",
    )
    european = "x;t\n" + "".join(
        f"{a:.6f};{b:.6f}\n".replace(".", ",") for a, b in zip(x, t, strict=True)
    )
    either(
        "csv_decimal_commas",
        _est(f.text("euro.csv", european), "--x-cols", "x", "--t-cols", "t"),
        "euro.csv",
    )
    mixed = _csv(["x", "t"], [x, t]).splitlines()
    mixed[40] = mixed[40].replace(",", ";")
    error(
        "csv_separator_changes",
        _est(f.text("mixedsep.csv", "\n".join(mixed) + "\n"), "--x-cols", "x", "--t-cols", "t"),
        "mixedsep.csv",
    )
    error(
        "csv_duplicate_columns",
        _est(f.text("dupcols.csv", _csv(["x", "x"], [x, t])), "--x-cols", "x", "--t-cols", "x"),
        "dupcols.csv",
    )
    error(
        "csv_invalid_utf8", _est(f.raw("latin.csv", b"x,t\n\xff\xfe,1\n2,3\n"), c["t"]), "latin.csv"
    )
    error("csv_one_table_no_cols", _est(c["pair_csv"]), "pair.csv")
    # With one table and only --x-cols, T may be the remaining columns [t, u] (u is constant).
    either("csv_one_table_only_x_cols", _est(c["pair_csv"], "--x-cols", "x"), "pair.csv")
    number(
        "csv_bom",
        _est(
            f.raw("bom.csv", b"\xef\xbb\xbf" + _csv(["x", "t"], [x, t]).encode()),
            "--x-cols",
            "x",
            "--t-cols",
            "t",
        ),
    )
    number(
        "csv_crlf",
        _est(
            f.text("crlf.csv", _csv(["x", "t"], [x, t], "\r\n")), "--x-cols", "x", "--t-cols", "t"
        ),
    )
    spaced = _csv(["x", "t"], [x, t]).splitlines()
    spaced.insert(100, "")
    spaced.insert(200, "   ")
    number(
        "csv_blank_lines_inside",
        _est(f.text("spaced.csv", "\n".join(spaced) + "\n\n\n"), "--x-cols", "x", "--t-cols", "t"),
    )
    quoted = _csv(['"x"', '"t"'], [[f'"{v:.17g}"' for v in x], [f'" {v:.17g} "' for v in t]])
    number("csv_quoted_cells", _est(f.text("quoted.csv", quoted), "--x-cols", "x", "--t-cols", "t"))
    number(
        "txt_with_format_csv",
        _est(
            f.text("values.txt", _csv(None, [x])),
            f.text("values_t.dat", _csv(None, [t])),
            "--format",
            "csv",
        ),
    )
    number(
        "headerless_csv_cols",
        _est(f.text("nohead.csv", _csv(None, [x, t])), "--x-cols", "0", "--t-cols", "1"),
    )

    error("dangling_symlink", _est(f.link("dangling.npy", "nowhere.npy"), c["t"]), "dangling.npy")
    number("path_with_colon", _est(f.npy("we:ird.npy", x), c["t"]))
    number("path_with_spaces_unicode", _est(f.npy("dossier à/données x.npy", x), c["t"]))
    number("path_trailing_colon", _est(c["x"] + ":", c["t"]))

    def compound(h: Any) -> None:
        h["c"] = np.zeros(N, dtype=[("a", "f8"), ("b", "i4")])

    error("h5_compound_dataset", _est(f.h5("compound.h5", compound), c["t"]), "compound.h5")
    error(
        "h5_nan_dataset",
        _est(
            f.h5(
                "nan.h5",
                lambda h: h.create_dataset("v", data=np.where(np.arange(N) == 5, np.nan, x)),
            ),
            c["t"],
        ),
        "nan.h5",
    )

    def arrow(columns: dict[str, Any]) -> Callable[[], Any]:
        def make() -> Any:
            import pyarrow as pa

            return pa.table(columns)

        return make

    error(
        "parquet_nulls",
        _est(
            f.parquet(
                "nulls.parquet",
                arrow({"x": [None if i == 4 else float(v) for i, v in enumerate(x)]}),
            ),
            c["t"],
        ),
        "nulls.parquet",
    )
    error(
        "parquet_list_column",
        _est(f.parquet("lists.parquet", arrow({"x": [[float(v)] for v in x]})), c["t"]),
        "lists.parquet",
    )
    error(
        "parquet_zero_rows",
        _est(f.parquet("norows.parquet", arrow({"x": np.zeros(0)})), c["t"]),
        "norows.parquet",
    )
    error(
        "parquet_date_column",
        _est(f.parquet("dates.parquet", arrow({"x": dates.astype("datetime64[D]")})), c["t"]),
        "dates.parquet",
    )
    error("format_npy_on_csv", _est(c["pair_csv"], c["t"], "--format", "npy"), "pair.csv")
    error("format_bogus", _est(c["x"], c["t"], "--format", "xlsx"), None)
    stdin_csv = _csv(["x"], [x]).encode()
    number("stdin_csv", _est("-", c["t"]), stdin=stdin_csv)
    number("stdin_csv_as_t", _est(c["x"], "-"), stdin=_csv(["t"], [t]).encode())
    number("stdin_npy_sniffed", _est("-", c["t"]), stdin=_npy_bytes(x))
    number("stdin_npy_format", _est("-", c["t"], "--format", "npy"), stdin=_npy_bytes(x))
    number(
        "stdin_one_table",
        _est("-", "--x-cols", "x", "--t-cols", "t"),
        stdin=_csv(["x", "t"], [x, t]).encode(),
    )
    error("stdin_twice", _est("-", "-"), "<stdin>", stdin=stdin_csv)
    error("stdin_empty", _est("-", c["t"]), "<stdin>", stdin=b"")
    error("stdin_binary_garbage", _est("-", c["t"]), "<stdin>", stdin=bytes(range(256)) * 4)
    error("stdin_format_h5", _est("-", c["t"], "--format", "h5"), "<stdin>", stdin=stdin_csv)
    error("stdin_truncated_npy", _est("-", c["t"]), "<stdin>", stdin=_npy_bytes(x)[:200])
    error(
        "stdin_pickled_npy",
        _est("-", c["t"], "--format", "npy"),
        "<stdin>",
        stdin=_pickled_npy_bytes(objects),
    )
    return cases


def _pickled_npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _shape_cases(f: _Files, c: dict[str, str]) -> list[Case]:
    x, t = _gauss(N, 1, RHO, seed=1)
    cases: list[Case] = []

    def add(name: str, argv: tuple[str, ...], expect: str, **kw: Any) -> None:
        cases.append(Case(name, "shapes", argv, expect, **kw))

    add(
        "npy_3d",
        _est(f.npy("cube.npy", np.zeros((10, 10, 3))), c["t"]),
        "error",
        names_file="cube.npy",
    )
    add(
        "npy_0d",
        _est(f.npy("scalar.npy", np.float64(1.5)), c["t"]),
        "error",
        names_file="scalar.npy",
    )
    add(
        "npy_0_rows",
        _est(f.npy("norows.npy", np.zeros((0, 2))), c["t"]),
        "error",
        names_file="norows.npy",
    )
    add(
        "npy_0_rows_1d",
        _est(f.npy("norows1d.npy", np.zeros(0)), c["t"]),
        "error",
        names_file="norows1d.npy",
    )
    add(
        "npy_0_columns",
        _est(f.npy("nocols.npy", np.zeros((N, 0))), c["t"]),
        "error",
        names_file="nocols.npy",
    )
    add(
        "npy_0_columns_t",
        _est(c["x"], f.npy("nocols_t.npy", np.zeros((N, 0)))),
        "error",
        names_file="nocols_t.npy",
    )
    for rows in (1, 2, 3):
        xs, ts = f.npy(f"x_rows{rows}.npy", x[:rows]), f.npy(f"t_rows{rows}.npy", t[:rows])
        add(f"rows_{rows}", _est(xs, ts), "error", names_file=f"x_rows{rows}.npy")
    # n = 4 and 5 with k = 3 are legal; at such n any finite estimate is as good as another.
    for rows in (4, 5):
        xs, ts = f.npy(f"x_rows{rows}.npy", x[:rows]), f.npy(f"t_rows{rows}.npy", t[:rows])
        add(f"rows_{rows}", _est(xs, ts), "either")
    add(
        "rows_mismatch",
        _est(c["x"], f.npy("t_short.npy", t[:-7])),
        "error",
        names_file="t_short.npy",
    )
    add(
        "rows_mismatch_one_off",
        _est(f.npy("x_long.npy", np.append(x, 0.1)), c["t"]),
        "error",
        names_file="x_long.npy",
    )
    add(
        "t_transposed",
        _est(c["x"], f.npy("t_row.npy", t[None, :])),
        "error",
        names_file="t_row.npy",
        why="a (1, 300) row vector is one sample of 300 columns",
    )
    # 1000 independent columns, 50 rows: the truth is 0; KSG's sd at n = 50 is about 0.15.
    rng = np.random.default_rng(7)
    add(
        "wide_1000_cols_50_rows",
        _est(
            f.npy("wide.npy", rng.standard_normal((50, 1000))),
            f.npy("wide_t.npy", rng.standard_normal(50)),
        ),
        "either",
        truth=0.0,
        tol=0.45,
    )
    add(
        "column_vector_vs_1d",
        _est(f.npy("x_col.npy", x[:, None]), c["t"]),
        "number",
        truth=MI_RHO,
        tol=TOL,
    )
    add(
        "csv_one_data_row",
        _est(f.text("onerow.csv", "x,t\n1.5,2.5\n"), "--x-cols", "x", "--t-cols", "t"),
        "error",
        names_file="onerow.csv",
    )
    add(
        "h5_zero_rows",
        _est(f.h5("zerorows.h5", lambda h: h.create_dataset("z", (0, 2), "f8")), c["t"]),
        "error",
        names_file="zerorows.h5",
    )
    add(
        "h5_3d",
        _est(f.h5("cube.h5", lambda h: h.create_dataset("c", data=np.zeros((4, 4, 4)))), c["t"]),
        "error",
        names_file="cube.h5",
    )
    add(
        "npz_3d_member",
        _est(f.npz("cube.npz", c=np.zeros((4, 4, 4))), c["t"]),
        "error",
        names_file="cube.npz",
    )
    add(
        "diagnose_rows_1",
        ("diagnose", f.path("x_rows1.npy"), f.path("t_rows1.npy"), "--json"),
        "error",
        names_file="x_rows1.npy",
    )
    add(
        "diagnose_0_rows",
        ("diagnose", f.path("norows.npy"), c["t"], "--json"),
        "error",
        names_file="norows.npy",
    )
    return cases


def _value_cases(f: _Files, c: dict[str, str]) -> list[Case]:
    x, t = _gauss(N, 1, RHO, seed=1)
    x2, t2 = _gauss(N, 2, RHO, seed=2)
    labels, values = _binary(N, seed=3)
    cases: list[Case] = []

    def add(name: str, argv: tuple[str, ...], expect: str, **kw: Any) -> None:
        cases.append(Case(name, "values", argv, expect, **kw))

    holes = x.copy()
    holes[[3, 77, 150]] = np.nan
    x_nan = f.npy("x_nan.npy", holes)
    add("nan_x", _est(x_nan, c["t"]), "error", names_file="x_nan.npy")
    add("nan_x_drop", _est(x_nan, c["t"], "--drop-nan"), "number", truth=MI_RHO, tol=TOL)
    t_inf = t.copy()
    t_inf[[10, 20]] = [np.inf, -np.inf]
    t_inf_path = f.npy("t_inf.npy", t_inf)
    add("inf_t", _est(c["x"], t_inf_path), "error", names_file="t_inf.npy")
    add("inf_t_drop", _est(c["x"], t_inf_path, "--drop-nan"), "number", truth=MI_RHO, tol=TOL)
    all_nan = np.column_stack([x, np.full(N, np.nan)])
    x_allnan = f.npy("x_allnan.npy", all_nan)
    add("all_nan_column", _est(x_allnan, c["t"]), "error", names_file="x_allnan.npy")
    add(
        "all_nan_column_drop",
        _est(x_allnan, c["t"], "--drop-nan"),
        "error",
        names_file="x_allnan.npy",
        why="every row is dropped",
    )
    add(
        "all_nan_1d",
        _est(f.npy("allnan1d.npy", np.full(N, np.nan)), c["t"], "--drop-nan"),
        "error",
        names_file="allnan1d.npy",
    )
    nan_text = _csv(["x", "t"], [x, t]).replace(f"{x[5]:.17g}", "nan")
    add(
        "csv_nan_literal",
        _est(f.text("nantext.csv", nan_text), "--x-cols", "x", "--t-cols", "t"),
        "error",
        names_file="nantext.csv",
    )
    gaps = _csv(["x", "t"], [x, t]).replace(f"{t[9]:.17g}", "")
    gaps_csv = f.text("gaps.csv", gaps)
    add(
        "csv_empty_cell",
        _est(gaps_csv, "--x-cols", "x", "--t-cols", "t"),
        "error",
        names_file="gaps.csv",
    )
    add(
        "csv_empty_cell_drop",
        _est(gaps_csv, "--x-cols", "x", "--t-cols", "t", "--drop-nan"),
        "number",
        truth=MI_RHO,
        tol=TOL,
    )
    add(
        "csv_inf_literal",
        _est(f.text("inftext.csv", _csv(["x"], [[*x[:-1], "inf"]])), c["t"]),
        "error",
        names_file="inftext.csv",
    )

    # A constant carries no information: I = 0 exactly (or a clean refusal).
    add(
        "constant_x_7_3",
        _est(f.npy("const73.npy", np.full(N, 7.3)), c["t"]),
        "either",
        truth=0.0,
        tol=TOL,
    )
    add(
        "constant_t_2_5",
        _est(c["x"], f.npy("const25.npy", np.full(N, 2.5))),
        "either",
        truth=0.0,
        tol=TOL,
    )
    zeros = f.npy("zeros.npy", np.zeros(N))
    add(
        "constant_both_0",
        _est(zeros, f.npy("zeros_t.npy", np.zeros(N))),
        "either",
        truth=0.0,
        tol=TOL,
    )
    add(
        "constant_x_ksg",
        _est(f.path("const73.npy"), c["t"], "-e", "ksg"),
        "either",
        truth=0.0,
        tol=TOL,
    )
    # An appended constant column changes nothing: I(X, 7.3; T) = I(X; T).
    add(
        "constant_column_appended_x",
        _est(f.npy("x_const.npy", np.column_stack([x, np.full(N, 7.3)])), c["t"]),
        "number",
        truth=MI_RHO,
        tol=TOL,
    )
    add(
        "constant_zero_column_t_ksg",
        _est(c["x"], f.npy("t_zero.npy", np.column_stack([t, np.zeros(N)])), "-e", "ksg"),
        "number",
        truth=MI_RHO,
        tol=TOL,
    )
    # MI is invariant under rescaling each side: a tool must give the same number or refuse
    # the magnitudes cleanly (squared distances of 1e300-sized values overflow).
    add("huge_1e300", _est(f.npy("huge.npy", x * 1e300), c["t"]), "either", truth=MI_RHO, tol=TOL)
    add("tiny_1e-300", _est(f.npy("tiny.npy", x * 1e-300), c["t"]), "either", truth=MI_RHO, tol=TOL)
    add(
        "huge_1e300_ksg",
        _est(f.path("huge.npy"), c["t"], "-e", "ksg"),
        "either",
        truth=MI_RHO,
        tol=TOL,
    )
    add(
        "subnormal_1e-310",
        _est(f.npy("subnormal.npy", x * 1e-310), c["t"]),
        "either",
        truth=MI_RHO,
        tol=TOL,
    )
    mixed = np.column_stack([x2[:, 0] * 1e200, x2[:, 1] * 1e-200])
    add(
        "mixed_magnitudes",
        _est(f.npy("mixed.npy", mixed), c["t2"]),
        "either",
        truth=2 * MI_RHO,
        tol=TOL_2D,
    )
    add(
        "mixed_magnitudes_ksg",
        _est(f.path("mixed.npy"), c["t2"], "-e", "ksg"),
        "either",
        truth=2 * MI_RHO,
        tol=TOL_2D,
    )
    # Whole numbers of large magnitude: float64 keeps ~16 digits, so X·1e9 + 2^62 keeps X.
    big = (x * 1e9 + 2.0**62).astype(np.int64)
    add("int64_near_2_62", _est(f.npy("int64.npy", big), c["t"]), "number", truth=MI_RHO, tol=TOL)
    ubig = (x * 1e9 + 2.0**63).astype(np.uint64)
    add(
        "uint64_near_2_63", _est(f.npy("uint64.npy", ubig), c["t"]), "number", truth=MI_RHO, tol=TOL
    )
    add(
        "int8_quantised",
        _est(f.npy("int8.npy", np.clip(np.rint(x * 30), -128, 127).astype(np.int8)), c["t"]),
        "number",
        truth=MI_RHO,
        tol=TOL,
    )
    add(
        "float16",
        _est(f.npy("f16.npy", x.astype(np.float16)), c["t"]),
        "number",
        truth=MI_RHO,
        tol=TOL,
    )
    add(
        "float32",
        _est(f.npy("f32.npy", x.astype(np.float32)), c["t"]),
        "number",
        truth=MI_RHO,
        tol=TOL,
    )
    add("complex", _est(f.npy("cplx.npy", x + 1j * t), c["t"]), "error", names_file="cplx.npy")
    add(
        "complex_zero_imag",
        _est(f.npy("cplx0.npy", x.astype(complex)), c["t"]),
        "error",
        names_file="cplx0.npy",
    )
    add(
        "complex_h5",
        _est(f.h5("cplx.h5", lambda h: h.create_dataset("c", data=x + 0j)), c["t"]),
        "error",
        names_file="cplx.h5",
    )
    # Binary labels against a Gaussian: I = MI_BIN (quadrature); ross/mixed estimators at
    # n = 300 have an sd of about 0.04.
    bin_t = f.npy("bin_t.npy", values)
    add(
        "bool_labels",
        _est(f.npy("bool.npy", labels.astype(bool)), bin_t),
        "number",
        truth=MI_BIN,
        tol=TOL,
    )
    add("int_labels", _est(f.npy("labels.npy", labels), bin_t), "number", truth=MI_BIN, tol=TOL)
    add("int_labels_as_t", _est(bin_t, f.path("labels.npy")), "number", truth=MI_BIN, tol=TOL)
    signed = np.where(labels == 1, 1.0, 0.0)
    signed[(labels == 0) & (np.arange(N) % 2 == 0)] = -0.0  # half the zeros: the same label
    add(
        "negative_zero_labels",
        _est(f.npy("negzero.npy", signed), bin_t),
        "number",
        truth=MI_BIN,
        tol=TOL,
    )
    add(
        "text_labels_auto",
        _est(c["labels_csv"], "--x-cols", "value", "--t-cols", "label"),
        "number",
        truth=MI_BIN,
        tol=TOL,
    )
    add(
        "text_labels_ross",
        _est(c["labels_csv"], "--x-cols", "value", "--t-cols", "label", "-e", "ross"),
        "number",
        truth=MI_BIN,
        tol=TOL,
    )
    add(
        "text_labels_in_x_ross",
        _est(c["labels_csv"], "--x-cols", "label", "--t-cols", "value", "-e", "ross"),
        "error",
        names_file="labels.csv",
    )
    many = _csv(["value", "label"], [values, [f"id{i}" for i in range(N)]])
    add(
        "text_labels_too_many",
        _est(f.text("ids.csv", many), "--x-cols", "value", "--t-cols", "label"),
        "error",
        names_file="ids.csv",
    )
    one = _csv(["value", "label"], [values, ["same"] * N])
    add(
        "text_labels_one_class",
        _est(f.text("oneclass.csv", one), "--x-cols", "value", "--t-cols", "label"),
        "either",
        truth=0.0,
        tol=TOL,
    )
    dx, dt = _discrete(N, seed=4)
    dx_path, dt_path = f.npy("dx.npy", dx), f.npy("dt.npy", dt)
    # Plug-in bias at n = 300 with 4 x 4 cells is about 9/600 = 0.015; the sd of the sample's
    # own MI is sqrt(Var[log p(x,t)/p(x)p(t)] / n) = 0.056, so 0.15 is over 2.5 sds.
    add("discrete_plugin", _est(dx_path, dt_path, "-e", "plugin"), "number", truth=MI_DISC, tol=TOL)
    add("discrete_auto", _est(dx_path, dt_path), "number", truth=MI_DISC, tol=TOL)
    add(
        "discrete_as_float_csv",
        _est(
            f.text("disc.csv", _csv(["a", "b"], [dx * 1.0, dt * 1.0])),
            "--x-cols",
            "a",
            "--t-cols",
            "b",
        ),
        "number",
        truth=MI_DISC,
        tol=TOL,
    )
    add(
        "plugin_on_continuous",
        _est(f.npy("x_cont.npy", x), c["t"], "-e", "plugin"),
        "error",
        names_file="x_cont.npy",
        why="300 distinct values per side: the plug-in would read ln 300, not 0.51",
    )
    # Every row twice: the distribution is the same, n_eff = 150 (sd about 0.07).
    add(
        "duplicated_rows",
        _est(f.npy("x_dup.npy", np.repeat(x[:150], 2)), f.npy("t_dup.npy", np.repeat(t[:150], 2))),
        "number",
        truth=MI_RHO,
        tol=0.2,
    )
    add(
        "negative_zero_continuous",
        _est(f.npy("x_negzero.npy", np.where(np.abs(x) < 0.05, -0.0, x)), c["t"]),
        "number",
        truth=MI_RHO,
        tol=TOL,
    )
    # One gross outlier among 300 rows barely changes the MI (truth 0.51); an sd-based norm
    # must not let it flatten the other 299 rows.
    outlier = x.copy()
    outlier[0] = 1e10
    add(
        "one_outlier_1e10",
        _est(f.npy("outlier.npy", outlier), c["t"]),
        "number",
        truth=MI_RHO,
        tol=TOL,
    )
    add(
        "one_outlier_1e10_ksg",
        _est(f.path("outlier.npy"), c["t"], "-e", "ksg"),
        "either",
        truth=MI_RHO,
        tol=TOL,
    )
    near = np.zeros(N)
    near[17] = 1.0  # H(X) = 0.022 nats bounds I(X; T)
    add("nearly_constant_x", _est(f.npy("near.npy", near), c["t"]), "either", truth=0.0, tol=TOL)
    add(
        "ross_on_continuous_t",
        _est(c["x"], f.npy("t_cont.npy", t), "-e", "ross"),
        "error",
        names_file="t_cont.npy",
        why="300 distinct 'labels' in 300 rows",
    )
    holes = _csv(
        ["value", "label"],
        [values, ["" if i == 8 else ("dog" if v else "cat") for i, v in enumerate(labels)]],
    )
    add(
        "text_labels_empty_cell",
        _est(f.text("labelgap.csv", holes), "--x-cols", "value", "--t-cols", "label"),
        "error",
        names_file="labelgap.csv",
    )
    # Two binary variables: T = X flipped with probability 0.1: I = ln 2 - H(0.1) = 0.368.
    rng = np.random.default_rng(12)
    bx = rng.integers(0, 2, N).astype(bool)
    bt = bx ^ (rng.random(N) < 0.1)
    h01 = -(0.1 * math.log(0.1) + 0.9 * math.log(0.9))
    add(
        "bool_vs_bool",
        _est(f.npy("bx.npy", bx), f.npy("bt.npy", bt)),
        "number",
        truth=math.log(2) - h01,
        tol=TOL,
    )
    return cases


def _option_cases(f: _Files, c: dict[str, str]) -> list[Case]:
    cases: list[Case] = []
    xt = (c["x"], c["t"])

    def error(name: str, *args: str, fast: Sequence[str] = FAST, **kw: Any) -> None:
        cases.append(Case(name, "options", _est(*xt, *args, fast=fast), "error", **kw))

    def either(name: str, *args: str, fast: Sequence[str] = FAST, **kw: Any) -> None:
        kw = {"truth": MI_RHO, "tol": TOL, **kw}
        cases.append(Case(name, "options", _est(*xt, *args, fast=fast), "either", **kw))

    error("k_0", "-k", "0")
    error("k_neg1", "-k", "-1")
    error("k_1_5", "-k", "1.5")
    error("k_text", "-k", "three")
    error("k_eq_n", "-k", str(N))
    error("k_gt_n", "-k", "1000")
    error("k_huge", "-k", str(10**30))
    error("k_eq_n_ksg", "-k", str(N), "-e", "ksg")
    either("seed_neg1", "--seed", "-1")
    either("seed_2_70", "--seed", str(2**70))
    error("seed_text", "--seed", "abc")
    with_b = ("--json", "-j", "1", "-B", "20")
    error("ci_0", "--ci", "0", fast=with_b)
    error("ci_1", "--ci", "1", fast=with_b)
    error("ci_1_5", "--ci", "1.5", fast=with_b)
    error("ci_neg", "--ci", "-0.5", fast=with_b)
    error("ci_nan", "--ci", "nan", fast=with_b)
    error("B_neg1", "-B", "-1", fast=("--json", "-j", "1"))
    error("B_1", "-B", "1", fast=("--json", "-j", "1"))
    error("P_neg5", "-P", "-5")
    error("units_furlongs", "--units", "furlongs")
    error("units_empty", "--units", "")
    error("norm_bogus", "-e", "ksg", "--norm", "bogus")
    error("norm_with_auto", "--norm", "local")
    error("norm_neural_on_knn", "-e", "ksg", "--norm", "global-corrected")
    error("estimator_bogus", "-e", "bogus")
    error("estimator_empty", "-e", "")
    for label, text in (
        ("empty", ""),
        ("a", "a"),
        ("neg1", "-1"),
        ("0", "0"),
        ("nan", "nan"),
        ("inf", "inf"),
        ("comma", ","),
        ("1e400", "1e400"),
    ):
        error(f"scales_{label}", "-e", "ksg", "--scales", text)
    either("scales_trailing_comma", "-e", "ksg", "--scales", "0.5,1,")
    error("subsample_0", "--subsample-size", "0", fast=with_b)
    error("subsample_1", "--subsample-size", "1", fast=with_b)
    error("subsample_neg", "--subsample-size", "-10", fast=with_b)
    error("subsample_gt_n", "--subsample-size", "1000", fast=with_b)
    error(
        "subsample_eq_n",
        "--subsample-size",
        str(N),
        fast=with_b,
        why="n disjoint rows leave room for one subsample, not an interval",
    )
    error("jobs_0", "-B", "20", fast=("--json", "-j", "0"))
    error("jobs_text", fast=("--json", "-B", "0", "-j", "many"))
    error("ci_method_bogus", "--ci-method", "jackknife", fast=with_b)
    error("search_bogus", "--search", "gpu-magic")
    error("device_bogus", "--device", "tpu")
    error("hidden_bogus_mine", "-e", "mine", "--hidden", "a,b")
    error("epochs_neg_mine", "-e", "mine", "--epochs", "-1")
    error("batch_size_0_mine", "-e", "mine", "--batch-size", "0")
    error("trace_on_knn", "-e", "ksg", "--trace", f.path("trace_out.json"))
    error("unknown_option", "--bogus")
    error("units_case", "--units", "NATS")
    error("estimator_with_norm_slash", "-e", "ksg/none")
    error("option_missing_value", *FAST, "-k", fast=())
    pair = c["pair_csv"]
    cases += [
        Case(
            "x_cols_nonexistent",
            "options",
            _est(pair, "--x-cols", "nosuch", "--t-cols", "t"),
            "error",
            names_file="pair.csv",
        ),
        Case(
            "x_cols_empty",
            "options",
            _est(pair, "--x-cols", "", "--t-cols", "t"),
            "error",
            names_file="pair.csv",
        ),
        Case(
            "x_cols_comma",
            "options",
            _est(pair, "--x-cols", ",", "--t-cols", "t"),
            "error",
            names_file="pair.csv",
        ),
        Case(
            "x_cols_repeated",
            "options",
            _est(pair, "--x-cols", "x,x", "--t-cols", "t"),
            "either",
            truth=MI_RHO,
            tol=TOL,
        ),
        Case(
            "x_t_cols_overlap",
            "options",
            _est(pair, "--x-cols", "x", "--t-cols", "x"),
            "either",
            why="I(X; X) is infinite: no finite number is right",
            truth=math.inf,
            tol=0.0,
        ),
        Case(
            "x_cols_spaces",
            "options",
            _est(pair, "--x-cols", " x ", "--t-cols", " t"),
            "number",
            truth=MI_RHO,
            tol=TOL,
        ),
        Case(
            "t_cols_index_out_of_range",
            "options",
            _est(c["x"], c["t2"], "--t-cols", "5"),
            "error",
            names_file="t2.npy",
        ),
        Case(
            "t_cols_negative_index",
            "options",
            _est(c["x"], c["t2"], "--t-cols", "-1"),
            "error",
            names_file="t2.npy",
        ),
        Case(
            "t_cols_not_integer_on_npy",
            "options",
            _est(c["x"], c["t2"], "--t-cols", "a"),
            "error",
            names_file="t2.npy",
        ),
        Case(
            "t_cols_range_reversed",
            "options",
            _est(c["x"], c["t2"], "--t-cols", "1-0"),
            "error",
            names_file="t2.npy",
        ),
        Case(
            "t_cols_range_out_of_bounds",
            "options",
            _est(c["x"], c["t2"], "--t-cols", "0-999"),
            "error",
            names_file="t2.npy",
        ),
        Case("missing_arguments", "options", ("estimate",), "error"),
        Case("unknown_command", "options", ("frobnicate", "x.npy"), "error"),
        Case(
            "x_cols_on_two_files",
            "options",
            _est(c["x"], c["t"], "--x-cols", "zz"),
            "error",
            names_file="x.npy",
        ),
    ]
    return cases


def _command_cases(f: _Files, c: dict[str, str]) -> list[Case]:
    cases: list[Case] = []

    def error(name: str, argv: tuple[str, ...], names: str | None = None, **kw: Any) -> None:
        cases.append(Case(name, "commands", argv, "error", names_file=names, **kw))

    # diagnose
    error("diagnose_missing", ("diagnose", f.path("nosuch_d.npy"), c["t"]), "nosuch_d.npy")
    error("diagnose_nan", ("diagnose", f.path("x_nan.npy"), c["t"]), "x_nan.npy")
    error("diagnose_3d", ("diagnose", f.path("cube.npy"), c["t"]), "cube.npy")
    error(
        "diagnose_text_too_many",
        ("diagnose", f.path("ids.csv"), "--x-cols", "value", "--t-cols", "label"),
        "ids.csv",
    )
    error("diagnose_one_table_no_cols", ("diagnose", c["pair_csv"]), "pair.csv")
    error("diagnose_pickled", ("diagnose", f.path("pickled.npy"), c["t"]), "pickled.npy")
    error("diagnose_mismatch", ("diagnose", c["x"], f.path("t_short.npy")), "t_short.npy")
    cases.append(
        Case(
            "diagnose_nan_drop",
            "commands",
            ("diagnose", f.path("x_nan.npy"), c["t"], "--drop-nan", "--json"),
            "number",
            truth=N - 3,
            tol=0.0,
            value_path=("diagnosis", "n"),
        )
    )
    cases.append(
        Case(
            "diagnose_constant_column",
            "commands",
            ("diagnose", f.path("x_const.npy"), c["t"], "--json"),
            "number",
            truth=1,
            tol=0.0,
            value_path=("diagnosis", "x", "constant_columns"),
        )
    )

    # check-scale, check-noise, check-duplicate, check-snr: bad grids and settings.
    grid = ("--factors", "0.5,1,2")
    scale = ("check-scale", *CHECK_FAST, "--json")
    for label, text in (
        ("a", "a"),
        ("empty", ""),
        ("0", "0"),
        ("nan", "nan"),
        ("inf", "inf"),
        ("1e400", "1e400"),
    ):
        error(f"check_scale_factors_{label}", (*scale, "--factors", text))
    error("check_scale_samples_1", ("check-scale", "--samples", "1", *grid, "-j", "1"))
    error("check_scale_samples_0", ("check-scale", "--samples", "0", *grid, "-j", "1"))
    error("check_scale_samples_neg", ("check-scale", "--samples", "-5", *grid, "-j", "1"))
    error("check_scale_trials_0", ("check-scale", "--samples", "200", "--trials", "0", *grid))
    error("check_scale_trials_neg", ("check-scale", "--samples", "200", "--trials", "-1", *grid))
    error("check_scale_side_bogus", (*scale, *grid, "--side", "up"))
    error("check_scale_tolerance_neg", (*scale, *grid, "--tolerance", "-1"))
    error("check_scale_tolerance_nan", (*scale, *grid, "--tolerance", "nan"))
    error("check_scale_k_0", (*scale, *grid, "-k", "0"))
    error("check_scale_pairs_no_slash", (*scale, *grid, "--pairs", "ksg"))
    error("check_scale_pairs_bad_norm", (*scale, *grid, "--pairs", "ksg/bogus"))
    error("check_scale_estimator_bogus", (*scale, *grid, "-e", "bogus"))
    error("check_scale_jobs_0", ("check-scale", "--samples", "200", *grid, "-j", "0"))
    error("check_scale_B_neg", (*scale, *grid, "-B", "-1"))
    error("check_scale_seed_neg", (*scale, *grid, "--seed", "-1"))
    error("check_scale_x_cols_without_x", (*scale, *grid, "--x-cols", "a"))
    error(
        "check_scale_missing_file", (*scale, *grid, f.path("nosuch_c.npy"), c["t"]), "nosuch_c.npy"
    )
    error("check_scale_nan_file", (*scale, *grid, f.path("x_nan.npy"), c["t"]), "x_nan.npy")
    error("check_scale_one_table_no_cols", (*scale, *grid, c["pair_csv"]), "pair.csv")
    error(
        "check_scale_constant_t",
        (*scale, *grid, c["x"], f.path("const25.npy")),
        None,
        why="a constant T makes every rescaling identical: nothing to check",
    )
    noise = ("check-noise", *CHECK_FAST, "--json")
    error("check_noise_columns_a", (*noise, "--columns", "a"))
    error("check_noise_columns_neg", (*noise, "--columns", "-2"))
    error("check_noise_columns_frac", (*noise, "--columns", "1.5"))
    error("check_noise_sd_neg", (*noise, "--columns", "0,2", "--noise-sd", "-1"))
    error("check_noise_sd_nan", (*noise, "--columns", "0,2", "--noise-sd", "nan"))
    error("check_noise_samples_3", ("check-noise", "--samples", "3", "--columns", "0,2"))
    error(
        "check_noise_3d_file", (*noise, "--columns", "0,2", f.path("cube.npy"), c["t"]), "cube.npy"
    )
    dup = ("check-duplicate", *CHECK_FAST, "--json")
    error("check_duplicate_copies_0", (*dup, "--copies", "0"))
    error("check_duplicate_copies_neg", (*dup, "--copies", "-1"))
    error("check_duplicate_copies_frac", (*dup, "--copies", "2.5"))
    error("check_duplicate_copies_text", (*dup, "--copies", "x"))
    error(
        "check_duplicate_missing_t",
        (*dup, "--copies", "1,2", c["x"], f.path("nosuch_t2.npy")),
        "nosuch_t2.npy",
    )
    snr = ("check-snr", *CHECK_FAST, "--json")
    error("check_snr_0", (*snr, "--snr", "0,1,2"))
    error("check_snr_neg", (*snr, "--snr", "-1,1,2"))
    error("check_snr_text", (*snr, "--snr", "a"))
    error(
        "check_snr_single",
        (*snr, "--snr", "1"),
        why="a Spearman correlation needs at least two SNRs",
    )
    error("check_snr_min_spearman_2", (*snr, "--snr", "1,2,3", "--min-spearman", "2"))
    error("check_snr_min_spearman_nan", (*snr, "--snr", "1,2,3", "--min-spearman", "nan"))
    error("check_snr_samples_2", ("check-snr", "--samples", "2", "--snr", "1,2,3"))
    error(
        "check_snr_trials_0", ("check-snr", "--samples", "200", "--trials", "0", "--snr", "1,2,3")
    )
    error("check_snr_file_argument", (*snr, "--snr", "1,2", c["x"]))

    error(
        "check_scale_plot_missing_dir",
        (*scale, *grid, "--pairs", "ksg/global-linf", "--plot", f.path("nodir/scale.png")),
        "scale.png",
    )
    error("diagnose_format_bogus", ("diagnose", c["x"], c["t"], "--format", "xls"))
    error("diagnose_stdin_twice", ("diagnose", "-", "-"), "<stdin>", stdin=b"x\n1\n2\n")

    # benchmark: small settings throughout, so that a missing check cannot run for minutes.
    bench = ("benchmark", "--trials", "2", "--pairs", "ksg/none", "-j", "1", "--json")
    small = ("--samples", "100")
    error("benchmark_preset_bogus", (*bench, "--preset", "table99"))
    error("benchmark_suite_bogus", (*bench, "--suite", "everything"))
    error("benchmark_preset_with_n", (*bench, "--preset", "table2", "--samples", "100"))
    error("benchmark_suite_with_preset", (*bench, "--suite", "tuning", "--preset", "table2"))
    error("benchmark_base_bogus", (*bench, *small, "--base", "uniform"))
    error("benchmark_dims_0", (*bench, *small, "--dims", "0"))
    error("benchmark_dims_text", (*bench, *small, "--dims", "a"))
    error("benchmark_dims_empty", (*bench, *small, "--dims", ""))
    error("benchmark_n_5", (*bench, "--samples", "5"))
    error("benchmark_n_neg", (*bench, "--samples", "-1"))
    error(
        "benchmark_trials_0",
        ("benchmark", *small, "--trials", "0", "--pairs", "ksg/none", "-j", "1", "--json"),
    )
    error(
        "benchmark_trials_neg",
        ("benchmark", *small, "--trials", "-3", "--pairs", "ksg/none", "-j", "1", "--json"),
    )
    error(
        "benchmark_estimator_bogus",
        ("benchmark", *small, "--trials", "2", "--pairs", "bogus/none", "-j", "1"),
    )
    error(
        "benchmark_norm_bogus",
        ("benchmark", *small, "--trials", "2", "--pairs", "ksg/bogus", "-j", "1"),
    )
    error("benchmark_transforms_bogus", (*bench, *small, "--transforms", "zz"))
    error("benchmark_k_0", (*bench, *small, "-k", "0"))
    error(
        "benchmark_jobs_0",
        ("benchmark", *small, "--trials", "2", "--pairs", "ksg/none", "-j", "0", "--json"),
    )
    error(
        "benchmark_csv_missing_dir",
        (*bench, *small, "--dims", "1", "--csv", f.path("nodir/scores.csv")),
        "scores.csv",
    )

    # trace: runs in folders of .npy files (and HDF5 files).
    rng = np.random.default_rng(5)
    inputs = rng.standard_normal((200, 2))
    labels = rng.integers(0, 4, 200)
    layer = RHO * inputs + math.sqrt(1 - RHO**2) * rng.standard_normal((200, 2))
    base = {"inputs.npy": inputs, "labels.npy": labels}
    tr = ("trace", "-j", "1", "--json")
    error("trace_missing_run", (*tr, f.path("nosuch_run")), "nosuch_run")
    error("trace_empty_folder", (*tr, f.folder("run_empty")), "run_empty")
    error("trace_no_epochs", (*tr, f.folder("run_noepochs", base)), "run_noepochs")
    error(
        "trace_no_inputs",
        (*tr, f.folder("run_noinputs", {"labels.npy": labels, "epoch_0_l1.npy": layer})),
        "inputs.npy",
    )
    error(
        "trace_labels_mismatch",
        (
            *tr,
            f.folder(
                "run_mismatch",
                {"inputs.npy": inputs, "labels.npy": labels[:150], "epoch_0_l1.npy": layer},
            ),
        ),
        "labels.npy",
    )
    bad_layer = layer.copy()
    bad_layer[4, 1] = np.nan
    error(
        "trace_nan_layer",
        (*tr, f.folder("run_nan", {**base, "epoch_0_l1.npy": bad_layer})),
        "epoch_0_l1.npy",
    )
    error("trace_empty_layer_file", (*tr, _raw_run(f, "run_zero", base, b"")), "epoch_0_l1.npy")
    error(
        "trace_truncated_layer",
        (*tr, _raw_run(f, "run_cut", base, _npy_bytes(layer)[:300])),
        "epoch_0_l1.npy",
    )
    error(
        "trace_layer_0_columns",
        (*tr, f.folder("run_nocols", {**base, "epoch_0_l1.npy": np.zeros((200, 0))})),
        "epoch_0_l1.npy",
    )
    error(
        "trace_complex_layer",
        (*tr, f.folder("run_cplx", {**base, "epoch_0_l1.npy": layer + 1j})),
        "epoch_0_l1.npy",
    )
    error("trace_pickled_layer", (*tr, _pickled_run(f, "run_pickled", base)), "epoch_0_l1.npy")
    good = f.folder("run_opts", {**base, "epoch_0_l1.npy": layer, "epoch_1_l1.npy": layer})
    error("trace_layers_unknown", (*tr, good, "--layers", "l9"), "run_opts")
    error("trace_epochs_text", (*tr, good, "--epochs", "a"))
    error("trace_epochs_reversed", (*tr, good, "--epochs", "5-2"))
    error("trace_epochs_missing", (*tr, good, "--epochs", "99"), "run_opts")
    error("trace_epochs_empty", (*tr, good, "--epochs", ","))
    error("trace_y_kind_bogus", (*tr, good, "--y-kind", "ordinal"))
    error("trace_pairs_bogus", (*tr, good, "--pairs", "bogus/none"))
    error("trace_pairs_empty", (*tr, good, "--pairs", ""))
    error("trace_k_0", (*tr, good, "-k", "0"))
    error("trace_B_neg", (*tr, good, "-B", "-1"))
    error("trace_backend_bogus", (*tr, good, "--backend", "spark"))
    error("trace_dask_without_scheduler", (*tr, good, "--backend", "dask"))
    error("trace_out_missing_dir", (*tr, good, "--out", f.path("nodir/trace.jsonl")), "trace.jsonl")
    error(
        "trace_plot_missing_dir",
        (
            *tr,
            good,
            "--pairs",
            "ksg/none",
            "--plot",
            f.path("nodir/trace.png"),
            "--out",
            f.path("run_opts.trace.jsonl"),
        ),
        "trace.png",
    )
    error("trace_h5_garbage", (*tr, f.text("run_garbage.h5", "garbage\n" * 10)), "run_garbage.h5")
    error("trace_x_missing_in_folder", (*tr, good, "--x", "nosuch_inputs.npy"), "nosuch_inputs.npy")

    # demo
    demo = f.path("demo_out")
    error("demo_unknown", ("demo", "bogus"))
    error("demo_rows_5", ("demo", "infoplane", "--rows", "5", "--out", demo, "-j", "1"))
    error("demo_epochs_1", ("demo", "infoplane", "--epochs", "1", "--out", demo, "-j", "1"))
    blocker = f.text("blocker", "a file, not a folder\n")
    error(
        "demo_out_under_file",
        ("demo", "infoplane", "--out", blocker + "/sub", "-j", "1"),
        "blocker",
    )
    error(
        "demo_pairs_bogus",
        (
            "demo",
            "infoplane",
            "--out",
            demo,
            "--epochs",
            "2",
            "--rows",
            "50",
            "--pairs",
            "bogus/none",
            "-j",
            "1",
        ),
    )
    return cases


def _pickled_run(f: _Files, name: str, base: dict[str, np.ndarray]) -> str:
    folder = f.folder(name, base)
    objects = np.empty(200, dtype=object)
    objects[:] = [(i,) for i in range(200)]
    f.npy(f"{name}/epoch_0_l1.npy", objects, allow_pickle=True)
    return folder


def _raw_run(f: _Files, name: str, base: dict[str, np.ndarray], layer: bytes) -> str:
    folder = f.folder(name, base)
    f.raw(f"{name}/epoch_0_l1.npy", layer)
    return folder


def _good_cases(f: _Files, c: dict[str, str]) -> list[Case]:
    """Awkward but well-posed inputs: each must give the right number."""
    x, t = _gauss(N, 1, RHO, seed=1)
    x2, t2 = _gauss(N, 2, RHO, seed=2)
    cases: list[Case] = []

    def number(name: str, argv: tuple[str, ...], truth: float, tol: float = TOL, **kw: Any) -> None:
        cases.append(Case(name, "good", argv, "number", truth=truth, tol=tol, **kw))

    number("plain", _est(c["x"], c["t"]), MI_RHO)
    number("plain_ksg", _est(c["x"], c["t"], "-e", "ksg"), MI_RHO)
    for estimator in ("ksg2", "bi-ksg", "mixed-ksg", "gcmi"):
        number(f"plain_{estimator}", _est(c["x"], c["t"], "-e", estimator), MI_RHO)
    number(
        "bootstrap_interval",
        _est(c["x"], c["t"], "--ci-method", "bootstrap", fast=("--json", "-j", "1", "-B", "20")),
        MI_RHO,
    )
    number("plain_2d", _est(c["x2"], c["t2"]), 2 * MI_RHO, TOL_2D)
    number(
        "independent",
        _est(c["x"], f.npy("t_indep.npy", np.random.default_rng(9).standard_normal(N))),
        0.0,
    )
    number("rescaled_1e6", _est(f.npy("x_1e6.npy", x * 1e6), c["t"]), MI_RHO)
    number("rescaled_1e-6", _est(f.npy("x_1e-6.npy", x * 1e-6), c["t"]), MI_RHO)
    number("rescaled_1e6_ksg", _est(f.path("x_1e6.npy"), c["t"], "-e", "ksg"), MI_RHO)
    number("shifted_1e9", _est(f.npy("x_shift.npy", x + 1e9), c["t"]), MI_RHO)
    number("shifted_1e9_ksg", _est(f.path("x_shift.npy"), c["t"], "-e", "ksg"), MI_RHO)
    number("negated", _est(f.npy("x_neg.npy", -x), c["t"]), MI_RHO)
    number(
        "columns_rescaled_apart",
        _est(f.npy("x2_apart.npy", x2 * [1e6, 1e-3]), c["t2"]),
        2 * MI_RHO,
        TOL_2D,
    )
    # T = X + 0.1·ε: I = ½ ln 101 = 2.31 nats; at high MI kNN estimators at n = 300 run about
    # 0.1 low, hence 0.3.
    noisy = x + 0.1 * np.random.default_rng(11).standard_normal(N)
    number("copy_with_noise", _est(c["x"], f.npy("t_copy.npy", noisy)), MI_COPY, 0.3)
    number(
        "units_bits",
        _est(c["x"], c["t"], "--units", "bits"),
        MI_RHO / math.log(2),
        TOL / math.log(2),
    )
    number("norm_rank", _est(c["x"], c["t"], "-e", "ksg", "--norm", "rank"), MI_RHO)
    number(
        "monotone_transform_rank",
        _est(f.npy("x_exp.npy", np.exp(3 * x)), c["t"], "-e", "ksg", "--norm", "rank"),
        MI_RHO,
    )
    number("k_1", _est(c["x"], c["t"], "-k", "1"), MI_RHO)
    number("with_interval", _est(c["x"], c["t"], fast=("--json", "-j", "1", "-B", "20")), MI_RHO)
    number(
        "with_interval_ci_0_9",
        _est(c["x"], c["t"], "--ci", "0.9", fast=("--json", "-j", "1", "-B", "20")),
        MI_RHO,
    )
    number("with_permutations", _est(c["x"], c["t"], "-P", "20"), MI_RHO)
    number("one_table_csv", _est(c["pair_csv"], "--x-cols", "x", "--t-cols", "t"), MI_RHO)
    number(
        "one_table_with_constant", _est(c["pair_csv"], "--x-cols", "x,u", "--t-cols", "t"), MI_RHO
    )
    number("seed_large", _est(c["x"], c["t"], "--seed", str(2**40)), MI_RHO)
    number(
        "hdf5_extension",
        _est(f.h5("pair.hdf5", lambda h: h.create_dataset("x", data=x)), c["t"]),
        MI_RHO,
    )
    number("npz_single_array", _est(f.npz("single.npz", a=x), c["t"]), MI_RHO)
    number("upper_case_extension", _est(f.npy("UPPER.NPY", x), c["t"]), MI_RHO)
    number(
        "fortran_order",
        _est(f.npy("fortran.npy", np.asfortranarray(x2)), c["t2"]),
        2 * MI_RHO,
        TOL_2D,
    )
    number("big_endian", _est(f.npy("big_endian.npy", x.astype(">f8")), c["t"]), MI_RHO)
    # The check commands on built-in data (d = 2, ρ = 0.8: I = 1.02 nats) and on files; the
    # scale-invariant pair must pass, and its reference value must be right.
    number(
        "check_scale_builtin",
        (
            "check-scale",
            *CHECK_FAST,
            "--factors",
            "0.5,1,2",
            "--pairs",
            "ksg/global-linf",
            "--json",
        ),
        2 * MI_RHO,
        TOL_2D,
        value_path=("pairs", 0, "reference"),
    )
    number(
        "check_scale_files",
        (
            "check-scale",
            c["x"],
            c["t"],
            *CHECK_FAST,
            "--factors",
            "0.5,1,2",
            "--pairs",
            "ksg/global-linf",
            "--json",
        ),
        MI_RHO,
        value_path=("pairs", 0, "reference"),
    )
    number(
        "check_snr_builtin",
        ("check-snr", *CHECK_FAST, "--snr", "1,2,3,4", "--pairs", "ksg/global-linf", "--json"),
        math.log(2),
        TOL_2D,
        value_path=("pairs", 0, "mean", 0),
    )
    number(
        "benchmark_small",
        (
            "benchmark",
            "--samples",
            "200",
            "--trials",
            "3",
            "--dims",
            "1",
            "--pairs",
            "ksg/global-linf",
            "-j",
            "1",
            "--json",
        ),
        0.0,
        0.3,
        value_path=("rows", 0, "scores", "ksg/global-linf", "bias"),
    )
    number(
        "check_noise_builtin",
        ("check-noise", *CHECK_FAST, "--columns", "0,2", "--pairs", "ksg/global-linf", "--json"),
        2 * MI_RHO,
        TOL_2D,
        value_path=("pairs", 0, "reference"),
    )
    number(
        "check_duplicate_files",
        (
            "check-duplicate",
            c["x"],
            c["t"],
            "--trials",
            "1",
            "-j",
            "1",
            "--copies",
            "1,2",
            "--pairs",
            "ksg/global-linf",
            "--json",
        ),
        MI_RHO,
        value_path=("pairs", 0, "reference"),
    )
    number(
        "check_scale_stdin",
        (
            "check-scale",
            "-",
            c["t"],
            "--trials",
            "1",
            "-j",
            "1",
            "--factors",
            "0.5,1,2",
            "--pairs",
            "ksg/global-linf",
            "--json",
        ),
        MI_RHO,
        value_path=("pairs", 0, "reference"),
        stdin=_csv(["x"], [x]).encode(),
    )
    number(
        "diagnose_stdin",
        ("diagnose", "-", c["t"], "--json"),
        N,
        0.0,
        value_path=("diagnosis", "n"),
        stdin=_npy_bytes(x),
    )
    number(
        "column_range_npy",
        _est(c["x2"], c["t2"], "--x-cols", "0-1", "--t-cols", "0,1"),
        2 * MI_RHO,
        TOL_2D,
    )
    rng = np.random.default_rng(5)
    inputs = rng.standard_normal((200, 2))
    layer = RHO * inputs + math.sqrt(1 - RHO**2) * rng.standard_normal((200, 2))
    run = f.folder(
        "run_good",
        {"inputs.npy": inputs, "labels.npy": rng.integers(0, 4, 200), "epoch_0_l1.npy": layer},
    )
    number(
        "trace_folder",
        ("trace", run, "-j", "1", "--pairs", "ksg/global-linf", "--json"),
        2 * MI_RHO,
        TOL_2D,
        value_path=("rows", 0, "estimates", "ksg/global-linf", "I(X;Z)"),
    )
    # More than two dimensions are flattened per row (documented): (200, 2, 1) is (200, 2).
    run3d = f.folder(
        "run_3d",
        {
            "inputs.npy": inputs,
            "labels.npy": rng.integers(0, 4, 200),
            "epoch_0_l1.npy": layer[:, :, None],
        },
    )
    number(
        "trace_3d_layer_flattened",
        ("trace", run3d, "-j", "1", "--pairs", "ksg/global-linf", "--json"),
        2 * MI_RHO,
        TOL_2D,
        value_path=("rows", 0, "estimates", "ksg/global-linf", "I(X;Z)"),
    )
    return cases


# --- running and judging ------------------------------------------------------------------------


class _CaseTimeout(BaseException):
    """Raised by the alarm: a BaseException, so that ``main``'s ``except Exception`` lets it by."""


class _Stdin:
    """A stand-in for ``sys.stdin`` whose ``buffer`` holds the case's bytes."""

    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)

    def isatty(self) -> bool:
        return False

    def read(self, *args: Any) -> str:
        return self.buffer.read(*args).decode()

    def fileno(self) -> int:
        raise io.UnsupportedOperation("fileno")


def run_case(case: Case, cwd: str | os.PathLike[str] | None = None) -> Outcome:
    """Run ``mitool`` in this process on the case's arguments and standard input."""
    from mitool.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved_stdin, saved_cwd = sys.stdin, os.getcwd()
    saved_debug = os.environ.pop("MITOOL_DEBUG", None)
    alarm = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()

    def on_alarm(signum: int, frame: object) -> None:
        raise _CaseTimeout

    previous = signal.signal(signal.SIGALRM, on_alarm) if alarm else None
    timed_out, code = False, None
    started = time.perf_counter()
    try:
        sys.stdin = _Stdin(case.stdin or b"")  # type: ignore[assignment]
        if cwd is not None:
            os.chdir(cwd)
        if alarm:
            signal.alarm(CASE_TIMEOUT)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(case.argv))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except _CaseTimeout:
                timed_out = True
            except Exception:  # main() must never raise: record it as a traceback
                err.write(traceback.format_exc())
    finally:
        if alarm:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        sys.stdin = saved_stdin
        os.chdir(saved_cwd)
        if saved_debug is not None:
            os.environ["MITOOL_DEBUG"] = saved_debug
    seconds = time.perf_counter() - started
    return Outcome(code, out.getvalue(), err.getvalue(), seconds, timed_out)


def _extract(payload: Any, path: Sequence[str | int]) -> Any:
    for key in path:
        payload = payload[key]
    if isinstance(payload, dict) and "value" in payload:
        payload = payload["value"]
    return payload


def _short(text: str, limit: int = 300) -> str:
    text = text.strip().replace("\n", " | ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check(case: Case, outcome: Outcome) -> str | None:
    """None when the outcome is acceptable for the case, else why it is not."""
    if outcome.timed_out:
        return f"did not finish within {CASE_TIMEOUT} s"
    stderr = outcome.stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    others = [line for line in lines if not line.startswith("mitool: warning:")]
    if "Traceback" in stderr:
        return f"traceback (exit {outcome.code}): {_short(lines[-1] if lines else stderr)}"
    if "internal error" in stderr:
        return f"internal error (exit {outcome.code}): {_short(stderr)}"
    if outcome.code == 2:
        if case.expect == "number":
            return f"expected a number, got exit 2: {_short(stderr)}"
        if len(others) != 1:
            return f"exit 2 with {len(others)} non-warning lines on stderr: {_short(stderr)}"
        line = others[0]
        if not line.startswith("mitool: error: "):
            return f"exit 2 but the line is not 'mitool: error: ...': {_short(line)}"
        if case.names_file is not None and case.names_file not in line:
            return f"the error does not name {case.names_file}: {_short(line)}"
        return None
    if outcome.code != 0:
        return f"exit status {outcome.code} (want 0 or 2): {_short(stderr)}"
    try:
        value = _extract(json.loads(outcome.stdout), case.value_path)
    except (ValueError, KeyError, IndexError, TypeError):
        value = None
        if case.expect != "error":
            return f"exit 0 but no number at {case.value_path}: {_short(outcome.stdout)}"
    if case.expect == "error":
        shown = "" if value is None else f", value {value!r}"
        return f"accepted bad input (exit 0{shown}){'; ' + _short(stderr) if stderr else ''}"
    if others:
        return f"exit 0 with non-warning lines on stderr: {_short(stderr)}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"exit 0 but the value is not a number: {value!r}"
    if not math.isfinite(value):
        return f"exit 0 with a non-finite value: {value!r}"
    if case.truth is not None:
        if not math.isfinite(case.truth):
            return f"printed {value:.4f}, but the truth is {case.truth}" + (
                f"; {_short(stderr)}" if stderr else " (no warning)"
            )
        if abs(value - case.truth) > (case.tol or 0.0):
            return f"wrong number: {value:.4f}, truth {case.truth:.4f} ± {case.tol:g}" + (
                f"; {_short(stderr)}" if stderr else " (no warning)"
            )
    return None


def main() -> int:
    """Build the corpus in a temporary folder, run it and print a table of the failures."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mitool-corpus-") as tmp:
        cases = build_cases(tmp)
        failures: list[tuple[Case, str, float]] = []
        for case in cases:
            outcome = run_case(case, cwd=tmp)
            problem = check(case, outcome)
            if problem is not None:
                failures.append((case, problem, outcome.seconds))
    total = time.perf_counter() - started
    counts = Counter(case.category for case in cases)
    print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) + f"; {len(cases)} in all")
    width = max((len(c.name) for c, _, _ in failures), default=4)
    for case, problem, seconds in failures:
        print(f"{case.category:9} {case.name:{width}} {seconds:6.2f}s  {problem}")
    print(f"{len(failures)} of {len(cases)} cases failed; {total:.1f} s in all")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
