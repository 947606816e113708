"""File reading at its limits (issue 19): declared sizes that the file or the memory cannot hold,
row counts compared before reading, integers beyond 2^53, CSV separators, column ranges, and
one table with only one side named."""

from __future__ import annotations

import io
import zipfile

import h5py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import mitool.io as mio
from mitool import estimate
from mitool.errors import InputError
from mitool.io import load_pair, load_table


def _npy_header(shape, descr="<f8"):
    buffer = io.BytesIO()
    header = {"descr": descr, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def _error(call, *args, **kwargs) -> str:
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.fixture
def no_h5_reads(monkeypatch):
    """Reading any HDF5 data fails the test: only shapes and types may be looked at."""

    def refuse(self, *args, **kwargs):
        raise AssertionError("HDF5 data were read")

    monkeypatch.setattr(h5py.Dataset, "__getitem__", refuse)


@pytest.fixture
def plenty_of_memory(monkeypatch):
    monkeypatch.setattr(mio, "_available_memory", lambda: None, raising=False)


# --- declared sizes -------------------------------------------------------------------------


def test_npy_header_declaring_more_than_the_file_holds(tmp_path):
    path = tmp_path / "x.npy"
    path.write_bytes(_npy_header((10**12, 4)) + bytes(128))
    message = _error(load_table, str(path))
    assert message.startswith(f"{path}: ")
    assert "truncated" in message and "1000000000000 × 4 float64 (32 TB)" in message
    assert "the file holds 128 bytes of data" in message
    path.write_bytes(_npy_header((2 * 10**9,)) + bytes(128))
    assert "2000000000 float64 (16 GB)" in _error(load_table, str(path))


def test_npy_with_more_data_than_its_header_declares(tmp_path):
    path = tmp_path / "x.npy"
    path.write_bytes(_npy_header((10, 2)) + bytes(8 * 40))
    message = _error(load_table, str(path))
    assert "10 × 2 float64 (160 bytes)" in message and "does not describe the data" in message


def test_stdin_npy_header_lying_about_its_size(plenty_of_memory):
    stream = io.BytesIO(_npy_header((2 * 10**9,)) + bytes(128))
    message = _error(load_table, "-", fmt="npy", stdin=stream)
    assert message.startswith("<stdin>: ") and "truncated" in message
    assert "(16 GB) but standard input holds 128 bytes of data" in message
    stream = io.BytesIO(_npy_header((10**12, 4)) + bytes(128))  # recognised without --format
    assert "32 TB" in _error(load_pair, "-", None, x_cols=["0"], t_cols=["1"], stdin=stream)


def test_npz_member_header_lying_about_its_size(tmp_path):
    path = tmp_path / "a.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", _npy_header((10**9, 2)) + bytes(64))
    message = _error(load_table, f"{path}:x")
    assert message.startswith(f"{path}:x: ") and "truncated" in message and "16 GB" in message


def test_too_large_for_memory_names_the_file_and_sizes(tmp_path, monkeypatch):
    np.save(tmp_path / "x.npy", np.zeros((1000, 4)))
    monkeypatch.setattr(mio, "_available_memory", lambda: 20_000, raising=False)
    message = _error(load_table, str(tmp_path / "x.npy"))
    assert message.startswith(f"{tmp_path / 'x.npy'}: is too large")
    assert "1000 × 4" in message and "32 kB" in message and "20 kB" in message
    stream = io.BytesIO((tmp_path / "x.npy").read_bytes())
    assert "<stdin>: is too large" in _error(load_table, "-", stdin=stream)
    np.testing.assert_array_equal(load_table(str(tmp_path / "x.npy"), columns=["0"]).data, 0)


def test_h5_dataset_never_written_is_refused_without_reading(tmp_path, no_h5_reads):
    with h5py.File(tmp_path / "d.h5", "w") as f:
        f.create_dataset("x", shape=(10**9,), dtype="f8")
        f.create_dataset("part", shape=(1000, 2), chunks=(100, 2), dtype="f8")[:100] = 1.0
    message = _error(load_table, f"{tmp_path}/d.h5:/x")
    assert (
        message
        == f"{tmp_path}/d.h5:/x: dataset '/x' declares 1000000000 rows but holds no stored data"
    )
    message = _error(load_table, f"{tmp_path}/d.h5:part")
    assert "'/part' declares 1000 rows" in message and "fill values" in message


