"""Progress of one long estimate: its phases and units of work, reported between compiled calls.

A point estimate of the kNN family can run for minutes (a 20-D X against a 1-D T at
n = 50,000 took about 100 s) with nothing to show (issue 21). The estimator tells a
:class:`Steps` how many units of work it will do (:meth:`~Steps.begin`), what it does now
(:meth:`~Steps.phase`: the joint search, the marginal counts, each c) and each unit it has done
(:meth:`~Steps.advance`). The calls sit in Python between compiled searches, never inside them
(a long search moves the bar through the flags its kernel sets as it finishes each part of its
work, read while it runs: :func:`done_reporter`), and the estimator keeps no state for them:
the API decides whether anything is drawn (:func:`mitool.progress.step_bar`) and passes the
Steps as the estimator's ``progress``; asked for nothing, the estimator reports to
:data:`NO_STEPS`, which does nothing.

Units stand for time, roughly, so that an ETA from the average rate holds from early on: the
sweep counts one unit per c for the joint search and one per c and side for the marginal counts
(:mod:`mitool.estimators.sweep`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Steps(Protocol):
    """Where an estimator reports its progress (module docstring)."""

    def begin(self, total: float) -> None:
        """The units of work the estimate will do in all, none done yet (called again, it
        starts over: a path that turned out not to apply gives way to another)."""
        ...

    def phase(self, name: str) -> None:
        """What the estimate does now, e.g. ``joint search`` or ``counts at c = 0.5``."""
        ...

    def advance(self, weight: float = 1.0) -> None:
        """``weight`` more units done."""
        ...


class NoSteps:
    """Reports nothing: what an estimator gets when no progress is asked for."""

    def begin(self, total: float) -> None:
        """Nothing to record."""

    def phase(self, name: str) -> None:
        """Nothing to record."""

    def advance(self, weight: float = 1.0) -> None:
        """Nothing to record."""


#: The Steps that reports nothing (it holds no state, so one serves every estimate).
NO_STEPS = NoSteps()


def done_reporter(done: Any, steps: Steps, units: float) -> Callable[[], None] | None:
    """What moves ``steps`` while one compiled search runs: each call reports the share of
    ``units`` that the search's flags ``done`` (an array of 0/1, one per part of its work, set
    by the kernel as it finishes each part) show finished since the last call. Reading the
    flags while the kernel writes them is safe: each is one byte, written once. None when
    ``steps`` is :data:`NO_STEPS`: nothing to move, nothing to look at."""
    if steps is NO_STEPS:
        return None
    reported = 0.0

    def report() -> None:
        nonlocal reported
        share = units * int(done.sum()) / max(len(done), 1)
        if share > reported:
            steps.advance(share - reported)
            reported = share

    return report


def steps_of(progress: object) -> Steps:
    """The Steps an estimator reports to: ``progress`` itself when it is one, else
    :data:`NO_STEPS` (False, None, or True: an estimator never draws a bar of its own)."""
    return progress if isinstance(progress, Steps) else NO_STEPS
