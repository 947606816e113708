"""The k-th neighbour distance in the joint space: one search, or one per c of a scale sweep.

Every path returns the distances of ``np.hstack([x, c * t])`` exactly (itself excluded): the
compiled paths of the plan (:mod:`mitool.search.grid2d`, :mod:`mitool.search.kdtree`,
:mod:`mitool.search.all_pairs`, :mod:`mitool.search.torch_pairs`), else scipy's cKDTree
(queried in the tree's own order for cache locality, on the plan's threads), which also
serves Euclidean searches and searches that return the neighbours' indices.
"""

from __future__ import annotations

import numpy as np

from mitool.search import all_pairs, grid2d, kdtree, torch_pairs
from mitool.search.plan import SearchPlan
from mitool.search.rank_grid import sweep_counts_1d
from mitool.steps import NO_STEPS, Steps

#: Minkowski p of each metric name, as scipy's cKDTree takes it.
P_OF_METRIC = {"chebyshev": np.inf, "euclidean": 2.0}

#: Scales of c searched in one kd-tree descent by :func:`joint_eps` (timings:
#: benchmarks/RESULTS.md).
JOINT_GROUP = 10


def kth_neighbor(
    z: np.ndarray,
    k: int,
    plan: SearchPlan,
    metric: str = "chebyshev",
    *,
    return_index: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Distance to the k-th nearest neighbour of every row of ``z``, itself excluded.

    Returns ``(eps, idx)``: ``eps`` has shape (n,); ``idx`` (only with ``return_index``) has
    shape (n, k) and holds the k nearest neighbours, nearest first.
    """
    if metric == "chebyshev" and not return_index:
        eps = _kth_chebyshev(z, k, plan)
        if eps is not None:
            return eps, None
    from scipy.spatial import cKDTree  # here: the compiled paths never load scipy.spatial

    tree = cKDTree(z, balanced_tree=False, compact_nodes=False)
    order = tree.indices
    ks = list(range(2, k + 2)) if return_index else [k + 1]
    dist, idx = tree.query(z[order], k=ks, p=P_OF_METRIC[metric], workers=plan.threads)
    eps = np.empty(len(z))
    eps[order] = dist[:, -1]
    if not return_index:
        return eps, None
    neighbors = np.empty((len(z), k), dtype=np.intp)
    neighbors[order] = idx
    return eps, neighbors


def _kth_chebyshev(z: np.ndarray, k: int, plan: SearchPlan) -> np.ndarray | None:
    """The k-th max-norm distance on the plan's path, or None for scipy's tree."""
    path = plan.knn_path(len(z), z.shape[1])
    if path == "grid":
        return grid2d.grid_knn_2d(z, k, plan.threads)  # None when the data are too clumped
    if path == "brute":
        return all_pairs.knn(z, k, plan.threads)
    if path == "kdtree":
        # the many-scale search at the one scale 1 (every dimension unscaled) is the leaner
        # descent
        tree = kdtree.KDTree.build(z)
        return kdtree.kth_many(tree, k, [1.0], z.shape[1], threads=plan.threads)[0]
    if path == "torch":
        return torch_pairs.knn(z, k, plan.device)
    return None


def joint_eps(
    x: np.ndarray,
    t: np.ndarray,
    scales: list[float],
    k: int,
    plan: SearchPlan,
    metric: str = "chebyshev",
    *,
    steps: Steps = NO_STEPS,
) -> list[np.ndarray]:
    """ε_c(i) for every c of ``scales``: the k-th neighbour distance of every point in the joint
    space (x, c·t), itself excluded.

    On the kd-tree path the data are never rescaled: the c, in ascending order, go JOINT_GROUP
    at a time into one descent of a tree split for their middle c's geometry, with T's
    dimensions scaled on the fly (:func:`mitool.search.kdtree.kth_many`), exactly the distances
    of ``np.hstack([x, c*t])``. So does the all-pairs path when ``auto`` or ``numba`` chose it
    (one all-pairs search per c costs far more than the shared descent). Other paths search that
    array for each c. ``steps`` hears of one unit per c of ``scales``: as the shared descent
    goes, else as each search ends.
    """
    path = plan.knn_path(len(x), x.shape[1] + t.shape[1])
    shared = path == "kdtree" or (path == "brute" and plan.path != "brute")
    if metric != "chebyshev" or not shared:
        eps = []
        for c in scales:
            eps.append(kth_neighbor(np.hstack([x, t if c == 1.0 else c * t]), k, plan, metric)[0])
            steps.advance()
        return eps
    z = np.hstack([x, t])
    ascending = sorted(set(scales))
    found: dict[float, np.ndarray] = {}
    for g in range(0, len(ascending), JOINT_GROUP):
        cs = ascending[g : g + JOINT_GROUP]
        middle = np.r_[np.ones(x.shape[1]), np.full(t.shape[1], cs[len(cs) // 2])]
        tree = kdtree.KDTree.build(z, split_scale=middle)
        units = sum(scales.count(c) for c in cs)  # a c given twice is searched once
        many = kdtree.kth_many(
            tree, k, cs, x.shape[1], threads=plan.threads, steps=steps, units=units
        )
        found.update(zip(cs, many, strict=True))
    return [found[c] for c in scales]


def sweep_counts(
    x: np.ndarray, t: np.ndarray, scales: tuple[float, ...], k: int, plan: SearchPlan, *,
    strict: bool,
) -> tuple[np.ndarray, np.ndarray] | None:  # fmt: skip
    """Max-norm marginal counts at every c of a sweep in one compiled pass, or None.

    Only for one dimension per side on the ``auto`` and ``numba`` paths
    (:mod:`mitool.search.rank_grid`); None tells the caller to evaluate c by c.
    """
    if plan.path not in ("auto", "numba") or not plan.compiled or plan.light:
        return None
    return sweep_counts_1d(x, t, scales, k, strict=strict, threads=plan.threads)
