"""Many independent estimates at once: worker processes (joblib), in order, with a progress bar.

Results come back in the order of the tasks whatever the number of processes, and each task
carries its own seed, so the output never depends on ``jobs``. In worker processes each
neighbour search uses the worker's share of the cores, so the machine is not oversubscribed:
:func:`limit_threads` holds that share for the task, and an estimate reads it
(:func:`search_threads`) when it plans its searches.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from mitool.errors import MitoolError
from mitool.progress import progress_bar
from mitool.search.threads import concurrent_calls_safe, cores, resolve

R = TypeVar("R")

#: Threads per neighbour search for the estimates of the running task (-1: all cores). Set only
#: inside :func:`limit_threads`, and reset when the block ends.
_SEARCH_THREADS: ContextVar[int] = ContextVar("mitool_search_threads", default=-1)


def search_threads() -> int:
    """Threads per neighbour search for an estimate started here: a worker's share of the cores
    inside :func:`parallel_map`'s worker processes (or what :func:`limit_threads` set), -1
    (all cores) elsewhere."""
    return _SEARCH_THREADS.get()


@contextmanager
def limit_threads(threads: int) -> Iterator[None]:
    """Let every estimate started inside the block search on ``threads`` threads."""
    token = _SEARCH_THREADS.set(threads)
    try:
        yield
    finally:
        _SEARCH_THREADS.reset(token)


def resolve_jobs(jobs: int | None) -> int:
    """The number of worker processes: None means all cores, a negative number cores + 1 + jobs
    (joblib's convention: -1 is all, -2 all but one); never more than the cores, since every
    task is CPU-bound and each worker holds its own copy of the data (``--jobs 1000`` once
    started 50 processes holding 11.4 GB)."""
    if jobs is None:
        return cores()
    if jobs == 0:
        raise MitoolError("--jobs must be a positive number of processes, or negative for all")
    return max(1, cores() + 1 + jobs) if jobs < 0 else min(jobs, cores())


#: Name of the thread that ends a worker process whose parent has gone.
WATCHDOG = "mitool-parent-watch"


def exit_with_parent(poll: float = 1.0) -> None:
    """In a worker process, end the process within ``poll`` seconds of its parent's death.

    A parent killed by SIGKILL cannot stop its workers, and joblib's (loky's) idle workers
    then live on for minutes, reparented to init. A daemon thread polls the parent's pid and
    calls ``os._exit`` when it changes; it is started once per process (found by its name)."""
    if any(thread.name == WATCHDOG for thread in threading.enumerate()):
        return
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll)
        os._exit(1)

    threading.Thread(target=watch, name=WATCHDOG, daemon=True).start()


def _in_worker(threads: int, fn: Callable[..., R], args: Sequence[Any]) -> R:
    exit_with_parent()
    with limit_threads(threads):
        return fn(*args)


def parallel_map(
    fn: Callable[..., R],
    tasks: Sequence[Sequence[Any]],
    *,
    jobs: int | None = None,
    progress: bool = False,
    description: str = "",
    steps: Sequence[int] | None = None,
    backend: str | None = None,
    threads: bool = False,
) -> list[R]:
    """``[fn(*args) for args in tasks]`` on ``jobs`` processes (None: all cores, when worth it).

    ``fn`` must be picklable (a module-level function or a partial of one). ``steps`` gives
    each task's weight on the progress bar (default 1). ``backend`` names an engine with
    workers of its own, as :func:`mitool.engines.engine` yields it (``"dask"`` inside a
    ``distributed.Client``, ``"ray"`` once Ray is connected) or any joblib backend: every one of
    its workers is used, ``jobs`` is ignored, and each task searches on one thread (the engine
    runs one task per core). The arrays that several tasks share go to the workers once
    (:func:`_on_engine`).

    With ``jobs=None`` the tasks start in this process, and worker processes are started for
    the rest only once the time left, measured on the tasks done, is long enough for them to
    pay for their start (:func:`workers_pay`): small jobs (n = 10, a quick check) never start
    any. The results are the same either way: each task carries its own seed.

    ``threads``: ``fn`` keeps no process-wide state (no global seed, no warning filters), so
    the tasks that run in this process may run on ``jobs`` threads at once, each search on its
    share of the cores (:func:`_in_threads`). The compiled searches release the GIL, so this
    shares the cores without the 2 s start of worker processes (the sample data's 100
    replicates: benchmarks/RESULTS.md, issue 21). Taken only where numba's threading layer
    allows concurrent calls (:func:`mitool.search.threads.concurrent_calls_safe`).
    """
    from joblib import Parallel, delayed  # here: small jobs never load it

    weights = list(steps) if steps is not None else [1] * len(tasks)
    wanted = min(resolve_jobs(jobs), len(tasks))
    out: list[R] = []
    with progress_bar(sum(weights), description, progress) as advance:
        if backend is not None:  # an engine with workers of its own (e.g. a Dask cluster)
            for weight, result in zip(weights, _on_engine(fn, tasks, backend), strict=True):
                out.append(result)
                advance(weight)
            return out
        started = time.perf_counter()

        def stay() -> bool:  # whether the next task runs in this process
            return wanted <= 1 or (
                jobs is None
                and not workers_pay(time.perf_counter() - started, out, weights, wanted)
            )

        while len(out) < len(tasks) and stay():
            if threads and out and wanted > 1 and concurrent_calls_safe():
                _in_threads(fn, tasks, out, wanted, stay, lambda: advance(weights[len(out) - 1]))
                break
            out.append(fn(*tasks[len(out)]))  # in this process, each neighbour query on all cores
            advance(weights[len(out) - 1])
        if len(out) < len(tasks):
            workers = min(wanted, len(tasks) - len(out))
            threads = max(1, cores() // workers)
            rest = Parallel(n_jobs=workers, return_as="generator")(
                delayed(_in_worker)(threads, fn, args) for args in tasks[len(out) :]
            )
            for result in rest:
                out.append(result)
                advance(weights[len(out) - 1])
    return out


def _in_threads(
    fn: Callable[..., R],
    tasks: Sequence[Sequence[Any]],
    out: list[R],
    threads: int,
    stay: Callable[[], bool],
    advance: Callable[[], None],
) -> None:
    """Append the results of ``tasks[len(out):]`` to ``out``, in order, running up to
    ``threads`` at once on a thread pool, each search on its share of the cores the caller may
    use; stop submitting once ``stay()`` says the rest should go to worker processes (those
    already running still finish here). ``advance`` follows each result."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    share = max(1, resolve(search_threads()) // threads)

    def one(args: Sequence[Any]) -> R:
        with limit_threads(share):  # a new thread starts from the default context
            return fn(*args)

    pool = ThreadPoolExecutor(threads, thread_name_prefix="mitool-task")
    try:
        running: deque = deque()
        following = len(out)
        while following < len(tasks) or running:
            while len(running) < threads and following < len(tasks) and stay():
                running.append(pool.submit(one, tasks[following]))
                following += 1
            if not running:
                break
            out.append(running.popleft().result())
            advance()
    finally:  # on an error or Ctrl-C, never wait for the tasks still running
        pool.shutdown(wait=False, cancel_futures=True)


