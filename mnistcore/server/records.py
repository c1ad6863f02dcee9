"""A finished run as a session remembers it: for the Train page's comparison of runs.

A ``RunRecord`` keeps what the comparison shows (settings, progress history, status,
accuracies, training time), not the network: a session keeps a dozen of them cheaply.
Its ``number`` (the run's place in its session) and ``name`` (the preset it started from)
are typed fields; ``short_label`` and ``label`` are built from them, so a page never has
to parse a label back into its parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mnistcore.engine.config import TrainConfig
from mnistcore.engine.history import ProgressEvent
from mnistcore.engine.model import TrainedModel
from mnistcore.server.jobs import JobStatus
from mnistcore.server.share import short_description

if TYPE_CHECKING:
    from mnistcore.server.jobs import TrainingJob


@dataclass(frozen=True)
class RunRecord:
    """A finished run, for comparison charts.

    ``number`` counts the session's runs from 1; ``name`` is the job's (e.g. the preset
    'fast'). ``events`` is the run's progress history; the accuracies are None when not
    measured (e.g. a diverged run has no test accuracy)."""

    number: int
    name: str
    config: TrainConfig
    events: tuple[ProgressEvent, ...]
    status: JobStatus
    test_accuracy: float | None = None
    validation_accuracy: float | None = None
    train_seconds: float = 0.0
    run_id: str = ""  # the run's id in the run store ("" when it was not stored)

    @property
    def short_label(self) -> str:
        """'#3 fast': the run's number and name (just '#3' without a name). Unique within a
        session (the number is) and short: the comparison of runs keys its legend, colours
        and table by it, and lists the settings that differ beside it."""
        return f"#{self.number} {self.name}" if self.name else f"#{self.number}"

    @property
    def label(self) -> str:
        """'#3 fast · 784-128-10 relu · cross-entropy · …': the short label and the settings
        (``share.short_description``), for a place with room for a whole line; unique within a
        session like the short label. (Too long for a chart's legend: it squeezed the plot.)"""
        return f"{self.short_label} · {short_description(self.config)}"

    @classmethod
    def from_model(cls, model: TrainedModel, number: int, name: str | None = None, run_id: str = "") -> RunRecord:
        """From a trained model; ``name`` defaults to the model's."""
        return cls(
            number=number,
            name=model.name if name is None else name,
            config=model.config,
            events=tuple(model.history.snapshot()),
            status=JobStatus(model.status.value),
            test_accuracy=model.test_accuracy,
            validation_accuracy=model.validation_accuracy,
            train_seconds=model.train_seconds,
            run_id=run_id,
        )

    @classmethod
    def from_job(cls, job: TrainingJob, number: int) -> RunRecord:
        """From an ended job: its model if it has one, else (diverged, failed) its history."""
        if job.model is not None:
            return cls.from_model(job.model, number, job.name, job.run_id)
        result = job.result
        return cls(
            number=number,
            name=job.name,
            config=job.config,
            events=tuple(job.events()),
            status=job.status,
            train_seconds=result.train_seconds if result is not None else 0.0,
        )

    @property
    def samples_per_second(self) -> float:
        return self.events[-1].samples_per_second if self.events else 0.0