def test_row_counts_are_compared_before_any_data_are_read(tmp_path, no_h5_reads, monkeypatch):
    with h5py.File(tmp_path / "big.h5", "w") as f:
        ds = f.create_dataset("x", shape=(10**9,), chunks=(10**5,), dtype="f8", compression="gzip")
        ds[: 10**5] = 1.0
    np.save(tmp_path / "t.npy", np.ones(20))
    np.save(tmp_path / "x.npy", np.ones((30, 2)))
    message = _error(load_pair, f"{tmp_path}/big.h5:/x", str(tmp_path / "t.npy"))
    assert message == (
        f"{tmp_path}/big.h5:/x, {tmp_path}/t.npy: row counts differ (1000000000 vs 20); "
        "rows are samples"
    )
    monkeypatch.setattr(np, "memmap", None)  # reading an .npy file would fail
    message = _error(load_pair, str(tmp_path / "x.npy"), str(tmp_path / "t.npy"))
    assert "row counts differ (30 vs 20)" in message


# --- integers beyond 2^53 -------------------------------------------------------------------


def _audit_pair():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(300)
    t = x + 0.5 * rng.standard_normal(300)
    coded = np.round(100 * x).astype(np.int64)
    return coded, 2**62 + coded, t


def _write_pair(tmp_path, fmt, big, t):
    if fmt == "npy":
        np.save(tmp_path / "x.npy", big)
        np.save(tmp_path / "t.npy", t)
        return str(tmp_path / "x.npy"), str(tmp_path / "t.npy"), {}
    cols = {"x_cols": ["x"], "t_cols": ["t"]}
    if fmt == "npz":
        np.savez(tmp_path / "p.npz", x=big, t=t)
        return f"{tmp_path}/p.npz:x", f"{tmp_path}/p.npz:t", {}
    if fmt == "h5":
        with h5py.File(tmp_path / "p.h5", "w") as f:
            f["x"], f["t"] = big, t
        return f"{tmp_path}/p.h5:/x", f"{tmp_path}/p.h5:/t", {}
    if fmt == "parquet":
        pq.write_table(pa.table({"x": big, "t": t}), tmp_path / "p.parquet")
        return str(tmp_path / "p.parquet"), None, cols
    lines = ["x,t"] + [f"{a},{b!r}" for a, b in zip(big.tolist(), t.tolist(), strict=True)]
    (tmp_path / "p.csv").write_text("\n".join(lines) + "\n")
    return str(tmp_path / "p.csv"), None, cols


@pytest.mark.parametrize("fmt", ["npy", "npz", "h5", "parquet", "csv"])
def test_integers_beyond_2_53_give_the_estimate_of_the_unshifted_codes(tmp_path, fmt):
    coded, big, t = _audit_pair()
    x_spec, t_spec, cols = _write_pair(tmp_path, fmt, big, t)
    tx, tt = load_pair(x_spec, t_spec, **cols)
    np.testing.assert_array_equal(tx.data[:, 0], coded - coded.min())  # exact, not collapsed
    np.testing.assert_array_equal(tt.data[:, 0], t)
    got = estimate(tx.data, tt.data, estimator="ksg", norm="none", resamples=0).value
    want = estimate(coded, t, estimator="ksg", norm="none", resamples=0).value
    assert got == pytest.approx(want, abs=1e-12)


def test_integer_ranges_wider_than_2_53(tmp_path):
    np.save(tmp_path / "wide.npy", np.array([[-(2**63), 0], [2**63 - 1, 1]], dtype=np.int64))
    message = _error(load_table, str(tmp_path / "wide.npy"))
    assert "column '0' holds integers beyond 2^53 that float64 cannot represent exactly" in message
    assert str(-(2**63)) in message
    np.save(tmp_path / "u.npy", np.array([0, 2**64 - 1], dtype=np.uint64))
    assert "beyond 2^53" in _error(load_table, str(tmp_path / "u.npy"))
    exact = np.array([-(2**62), 0, 2**62], dtype=np.int64)  # wide, but every value is exact
    np.save(tmp_path / "e.npy", exact)
    np.testing.assert_array_equal(load_table(str(tmp_path / "e.npy")).data[:, 0], [0, 2**62, 2**63])


