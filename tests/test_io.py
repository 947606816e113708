"""File reading: each format round-trips, and each file-level problem is a one-line InputError."""

from __future__ import annotations

import io
from pathlib import Path

import h5py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mitool.errors import InputError
from mitool.io import load_pair, load_table

SAMPLE = Path(__file__).parent.parent / "sample_data"


@pytest.fixture
def arr():
    return np.random.default_rng(0).standard_normal((20, 3))


def test_npy_1d_is_one_column(tmp_path, arr):
    np.save(tmp_path / "a.npy", arr[:, 0])
    table = load_table(str(tmp_path / "a.npy"))
    assert table.data.shape == (20, 1) and table.columns == ["0"]
    np.testing.assert_array_equal(table.data[:, 0], arr[:, 0])


def test_npy_column_selection_by_index(tmp_path, arr):
    np.save(tmp_path / "a.npy", arr)
    table = load_table(str(tmp_path / "a.npy"), columns=["2", "0"])
    np.testing.assert_array_equal(table.data, arr[:, [2, 0]])


def test_integers_and_booleans_become_floats(tmp_path):
    np.save(tmp_path / "i.npy", np.arange(10, dtype=np.int32))
    np.save(tmp_path / "b.npy", np.arange(10) % 2 == 0)
    assert load_table(str(tmp_path / "i.npy")).data.dtype == np.float64
    assert load_table(str(tmp_path / "b.npy")).data.sum() == 5


def test_npz_and_h5_paths(tmp_path, arr):
    np.savez(tmp_path / "a.npz", x=arr, t=arr[:, :1])
    with h5py.File(tmp_path / "a.h5", "w") as f:
        f["/deep/group/x"] = arr
    np.testing.assert_array_equal(load_table(f"{tmp_path}/a.npz:t").data, arr[:, :1])
    np.testing.assert_array_equal(load_table(f"{tmp_path}/a.h5:/deep/group/x").data, arr)
    np.testing.assert_array_equal(load_table(f"{tmp_path}/a.h5").data, arr)  # only dataset
    with pytest.raises(InputError, match="holds 2 arrays"):
        load_table(f"{tmp_path}/a.npz")


def test_parquet_and_csv_single_table(tmp_path, arr):
    cols = {"a": arr[:, 0], "b": arr[:, 1], "c": arr[:, 2], "name": [f"r{i}" for i in range(20)]}
    pq.write_table(pa.table(cols), tmp_path / "d.parquet")
    lines = ["a,b,c,name"] + [f"{a:.17g},{b:.17g},{c:.17g},r" for a, b, c in arr]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    for name in ("d.parquet", "d.csv"):
        x, t = load_pair(str(tmp_path / name), None, x_cols=["a", "b"], t_cols=["c"])
        np.testing.assert_array_equal(x.data, arr[:, :2])
        np.testing.assert_array_equal(t.data, arr[:, 2:])
        with pytest.raises(InputError, match="name"):
            load_table(str(tmp_path / name))  # all columns, one of them text


def test_csv_without_header_and_missing_values(tmp_path):
    (tmp_path / "h.csv").write_text("1,2\n3,\n5,nan\n")
    table = load_table(str(tmp_path / "h.csv"))
    assert table.columns == ["0", "1"]
    assert np.isnan(table.data[1:, 1]).all() and table.data[0, 1] == 2


def test_stdin_csv_and_npy(arr):
    text = "x,t\n" + "\n".join(f"{a:.17g},{b:.17g}" for a, b in arr[:, :2])
    x, t = load_pair("-", None, x_cols=["x"], t_cols=["t"], stdin=io.BytesIO(text.encode()))
    np.testing.assert_array_equal(np.hstack([x.data, t.data]), arr[:, :2])
    buffer = io.BytesIO()
    np.save(buffer, arr)
    x, t = load_pair(
        "-", None, x_cols=["0"], t_cols=["1", "2"], fmt="npy", stdin=io.BytesIO(buffer.getvalue())
    )
    assert x.source == "<stdin>" and t.data.shape == (20, 2)
    with pytest.raises(InputError, match="only be read once"):
        load_pair("-", "-", stdin=io.BytesIO(text.encode()))


def test_pickles_are_never_loaded(tmp_path, monkeypatch):
    import pickle

    np.save(tmp_path / "p.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.savez(tmp_path / "p.npz", x=np.array([{"a": 1}], dtype=object))
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("unpickled"))
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("unpickled"))
    for spec in ("p.npy", "p.npz:x"):
        with pytest.raises(InputError, match="never loads pickles"):
            load_table(f"{tmp_path}/{spec}")


@pytest.mark.parametrize(
    ("make", "spec", "match"),
    [
        (None, "missing.npy", "file not found"),
        (lambda p: (p / "a.txt").write_text("1"), "a.txt", "unknown file type"),
        (lambda p: (p / "g.npy").write_bytes(b"garbage"), "g.npy", "not an .npy file"),
        (lambda p: (p / "g.h5").write_bytes(b"garbage"), "g.h5", "cannot read as h5"),
        (lambda p: (p / "g.parquet").write_bytes(b"garbage"), "g.parquet", "cannot read"),
        (lambda p: np.save(p / "c.npy", np.zeros((4, 2, 2))), "c.npy", "3 dimensions"),
        (lambda p: np.save(p / "s.npy", np.array(["a", "b"])), "s.npy", "not numeric"),
        (lambda p: np.savez(p / "z.npz", x=np.ones(3)), "z.npz:y", "no array 'y'"),
        (lambda p: h5py.File(p / "f.h5", "w").create_group("g"), "f.h5:/g", "group"),
        (lambda p: (p / "e.csv").write_text(""), "e.csv", "no rows"),
        (lambda p: (p / "r.csv").write_text("a,b\n1,2\n3\n"), "r.csv", "line 3"),
        (lambda p: (p / "n.npy").write_bytes(b""), "n.npy", "not an .npy file"),
        (lambda p: (p / "sub.npy").mkdir(), "sub.npy", "directory"),
    ],
)
def test_bad_files(tmp_path, make, spec, match):
    if make is not None:
        made = make(tmp_path)
        if hasattr(made, "file"):
            made.file.close()
    with pytest.raises(InputError, match=match) as info:
        load_table(f"{tmp_path}/{spec}")
    assert spec.split(":")[0] in str(info.value) and "\n" not in str(info.value)


def test_column_selection_errors(tmp_path, arr):
    np.save(tmp_path / "a.npy", arr)
    with pytest.raises(InputError, match="no column"):
        load_table(str(tmp_path / "a.npy"), columns=["7"])
    with pytest.raises(InputError, match="empty"):
        load_table(str(tmp_path / "a.npy"), columns=[])
    with pytest.raises(InputError, match="--x-cols and --t-cols"):
        load_pair(str(tmp_path / "a.npy"), None, x_cols=["0"])


def test_sample_data_formats_agree():
    x = np.load(SAMPLE / "x.npy")
    t = np.load(SAMPLE / "t.npy")
    for xs, ts, cols in [
        ("pair.npz:x", "pair.npz:t", {}),
        ("pair.h5:/x", "pair.h5:/t", {}),
        ("pair.parquet", None, {"x_cols": ["x0", "x1"], "t_cols": ["t0", "t1"]}),
        ("pair.csv", None, {"x_cols": ["x0", "x1"], "t_cols": ["t0", "t1"]}),
    ]:
        tx, tt = load_pair(str(SAMPLE / xs), ts and str(SAMPLE / ts), **cols)
        np.testing.assert_array_equal(tx.data, x)
        np.testing.assert_array_equal(tt.data, t)
