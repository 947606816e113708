"""The shared helpers of the search layer, each against a definition written here: the run of
sorted values within r (mitool.search.sorted1d), the k-best lists (mitool.search.compiled), the
counting sort by cell (mitool.search.grid2d) and the one torch import (mitool.search.torch_pairs).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from mitool import MitoolError
from mitool.search import compiled, grid2d, sorted1d, torch_pairs

needs_numba = pytest.mark.skipif(not compiled.available(), reason="needs numba")


def _sorted(kind: str, n: int = 80) -> np.ndarray:
    rng = np.random.default_rng(len(kind))
    s = rng.standard_normal(n)
    if kind == "ties":
        s = np.round(s, 1)
    elif kind == "offset":  # far from the origin: the rounding of c·s matters
        s = 1e6 + 1e-3 * s
    return np.sort(s)


def _within_left(s, c, q, r):
    return q - c * s <= r


def _beyond(s, c, q, r):
    return c * s - q > r


@needs_numba
@pytest.mark.parametrize("kind", ["gauss", "ties", "offset"])
def test_every_edge_search_finds_the_predicate_s_edge(kind):
    """Bisection, galloping up and down, from every start: the first place where the exact
    predicate holds (within from the left) or fails (beyond on the right)."""
    s = _sorted(kind)
    n = len(s)
    for c in (1.0, 0.3, 1.7):
        for p in (0, 1, 17, 40, n - 1):
            q = c * s[p]
            for r in (0.0, 1e-9, 0.05, 0.4, 1e7):
                within = _within_left(s, c, q, r)
                beyond = _beyond(s, c, q, r)
                b = int(np.argmax(within))  # within holds on a suffix that includes p
                e = int(np.argmax(beyond)) if beyond.any() else n  # beyond: a suffix after p
                for lo in range(0, p + 1):
                    assert sorted1d.first_within(s, c, q, r, lo, n) == max(b, lo)
                    assert sorted1d.gallop_within_down(s, c, q, r, lo, p) == max(b, lo)
                    if lo < b:  # start not within, end within
                        assert sorted1d.gallop_within_up(s, c, q, r, lo, p) == b
                for hi in range(p + 1, n + 1):
                    assert sorted1d.first_beyond(s, c, q, r, p, hi) == min(e, hi)
                    assert sorted1d.gallop_beyond_up(s, c, q, r, p, hi) == min(e, hi)
                    if hi >= e:  # start beyond (or the end), floor not
                        assert sorted1d.gallop_beyond_down(s, c, q, r, p, hi) == e
                assert sorted1d.run_within(s, c, q, r, p) == (b, e)


@needs_numba
@pytest.mark.parametrize("kind", ["gauss", "ties", "offset"])
def test_first_within_on_a_segment_the_query_lies_outside(kind):
    """The kd-tree's sorted buckets: the query need not be among the values searched."""
    s = _sorted(kind)
    for q in (s[0] - 1.0, s[10] + 1e-3, s[-1] + 0.5):
        for r in (0.0, 0.01, 0.3, 3.0):
            for lo, hi in ((0, len(s)), (5, 9), (30, 31), (12, 12)):
                seg = s[lo:hi]
                first = lo + int(np.argmax(np.r_[_within_left(seg, 1.0, q, r), True]))
                assert sorted1d.first_within(s, 1.0, q, r, lo, hi) == first
                rest = s[first:hi]
                last = first + int(np.argmax(np.r_[_beyond(rest, 1.0, q, r), True]))
                assert sorted1d.first_beyond(s, 1.0, q, r, first, hi) == last


@pytest.mark.parametrize("kind", ["gauss", "ties", "offset"])
def test_sorted_counts_compiled_and_numpy_equal_the_definition(kind):
    x = np.random.default_rng(3).permutation(_sorted(kind, 300))
    order = np.argsort(x)
    s = x[order]
    d = np.abs(x[:, None] - x[None, :])
    radius = d[np.arange(300), np.random.default_rng(4).integers(0, 300, 300)]  # on distances
    radius[::7] = np.nextafter(radius[::7], -np.inf)
    radius[5] = -1.0  # counts nothing
    want = (d <= radius[:, None]).sum(axis=1)
    np.testing.assert_array_equal(sorted1d.count_sorted_numpy(s, x, radius), want)
    if compiled.available():
        np.testing.assert_array_equal(sorted1d.count_sorted(s, x, order, radius), want)


@needs_numba
def test_k_best_lists_keep_the_k_smallest_in_order():
    rng = np.random.default_rng(5)
    values = np.round(rng.standard_normal(50), 1)  # ties too
    best = np.full(4, np.inf)
    best_j = np.full(4, -1, dtype=np.int64)
    plain = np.full(4, np.inf)
    for j, v in enumerate(values):
        compiled.insert_indexed(best, best_j, v, j)
        compiled.insert(plain, v)
    np.testing.assert_array_equal(best, np.sort(values)[:4])
    np.testing.assert_array_equal(plain, best)
    np.testing.assert_array_equal(values[best_j], best)
    assert len(set(best_j.tolist())) == 4


@needs_numba
def test_bucket_is_a_stable_counting_sort_by_cell():
    cell = np.array([3, 0, 3, 1, 0, 3, 5])
    start, points = grid2d.bucket(cell, 6)
    np.testing.assert_array_equal(start, [0, 2, 3, 3, 6, 6, 7])
    np.testing.assert_array_equal(points, np.argsort(cell, kind="stable"))


def test_one_torch_import_with_a_one_line_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    with pytest.raises(MitoolError, match="^--search torch needs PyTorch: "):
        torch_pairs.import_torch()
    with pytest.raises(MitoolError, match="^the neural estimators need PyTorch"):
        torch_pairs.import_torch("the neural estimators need PyTorch: ...")


def test_torch_devices_by_name():
    torch = pytest.importorskip("torch")
    assert torch_pairs.torch_device(torch, "cpu") == torch.device("cpu")
    auto = torch_pairs.torch_device(torch, "auto")
    assert auto.type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(MitoolError, match="no CUDA device"):
            torch_pairs.torch_device(torch, "cuda")
