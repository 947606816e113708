"""Threads of the searches: how many cores this process may use, and numba's thread count set
for one call and restored after it.

Nothing here is remembered between calls: the count travels in the search plan
(:class:`mitool.search.plan.SearchPlan`), and :func:`numba_threads` puts numba's count back as
it found it, so that a search never leaves the process changed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


def cores() -> int:
    """CPU cores this process may use (its affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def resolve(threads: int) -> int:
    """``threads`` as a number of threads: -1 (or any negative number) means every core."""
    return cores() if threads < 0 else max(1, threads)


@contextmanager
def numba_threads(threads: int) -> Iterator[None]:
    """Run numba's parallel loops inside the block on ``threads`` threads (-1: every core, at
    most numba's own limit), and restore the previous count after it."""
    import numba

    previous = numba.get_num_threads()
    numba.set_num_threads(min(resolve(threads), numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(previous)
