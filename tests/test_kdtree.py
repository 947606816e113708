"""The numba kd-tree against an O(n²) brute force on the explicitly scaled array (bit-identical)."""

from __future__ import annotations

import numpy as np
import pytest

from mitool.search import compiled, kdtree
from mitool.search.kdtree import KDTree, count

pytestmark = pytest.mark.skipif(not compiled.available(), reason="numba is not installed")


def _pairwise(q: np.ndarray) -> np.ndarray:
    """max_d |q_jd − q_id|, one dimension at a time (the same subtraction as the tree's)."""
    out = np.zeros((len(q), len(q)))
    for d in range(q.shape[1]):
        np.maximum(out, np.abs(q[None, :, d] - q[:, None, d]), out=out)
    return out


def _scaled(points: np.ndarray, scale) -> np.ndarray:
    return points if scale is None else points * scale


def _brute_knn(q: np.ndarray, k: int, dist: np.ndarray | None = None):
    """(eps, sorted distances of the k nearest), itself excluded, inf where fewer than k."""
    dist = (_pairwise(q) if dist is None else dist).copy()
    np.fill_diagonal(dist, np.inf)
    near = np.partition(dist, k - 1, axis=1)[:, :k] if k < len(q) else dist
    near = np.sort(near, axis=1)[:, :k]
    if near.shape[1] < k:
        near = np.hstack([near, np.full((len(q), k - near.shape[1]), np.inf)])
    return near[:, k - 1], near


def _brute_count(q: np.ndarray, r: np.ndarray, dist: np.ndarray | None = None) -> np.ndarray:
    return ((_pairwise(q) if dist is None else dist) <= r[:, None]).sum(axis=1)


