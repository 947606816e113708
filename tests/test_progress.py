"""The progress bar's time left: from the average rate, never from the last burst (issue 19:
an ETA that jumped between 0:00:01 and 12:25 early on)."""

from __future__ import annotations

from rich.progress import Progress

from mitool.progress import SteadyETA


def _eta(events: list[tuple[float, int]], total: int = 100) -> list[str]:
    clock = [0.0]
    progress = Progress(get_time=lambda: clock[0], disable=True)
    task_id = progress.add_task("x", total=total)
    task = progress.tasks[0]
    shown = []
    for at, steps in events:
        clock[0] = at
        progress.advance(task_id, steps)
        shown.append(SteadyETA().render(task).plain)
    return shown


def test_no_eta_before_five_percent():
    assert _eta([(1.0, 1), (2.0, 3)]) == ["eta -:--:--", "eta -:--:--"]


def test_eta_is_the_average_rate_over_the_whole_run():
    # 10 done in 10 s: 90 left at 1 per second.
    assert _eta([(10.0, 10)])[-1] == "eta 0:01:30"


def test_a_burst_of_finished_tasks_does_not_make_the_eta_jump():
    # Two workers finish 10 tasks each together: 20 done after 10.1 s, 80 left at the average
    # rate 20 / 10.1 per second = 40 s. A rate over the last instant would say about 0 s.
    shown = _eta([(10.0, 10), (10.1, 10)])
    assert shown == ["eta 0:01:30", "eta 0:00:40"]


def test_hours_are_shown():
    assert _eta([(3600.0, 10)])[-1] == "eta 9:00:00"