#: Seconds to start joblib's worker processes, each importing mitool (measured in
#: ``benchmarks/bench_parallel.py``; see benchmarks/RESULTS.md).
WORKER_START_S = 2.0


def workers_pay(elapsed: float, done: Sequence[Any], weights: Sequence[int], jobs: int) -> bool:
    """Whether starting ``jobs`` worker processes now saves time: the work left, at the rate of
    the tasks done in this process, shrinks by (1 − 1/jobs) on ``jobs`` processes, and that
    saving must exceed :data:`WORKER_START_S`. Before any task is done, the answer is no."""
    if not done:
        return False
    rate = elapsed / max(sum(weights[: len(done)]), 1)
    left = rate * sum(weights[len(done) :])
    return left * (1 - 1 / jobs) > WORKER_START_S


#: Arrays of at least this many bytes that several tasks share are shipped to an engine once
#: (Dask's scatter, Ray's object store) instead of with every task.
SHARED_BYTES = 64 * 1024


def shared_arrays(tasks: Sequence[Sequence[Any]]) -> list[Any]:
    """The arrays (of :data:`SHARED_BYTES` or more) that are arguments of more than one task,
    each once, found by identity: the table that every block of column indices reads."""
    import numpy as np

    seen: dict[int, np.ndarray] = {}
    uses: dict[int, int] = {}
    for args in tasks:
        for arg in args:
            if isinstance(arg, np.ndarray) and arg.nbytes >= SHARED_BYTES:
                seen[id(arg)] = arg
                uses[id(arg)] = uses.get(id(arg), 0) + 1
    return [arg for key, arg in seen.items() if uses[key] > 1]


def _one_thread(fn: Callable[..., R], *args: Any) -> R:
    """``fn(*args)`` on an engine's worker, each neighbour search on one thread. The arguments
    stay top-level so that the engine can swap a shared array for its handle (and back)."""
    with limit_threads(1):
        return fn(*args)


def _on_engine(fn: Callable[..., R], tasks: Sequence[Sequence[Any]], backend: str) -> Iterator[R]:
    """The results of ``tasks`` in order, run on the engine ``backend``.

    Dask: joblib's dask backend, with the shared arrays scattered to every worker once
    (``parallel_config(scatter=...)``); each task then carries a handle in their place. Ray:
    Ray's own API, the shared arrays put in the object store once (``ray.put``) and each task
    given their reference, which Ray resolves to a read-only array on the worker without a
    copy on the same node (Ray's API rather than joblib's ray backend, so that the table is put
    once, by us, whatever the batching). Anything else: that joblib backend as it is."""
    from joblib import Parallel, delayed, parallel_config

    shared = shared_arrays(tasks)
    if backend == "ray":
        import ray

        refs = {id(arg): ray.put(arg) for arg in shared}
        remote = ray.remote(_one_thread)
        futures = [remote.remote(fn, *(refs.get(id(arg), arg) for arg in args)) for args in tasks]
        for future in futures:
            yield ray.get(future)
        return
    config = {"scatter": shared} if backend == "dask" and shared else {}
    with parallel_config(backend=backend, **config):
        yield from Parallel(n_jobs=-1, return_as="generator")(
            delayed(_one_thread)(fn, *args) for args in tasks
        )
