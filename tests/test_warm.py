"""A first run on a terminal does not wait for numba: scipy's trees while the cache is cold
(the same numbers), and the kernels compile in a background process (mitool.search.warm)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import mitool
from mitool.search import warm


@pytest.fixture
def spawned(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(warm.subprocess, "Popen", lambda argv, **kw: calls.append((argv, kw)))
    monkeypatch.setattr(warm, "lock_path", lambda: str(tmp_path / "warm.lock"))
    return calls


def test_cold_cache_takes_the_trees_and_starts_the_compile(monkeypatch, spawned, capsys):
    monkeypatch.setattr(warm, "uncompiled", lambda paths: ["kdtree"])
    assert warm.tree_while_cold(2000) == "tree"
    assert "not compiled on this machine yet" in capsys.readouterr().err
    ((argv, kw),) = spawned
    assert argv[:3] == [sys.executable, "-m", "mitool.search.warm"] and kw["start_new_session"]
    assert argv[3] == warm.lock_path()
    assert warm.tree_while_cold(2000) == "tree" and len(spawned) == 1  # one compile at a time


def test_warm_cache_or_large_n_keeps_auto(monkeypatch, spawned, capsys):
    monkeypatch.setattr(warm, "uncompiled", lambda paths: [])
    assert warm.tree_while_cold(2000) == "auto"
    monkeypatch.setattr(warm, "uncompiled", lambda paths: ["kdtree"])
    assert warm.tree_while_cold(warm.COLD_ROWS + 1) == "auto"
    assert spawned == [] and capsys.readouterr().err == ""


def test_a_cold_first_run_gives_the_same_numbers_on_the_trees(monkeypatch, spawned):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((600, 2))
    t = 0.6 * x + 0.8 * rng.standard_normal((600, 2))
    monkeypatch.setattr(warm, "uncompiled", lambda paths: ["kdtree"])
    cold = mitool.estimate(x, t, resamples=8, progress=True, jobs=1)
    warm_run = mitool.estimate(x, t, resamples=8, jobs=1)
    assert cold.details["search"]["path"] == "tree" and len(spawned) == 1
    assert warm_run.details["search"]["path"] == "auto"
    assert (cold.value, cold.ci_low, cold.ci_high) == (
        warm_run.value,
        warm_run.ci_low,
        warm_run.ci_high,
    )


def test_the_background_compile_runs_every_case():
    warm.warm(rows=120)  # every WARM_CASES estimate completes on the numba path


def test_the_lock_is_taken_once_and_a_stale_one_taken_over(tmp_path):
    lock = str(tmp_path / "warm.lock")
    assert warm.claim(lock) and not warm.claim(lock)
    assert warm.claim(lock, stale=-1.0)  # older than "stale": its process died
