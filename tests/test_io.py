"""File reading: each format round-trips, and each file-level problem is a one-line InputError."""

from __future__ import annotations

import importlib.util
import io
import pickle
from pathlib import Path

import h5py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mitool.errors import InputError
from mitool.io import Table, load_pair, load_table

SAMPLE = Path(__file__).parent.parent / "sample_data"


@pytest.fixture
def arr():
    return np.random.default_rng(0).standard_normal((20, 3))


def _csv_text(header, rows):
    lines = [",".join(header)] if header else []
    lines += [",".join(f"{v:.17g}" for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def _is_clean(table: Table) -> bool:
    data = table.data
    return data.dtype == np.float64 and data.ndim == 2 and data.flags.c_contiguous


def _error(spec, **kwargs) -> str:
    with pytest.raises(InputError) as info:
        load_table(spec, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


# --- round trips ----------------------------------------------------------------------------


def test_npy_1d_is_one_column(tmp_path, arr):
    np.save(tmp_path / "a.npy", arr[:, 0])
    table = load_table(str(tmp_path / "a.npy"))
    assert table.data.shape == (20, 1) and table.columns == ["0"] and _is_clean(table)
    assert table.source == str(tmp_path / "a.npy")
    np.testing.assert_array_equal(table.data[:, 0], arr[:, 0])


def test_npy_2d_and_column_selection_by_index(tmp_path, arr):
    np.save(tmp_path / "a.npy", arr)
    table = load_table(str(tmp_path / "a.npy"))
    assert table.columns == ["0", "1", "2"] and _is_clean(table)
    np.testing.assert_array_equal(table.data, arr)
    picked = load_table(str(tmp_path / "a.npy"), columns=["2", "0"])
    assert picked.columns == ["2", "0"] and _is_clean(picked)
    np.testing.assert_array_equal(picked.data, arr[:, [2, 0]])


def test_fortran_order_and_other_dtypes_become_c_float64(tmp_path, arr):
    np.save(tmp_path / "f.npy", np.asfortranarray(arr.astype(np.float32)))
    np.save(tmp_path / "i.npy", np.arange(10, dtype=np.int32))
    np.save(tmp_path / "u.npy", np.arange(10, dtype=">u2"))
    np.save(tmp_path / "b.npy", np.arange(10) % 2 == 0)
    table = load_table(str(tmp_path / "f.npy"))
    assert _is_clean(table)
    np.testing.assert_allclose(table.data, arr, rtol=1e-6)
    assert load_table(str(tmp_path / "i.npy")).data.dtype == np.float64
    assert load_table(str(tmp_path / "u.npy")).data[-1, 0] == 9.0
    assert load_table(str(tmp_path / "b.npy")).data.sum() == 5


def test_npz_with_and_without_key(tmp_path, arr):
    np.savez(tmp_path / "a.npz", x=arr, t=arr[:, :1])
    np.savez_compressed(tmp_path / "one.npz", only=arr)
    table = load_table(f"{tmp_path}/a.npz:t")
    assert table.source == f"{tmp_path}/a.npz:t" and _is_clean(table)
    np.testing.assert_array_equal(table.data, arr[:, :1])
    np.testing.assert_array_equal(load_table(f"{tmp_path}/one.npz").data, arr)
    message = _error(f"{tmp_path}/a.npz")
    assert "holds 2 arrays" in message and "x" in message and "t" in message


def test_h5_nested_path_and_single_dataset(tmp_path, arr):
    with h5py.File(tmp_path / "a.h5", "w") as f:
        f["/deep/group/x"] = arr
    with h5py.File(tmp_path / "b.hdf5", "w") as f:
        f["/x"] = arr
        f["/g/t"] = arr[:, 0].astype(np.float32)
    table = load_table(f"{tmp_path}/a.h5:/deep/group/x")
    assert table.source == f"{tmp_path}/a.h5:/deep/group/x" and _is_clean(table)
    np.testing.assert_array_equal(table.data, arr)
    np.testing.assert_array_equal(load_table(f"{tmp_path}/a.h5").data, arr)  # the only one
    np.testing.assert_array_equal(load_table(f"{tmp_path}/a.h5:deep/group/x").data, arr)
    np.testing.assert_allclose(load_table(f"{tmp_path}/b.hdf5:/g/t").data[:, 0], arr[:, 0], 1e-6)
    assert "holds 2 datasets" in _error(f"{tmp_path}/b.hdf5")


def test_parquet_column_selection_reads_only_those_columns(tmp_path, arr, monkeypatch):
    cols = {"a": arr[:, 0], "b": arr[:, 1], "c": arr[:, 2], "name": [f"r{i}" for i in range(20)]}
    pq.write_table(pa.table(cols), tmp_path / "d.parquet")
    asked = []
    real = pq.read_table

    def spy(*args, **kwargs):
        asked.append(kwargs.get("columns"))
        return real(*args, **kwargs)

    monkeypatch.setattr(pq, "read_table", spy)
    table = load_table(str(tmp_path / "d.parquet"), columns=["c", "a"])
    assert table.columns == ["c", "a"] and _is_clean(table)
    np.testing.assert_array_equal(table.data, arr[:, [2, 0]])
    assert asked == [["c", "a"]]


def test_parquet_all_columns_nulls_ints_and_bools(tmp_path):
    cols = {
        "f": pa.array([1.5, None, 3.0]),
        "i": pa.array([1, 2, None], type=pa.int64()),
        "b": pa.array([True, False, None]),
    }
    pq.write_table(pa.table(cols), tmp_path / "n.parquet")
    table = load_table(str(tmp_path / "n.parquet"))
    assert table.columns == ["f", "i", "b"] and _is_clean(table)
    np.testing.assert_array_equal(
        table.data, [[1.5, 1.0, 1.0], [np.nan, 2.0, 0.0], [3.0, np.nan, np.nan]]
    )


def test_csv_with_header(tmp_path, arr):
    (tmp_path / "h.csv").write_text(_csv_text(["a", " b", "c"], arr))
    table = load_table(str(tmp_path / "h.csv"))
    assert table.columns == ["a", "b", "c"] and _is_clean(table)
    np.testing.assert_array_equal(table.data, arr)
    np.testing.assert_array_equal(
        load_table(str(tmp_path / "h.csv"), columns=["b"]).data, arr[:, 1:2]
    )


def test_csv_without_header_and_missing_values(tmp_path):
    (tmp_path / "h.csv").write_text("1,2\r\n3,\r\n5,nan\r\n-inf,1e3\r\n\r\n")
    table = load_table(str(tmp_path / "h.csv"))
    assert table.columns == ["0", "1"] and _is_clean(table)
    np.testing.assert_array_equal(table.data, [[1, 2], [3, np.nan], [5, np.nan], [-np.inf, 1000]])
    np.testing.assert_array_equal(load_table(str(tmp_path / "h.csv"), columns=["1"]).data[0], [2])


def test_one_column_csv_keeps_blank_lines_as_missing_values(tmp_path):
    (tmp_path / "one.csv").write_text("v\n1\n\n3\n\n")
    np.testing.assert_array_equal(load_table(str(tmp_path / "one.csv")).data[:, 0], [1, np.nan, 3])


def test_format_overrides_extension(tmp_path, arr):
    np.save(tmp_path / "a.npy", arr)
    (tmp_path / "a.npy").rename(tmp_path / "a.bin")
    np.testing.assert_array_equal(load_table(str(tmp_path / "a.bin"), fmt="npy").data, arr)
    (tmp_path / "t.txt").write_text(_csv_text(["a", "b"], arr[:, :2]))
    np.testing.assert_array_equal(load_table(str(tmp_path / "t.txt"), fmt="csv").data, arr[:, :2])
    np.savez(tmp_path / "z.npz", x=arr)
    (tmp_path / "z.npz").rename(tmp_path / "z.dat")
    np.testing.assert_array_equal(load_table(f"{tmp_path}/z.dat:x", fmt="npz").data, arr)
    assert "unknown format 'xls'" in _error(str(tmp_path / "t.txt"), fmt="xls")


def test_stdin_csv_and_npy(arr):
    text = _csv_text(["x", "t"], arr[:, :2]).encode()
    x, t = load_pair("-", None, x_cols=["x"], t_cols=["t"], stdin=io.BytesIO(text))
    assert x.source == t.source == "<stdin>"
    np.testing.assert_array_equal(np.hstack([x.data, t.data]), arr[:, :2])
    buffer = io.BytesIO()
    np.save(buffer, arr)
    x, t = load_pair(
        "-", None, x_cols=["0"], t_cols=["1", "2"], fmt="npy", stdin=io.BytesIO(buffer.getvalue())
    )
    assert x.source == "<stdin>" and t.data.shape == (20, 2) and _is_clean(t)
    np.testing.assert_array_equal(t.data, arr[:, 1:])
    table = load_table("-", stdin=io.BytesIO(text))
    np.testing.assert_array_equal(table.data, arr[:, :2])


def test_stdin_for_one_side_and_a_file_for_the_other(tmp_path, arr):
    np.save(tmp_path / "t.npy", arr[:, 2])
    stream = io.BytesIO(_csv_text(["a", "b"], arr[:, :2]).encode())
    x, t = load_pair("-", str(tmp_path / "t.npy"), stdin=stream)
    np.testing.assert_array_equal(x.data, arr[:, :2])
    np.testing.assert_array_equal(t.data[:, 0], arr[:, 2])


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_single_table_pair(tmp_path, arr, fmt):
    cols = {"a": arr[:, 0], "b": arr[:, 1], "c": arr[:, 2], "species": [f"s{i}" for i in range(20)]}
    path = tmp_path / f"d.{fmt}"
    if fmt == "parquet":
        pq.write_table(pa.table(cols), path)
    else:
        lines = ["a,b,c,species"] + [
            f"{a:.17g},{b:.17g},{c:.17g},s{i}" for i, (a, b, c) in enumerate(arr)
        ]
        path.write_text("\n".join(lines) + "\n")
    x, t = load_pair(str(path), None, x_cols=["a", "b"], t_cols=["c"])
    assert x.columns == ["a", "b"] and t.columns == ["c"] and _is_clean(x) and _is_clean(t)
    assert x.source == t.source == str(path)
    np.testing.assert_array_equal(x.data, arr[:, :2])
    np.testing.assert_array_equal(t.data, arr[:, 2:])
    message = _error(str(path))  # all columns, one of them text
    assert "column 'species' is not numeric" in message and str(path) in message
    with pytest.raises(InputError, match="column 'species' is not numeric"):
        load_pair(str(path), None, x_cols=["a"], t_cols=["species"])


# --- pickles ----------------------------------------------------------------------------------


class _Trap:
    """Unpickling this creates the file ``marker``: evidence that a pickle was loaded."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickles_are_never_loaded(tmp_path, monkeypatch):
    marker = tmp_path / "unpickled"
    trap = np.array([_Trap(str(marker))], dtype=object)
    np.save(tmp_path / "p.npy", trap, allow_pickle=True)
    np.save(tmp_path / "d.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.savez(tmp_path / "p.npz", x=trap)
    (tmp_path / "raw.npy").write_bytes(pickle.dumps(trap))  # a bare pickle named .npy
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("unpickled"))
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("unpickled"))
    for spec in ("p.npy", "d.npy", "p.npz:x"):
        message = _error(f"{tmp_path}/{spec}")
        assert "never loads pickles" in message and spec in message
    assert "not an .npy file" in _error(f"{tmp_path}/raw.npy")
    stream = io.BytesIO((tmp_path / "p.npy").read_bytes())
    with pytest.raises(InputError, match="<stdin>: .*never loads pickles"):
        load_table("-", fmt="npy", stdin=stream)
    assert not marker.exists()


# --- file-level errors ------------------------------------------------------------------------


def _h5_group(p):
    with h5py.File(p / "f.h5", "w") as f:
        f.create_group("g")
        f["/g/x"] = np.ones(5)


BAD_FILES = {
    "missing": (None, "missing.npy", "file not found"),
    "missing h5 with path": (None, "missing.h5:/x", "file not found"),
    "unknown extension": (lambda p: (p / "a.txt").write_text("1"), "a.txt", "unknown file type"),
    "key on npy": (lambda p: np.save(p / "k.npy", np.ones(3)), "k.npy:x", "only applies"),
    "garbage npy": (lambda p: (p / "g.npy").write_bytes(b"garbage"), "g.npy", "not an .npy"),
    "empty npy": (lambda p: (p / "n.npy").write_bytes(b""), "n.npy", "not an .npy file"),
    "truncated npy": (
        lambda p: (p / "t.npy").write_bytes(_npy_bytes(np.ones((50, 2)))[:200]),
        "t.npy",
        "cannot read as npy",
    ),
    "garbage npz": (lambda p: (p / "g.npz").write_bytes(b"garbage"), "g.npz", "not an .npz"),
    "bad zip npz": (
        lambda p: (p / "z.npz").write_bytes(b"PK" + b"\0" * 30),
        "z.npz",
        "not an .npz",
    ),
    "garbage h5": (lambda p: (p / "g.h5").write_bytes(b"garbage"), "g.h5", "cannot read as h5"),
    "garbage parquet": (
        lambda p: (p / "g.parquet").write_bytes(b"garbage"),
        "g.parquet",
        "cannot read as parquet",
    ),
    "binary csv": (lambda p: (p / "b.csv").write_bytes(b"\xff\xfe\x00a"), "b.csv", "cannot read"),
    "directory": (lambda p: (p / "sub.npy").mkdir(), "sub.npy", "directory"),
    "3-D": (lambda p: np.save(p / "c.npy", np.zeros((4, 2, 2))), "c.npy", "has 3 dimensions"),
    "0-D": (lambda p: np.save(p / "s.npy", np.float64(1.0)), "s.npy", "has 0 dimensions"),
    "3-D h5": (lambda p: _h5(p, np.zeros((4, 2, 2))), "d.h5:/x", "has 3 dimensions"),
    "no rows npy": (lambda p: np.save(p / "e.npy", np.zeros((0, 2))), "e.npy", "no rows"),
    "no columns npy": (lambda p: np.save(p / "e.npy", np.zeros((5, 0))), "e.npy", "no columns"),
    "strings npy": (lambda p: np.save(p / "s.npy", np.array(["a", "b"])), "s.npy", "not numeric"),
    "complex npy": (lambda p: np.save(p / "c.npy", np.ones(3) * 1j), "c.npy", "complex"),
    "strings h5": (lambda p: _h5(p, np.array([b"a", b"b"])), "d.h5:/x", "not numeric"),
    "wrong npz key": (
        lambda p: np.savez(p / "z.npz", x=np.ones(3), t=np.ones(3)),
        "z.npz:y",
        "has no array 'y'; it holds: x, t",
    ),
    "wrong h5 path": (_h5_group, "f.h5:/g/nothing", "has no dataset '/g/nothing'; it holds: /g/x"),
    "h5 group": (_h5_group, "f.h5:/g", "'/g' is a group, not a dataset"),
    "empty csv": (lambda p: (p / "e.csv").write_text("\n\n"), "e.csv", "has no rows"),
    "header-only csv": (lambda p: (p / "h.csv").write_text("a,b\n"), "h.csv", "no data rows"),
    "ragged csv": (lambda p: (p / "r.csv").write_text("a,b\n1,2\n3\n"), "r.csv", "line 3"),
    "repeated csv names": (lambda p: (p / "r.csv").write_text("a,a\n1,2\n"), "r.csv", "'a'"),
}


def _npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _h5(p, array):
    with h5py.File(p / "d.h5", "w") as f:
        f["x"] = array


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_bad_files(tmp_path, case):
    make, spec, match = BAD_FILES[case]
    if make is not None:
        make(tmp_path)
    message = _error(f"{tmp_path}/{spec}")
    assert message.startswith(f"{tmp_path}/{spec}: ")  # the source as typed
    assert match in message


def test_h5_listing_is_capped(tmp_path):
    with h5py.File(tmp_path / "many.h5", "w") as f:
        for i in range(25):
            f[f"/g/d{i:02d}"] = np.ones(3)
    message = _error(f"{tmp_path}/many.h5:/nope")
    assert "/g/d00" in message and "/g/d24" not in message and "25 in all" in message


def test_column_selection_errors(tmp_path, arr):
    np.save(tmp_path / "a.npy", arr)
    (tmp_path / "h.csv").write_text(_csv_text(["a", "b"], arr[:, :2]))
    message = _error(str(tmp_path / "a.npy"), columns=["7"])
    assert "no column '7'" in message and "available: '0', '1', '2'" in message
    message = _error(str(tmp_path / "h.csv"), columns=["a", "zz", "yy"])
    assert "no columns 'zz', 'yy'" in message and "available: 'a', 'b'" in message
    assert "empty" in _error(str(tmp_path / "a.npy"), columns=[])
    with pytest.raises(InputError, match=r"h\.csv: the column selection \(--t-cols\) is empty"):
        load_pair(str(tmp_path / "h.csv"), None, x_cols=["a"], t_cols=[])
    with pytest.raises(InputError, match="--x-cols and --t-cols"):
        load_pair(str(tmp_path / "a.npy"), None)
    with pytest.raises(InputError, match="zz"):
        load_pair(str(tmp_path / "a.npy"), str(tmp_path / "h.csv"), t_cols=["zz"])


def test_non_numeric_csv_names_the_column_and_line(tmp_path):
    (tmp_path / "w.csv").write_text("a,species\n1,setosa\n2,virginica\n")
    message = _error(str(tmp_path / "w.csv"), columns=["species"])
    assert "column 'species' is not numeric" in message and "line 2" in message
    np.testing.assert_array_equal(
        load_table(str(tmp_path / "w.csv"), columns=["a"]).data, [[1], [2]]
    )


def test_stdin_errors(arr):
    text = _csv_text(["a", "b"], arr[:, :2]).encode()
    with pytest.raises(InputError, match="<stdin>: standard input can only be read once"):
        load_pair("-", "-", stdin=io.BytesIO(text))
    with pytest.raises(InputError, match="<stdin>: standard input is empty"):
        load_table("-", stdin=io.BytesIO(b""))
    with pytest.raises(InputError, match="<stdin>: .*CSV"):
        load_table("-", fmt="parquet", stdin=io.BytesIO(text))
    with pytest.raises(InputError, match="<stdin>: is not an .npy file"):
        load_table("-", fmt="npy", stdin=io.BytesIO(text))
    with pytest.raises(InputError, match="<stdin>: .*--x-cols and --t-cols"):
        load_pair("-", None, stdin=io.BytesIO(text))


# --- the sample data --------------------------------------------------------------------------


def test_sample_data_formats_agree():
    x = load_table(str(SAMPLE / "x.npy")).data
    t = load_table(str(SAMPLE / "t.npy")).data
    assert x.shape == t.shape == (2000, 2)
    cols = {"x_cols": ["x0", "x1"], "t_cols": ["t0", "t1"]}
    for xs, ts, kwargs, rtol in [
        ("pair.npz:x", "pair.npz:t", {}, 0),
        ("pair.h5:/x", "pair.h5:/t", {}, 0),
        ("pair.parquet", None, cols, 0),
        ("pair.csv", None, cols, 1e-9),  # written with %.10g
    ]:
        tx, tt = load_pair(str(SAMPLE / xs), ts and str(SAMPLE / ts), **kwargs)
        np.testing.assert_allclose(tx.data, x, rtol=rtol, atol=0)
        np.testing.assert_allclose(tt.data, t, rtol=rtol, atol=0)


def test_sample_data_is_what_the_script_makes():
    spec = importlib.util.spec_from_file_location(
        "make_sample_data", SAMPLE / "make_sample_data.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    x, t = module.make_pair()
    np.testing.assert_array_equal(np.load(SAMPLE / "x.npy"), x)
    np.testing.assert_array_equal(np.load(SAMPLE / "t.npy"), t)
    assert module.true_mi() == pytest.approx(1.0217, abs=1e-4)
    assert np.corrcoef(x[:, 0], t[:, 0])[0, 1] == pytest.approx(0.8, abs=0.03)