def test_parquet_big_integers_with_nulls(tmp_path):
    column = pa.array([2**62 + 5, None, 2**62 + 1, 2**62], type=pa.int64())
    pq.write_table(pa.table({"a": column}), tmp_path / "n.parquet")
    data = load_table(str(tmp_path / "n.parquet")).data[:, 0]
    np.testing.assert_array_equal(data, [5, np.nan, 1, 0])
    big = pa.array([-(2**63), 2**63 - 1], type=pa.int64())
    pq.write_table(pa.table({"b": big}), tmp_path / "w.parquet")
    assert "column 'b' holds integers beyond 2^53" in _error(
        load_table, str(tmp_path / "w.parquet")
    )


def test_csv_big_integer_text(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("a\n4611686018427387904\n4611686018427387905\n\n4611686018427387907\n")
    np.testing.assert_array_equal(load_table(str(path)).data[:, 0], [0, 1, np.nan, 3])
    path.write_text("a\n4611686018427387904\n1.5\n")
    message = _error(load_table, str(path))
    assert "column 'a' holds integers beyond 2^53" in message and "'1.5' on line 3" in message
    path.write_text(f"a\n{-(2**70)}\n{2**70 + 1}\n")
    assert "cannot represent exactly (range" in _error(load_table, str(path))
    path.write_text("a\n1e20\n3e20\n")  # floats as written: kept as floats
    np.testing.assert_array_equal(load_table(str(path)).data[:, 0], [1e20, 3e20])


@pytest.mark.skipif(
    np.finfo(np.longdouble).max <= np.finfo(np.float64).max, reason="longdouble is float64 here"
)
def test_longdouble_beyond_float64_range(tmp_path):
    values = np.array([1.0, 2.0], dtype=np.longdouble)
    np.save(tmp_path / "ok.npy", values)
    np.testing.assert_array_equal(load_table(str(tmp_path / "ok.npy")).data[:, 0], [1, 2])
    values[1] = np.longdouble("1e400")
    np.save(tmp_path / "big.npy", values)
    assert "beyond the float64 range" in _error(load_table, str(tmp_path / "big.npy"))


# --- separators -----------------------------------------------------------------------------


@pytest.mark.parametrize("sep", [";", "\t", "|"])
@pytest.mark.parametrize("header", [True, False])
def test_separators_are_detected(tmp_path, sep, header):
    lines = ([sep.join(["a", "b", "c"])] if header else []) + [
        sep.join(["1.5", "2", "-3"]),
        sep.join(["4", "", "6e1"]),
    ]
    (tmp_path / "s.csv").write_text("\n".join(lines) + "\n")
    table = load_table(str(tmp_path / "s.csv"))
    assert table.columns == (["a", "b", "c"] if header else ["0", "1", "2"])
    np.testing.assert_array_equal(table.data, [[1.5, 2, -3], [4, np.nan, 60]])
    given = load_table(str(tmp_path / "s.csv"), sep=sep)
    np.testing.assert_array_equal(given.data, table.data)


def test_tsv_commas_quotes_and_one_column(tmp_path):
    (tmp_path / "t.tsv").write_text("a\n1\n2\n")
    assert load_table(str(tmp_path / "t.tsv")).columns == ["a"]
    (tmp_path / "t.tsv").write_text("a\tb\n1\t2\n")
    assert load_table(str(tmp_path / "t.tsv")).columns == ["a", "b"]
    (tmp_path / "q.csv").write_text('name,v\n"x;y",1\n"z;w",2\n')  # a comma file stays comma
    assert load_table(str(tmp_path / "q.csv"), columns=["v"]).data[:, 0].tolist() == [1, 2]
    (tmp_path / "one.csv").write_text("v\n1\n2\n")
    assert load_table(str(tmp_path / "one.csv")).columns == ["v"]
    stream = io.BytesIO(b"x;t\n1;2\n3;4\n5;7\n")
    x, t = load_pair("-", None, x_cols=["x"], t_cols=["t"], stdin=stream, sep=";")
    assert x.data[:, 0].tolist() == [1, 3, 5] and t.data[:, 0].tolist() == [2, 4, 7]


def test_bad_separator(tmp_path):
    (tmp_path / "s.csv").write_text("a;b\n1;2\n")
    for sep in (";;", "", "\n"):
        message = _error(load_table, str(tmp_path / "s.csv"), sep=sep)
        assert message.startswith(f"{tmp_path / 's.csv'}: the separator must be a single")
    message = _error(load_table, str(tmp_path / "s.csv"), sep=",")
    assert "looks separated by ';'" in message


# --- column ranges --------------------------------------------------------------------------


def test_ranges_in_arrays_and_headerless_csv(tmp_path):
    data = np.arange(30.0).reshape(5, 6)
    np.save(tmp_path / "a.npy", data)
    (tmp_path / "h.csv").write_text("\n".join(",".join(map(str, row)) for row in data) + "\n")
    for spec in ("a.npy", "h.csv"):
        table = load_table(f"{tmp_path}/{spec}", columns=["0-2", "5"])
        assert table.columns == ["0", "1", "2", "5"]
        np.testing.assert_array_equal(table.data, data[:, [0, 1, 2, 5]])
    assert "reversed; write '1-3'" in _error(load_table, str(tmp_path / "a.npy"), columns=["3-1"])
    message = _error(load_pair, str(tmp_path / "a.npy"), None, x_cols=["4-9"], t_cols=["0"])
    assert message.startswith(f"{tmp_path / 'a.npy'}: column range '4-9' (--x-cols)")
    assert "numbered 0 to 5" in message


def test_ranges_and_positions_in_named_tables(tmp_path):
    (tmp_path / "n.csv").write_text("a,b,c,1-2\n1,2,3,4\n5,6,7,8\n")
    table = load_table(str(tmp_path / "n.csv"), columns=["1-2", "0"])  # a name wins over a range
    assert table.columns == ["1-2", "a"]
    assert load_table(str(tmp_path / "n.csv"), columns=["1-2", "b"]).columns == ["1-2", "b"]
    (tmp_path / "p.csv").write_text("a,b,c\n1,2,3\n5,6,7\n")
    assert load_table(str(tmp_path / "p.csv"), columns=["1-2"]).columns == ["b", "c"]
    message = _error(load_table, str(tmp_path / "p.csv"), columns=["7"])
    assert "no column '7'" in message and "0-based position" in message
    (tmp_path / "y.csv").write_text("year,1990,1991,1992\n1,2,3,4\n5,6,7,8\n")
    table = load_table(str(tmp_path / "y.csv"), columns=["1990-1991"])  # integers are names here
    assert table.columns == ["1990", "1991"]
    assert "no column '0'" in _error(load_table, str(tmp_path / "y.csv"), columns=["0"])


# --- one side named -------------------------------------------------------------------------


def test_one_table_with_only_one_side_named(tmp_path):
    (tmp_path / "d.csv").write_text("a,species,b,c\n1,x,2,3\n4,y,5,6\n7,z,8,9\n")
    x, t = load_pair(str(tmp_path / "d.csv"), None, t_cols=["c"])
    assert x.columns == ["a", "b"] and t.columns == ["c"]
    x, t = load_pair(str(tmp_path / "d.csv"), None, x_cols=["b"], text_labels=True)
    assert x.columns == ["b"] and t.columns == ["a", "c"]  # text columns are left out
    message = _error(load_pair, str(tmp_path / "d.csv"), None, t_cols=["a", "b", "c"])
    assert "none is left for X" in message and message.startswith(str(tmp_path / "d.csv"))
    np.save(tmp_path / "a.npy", np.arange(12.0).reshape(4, 3))
    x, t = load_pair(str(tmp_path / "a.npy"), None, t_cols=["2"])
    assert x.columns == ["0", "1"] and t.data[:, 0].tolist() == [2, 5, 8, 11]
    assert "--x-cols and --t-cols" in _error(load_pair, str(tmp_path / "a.npy"), None)


def test_a_containers_memory_limit_bounds_the_memory_available(tmp_path, monkeypatch):
    from mitool import io as mio

    limit, usage = tmp_path / "memory.max", tmp_path / "memory.current"
    limit.write_text(f"{2**30}\n")
    usage.write_text(f"{2**28}\n")
    monkeypatch.setattr(mio, "_CGROUP_FILES", ((str(limit), str(usage)),))
    monkeypatch.setattr(mio, "_meminfo_available", lambda: 64 * 2**30)
    assert mio._available_memory() == 2**30 - 2**28
    limit.write_text("max\n")  # no limit: the machine's own figure
    assert mio._available_memory() == 64 * 2**30
