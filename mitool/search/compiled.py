"""What the compiled kernels share: whether numba is there, and the k-best list of a kNN search.

numba is optional: without it every search takes the ``tree`` path (scipy, scikit-learn, numpy),
and :func:`available` is False. The kernels are compiled on first use and cached on disk
(``cache=True``), so later processes load them.
"""

from __future__ import annotations

import numpy as np

try:
    import numba
    from numba import njit
except ImportError:  # the tree paths still work; the kernels are simply not offered
    numba = None


def available() -> bool:
    """True when numba imports (the compiled kernels can run)."""
    return numba is not None


if numba is not None:

    @njit(cache=True, nogil=True)
    def insert(best: np.ndarray, value: float) -> None:
        """Keep ``best`` (ascending, length k) the k smallest values seen."""
        k = best.shape[0]
        if value >= best[k - 1]:
            return
        j = k - 1
        while j > 0 and best[j - 1] > value:
            best[j] = best[j - 1]
            j -= 1
        best[j] = value

    @njit(cache=True, nogil=True, inline="always")
    def insert_indexed(best: np.ndarray, best_j: np.ndarray, value: float, j: int) -> None:
        """Keep ``best`` (ascending, length k) the k smallest values seen, ``best_j`` their
        points."""
        k = best.shape[0]
        if value >= best[k - 1]:
            return
        q = k - 1
        while q > 0 and best[q - 1] > value:
            best[q] = best[q - 1]
            best_j[q] = best_j[q - 1]
            q -= 1
        best[q] = value
        best_j[q] = j
