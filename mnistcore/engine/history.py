"""What a run looked like as it went: one ``ProgressEvent`` per logging step, kept in a
``History`` that the training thread appends to and any other thread reads.

The history is bounded (``MAX_HISTORY_EVENTS``): however long or chatty a run, it thins
itself and keeps the curve's shape. ``to_columns``/``from_columns`` turn it into float64
arrays and back, for checkpoints and charts.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from mnistcore.engine.config import MAX_HISTORY_EVENTS
from mnistcore.engine.health import HealthLog


@dataclass(frozen=True)
class ProgressEvent:
    """What the run looked like at one logging step."""

    step: int  # steps done so far
    epoch: float  # passes over the training set so far
    samples_seen: int
    batch_loss: float  # loss of the latest minibatch (before its update)
    batch_accuracy: float  # accuracy on that minibatch
    validation_accuracy: float  # on the validation split; NaN on steps where it was not measured
    learning_rate: float
    elapsed: float  # training seconds, pauses excluded
    samples_per_second: float


class History:
    """A run's progress events in step order, which one thread appends and others read safely.

    It holds at most ``max_events`` (``MAX_HISTORY_EVENTS``), so no run, however long or
    chatty, can fill the server's memory (an event takes about 400 bytes). When one more
    would go over, it halves its resolution and the curve keeps its shape: it drops every
    other event without a validation accuracy and from then on keeps one in two of those
    that arrive (one in four after the next time, ...), until a quarter of the room is
    free. Every event with a validation accuracy is kept, unless they alone fill half the
    room: then they are halved the same way. The first event is always kept, and so is
    the latest, even off the kept grid, until the next one arrives.
    """

    def __init__(self, events: list[ProgressEvent] | None = None, max_events: int = MAX_HISTORY_EVENTS):
        if max_events < 8:
            raise ValueError(f"a history must keep at least 8 events, got max_events={max_events}")
        self._lock = threading.Lock()
        self.max_events = max_events
        self._events: list[ProgressEvent] = []
        self._ranks: list[int] = []  # each event's place among those of its kind (with or without validation)
        self._seen = [0, 0]  # events appended so far, [without, with] a validation accuracy
        self._every = [1, 1]  # of each kind, the ranks kept are the multiples of this
        self.health = HealthLog()  # per-layer training-health records (``engine.health``), beside the events
        for event in events or []:
            self._add(event)

    def append(self, event: ProgressEvent) -> None:
        with self._lock:
            self._add(event)

    def last_step(self) -> int:
        """The step of the latest event (0 before the first)."""
        with self._lock:
            return self._events[-1].step if self._events else 0

    @staticmethod
    def _kind(event: ProgressEvent) -> int:
        """1 for an event with a validation accuracy, 0 for one without."""
        return 0 if math.isnan(event.validation_accuracy) else 1

    def _add(self, event: ProgressEvent) -> None:
        """Call with the lock held (or from ``__init__``)."""
        if self._events and self._ranks[-1] % self._every[self._kind(self._events[-1])]:
            self._events.pop()  # it was kept only for being the latest
            self._ranks.pop()
        kind = self._kind(event)
        self._events.append(event)
        self._ranks.append(self._seen[kind])
        self._seen[kind] += 1
        if len(self._events) > self.max_events:
            self._thin()

    def _thin(self) -> None:
        """Halve the resolution until a quarter of the room is free (see the class docstring)."""
        kinds = [self._kind(e) for e in self._events]

        def kept(kind: int) -> int:
            return sum(1 for k, r in zip(kinds, self._ranks) if k == kind and r % self._every[kind] == 0)

        while kept(1) > self.max_events // 2:  # validation points alone would fill half the room
            self._every[1] *= 2
        while kept(0) > 1 and kept(0) + kept(1) + 1 > self.max_events * 3 // 4:
            self._every[0] *= 2
        last = len(self._events) - 1
        keep = [i for i, (k, r) in enumerate(zip(kinds, self._ranks)) if r % self._every[k] == 0 or i == last]
        self._events = [self._events[i] for i in keep]
        self._ranks = [self._ranks[i] for i in keep]

    def snapshot(self) -> list[ProgressEvent]:
        """A copy of the events so far; the reader can use it while training goes on."""
        with self._lock:
            return list(self._events)

    def __len__(self) -> int:
        return len(self._events)

    def to_columns(self) -> dict[str, np.ndarray]:
        """One float64 array per event field (for checkpoints and charts)."""
        events = self.snapshot()
        return {f.name: np.array([getattr(e, f.name) for e in events], dtype=np.float64) for f in fields(ProgressEvent)}

    @classmethod
    def from_columns(cls, columns: dict[str, np.ndarray]) -> History:
        names = [f.name for f in fields(ProgressEvent)]
        n = len(columns[names[0]])
        ints = ("step", "samples_seen")
        rows: list[dict[str, Any]] = [
            {name: (int if name in ints else float)(columns[name][i]) for name in names} for i in range(n)
        ]
        return cls([ProgressEvent(**row) for row in rows])