def _data(kind: str, n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "gauss":
        return rng.standard_normal((n, d))
    if kind == "cauchy":
        return rng.standard_cauchy((n, d))
    if kind == "ties":
        return rng.integers(0, 5, (n, d)).astype(float)
    if kind == "dup":
        base = rng.standard_normal((max(n // 3, 1), d))
        return base[rng.integers(0, len(base), n)]
    if kind == "tiny":
        return 1e-9 * rng.standard_normal((n, d))
    raise ValueError(kind)


def _shaped(kind: str, n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """Gaussian points, then rounded (ties), with a block repeated (dup), far from the origin
    (offset: rounding of the products matters) or tiny."""
    p = rng.standard_normal((n, d))
    if kind == "ties":
        p = np.round(p, 1)
    elif kind == "dup":
        p[100:200] = p[:100]
    elif kind == "offset":
        p = 1e6 + 1e-3 * p
    elif kind == "tiny":
        p = 1e-9 * p
    return p


def _scales(d: int) -> list:
    out = [None]
    if d >= 2:
        half = np.ones(d)
        half[d // 2 :] = 0.1
        out.append(half)
        last = np.ones(d)
        last[-1] = 1.7
        out.append(last)
    else:
        out.append(np.array([0.3]))
    out.append(np.full(d, 1e-9))
    return out


def _shared_and_c(scale, d: int) -> tuple[int, float]:
    """A scale (1, …, 1, c, …, c) as (the number of ones, c), the form kth_many takes."""
    if scale is None:
        return d, 1.0
    c = float(scale[-1])
    shared = int(np.sum(scale != c))
    assert np.all(scale[:shared] == 1.0) and np.all(scale[shared:] == c)
    return shared, c


def _check_knn(tree: KDTree, points: np.ndarray, k: int, scale, dist=None) -> None:
    """The k-th distance at one scale (1, …, 1, c, …, c) is the brute force's on the scaled
    array (inf where fewer than k other points exist)."""
    eps_ref, _ = _brute_knn(_scaled(points, scale), k, dist)
    shared, c = _shared_and_c(scale, points.shape[1])
    eps = kdtree.kth_many(tree, k, [c], shared)[0]
    assert np.array_equal(eps, eps_ref)


def _check_count(tree: KDTree, points: np.ndarray, scale, rng, dist=None) -> None:
    q = _scaled(points, scale)
    n = len(q)
    dist = _pairwise(q) if dist is None else dist
    # Radii equal to pairwise distances (the boundary itself), shrunk by one ulp, a few negative.
    exact = dist[np.arange(n), rng.integers(0, n, n)]
    radii = [exact, np.nextafter(exact, -np.inf), np.nextafter(exact, np.inf)]
    neg = exact.copy()
    neg[::3] = -1.0
    radii.append(neg)
    if n > 1:
        radii.append(np.full(n, np.median(dist)))
    for r in radii:
        ref = _brute_count(q, r, dist)
        ref[r < 0] = 0
        got = count(tree, r, scale)
        assert got.dtype == np.int64
        assert np.array_equal(got, ref)


@pytest.mark.parametrize("d", [1, 2, 5, 10])
@pytest.mark.parametrize("kind", ["gauss", "cauchy", "ties", "dup", "tiny"])
def test_knn_and_count_match_brute_force(d: int, kind: str) -> None:
    rng = np.random.default_rng(1000 * d + len(kind))
    for n in (300, 1200) if d in (2, 5) else (300,):
        points = _data(kind, n, d, rng)
        tree = KDTree.build(points, leaf_size=8)
        for scale in _scales(d):
            dist = _pairwise(_scaled(points, scale))
            for k in (1, 3, 7):
                if n == 1200 and k != 3:
                    continue
                _check_knn(tree, points, k, scale, dist)
            _check_count(tree, points, scale, rng, dist)


@pytest.mark.parametrize("k", [1, 3, 7])
@pytest.mark.parametrize("d", [1, 2, 5, 10])
def test_small_samples(k: int, d: int) -> None:
    rng = np.random.default_rng(k + 10 * d)
    for n in (1, 2, k + 1):
        for kind in ("gauss", "ties"):
            points = _data(kind, n, d, rng)
            tree = KDTree.build(points, leaf_size=1 + (n % 3))
            for scale in _scales(d)[:2]:
                _check_knn(tree, points, k, scale)
                _check_count(tree, points, scale, rng)


def test_leaf_sizes() -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2000, 3))
    points = np.hstack([x, 0.8 * x + 0.6 * rng.standard_normal((2000, 3))])
    for leaf_size, c in ((1, 0.1), (16, 0.5), (40, 3.0)):
        tree = KDTree.build(points, leaf_size=leaf_size)
        scale = np.array([1.0] * 3 + [c] * 3)
        dist = _pairwise(points * scale)
        eps_ref, _ = _brute_knn(points * scale, 3, dist)
        assert np.array_equal(kdtree.kth_many(tree, 3, [c], 3)[0], eps_ref)
        r = np.nextafter(eps_ref, -np.inf)
        assert np.array_equal(count(tree, r, scale), _brute_count(points * scale, r, dist))


def test_workers_agree_and_tree_is_valid() -> None:
    rng = np.random.default_rng(3)
    points = rng.standard_cauchy((3000, 4))
    tree = KDTree.build(points, leaf_size=16)
    assert np.array_equal(np.sort(tree.perm), np.arange(3000))
    assert np.array_equal(tree.tpoints, points[tree.perm])
    for v in range(len(tree.start)):  # tight boxes
        block = points[tree.perm[tree.start[v] : tree.end[v]]]
        assert np.array_equal(block.min(axis=0), tree.lo[v])
        assert np.array_equal(block.max(axis=0), tree.hi[v])
        if tree.left[v] >= 0:
            a, b = tree.left[v], tree.right[v]
            assert tree.start[a] == tree.start[v] and tree.end[b] == tree.end[v]
            assert tree.end[a] == tree.start[b]
        else:
            assert tree.end[v] - tree.start[v] <= 16 or np.all(block == block[0])
    cs = [0.5, 2.0, 1e-3]
    e1 = kdtree.kth_many(tree, 5, cs, 1, threads=1)
    e2 = kdtree.kth_many(tree, 5, cs, 1, threads=-1)
    assert np.array_equal(e1, e2)
    scale = np.array([1.0, 0.5, 2.0, 1e-3])
    r = np.nextafter(e1[0], -np.inf)
    assert np.array_equal(count(tree, r, scale, threads=1), count(tree, r, scale, threads=-1))


def test_all_equal_points_and_negative_scale() -> None:
    points = np.ones((100, 3))
    tree = KDTree.build(points, leaf_size=4)
    assert len(tree.start) == 1  # nothing to split
    assert np.all(kdtree.kth_many(tree, 3, [1.0], 3)[0] == 0.0)
    assert np.all(count(tree, np.zeros(100)) == 100)
    rng = np.random.default_rng(5)
    points = rng.standard_normal((500, 3))
    tree = KDTree.build(points)
    scale = np.array([-1.0, 2.0, -0.3])
    _check_count(tree, points, scale, rng)


def test_bad_arguments() -> None:
    tree = KDTree.build(np.zeros((5, 2)))
    with pytest.raises(ValueError):
        count(tree, np.zeros(4))
    with pytest.raises(ValueError):
        kdtree.kth_many(tree, 2, [1.0, 0.0], 1)  # scales must be positive
    with pytest.raises(ValueError):
        kdtree.kth_many(tree, 2, [1.0], 3)  # more shared dimensions than the tree has


def test_split_scale_changes_the_tree_not_the_answers() -> None:
    rng = np.random.default_rng(11)
    points = rng.standard_normal((1000, 4))
    tree = KDTree.build(points, leaf_size=8, split_scale=np.array([1.0, 1.0, 0.01, 0.01]))
    plain = KDTree.build(points, leaf_size=8)
    assert not np.array_equal(tree.perm, plain.perm)
    for scale in (None, np.array([1.0, 1.0, 0.01, 0.01]), np.array([0.5, 2.0, 1.0, 3.0])):
        if scale is None or scale[0] == 1.0:
            _check_knn(tree, points, 3, scale)
        _check_count(tree, points, scale, rng)


@pytest.mark.parametrize("kind", ["gauss", "ties", "dup", "offset", "tiny"])
@pytest.mark.parametrize("dim", [2, 5])
@pytest.mark.parametrize("scaled", [False, True])
def test_count_many_equals_brute_force_at_every_radius(kind, dim, scaled):
    """One search for M radii per point (each at its own scale of all dimensions) gives the
    brute-force counts on each scaled array; radii sit exactly on pairwise distances."""
    rng = np.random.default_rng(dim)
    p = _shaped(kind, 400, dim, rng)
    scales = np.array([0.1, 0.37, 1.0, 1.0, 2.0, 7.0, 0.1]) if scaled else None
    columns, want = [], []
    for m in range(7):
        q = _scaled(p, None if scales is None else scales[m])
        dist = _pairwise(q)
        r = dist[np.arange(400), rng.integers(0, 400, 400)]  # on some point's distance
        if m == 3:
            r = np.nextafter(r, -np.inf)
        if m == 6:
            r[:50] = -1.0
        columns.append(r)
        want.append((dist <= r[:, None]).sum(axis=1))
    tree = KDTree.build(p, leaf_size=8)
    got = kdtree.count_many(tree, np.column_stack(columns), scales)
    np.testing.assert_array_equal(got, np.column_stack(want))


@pytest.mark.parametrize("spread", ["wide", "equal", "ulps"])
def test_count_many_finds_the_radius_of_every_point_among_many(spread):
    """Twenty radii per point, found from a table of equal steps between the smallest and the
    largest: rows whose radii are all equal (a zero step) or a few ulps apart (a step of
    subnormal size where the radius is tiny) count as brute force does."""
    rng = np.random.default_rng(5)
    p = _shaped("ties", 300, 3, rng)
    dist = _pairwise(p)
    base = np.sort(dist[np.arange(300)[:, None], rng.integers(0, 300, (300, 20))], axis=1)
    if spread == "equal":
        base = np.repeat(base[:, 9:10], 20, axis=1)
    elif spread == "ulps":
        column = base[:, 9].copy()
        column[:30] = 5e-324 * rng.integers(0, 3, 30)  # zero or subnormal radii
        columns = []
        for _ in range(20):  # twenty consecutive floats up from there
            column = np.nextafter(column, np.inf)
            columns.append(column)
        base = np.column_stack(columns)
    radii = base[:, rng.permutation(20)]
    want = (dist[:, :, None] <= radii[:, None, :]).sum(axis=1)
    np.testing.assert_array_equal(kdtree.count_many(KDTree.build(p, leaf_size=8), radii), want)


@pytest.mark.parametrize("kind", ["gauss", "ties", "dup", "offset"])
@pytest.mark.parametrize("k", [1, 3])
def test_kth_many_equals_one_search_per_scale(kind, k):
    """Several scales in one descent give each scale's own k-th distance, bit for bit, and the
    brute force on the scaled array."""
    p = _shaped(kind, 500, 6, np.random.default_rng(k))
    cs = (0.1, 0.5, 0.9, 1.0, 2.0)
    scales = np.array([np.r_[np.ones(3), np.full(3, c)] for c in cs])
    tree = KDTree.build(p, leaf_size=8, split_scale=scales[2])
    many = kdtree.kth_many(tree, k, cs, 3)
    for g, s in enumerate(scales):
        np.testing.assert_array_equal(many[g], kdtree.kth_many(tree, k, [cs[g]], 3)[0])
        np.testing.assert_array_equal(many[g], _brute_knn(_scaled(p, s), k)[0])


@pytest.mark.parametrize("kind", ["gauss", "ties", "dup", "offset"])
@pytest.mark.parametrize("shared", [0, 2, 6])
def test_kth_many_at_one_scale_equals_brute_force(kind, shared):
    """One scale, any split into unscaled and scaled dimensions (all unscaled: the path of one
    KSG on the kd-tree), gives the brute-force k-th distance, ties and duplicates included."""
    p = _shaped(kind, 600, 6, np.random.default_rng(shared))
    c = 1.0 if shared == 6 else 0.3
    s = np.r_[np.ones(shared), np.full(6 - shared, c)]
    got = kdtree.kth_many(KDTree.build(p, leaf_size=8), 3, [c], shared)[0]
    np.testing.assert_array_equal(got, _brute_knn(_scaled(p, s), 3)[0])
