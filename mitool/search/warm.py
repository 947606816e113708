"""A first run that does not wait for the compiler: scipy's trees while numba's cache is cold.

numba compiles mitool's kernels on their first call and caches them on disk (``cache=True``),
which costs a fresh install tens of seconds (benchmarks/RESULTS.md). Every search path gives
the same numbers (docs/search.md), so while the cache lacks the kernels a small estimate on a
terminal takes the ``tree`` paths (scipy's cKDTree, scikit-learn's KDTree, numpy's sorted
search: compiled libraries, nothing to compile), and a background process compiles the kernels
for the next run: ``python -m mitool.search.warm`` runs small estimates on every compiled path.

:func:`tree_while_cold` decides and starts it; nothing is remembered in this module.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

from mitool.search.compiled import uncompiled

#: Up to this many rows, an estimate on a terminal takes the ``tree`` paths while numba's cache
#: is cold (the tree paths stay within a second or two of the kernels' time there).
COLD_ROWS = 20_000
#: The plan's paths whose kernels a first run would compile (:data:`compiled.PROBES`).
CORE_PATHS = frozenset({"kdtree", "sorted", "grid"})
#: A background compile's lock older than this is taken as left by a process that died.
STALE_LOCK_S = 600.0
#: What the background process estimates on: (d_x, d_t, estimator, norm) on every compiled
#: path: the 1-D sweep, the 2-D grid, mitool's kd-tree, the slab index and all pairs.
WARM_CASES = (
    (1, 1, "ksg", "none"),
    (1, 1, "ksg", "global-linf"),
    (2, 2, "ksg", "none"),
    (2, 2, "ksg", "global-linf"),
    (3, 3, "ksg", "none"),
    (6, 1, "ksg", "global-linf"),
    (18, 1, "ksg", "global-linf"),
    (2, 2, "ksg-gcmi", "local"),
    (1, 1, "mixed-ksg", "none"),
)


def tree_while_cold(n: int, *, start: bool = True) -> str:
    """The search path for an estimate of n rows on a terminal: ``tree`` (after one line on
    stderr, and with the background compile started when ``start``) when n <= COLD_ROWS and
    numba's cache lacks the core kernels, else ``auto``."""
    cold = n <= COLD_ROWS and uncompiled(set(CORE_PATHS))
    if not cold:
        return "auto"
    print(
        "mitool: the search kernels are not compiled on this machine yet: this run takes "
        "scipy's trees (the same numbers); compiling them in the background (once, about a "
        "minute)",
        file=sys.stderr,
        flush=True,
    )
    lock = lock_path()
    if start and claim(lock):  # one background compile at a time (a loop of first runs)
        subprocess.Popen(  # noqa: S603 (this interpreter, this module)
            [sys.executable, "-m", "mitool.search.warm", lock],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives the command, and Ctrl-C does not reach it
        )
    return "tree"


def lock_path() -> str:
    """The lock file of this user's background compile (in the temporary folder)."""
    user = os.getuid() if hasattr(os, "getuid") else os.getpid()
    return os.path.join(tempfile.gettempdir(), f"mitool-warm-{user}.lock")


def claim(lock: str, stale: float = STALE_LOCK_S) -> bool:
    """Create ``lock`` (True), unless another compile holds it (False); a lock older than
    ``stale`` seconds is taken over."""
    for _ in range(2):
        try:
            os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return True
        except FileExistsError:
            try:
                if time.time() - os.path.getmtime(lock) < stale:
                    return False
                os.remove(lock)
            except OSError:
                return False
        except OSError:  # an unwritable temporary folder: no background compile
            return False
    return False


def warm(rows: int = 400, seed: int = 0) -> None:
    """Compile every kernel of the compiled paths into numba's cache: small estimates of
    :data:`WARM_CASES` on the ``numba`` path."""
    import mitool

    rng = np.random.default_rng(seed)
    for d_x, d_t, estimator, norm in WARM_CASES:
        x = rng.standard_normal((rows, d_x))
        t = 0.5 * x[:, :d_t] + rng.standard_normal((rows, d_t))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mitool.estimate(x, t, estimator=estimator, norm=norm, resamples=0, search="numba")


if __name__ == "__main__":
    if hasattr(os, "nice"):
        os.nice(10)  # the user's next command first
    try:
        warm()
    finally:
        if len(sys.argv) > 1:  # the lock tree_while_cold claimed for this process
            with contextlib.suppress(OSError):
                os.remove(sys.argv[1])
