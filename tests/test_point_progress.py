"""Progress of one long point estimate (issue 21): the kNN estimators report their phases and
units of work to a :class:`mitool.steps.Steps` between compiled calls, the API draws them only
when asked, and nothing changes a number."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from functools import partial

import numpy as np
import pytest

from mitool.estimators import get_estimator
from mitool.search.plan import SearchPlan
from mitool.steps import done_reporter

SCALES = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)


class Recorder:
    """A Steps that keeps every call: ("begin", total), ("phase", name), ("advance", weight)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def begin(self, total: float) -> None:
        self.events.append(("begin", total))

    def phase(self, name: str) -> None:
        self.events.append(("phase", name))

    def advance(self, weight: float = 1.0) -> None:
        self.events.append(("advance", weight))

    @property
    def phases(self) -> list[str]:
        return [name for kind, name in self.events if kind == "phase"]

    def check_progress(self) -> float:
        """Progress never goes back and ends at the total of the last begin(); returns it."""
        last = max(i for i, (kind, _) in enumerate(self.events) if kind == "begin")
        total = self.events[last][1]
        done = 0.0
        for kind, weight in self.events[last + 1 :]:
            if kind == "advance":
                assert weight >= 0
                done += weight
        assert done == pytest.approx(total) and total > 0
        return total


def _pair(d_x: int, d_t: int, n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d_x))
    t = 0.7 * x[:, :1] + 0.5 * rng.standard_normal((n, d_t))
    return x, t


def _curves(name, x, t, scales, plan, **kw):
    """The curve without progress and with a recorder, and the recorder."""
    curve = get_estimator(name).curve
    plain = curve(x, t, scales, 3, plan=plan, **kw)
    recorder = Recorder()
    reported = curve(x, t, scales, 3, plan=plan, progress=recorder, **kw)
    np.testing.assert_array_equal(plain.values, reported.values)  # bit for bit, NaN too
    np.testing.assert_array_equal(plain.bounds, reported.bounds)
    return plain, recorder


SWEEPS = [
    *[("ksg", path, dims, False) for path in ("auto", "numba", "tree", "brute")
      for dims in ((2, 1), (2, 2))],
    ("ksg", "numba", (2, 2), True),  # every c counted in full
    ("bi-ksg", "auto", (2, 1), False),
    ("bi-ksg", "numba", (2, 2), True),
]  # fmt: skip


@pytest.mark.parametrize(("name", "path", "dims", "exhaustive"), SWEEPS)
def test_a_sweep_reports_the_joint_search_and_every_c_once(name, path, dims, exhaustive):
    x, t = _pair(*dims)
    plan = SearchPlan.for_pair(x, t, path)
    curve, recorder = _curves(name, x, t, SCALES, plan, exhaustive=exhaustive)
    total = recorder.check_progress()
    assert recorder.phases[0] == "joint search"
    named = [p for p in recorder.phases if "c = " in p and not p.startswith("T counts")]
    seen = sorted(float(re.search(r"c = (\S+)$", p).group(1)) for p in named)
    assert seen == sorted(SCALES)  # each c once, whether counted or skipped by its bound
    assert total >= 2 * len(SCALES)  # the joint search's unit per c, and the counts'
    if not exhaustive:
        assert np.isfinite(curve.values[curve.best])


def test_the_joint_search_reports_as_its_searches_end():
    x, t = _pair(2, 1)
    recorder = Recorder()
    scales = tuple(np.linspace(0.1, 3.0, 25))  # three kd-tree groups of c
    get_estimator("ksg").curve(x, t, scales, 3, plan=SearchPlan.for_pair(x, t, "numba"),
                               progress=recorder)  # fmt: skip
    start = recorder.events.index(("phase", "joint search"))
    joint = []
    for kind, weight in recorder.events[start + 1 :]:
        if kind != "advance":
            break
        joint.append(weight)
    assert sum(joint) == len(scales) and len(joint) > 1


def test_flags_report_the_share_done_once():
    # done_reporter: each call reports what the flags show finished since the last call, so the
    # shares add up to the units however often it is called, and never go back.
    done = np.zeros(8, dtype=np.uint8)
    recorder = Recorder()
    report = done_reporter(done, recorder, 2.0)
    report()
    done[[0, 3]] = 1
    report()
    report()  # nothing new: nothing reported
    done[:] = 1
    report()
    assert [w for _, w in recorder.events] == [0.5, 1.5]


