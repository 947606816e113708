"""Progress bars on stderr (rich): for long runs of independent estimates, and for one long
point estimate (its phases and units of work, :mod:`mitool.steps`)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn
from rich.text import Text

#: Share of the work done before an ETA is shown: replicates finish in bursts (one per worker),
#: and an ETA from the first few jumped between 0:00:01 and 12:25 (issue 19).
ETA_AFTER = 0.05
#: Seconds a point estimate runs before its bar appears: a quick estimate draws nothing.
STEP_DELAY = 2.0


class SteadyETA(ProgressColumn):
    """Time left from the average rate since the start, shown once ``ETA_AFTER`` of the work is
    done. rich's own column uses the rate over the last seconds, which swings by orders of
    magnitude when parallel tasks finish together."""

    def render(self, task: Task) -> Text:
        done, total, elapsed = task.completed, task.total, task.elapsed
        if not total or not elapsed or done < max(1.0, ETA_AFTER * total):
            return Text("eta -:--:--", style="progress.remaining")
        left = int(round(elapsed * (total - done) / done))
        hours, rest = divmod(left, 3600)
        return Text(f"eta {hours}:{rest // 60:02d}:{rest % 60:02d}", style="progress.remaining")


def stderr_is_terminal() -> bool:
    """True when a progress bar would be seen by a person (not a pipe, file or CI log)."""
    return sys.stderr.isatty()


@contextmanager
def progress_bar(total: int, description: str, enabled: bool) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(steps)``; draws a transient bar on stderr only when ``enabled``."""
    if not enabled or total <= 0:
        yield lambda steps: None
        return
    with _new_bar() as bar:
        task = bar.add_task(description, total=total)
        yield lambda steps: bar.advance(task, steps)


def _new_bar() -> Progress:
    """The one look of every bar: what runs, the bar, units done of all, the steady ETA."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), SteadyETA())
    return Progress(*columns, console=Console(stderr=True), transient=True)


class StepBar:
    """A :class:`~mitool.steps.Steps` that draws a bar on stderr once the estimate has run for
    ``delay`` seconds (a timer thread shows it: the compiled searches release the GIL), its ETA
    from the average rate since the estimate began. The estimator's calls only record, under a
    lock, what the bar shows."""

    def __init__(self, description: str, delay: float) -> None:
        self._description = description
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._total: float | None = None  # unknown until begin()
        self._done = 0.0
        self._phase = ""
        self._bar: Progress | None = None
        self._closed = False
        self._timer = threading.Timer(delay, self._show)
        self._timer.daemon = True
        self._timer.start()

    def begin(self, total: float) -> None:
        with self._lock:
            self._total, self._done = float(total), 0.0
            self._update()

    def phase(self, name: str) -> None:
        with self._lock:
            self._phase = name
            self._update()

    def advance(self, weight: float = 1.0) -> None:
        with self._lock:
            self._done += weight
            self._update()

    def close(self) -> None:
        """Stop the timer, and take the bar off the screen where it was shown."""
        self._timer.cancel()
        self._timer.join()  # a bar being shown now is shown, then stopped below
        with self._lock:
            self._closed = True
            if self._bar is not None:
                self._bar.stop()

    def _label(self) -> str:
        return f"{self._description}: {self._phase}" if self._phase else self._description

    def _update(self) -> None:
        if self._bar is not None:
            task = self._bar.task_ids[0]
            self._bar.update(
                task, total=self._total, completed=self._done, description=self._label()
            )

    def _show(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._bar = _new_bar()
            self._bar.add_task(self._label(), total=self._total, completed=self._done)
            # the ETA's rate is over the whole estimate, not from the bar's first frame
            self._bar.tasks[0].start_time = self._started
            self._bar.start()


@contextmanager
def step_bar(description: str, enabled: bool, delay: float | None = None) -> Iterator[object]:
    """Yield a :class:`StepBar` for one point estimate to report to (drawn after ``delay``
    seconds, None: :data:`STEP_DELAY`), or False when not ``enabled`` (the estimator then
    reports nothing)."""
    if not enabled:
        yield False
        return
    steps = StepBar(description, STEP_DELAY if delay is None else delay)
    try:
        yield steps
    finally:
        steps.close()
