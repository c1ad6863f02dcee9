"""Milestones: how many training seconds a run took to first reach 97%, 98% and 99% validation accuracy.

Read from a run's progress events (``history``), so it works the same for a live run, a
finished one and one loaded from a checkpoint. The accuracy is the *validation* accuracy,
the only one measured while a run trains (the test set is touched once, at the end), and
the time is the training clock of the event that first showed it: pauses are not counted,
and a milestone is seen only as often as validation is measured (``eval_every``), so a
time is the first measurement at or above the level, never an interpolation.

Deliberate limits: fixed levels for MNIST (below 97% every reasonable run gets there in
seconds; above 99% is the moonshot's ground).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from mnistcore.engine.history import ProgressEvent

MILESTONE_LEVELS = (0.97, 0.98, 0.99)


@dataclass(frozen=True)
class Milestone:
    """The first event at or above ``level`` validation accuracy; ``seconds``/``step`` None if not reached."""

    level: float
    seconds: float | None
    step: int | None

    @property
    def reached(self) -> bool:
        return self.seconds is not None

    def text(self, running: bool = True) -> str:
        """'99%: 18.4 s', or '99%: not yet' ('not reached' once the run has ended)."""
        if self.seconds is not None:
            return f"{self.level:.0%}: {self.seconds:.1f} s"
        return f"{self.level:.0%}: {'not yet' if running else 'not reached'}"


def milestones(events: Sequence[ProgressEvent], levels: Sequence[float] = MILESTONE_LEVELS) -> list[Milestone]:
    """For each level, when the run's validation accuracy first reached it (events in step order)."""
    found: list[Milestone] = []
    for level in levels:
        first = next(
            (e for e in events if not math.isnan(e.validation_accuracy) and e.validation_accuracy >= level), None
        )
        found.append(Milestone(level, first.elapsed if first else None, first.step if first else None))
    return found


def milestones_text(
    events: Sequence[ProgressEvent], running: bool = True, levels: Sequence[float] = MILESTONE_LEVELS
) -> str:
    """One line for the live view: 'Time to validation accuracy 97%: 0.6 s · 98%: 2.1 s · 99%: not yet'."""
    return "Time to validation accuracy " + " · ".join(m.text(running) for m in milestones(events, levels))
