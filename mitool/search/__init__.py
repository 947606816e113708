"""Exact neighbour search for the kNN estimators: every path gives identical distances and counts.

Where a count is computed (docs/search.md has the conventions and the exactness contract):

- :mod:`~mitool.search.plan`: :class:`SearchPlan`, which path each search takes, decided once
  per estimate from n, the dimensions, ``--search``, the device and what is installed;
- :mod:`~mitool.search.joint`: the k-th neighbour distance in the joint space (one search, or
  one per c of a scale sweep);
- :mod:`~mitool.search.counters`: counts within a radius in one marginal, one class per path;
- kernels, by the structure they search: :mod:`~mitool.search.sorted1d` (the run of sorted
  values within r), :mod:`~mitool.search.grid2d` (a uniform 2-D grid),
  :mod:`~mitool.search.rank_grid` (the whole 1-D scale sweep on a grid of ranks),
  :mod:`~mitool.search.kdtree`, :mod:`~mitool.search.slabs` (sorted slabs and bitsets),
  :mod:`~mitool.search.all_pairs` (numba) and :mod:`~mitool.search.torch_pairs` (PyTorch),
  and :mod:`~mitool.search.strips` (one column against one, for the many columns of a screen);
- :mod:`~mitool.search.compiled` (numba or not, the k-best list) and
  :mod:`~mitool.search.threads` (cores, and numba's thread count restored after each call).

The sweep over c that uses them is :mod:`mitool.estimators.sweep`. Importing this package loads
nothing heavy; its modules load numba, scipy or scikit-learn as they need them.
"""
