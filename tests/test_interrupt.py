"""Ctrl-C during a long compiled search ends the command within a second, with one line and exit
status 130 (issue 21: it once waited 45 s for a numba kernel, which cannot take a signal)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from mitool.search.threads import INTERRUPTIBLE_ROWS, KERNEL_THREAD, call


def test_a_call_in_its_own_thread_gives_the_same_result_and_the_same_errors():
    values = np.arange(10.0)
    assert (
        call(np.cumsum, values, threads=1, rows=INTERRUPTIBLE_ROWS).tolist()
        == np.cumsum(values).tolist()
    )
    with pytest.raises(ValueError, match="boom"):
        call(_fail, threads=1, rows=INTERRUPTIBLE_ROWS)


def _fail() -> None:
    raise ValueError("boom")


def test_ctrl_c_reaches_the_caller_while_the_call_runs():
    started = threading.Event()

    def slow() -> None:
        started.set()
        time.sleep(3)

    def interrupt() -> None:
        started.wait()
        time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    began = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        call(slow, threads=1, rows=INTERRUPTIBLE_ROWS)
    assert time.perf_counter() - began < 1.5
    assert any(t.name == KERNEL_THREAD for t in threading.enumerate())  # still sleeping


def test_the_command_stops_within_a_second_of_ctrl_c(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400_000, 3))  # a point estimate of tens of seconds on 2 cores
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "t.npy", 0.8 * x + 0.6 * rng.standard_normal(x.shape))
    argv = [sys.executable, "-m", "mitool", "estimate", "x.npy", "t.npy", "-B", "0"]
    run = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(3)
    assert run.poll() is None, "the estimate ended before it could be interrupted"
    sent = time.perf_counter()
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=30)
    assert time.perf_counter() - sent < 1.5
    assert (run.returncode, err.decode(), out) == (130, "mitool: interrupted\n", b"")
