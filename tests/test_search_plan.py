"""The search plan (mitool.search.plan), the threads it carries (mitool.search.threads,
mitool.parallel) and where it is reported (the result's details)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import mitool
from mitool import MitoolError
from mitool.parallel import cores as parallel_cores
from mitool.parallel import limit_threads, search_threads
from mitool.search import threads
from mitool.search.counters import (
    PATHS,
    AllPairsCounter,
    KDTreeCounter,
    SlabCounter,
    SortedCounter,
    SortedNumpyCounter,
    TorchCounter,
    TreeCounter,
    below,
    build_counter,
)
from mitool.search.plan import (
    BACKENDS,
    BRUTE_MAX_ROWS,
    BRUTE_MIN_DIM,
    SEARCH_PATHS,
    SLAB_RANK_BYTES,
    SearchPlan,
    all_pairs_win,
    slabs_fit,
)


def test_the_plan_of_each_path():
    one = SearchPlan.decide(5000, 1, 1, compiled=True)
    assert (one.joint, one.x, one.t, one.sweep_1d) == ("grid", "sorted", "sorted", True)
    five = SearchPlan.decide(10_000, 5, 5, compiled=True)
    assert (five.joint, five.x, five.t, five.sweep_1d) == ("kdtree", "slabs", "slabs", False)
    numba = SearchPlan.decide(10_000, 5, 5, path="numba", compiled=True)
    assert (numba.joint, numba.x, numba.t) == (five.joint, five.x, five.t)
    wide = SearchPlan.decide(5000, 20, 1, compiled=True)
    assert (wide.joint, wide.x, wide.t) == ("brute", "slabs", "sorted")
    tree = SearchPlan.decide(5000, 1, 3, path="tree", compiled=True)
    assert (tree.joint, tree.x, tree.t, tree.sweep_1d) == ("tree", "sorted-numpy", "tree", False)
    brute = SearchPlan.decide(5000, 1, 3, path="brute", compiled=True)
    assert (brute.joint, brute.x, brute.t) == ("brute", "sorted", "brute")
    torch = SearchPlan.decide(5000, 1, 3, path="torch", device="cuda", compiled=False)
    assert (torch.joint, torch.x, torch.t, torch.device) == ("torch", "torch", "torch", "cuda")
    labels = SearchPlan.decide(5000, 2, 0, compiled=True)  # T holds class labels: not searched
    assert (labels.joint, labels.x, labels.t) == ("grid", "kdtree", "none")


def test_without_numba_every_path_is_the_tree():
    plan = SearchPlan.decide(5000, 2, 30, compiled=False)
    assert (plan.joint, plan.x, plan.t, plan.sweep_1d) == ("tree", "tree", "tree", False)
    assert plan.count_path(100, 1) == "sorted-numpy"
    for path in ("numba", "brute"):
        with pytest.raises(MitoolError, match=f"--search {path} needs numba: pip install numba"):
            SearchPlan.decide(10, 1, 1, path=path, compiled=False)


def test_unknown_path_and_the_old_name_of_the_paths():
    assert BACKENDS is SEARCH_PATHS == ("auto", "tree", "numba", "brute", "torch")
    with pytest.raises(MitoolError, match="unknown search path 'gpu'; choose one of: auto, "):
        SearchPlan.decide(10, 1, 1, path="gpu")


def test_euclidean_counts_take_the_trees_and_the_sort():
    plan = SearchPlan.decide(1000, 3, 3, compiled=True)
    assert plan.count_path(1000, 3, "euclidean") == "tree"
    assert plan.count_path(1000, 1, "euclidean") == "sorted"
    torch = SearchPlan.decide(1000, 3, 3, path="torch", compiled=True)
    assert torch.count_path(1000, 1, "euclidean") == "sorted"  # no Euclidean torch count
    assert torch.count_path(1000, 1) == "torch"


def test_the_boundaries_of_the_decision_table():
    assert all_pairs_win(BRUTE_MAX_ROWS, BRUTE_MIN_DIM)
    assert not all_pairs_win(BRUTE_MAX_ROWS + 1, BRUTE_MIN_DIM)
    assert not all_pairs_win(100, BRUTE_MIN_DIM - 1)
    n = SLAB_RANK_BYTES // (4 * 19 * 20)
    assert slabs_fit(n, 20) and not slabs_fit(n + 1, 20)
    plan = SearchPlan.decide(10, 1, 1, compiled=True)
    assert (
        plan.count_path(2000 * 25, 5) == "slabs" and plan.count_path(2000 * 25 + 1, 5) == "kdtree"
    )
    assert plan.count_path(10_000, 4) == "kdtree" and plan.knn_path(10_000, 5) == "kdtree"


def test_the_plan_is_json_and_frozen():
    plan = SearchPlan.decide(600, 2, 2, threads=3, compiled=True)
    record = plan.to_dict()
    assert json.loads(json.dumps(record)) == record
    assert record["threads"] == 3 and record["joint"] == "kdtree" and record["x"] == "kdtree"
    with pytest.raises(AttributeError):
        plan.joint = "tree"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("path", "dim", "cls"),
    [
        ("auto", 1, SortedCounter),
        ("tree", 1, SortedNumpyCounter),
        ("tree", 3, TreeCounter),
        ("auto", 3, KDTreeCounter),
        ("auto", 6, SlabCounter),
        ("brute", 3, AllPairsCounter),
        ("torch", 3, TorchCounter),
    ],
)
def test_each_path_has_its_counter(path, dim, cls):
    points = np.random.default_rng(dim).standard_normal((300, dim))
    counter = build_counter(points, SearchPlan.decide(300, dim, 0, path=path))
    assert type(counter) is cls and PATHS[SearchPlan.decide(300, dim, 0, path=path).x] is cls


@pytest.mark.parametrize("tied", [False, True])
def test_the_tree_path_counts_alike_on_either_library(tied):
    # The tree path counts with scipy's cKDTree (small, scikit-learn not loaded) or with
    # scikit-learn's KDTree: the same points, bit for bit, radii at real distances included.
    from scipy.spatial import cKDTree
    from sklearn.neighbors import KDTree as SklearnKDTree

    rng = np.random.default_rng(7)
    points = rng.integers(0, 4, (400, 3)) * 0.1 if tied else rng.standard_cauchy((400, 3))
    radius = np.max(np.abs(points[rng.permutation(400)] - points), axis=1)  # real distances
    plan = SearchPlan.decide(400, 3, 0, path="tree")
    scipy_tree = TreeCounter(points, plan, "chebyshev", cKDTree(points))
    sklearn_tree = TreeCounter(points, plan, "chebyshev", SklearnKDTree(points, metric="chebyshev"))
    rows = np.array([5, 0, 399, 17])
    for strict in (False, True):
        full = scipy_tree.count(radius, strict=strict)
        assert np.array_equal(full, sklearn_tree.count(radius, strict=strict))
        some = scipy_tree.count(radius, strict=strict, rows=rows)
        assert np.array_equal(some, sklearn_tree.count(radius, strict=strict, rows=rows))
        assert np.array_equal(some, full[rows])
    brute = np.sum(np.max(np.abs(points[:, None] - points[None]), axis=2) <= radius[:, None], 1)
    assert np.array_equal(scipy_tree.count(radius, strict=False), brute)


def test_a_strict_radius_is_the_float_below():
    r = np.array([1.0, 0.0, 2.5])
    assert np.array_equal(below(r, strict=False), r)
    assert np.array_equal(below(r, strict=True), np.nextafter(r, -np.inf))
    assert below(np.array([0.0]), strict=True)[0] < 0.0  # "< 0" holds no point, not even i


def test_one_core_counter_and_thread_counts():
    assert parallel_cores is threads.cores and threads.cores() >= 1
    assert threads.resolve(-1) == threads.cores()
    assert threads.resolve(3) == 3 and threads.resolve(0) == 1


def test_numba_threads_are_restored_after_each_call():
    numba = pytest.importorskip("numba")
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        with threads.numba_threads(-1):
            assert numba.get_num_threads() == min(threads.cores(), numba.config.NUMBA_NUM_THREADS)
        assert numba.get_num_threads() == 1
        with pytest.raises(RuntimeError), threads.numba_threads(2):
            raise RuntimeError
        assert numba.get_num_threads() == 1
    finally:
        numba.set_num_threads(before)


def test_a_task_s_thread_limit_reaches_the_plan_and_ends_with_the_block():
    assert search_threads() == -1
    x = np.random.default_rng(0).standard_normal((200, 2))
    with limit_threads(1):
        assert search_threads() == 1
        with limit_threads(2):
            assert search_threads() == 2
        result = mitool.estimate(x[:, :1], x[:, 1:], estimator="ksg", resamples=0)
    assert search_threads() == -1
    assert result.details["search"]["threads"] == 1


def test_the_plan_is_in_the_result_of_a_search_only():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((300, 2))
    t = x + rng.standard_normal((300, 2))
    result = mitool.estimate(x, t, estimator="ksg", resamples=0, search="tree")
    search = result.to_dict()["details"]["search"]
    assert search == SearchPlan.decide(300, 2, 2, path="tree").to_dict()
    labels = np.repeat([[0.0], [1.0], [2.0]], 100, axis=0)
    ross = mitool.estimate(x, labels, estimator="ross", resamples=0)
    assert ross.details["search"]["d_t"] == 0 and ross.details["search"]["t"] == "none"
    gcmi = mitool.estimate(x, t, estimator="gcmi", resamples=0)
    assert "search" not in gcmi.details
