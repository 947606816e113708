"""Worker processes: how many, in what order, and that none outlives its parent (issue 19:
``--jobs 1000`` started 50 processes holding 11.4 GB; a SIGKILL of ``mitool trace`` left loky
workers and resource trackers alive for minutes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from mitool import MitoolError
from mitool.parallel import cores, parallel_map, resolve_jobs


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
