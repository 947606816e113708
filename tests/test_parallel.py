"""Worker processes: how many, in what order, and that none outlives its parent (issue 19:
``--jobs 1000`` started 50 processes holding 11.4 GB; a SIGKILL of ``mitool trace`` left loky
workers and resource trackers alive for minutes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from mitool import MitoolError
from mitool.parallel import (
    WORKER_START_S,
    cores,
    parallel_map,
    resolve_jobs,
    search_threads,
    workers_pay,
)
from mitool.search.threads import concurrent_calls_safe


def test_jobs_are_capped_by_the_cores():
    assert resolve_jobs(1000) == cores()
    assert resolve_jobs(None) == cores()
    assert resolve_jobs(-1) == cores()
    assert resolve_jobs(1) == 1
    with pytest.raises(MitoolError, match="--jobs must be"):
        resolve_jobs(0)


def _square(v: int) -> int:
    return v * v


def test_results_keep_the_order_of_the_tasks_whatever_the_jobs():
    tasks = [(v,) for v in range(7)]
    assert parallel_map(_square, tasks, jobs=1) == [v * v for v in range(7)]
    assert parallel_map(_square, tasks, jobs=2) == [v * v for v in range(7)]


def _pid(_: int) -> int:
    return os.getpid()


def test_a_small_job_never_starts_worker_processes():
    # 50 tasks of microseconds: the work left is far below the cost of starting workers.
    pids = parallel_map(_pid, [(v,) for v in range(50)], jobs=None)
    assert set(pids) == {os.getpid()}


def _where(v: int) -> tuple[int, str, int]:
    time.sleep(0.01)  # long enough for two tasks to overlap
    return v * v, threading.current_thread().name, search_threads()


@pytest.mark.skipif(cores() < 2, reason="threads share two cores or more")
def test_thread_safe_tasks_run_on_threads_in_process(monkeypatch):
    # The first task runs in the caller's thread (it measures the rate); the rest run two at a
    # time on the pool, each search on its share of the cores, results in the tasks' order.
    monkeypatch.setattr("mitool.parallel.concurrent_calls_safe", lambda: True)
    tasks = [(v,) for v in range(20)]
    out = parallel_map(_where, tasks, jobs=None, threads=True)
    assert [o[0] for o in out] == [v * v for v in range(20)]
    assert out[0][1] == threading.current_thread().name
    assert {o[1].split("_")[0] for o in out[1:]} == {"mitool-task"}
    assert {o[2] for o in out[1:]} == {max(1, cores() // min(cores(), 20))}
    assert {o[1] for o in parallel_map(_where, tasks, jobs=None)} == {out[0][1]}  # not asked
    monkeypatch.setattr("mitool.parallel.concurrent_calls_safe", lambda: False)
    assert {o[1] for o in parallel_map(_where, tasks, jobs=None, threads=True)} == {out[0][1]}


def test_concurrent_calls_need_a_thread_safe_numba_layer(monkeypatch):
    import numba

    for layer, safe in (("omp", True), ("tbb", True), ("workqueue", False)):
        monkeypatch.setattr(numba, "threading_layer", lambda layer=layer: layer)
        assert concurrent_calls_safe() is safe

    def not_chosen() -> str:
        raise ValueError("Threading layer is not initialized.")

    monkeypatch.setattr(numba, "threading_layer", not_chosen)
    assert concurrent_calls_safe() is False


def test_workers_pay_only_when_the_work_left_outweighs_their_start():
    weights = [1] * 10
    assert not workers_pay(5.0, [], weights, 2)  # nothing measured yet
    assert WORKER_START_S == 2.0  # the cases below are sized for it
    # One task took 1 s, nine are left: 9 s in process, 4.5 s saved on 2 processes.
    assert workers_pay(1.0, [0], weights, 2)
    # One task took 0.3 s: 2.7 s left, 1.35 s saved, less than the start.
    assert not workers_pay(0.3, [0], weights, 2)
    # One task took 0.01 s: 0.09 s left, never worth a process start.
    assert not workers_pay(0.01, [0], weights, 16)
    # One process saves nothing.
    assert not workers_pay(100.0, [0], weights, 1)
    # Weights: the task done weighed 1 of 10 units, so 9x its time is left.
    assert workers_pay(1.0, [0], [1, 9], 2)
    assert not workers_pay(1.0, [0], [9, 1], 2)


_PARENT = """
import os, sys, time
child = os.fork()
if child == 0:
    from mitool.parallel import exit_with_parent
    exit_with_parent(poll=0.05)
    print("ready", flush=True)
    time.sleep(60)
    os._exit(0)
print(child, flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return "\nState:\tZ" not in f.read()  # a zombie has ended
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not hasattr(os, "fork") or not os.path.isdir("/proc"), reason="Linux only")
def test_a_worker_ends_when_its_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", _PARENT], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    assert parent.stdout.readline().strip() == "ready"  # the watchdog runs
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    still = _alive(child)
    if still:
        os.kill(child, signal.SIGKILL)
    assert not still, "the worker outlived its parent by 5 s"
