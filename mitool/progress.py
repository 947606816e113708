"""A progress bar on stderr for long runs of independent estimates (rich)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn
from rich.text import Text

#: Share of the work done before an ETA is shown: replicates finish in bursts (one per worker),
#: and an ETA from the first few jumped between 0:00:01 and 12:25 (issue 19).
ETA_AFTER = 0.05


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
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        SteadyETA(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda steps: bar.advance(task, steps)
