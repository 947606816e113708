"""The slab index counts chosen rows of a max-norm ball exactly: against all pairs on the
explicitly scaled array, for every block size (interior bitsets, edges, both or neither),
ties, radii on the pairwise distances themselves, strict radii, and the empty radius."""

from __future__ import annotations

import numpy as np
import pytest

from mitool.search.plan import slabs_fit
from mitool.search.slabs import BUDGET, MIN_BLOCK, SlabIndex, _block


def _brute(q: np.ndarray, radius: np.ndarray) -> np.ndarray:
    gaps = np.max(np.abs(q[:, None, :] - q[None, :, :]), axis=2)
    return (gaps <= radius[:, None]).sum(axis=1)


def _radii(q: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each row's distance to a random other point, a few of them times 3 (huge balls),
    one negative (counts nothing) and one zero (the point and its duplicates)."""
    n = len(q)
    gaps = np.max(np.abs(q - q[rng.integers(0, n, n)]), axis=1)
    radius = gaps * np.where(rng.random(n) < 0.1, 3.0, 1.0)
    radius[0] = -1.0
    radius[1] = 0.0
    return radius


@pytest.mark.parametrize("dim", [2, 3, 5])
@pytest.mark.parametrize("block", [1, 3, 64, 1000, None])
@pytest.mark.parametrize("scale", [1.0, 0.3, 7.1])
def test_counts_equal_all_pairs(dim, block, scale):
    rng = np.random.default_rng(dim * 10 + (block or 0))
    n = 517  # not a multiple of 64 nor of the blocks
    p = np.round(rng.standard_normal((n, dim)), 1)  # many ties in every dimension
    p[5] = p[6]  # a duplicate point
    q = scale * p
    radius = _radii(q, rng)
    index = SlabIndex.build(p, block=block)
    rows = rng.permutation(n)[:300]
    rows[:2] = [0, 1]
    expected = _brute(q, radius)[rows]
    np.testing.assert_array_equal(index.count(radius, rows, scale), expected)
    strict = np.nextafter(radius, -np.inf)
    np.testing.assert_array_equal(index.count(strict, rows, scale), _brute(q, strict)[rows])


def test_slab_counts_equal_one_dimension_at_a_time():
    rng = np.random.default_rng(1)
    p = np.round(rng.standard_normal((300, 4)), 2)
    radius = _radii(0.7 * p, rng)
    got = SlabIndex.build(p).slab_counts(radius, 0.7)
    for d in range(4):
        np.testing.assert_array_equal(got[d], _brute(0.7 * p[:, d : d + 1], radius) * (radius >= 0))


def test_rows_in_any_order_and_repeated():
    rng = np.random.default_rng(2)
    p = rng.standard_normal((200, 3))
    radius = rng.uniform(0.1, 2.0, 200)
    full = _brute(p, radius)
    rows = np.array([7, 3, 7, 199, 0, 3])
    np.testing.assert_array_equal(SlabIndex.build(p, block=5).count(radius, rows), full[rows])
    assert SlabIndex.build(p).count(radius, np.array([], dtype=np.int64)).shape == (0,)


def test_few_points_and_the_budget():
    """Fewer points than a word or a block; the block grows with n to keep the bitsets small."""
    p = np.array([[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]])
    np.testing.assert_array_equal(
        SlabIndex.build(p).count(np.array([0.5, 0.5, 0.4]), np.arange(3)), [2, 3, 1]
    )
    index = SlabIndex.build(np.random.default_rng(0).standard_normal((5000, 3)))
    assert index.block == MIN_BLOCK
    assert index.prefix.shape == (2, -(-5000 // MIN_BLOCK) + 1, -(-5000 // 64))
    for n, dim in [(100_000, 5), (60_000, 20), (1_000_000, 4)]:
        block = _block(n, dim)

        def prefix_bytes(b, n=n, dim=dim):  # the bitsets of (n / b) blocks
            return (dim - 1) * n / b * 8 * -(-n // 64)

        assert block > MIN_BLOCK and prefix_bytes(block) <= BUDGET < prefix_bytes(block - 1)
    assert slabs_fit(100_000, 20) and not slabs_fit(200_000, 20)
    with pytest.raises(ValueError, match="two dimensions"):
        SlabIndex.build(p[:, :1])


@pytest.mark.parametrize("ties", [False, True])
def test_all_pairs_counts_at_many_radii_equal_brute_force(ties):
    """all_pairs.count_many (the sweep's X counts where all pairs beat the tree): each column
    equals the O(n²) count at that radius, with equal radii, a negative one (counts nothing),
    radii exactly on pairwise distances, and the strict radius below each of them."""
    from mitool.search import all_pairs

    rng = np.random.default_rng(7 + ties)
    n, dim = 403, 17
    p = rng.standard_normal((n, dim))
    if ties:
        p = np.round(p, 1)
        p[5] = p[6]
    gaps = np.max(np.abs(p[:, None, :] - p[None, :, :]), axis=2)
    on_pairs = gaps[np.arange(n), (np.arange(n) + 3) % n]
    radii = np.column_stack(
        [_radii(p, rng), on_pairs, on_pairs, np.nextafter(on_pairs, -np.inf), 3 * on_pairs]
    )
    got = all_pairs.count_many(p, radii)
    want = np.column_stack([_brute(p, radii[:, q]) for q in range(radii.shape[1])])
    np.testing.assert_array_equal(got, want)


def test_sweep_counts_x_at_every_c_in_one_pass_where_all_pairs_win(monkeypatch):
    """With X of BRUTE_MIN_DIM dimensions and more (no tree: the slab counter), X's counts at
    every c come from one all-pairs pass, and the curve is that of counting each c alone."""
    from mitool.estimators.ksg import ksg1
    from mitool.search import all_pairs
    from mitool.search.plan import BRUTE_MIN_DIM, SearchPlan

    rng = np.random.default_rng(3)
    n = 700
    x = rng.standard_normal((n, BRUTE_MIN_DIM + 2))
    t = (x[:, :3].sum(axis=1) + rng.standard_normal(n))[:, None]
    scales = (0.25, 0.5, 0.8, 1.0, 1.3, 2.0)
    plan = SearchPlan.for_pair(x, t)
    assert plan.x == "slabs" and plan.t == "sorted"
    passes = []
    real = all_pairs.count_many
    monkeypatch.setattr(all_pairs, "count_many", lambda *a, **k: passes.append(1) or real(*a, **k))
    got = ksg1(x, t, scales, 3, exhaustive=True, plan=plan)
    assert passes == [1]
    one_by_one = [ksg1(x, t, (c,), 3, plan=plan).values[0] for c in scales]
    np.testing.assert_array_equal(got.values, one_by_one)
