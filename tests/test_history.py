"""Tests for mnistcore.engine.history: a run's progress events, and the cap that keeps a
history's memory bounded however long or chatty the run (a run's own use of it is in
test_trainer.py)."""

from __future__ import annotations

import math

import pytest

from mnistcore.engine.config import MAX_HISTORY_EVENTS
from mnistcore.engine.history import History, ProgressEvent


def event(step: int, measured: bool = False) -> ProgressEvent:
    return ProgressEvent(
        step=step,
        epoch=step / 550,
        samples_seen=step * 100,
        batch_loss=1.0 / step,
        batch_accuracy=0.5,
        validation_accuracy=0.9 if measured else math.nan,
        learning_rate=0.1,
        elapsed=step / 1000,
        samples_per_second=1e5,
    )


def test_a_history_appended_ten_times_its_cap_thins_itself_and_keeps_the_curves_shape():
    history = History()
    assert history.max_events == MAX_HISTORY_EVENTS
    largest = 0
    for step in range(1, 10 * MAX_HISTORY_EVENTS + 1):
        history.append(event(step, measured=step % 100 == 0))  # as eval_every = 10 x the logging interval
        largest = max(largest, len(history))
    events = history.snapshot()
    steps = [e.step for e in events]
    assert largest <= MAX_HISTORY_EVENTS and len(events) <= MAX_HISTORY_EVENTS
    assert steps[0] == 1 and steps[-1] == 10 * MAX_HISTORY_EVENTS  # the first and the latest
    assert steps == sorted(set(steps))  # in step order, none twice
    measured = [e.step for e in events if not math.isnan(e.validation_accuracy)]
    assert measured == list(range(100, 10 * MAX_HISTORY_EVENTS + 1, 100))  # every validation point
    # The batch-loss curve keeps its shape: its events are spread evenly over the whole run.
    plain = [s for s in steps[:-1] if s % 100]
    per_tenth = [sum(1 for s in plain if 10 * (s - 1) // (10 * MAX_HISTORY_EVENTS) == t) for t in range(10)]
    assert min(per_tenth) > 0.9 * max(per_tenth)
    assert history.last_step() == 10 * MAX_HISTORY_EVENTS


def test_a_history_of_validation_points_only_thins_them_too():
    history = History(max_events=100)
    for step in range(1, 1001):
        history.append(event(step, measured=True))
        assert len(history) <= 100
    steps = [e.step for e in history.snapshot()]
    assert steps[0] == 1 and steps[-1] == 1000 and steps == sorted(set(steps))
    assert len({b - a for a, b in zip(steps[:-1], steps[1:-1])}) == 1  # evenly spread, as if logged less often
    assert len(steps) >= 25


def test_a_history_given_too_many_events_is_thinned_at_once():
    history = History([event(step, measured=step % 7 == 0) for step in range(1, 301)], max_events=50)
    steps = [e.step for e in history.snapshot()]
    assert len(steps) <= 50 and steps[0] == 1 and steps[-1] == 300 and steps == sorted(steps)
    assert History(max_events=8).max_events == 8
    with pytest.raises(ValueError, match="at least 8 events"):
        History(max_events=2)
