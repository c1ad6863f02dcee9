"""Tests for mnistcore.engine.milestones: the training time at which a run's validation
accuracy first reached 97/98/99%, read from its progress events."""

from __future__ import annotations

import math

import numpy as np

from mnistcore.engine.history import ProgressEvent
from mnistcore.engine.milestones import MILESTONE_LEVELS, milestones, milestones_text
from mnistcore.engine.presets import PRESETS
from mnistcore.engine.trainer import Trainer


def event(step: int, elapsed: float, validation: float = math.nan) -> ProgressEvent:
    return ProgressEvent(step, step / 550, step * 100, 0.1, 0.9, validation, 0.1, elapsed, step * 100 / elapsed)


def test_the_first_validation_at_or_above_each_level_counts():
    events = [
        event(100, 1.0, 0.965),
        event(150, 1.4, math.nan),  # a batch-only event: no validation, never a milestone
        event(200, 2.0, 0.9801),
        event(300, 3.0, 0.975),  # a dip after reaching 98% does not move the milestone
        event(400, 4.0, 0.99),  # exactly at the level counts
        event(500, 5.0, 0.995),
    ]
    found = milestones(events)
    assert [m.level for m in found] == list(MILESTONE_LEVELS)
    assert [(m.seconds, m.step) for m in found] == [(2.0, 200), (2.0, 200), (4.0, 400)]
    assert all(m.reached for m in found)
    assert milestones_text(events) == "Time to validation accuracy 97%: 2.0 s · 98%: 2.0 s · 99%: 4.0 s"


def test_levels_not_reached_say_so_while_running_and_after():
    events = [event(100, 1.0, 0.975), event(200, 2.5, 0.979)]
    found = milestones(events)
    assert [m.reached for m in found] == [True, False, False]
    assert found[1].seconds is None and found[1].step is None
    assert milestones_text(events).endswith("97%: 1.0 s · 98%: not yet · 99%: not yet")
    assert milestones_text(events, running=False).endswith("98%: not reached · 99%: not reached")
    assert milestones_text([]) == "Time to validation accuracy 97%: not yet · 98%: not yet · 99%: not yet"


def test_a_real_run_reaches_its_milestones_in_order(mnist):
    """The fast preset, shortened: its events give non-decreasing times, each at a validation
    accuracy at or above the level it marks."""
    config = PRESETS["fast"].replace(epochs=None, steps=1500, eval_every=100)
    trainer = Trainer(config, mnist.train_pixels, mnist.train_y, mnist.val_x, mnist.val_y)
    trainer.run()
    events = trainer.history.snapshot()
    found = milestones(events)
    print([m.text() for m in found])
    assert found[0].reached  # 1,500 steps of the fast preset pass 97% validation accuracy
    by_step = {e.step: e for e in events}
    reached = [m for m in found if m.reached]
    assert np.all(np.diff([m.seconds for m in reached]) >= 0)
    for m in reached:
        assert by_step[m.step].validation_accuracy >= m.level and by_step[m.step].elapsed == m.seconds
