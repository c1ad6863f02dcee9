"""A finished run as a session remembers it: typed number and name, labels built from them."""

from __future__ import annotations

from mnistcore.engine.presets import PRESETS
from mnistcore.server.jobs import JobStatus
from mnistcore.server.records import RunRecord
from mnistcore.server.share import short_description


def test_labels_are_built_from_the_number_name_and_settings():
    config = PRESETS["fast"]
    record = RunRecord(number=3, name="fast", config=config, events=(), status=JobStatus.FINISHED)
    assert record.short_label == "#3 fast"
    assert record.label == f"#3 fast · {short_description(config)}"
    assert record.label.startswith(record.short_label + " · ")
    nameless = RunRecord(number=4, name="", config=config, events=(), status=JobStatus.STOPPED)
    assert nameless.short_label == "#4" and nameless.label == f"#4 · {short_description(config)}"
    assert record.samples_per_second == 0.0  # no events yet


def test_runs_of_one_session_have_distinct_labels_even_with_the_same_settings():
    config = PRESETS["fast"]
    runs = [RunRecord(number=n, name="fast", config=config, events=(), status=JobStatus.FINISHED) for n in (1, 2)]
    assert runs[0].label != runs[1].label and runs[0].short_label != runs[1].short_label
