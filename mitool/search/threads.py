"""Threads of the searches: how many cores this process may use, and numba's thread count set
for one call and restored after it.

Nothing here is remembered between calls: the count travels in the search plan
(:class:`mitool.search.plan.SearchPlan`), and :func:`numba_threads` puts numba's count back as
it found it, so that a search never leaves the process changed.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, TypeVar

R = TypeVar("R")

#: A compiled call on at least this many rows runs in a thread of its own (:func:`call`); below
#: it the call ends soon enough for Ctrl-C to wait for it.
INTERRUPTIBLE_ROWS = 20_000
#: Seconds between the caller's looks at an interruptible call (Ctrl-C is taken between them).
POLL_S = 0.05
#: Name of the thread that runs an interruptible compiled call (it shows in thread listings).
KERNEL_THREAD = "mitool-kernel"


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


#: numba's threading layers that take parallel loops from several threads at once; the third,
#: ``workqueue``, ends the process when two threads launch one (numba's docs, "The Threading
#: Layers").
CONCURRENT_LAYERS = ("omp", "tbb")


def concurrent_calls_safe() -> bool:
    """Whether compiled searches may run in several threads of this process at once: numba is
    not loaded, or its threading layer, already chosen by a first parallel loop, is one of
    :data:`CONCURRENT_LAYERS` (before that first loop it is unknown, and the answer is no)."""
    numba = sys.modules.get("numba")
    if numba is None:
        return True
    try:
        return numba.threading_layer() in CONCURRENT_LAYERS
    except ValueError:  # no parallel loop has run yet: the layer is not chosen
        return False


def call(
    fn: Callable[..., R],
    *args: Any,
    threads: int,
    rows: int,
    chunk: int = 0,
    watch: Callable[[], None] | None = None,
) -> R:
    """``fn(*args)``, a compiled (numba, nogil) function, with its parallel loops on ``threads``
    threads (and ``numba.parallel_chunksize(chunk)`` when ``chunk``).

    A compiled loop cannot take a signal: from :data:`INTERRUPTIBLE_ROWS` rows, in the main
    thread, the call runs in a daemon thread named :data:`KERNEL_THREAD` while the caller waits
    in steps of :data:`POLL_S`, so that Ctrl-C raises KeyboardInterrupt here at once (issue 21:
    it once waited 45 s for a search to end). The call itself cannot be stopped: the command
    line ends the process after Ctrl-C (``mitool.cli.run``). The result is the same either way.

    ``watch`` is called at each look, and once after the call: it reads what the kernel has
    done so far (flags the kernel sets as it finishes each part of its work) to move a
    progress bar while the call runs (:func:`mitool.steps.done_reporter`).
    """

    def run() -> R:
        import numba

        with numba_threads(threads), numba.parallel_chunksize(chunk) if chunk else nullcontext():
            return fn(*args)

    if rows < INTERRUPTIBLE_ROWS or threading.current_thread() is not threading.main_thread():
        value = run()
        if watch is not None:
            watch()
        return value
    done: dict[str, Any] = {}

    def work() -> None:
        try:
            done["value"] = run()
        except BaseException as exc:  # noqa: BLE001 (raised again in the caller)
            done["error"] = exc

    worker = threading.Thread(target=work, name=KERNEL_THREAD, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(POLL_S)
        if watch is not None:
            watch()
    if "error" in done:
        raise done["error"]
    return done["value"]
