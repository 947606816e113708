"""mitool.validate: user arrays to clean float64 (rows are samples), exact integer storage, and
the one-line errors of check_pair, on hand-made tiny arrays."""

from __future__ import annotations

import numpy as np
import pytest

from mitool.errors import InputError
from mitool.validate import EXACT_INTEGERS, as_samples, check_pair, rows, store_exactly


def test_one_dimensional_input_becomes_one_column_of_float64():
    out = as_samples([3, 1, 2], "X")
    assert out.dtype == np.float64 and out.shape == (3, 1)
    assert out[:, 0].tolist() == [3.0, 1.0, 2.0]


@pytest.mark.parametrize(
    "values",
    [
        np.array([[1, 2], [3, 4]], dtype=np.int8),
        np.array([[1, 2], [3, 4]], dtype=np.uint32),
        np.array([[1.5, 2], [3, 4]], dtype=np.float32),
        np.array([[True, False], [False, True]]),
    ],
    ids=["int8", "uint32", "float32", "bool"],
)
def test_narrow_types_convert_exactly(values):
    out = as_samples(values, "X")
    assert out.dtype == np.float64 and out.flags.c_contiguous
    assert np.array_equal(out, values.astype(np.float64))


def test_int64_within_two_to_the_53_is_stored_as_is():
    col = np.array([-(2**53), 0, 2**53], dtype=np.int64)
    assert as_samples(col, "X")[:, 0].tolist() == [-(2.0**53), 0.0, 2.0**53]
    assert EXACT_INTEGERS == 2**53


def test_int64_beyond_two_to_the_53_is_shifted_by_its_minimum():
    # 2^60 + {0, 1, 3}: float64 cannot tell 2^60 from 2^60 + 1, but the differences from the
    # minimum, 0, 1, 3, are exact; MI is invariant to the shift.
    col = np.array([2**60, 2**60 + 1, 2**60 + 3], dtype=np.int64)
    assert as_samples(col, "X")[:, 0].tolist() == [0.0, 1.0, 3.0]
    neg = np.array([-(2**62), -(2**62) + 5], dtype=np.int64)
    assert as_samples(neg, "X")[:, 0].tolist() == [0.0, 5.0]
    big = np.array([2**63, 2**63 + 2], dtype=np.uint64)
    assert as_samples(big, "X")[:, 0].tolist() == [0.0, 2.0]


def test_a_range_wider_than_two_to_the_53_is_refused_unless_every_value_is_exact():
    # Shifted: 0 and 2^63 + 1, which float64 rounds to 2^63: refused, naming the column.
    col = np.array([-(2**62), 2**62 + 1], dtype=np.int64)
    with pytest.raises(InputError, match=r"column '0' holds integers beyond 2\^53"):
        as_samples(col, "x.npy")
    # Shifted: 0 and 2^63, both exact: accepted.
    ok = np.array([-(2**62), 2**62], dtype=np.int64)
    assert as_samples(ok, "X")[:, 0].tolist() == [0.0, 2.0**63]


@pytest.mark.skipif(np.finfo(np.longdouble).max <= np.finfo(np.float64).max, reason="no long")
def test_long_double_beyond_float64_range_is_refused():
    col = np.array([1.0, np.longdouble(10) ** 400], dtype=np.longdouble)
    with pytest.raises(InputError, match="beyond the float64 range"):
        as_samples(col, "X")


def test_store_exactly_writes_into_the_destination():
    dest = np.empty(3)
    store_exactly(dest, np.array([7, 8, 10], dtype=np.int64), "X", "0")
    assert dest.tolist() == [7.0, 8.0, 10.0]


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (np.array(["a", "b"]), "not numeric"),
        (np.array([1, "a"], dtype=object), "not numeric"),
        (np.array([1 + 2j, 3]), "complex"),
        (np.zeros((2, 2, 2)), "3 dimensions"),
        (np.zeros((3, 0)), "no columns"),
    ],
)
def test_as_samples_refuses(value, match):
    with pytest.raises(InputError, match=match):
        as_samples(value, "X")


def test_check_pair_returns_clean_arrays_and_no_drops():
    x, t, dropped = check_pair([1, 2, 3], [[4, 5], [6, 7], [8, 9]], k=2)
    assert x.shape == (3, 1) and t.shape == (3, 2) and dropped == 0


def test_check_pair_drops_rows_with_nan_or_inf_only_when_asked():
    x = np.array([1.0, np.nan, 3.0, 4.0, 5.0])
    t = np.array([1.0, 2.0, np.inf, 4.0, 5.0])
    with pytest.raises(InputError, match=r"T: contains NaN or inf in 1 row; pass --drop-nan"):
        check_pair(x[[0, 2, 3, 4]], t[[0, 2, 3, 4]], k=1)
    with pytest.raises(InputError, match=r"X: contains NaN or inf in 2 rows"):
        check_pair(x, t, k=1)
    cx, ct, dropped = check_pair(x, t, k=1, drop_nan=True)
    assert dropped == 2 and cx[:, 0].tolist() == [1.0, 4.0, 5.0] and ct[:, 0].tolist() == [1, 4, 5]


def test_check_pair_needs_k_plus_one_rows_and_equal_lengths():
    with pytest.raises(InputError, match=r"has 3 rows usable; k = 3 neighbours needs at least 4"):
        check_pair([1, 2, 3], [1, 2, 3], k=3)
    with pytest.raises(InputError, match=r"has 1 row usable; k = 1 neighbour needs at least 2"):
        check_pair([1], [1], k=1)
    with pytest.raises(InputError, match=r"row counts differ \(3 vs 2\)"):
        check_pair([1, 2, 3], [1, 2], k=1)
    with pytest.raises(InputError, match="must be at least 1"):
        check_pair([1, 2, 3], [1, 2, 3], k=0)
    with pytest.raises(InputError, match=r"^a.npy: "):
        check_pair(["u", "v"], [1, 2], k=1, names=("a.npy", "b.npy"))


def test_rows():
    assert (rows(0), rows(1), rows(2)) == ("0 rows", "1 row", "2 rows")