@pytest.mark.parametrize("kind", ["knn", "count", "slabs"])
def test_a_long_search_moves_the_bar_while_it_runs(kind, monkeypatch):
    # From INTERRUPTIBLE_ROWS rows the kernel runs in a thread while the caller reads the flags
    # it sets per block every POLL_S: the bar moves before the search ends, reaches the units
    # exactly once it does, and the numbers are those of a search with nothing drawn.
    from mitool.search import kdtree
    from mitool.search.slabs import SlabIndex
    from mitool.search.threads import INTERRUPTIBLE_ROWS

    monkeypatch.setattr("mitool.search.threads.POLL_S", 0.002)  # many looks in any machine's time
    rng = np.random.default_rng(0)
    z = rng.standard_normal((2 * INTERRUPTIBLE_ROWS, 8))
    radius = np.full(len(z), 0.6)
    recorder = Recorder()
    if kind == "knn":
        tree = kdtree.KDTree.build(z)
        search = partial(kdtree.kth_many, tree, 5, [1.0], 8)
    elif kind == "count":
        tree = kdtree.KDTree.build(z)
        search = partial(kdtree.count, tree, radius)
    else:
        index = SlabIndex.build(z)
        search = partial(index.count, radius, np.arange(len(z)))
    plain = search()
    reported = search(steps=recorder, units=3.0)
    np.testing.assert_array_equal(plain, reported)
    weights = [w for _, w in recorder.events]
    assert len(weights) > 1 and min(weights) > 0
    assert sum(weights) == pytest.approx(3.0, rel=1e-12)


def test_one_dimension_per_side_is_one_pass():
    x, t = _pair(1, 1)
    _, recorder = _curves("ksg", x, t, SCALES, SearchPlan.for_pair(x, t))
    assert recorder.check_progress() == 1.0
    assert recorder.phases == ["one pass over every c"]


@pytest.mark.parametrize("name", ["ksg", "ksg2", "bi-ksg", "bi-ksg-l2", "mixed-ksg", "ksg-gcmi"])
def test_one_scale_reports_its_searches(name):
    x, t = _pair(2, 1)
    _, recorder = _curves(name, x, t, (1.0,), SearchPlan.for_pair(x, t))
    recorder.check_progress()
    assert recorder.phases[0] in ("joint search", "c = 1")


def test_ksg2_reports_each_c():
    x, t = _pair(2, 1)
    _, recorder = _curves("ksg2", x, t, SCALES, SearchPlan.for_pair(x, t))
    assert recorder.check_progress() == 3 * len(SCALES)
    assert recorder.phases == [f"c = {c:g}" for c in SCALES]


def test_asked_for_nothing_an_estimator_reports_nothing():
    from mitool.steps import NO_STEPS, steps_of

    assert steps_of(False) is NO_STEPS and steps_of(None) is NO_STEPS
    assert steps_of(True) is NO_STEPS  # only the API draws
    recorder = Recorder()
    assert steps_of(recorder) is recorder


def _fake_bar(seen):
    """A stand-in for mitool.progress.step_bar that records whether drawing was asked for."""

    @contextmanager
    def fake(description, enabled, delay=None):
        recorder = Recorder()
        seen.append((description, enabled, recorder))
        yield recorder if enabled else False

    return fake


def test_the_api_passes_steps_only_with_progress(monkeypatch):
    import mitool.progress

    x, t = _pair(2, 1, n=400)
    seen = []
    monkeypatch.setattr(mitool.progress, "step_bar", _fake_bar(seen))
    quiet = mitool.estimate(x, t, estimator="ksg", resamples=0, progress=False)
    loud = mitool.estimate(x, t, estimator="ksg", resamples=0, progress=True)
    assert [(d, e) for d, e, _ in seen] == [("ksg", False), ("ksg", True)]
    assert seen[0][2].events == []
    seen[1][2].check_progress()
    assert quiet.value == loud.value and quiet.scale == loud.scale
    assert [p.value for p in quiet.curve] == [p.value for p in loud.curve]


@pytest.mark.parametrize("as_json", [True, False])
def test_the_command_line_draws_on_a_terminal_only_without_json(
    tmp_path, monkeypatch, capsys, as_json
):
    import mitool.cli
    import mitool.progress

    x, t = _pair(2, 1, n=400)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "t.npy", t)
    monkeypatch.setattr(mitool.cli, "stderr_is_terminal", lambda: True)
    seen = []
    monkeypatch.setattr(mitool.progress, "step_bar", _fake_bar(seen))
    argv = ["estimate", str(tmp_path / "x.npy"), str(tmp_path / "t.npy"), "-e", "ksg"]
    code = mitool.cli.main([*argv, "--resamples", "0", *(["--json"] if as_json else [])])
    _, err = capsys.readouterr()
    assert code == 0 and "━" not in err
    assert [e for _, e, _ in seen] == [not as_json]


def test_the_bar_appears_after_its_delay_with_the_whole_estimate_s_rate():
    from mitool.progress import StepBar

    bar = StepBar("ksg", delay=0.0)
    try:
        bar.begin(10)
        bar.phase("joint search")
        bar.advance(4)
        deadline = time.monotonic() + 5
        while bar._bar is None and time.monotonic() < deadline:
            time.sleep(0.01)
        task = bar._bar.tasks[0]
        assert (task.completed, task.total, task.description) == (4, 10, "ksg: joint search")
        assert task.start_time == bar._started  # the ETA counts from the estimate's start
        bar.phase("counts at c = 1")
        bar.advance(6)
        assert (task.completed, task.description) == (10, "ksg: counts at c = 1")
    finally:
        bar.close()


def test_a_quick_estimate_draws_nothing():
    from mitool.progress import step_bar

    with step_bar("ksg", True, delay=60.0) as steps:
        steps.begin(1)
        steps.advance(1)
        assert steps._bar is None
    assert steps._bar is None and not steps._timer.is_alive()
