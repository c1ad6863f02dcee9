"""The Health tab's words and charts: readings computed from the numbers (each case built to
a known answer), and charts with one line per layer, log axes where the values span decades."""

from __future__ import annotations

import numpy as np
import pytest

from mnistcore.analysis import health_readings as readings
from mnistcore.charts import health as charts
from mnistcore.charts.training import vega_lite_parts
from mnistcore.engine.health import BINS, HealthRecord


def make(step=10, grad=(0.001, 0.01, 1.0), update=(1e-3, 1e-3, 1e-3), inactive=(0.0, 0.0), hist=None, ranges=None):
    hidden = len(inactive)
    histogram = np.full((hidden, BINS), 1 / BINS) if hist is None else np.asarray(hist, dtype=float)
    hist_range = np.tile([0.0, 1.0], (hidden, 1)) if ranges is None else np.asarray(ranges, dtype=float)
    return HealthRecord(
        step, np.array(grad, float), np.array(update, float), np.array(inactive, float), histogram, hist_range
    )


def test_vanishing_gradients_are_named_with_their_ratio_and_cause():
    text = readings.gradient_reading([make()], "sigmoid")
    assert text.startswith("Layer 1's gradients are 1,000x smaller than layer 3's")
    assert "sigmoid's slope" in text
    assert "40x smaller" in readings.gradient_reading([make(grad=(0.01, 0.1, 0.4))], "tanh")
    flowing = readings.gradient_reading([make(grad=(0.5, 0.3, 0.4))], "relu")
    assert "within 1.7x" in flowing and "reaches every layer" in flowing
    assert "larger than layer 3's" in readings.gradient_reading([make(grad=(5.0, 1.0, 0.1))], "relu")
    assert "zero in every layer" in readings.gradient_reading([make(grad=(0.0, 0.0, 0.0))], "relu")


def test_the_reading_uses_the_median_of_recent_records():
    noisy = [make(step=s, grad=(0.01, 0.1, g)) for s, g in zip(range(5), (1.0, 1.0, 1.0, 100.0, 1.0))]
    assert "100x smaller" in readings.gradient_reading(noisy, "sigmoid")  # one spike does not make it 10,000x


def test_update_ratios_are_compared_with_the_healthy_pace():
    slow = readings.update_reading([make(update=(1e-6, 1e-5, 1e-3))], "sigmoid")
    assert "layer 1's weights by 0.0001%" in slow and "Layers 1 and 2 move less than 0.01%" in slow
    fast = readings.update_reading([make(update=(1e-3, 1e-3, 0.05))], "relu")
    assert "Layer 3 moves more than 1%" in fast and "overshoot" in fast
    assert "healthy pace" in readings.update_reading([make()], "relu")
    assert "no longer change" in readings.update_reading([make(update=(0, 0, 0))], "relu")


def test_dead_and_saturated_readings_say_how_many_where_and_since_when():
    rising = [make(step=1, inactive=(0.0, 0.0))] + [make(step=s, inactive=(0.2, 0.85)) for s in (11, 21, 31)]
    text = readings.inactive_reading(rising, "relu")
    assert text.startswith("85% of layer 2's units are dead") and "It was 0% at step 1." in text
    assert readings.inactive_reading([make()], "relu").startswith("No dead units")
    saturated = readings.inactive_reading([make(inactive=(0.37, 0.02))], "sigmoid")
    assert saturated.startswith("37% of layer 1's outputs are within 0.01 of 0 or 1")
    assert "of -1 or 1" in readings.inactive_reading([make(inactive=(0.5, 0.0))], "tanh")
    assert readings.inactive_reading([make(inactive=(0.01, 0.0))], "tanh").startswith("Few (at most 1%)")


def test_histogram_readings():
    ends = np.zeros((2, BINS))
    ends[0, 0], ends[0, -1], ends[0, 5] = 0.4, 0.3, 0.3
    ends[1, 10] = 1.0
    text = readings.histogram_reading([make(hist=ends)], "sigmoid")
    assert "layer 1 70%; layer 2 0%" in text and "pinned at the ends" in text
    off = np.zeros((2, BINS))
    off[:, 0] = [1.0, 0.5]
    off[1, 3] = 0.5
    text = readings.histogram_reading([make(hist=off, ranges=[[0, 1], [0, 4.2]])], "relu")
    assert "layer 1 100%; layer 2 50% (largest output 4.2)" in text and "layer 1 is switching off" in text


def test_no_records_yet():
    for reading in readings.READINGS.values():
        assert "yet" in reading([], "relu")


def test_charts_have_a_line_per_layer_and_log_axes_for_sizes():
    records = [make(step=s, grad=(0.001 * s, 0.01, 1.0), inactive=(0.1, np.nan)) for s in (1, 11, 21)]
    built = charts.health_charts(records, "sigmoid")
    assert set(built) == set(readings.READINGS)
    spec, frame = vega_lite_parts(built["grad_norm"])
    assert spec["encoding"]["y"]["scale"]["type"] == "log"
    assert sorted(frame["layer"].unique()) == ["layer 1", "layer 2", "layer 3 (output)"]
    spec, frame = vega_lite_parts(built["update_ratio"])
    assert spec["layer"][1]["mark"]["type"] == "rule"  # the healthy pace, 1e-3
    spec, frame = vega_lite_parts(built["inactive"])
    assert list(frame["layer"]) == ["layer 1"] * 3  # the NaN of layer 2 is left out
    assert spec["title"] == "Saturated outputs (flat part)"
    assert "Dead units" in vega_lite_parts(charts.health_charts(records, "relu")["inactive"])[0]["title"]
    histogram = charts.histogram_frame(records[-1])
    assert len(histogram) == 2 * BINS and histogram["share"].sum() == pytest.approx(2.0)


def test_zeros_are_left_out_of_a_log_axis():
    frame = charts.series_frame([make(grad=(0.0, 0.1, 1.0))], "grad_norm", positive=True)
    assert list(frame["layer"]) == ["layer 2", "layer 3 (output)"]


def test_a_break_it_preset_is_recognised_whatever_its_run_length_and_its_fix_keeps_that_length():
    from mnistcore.engine.presets import BREAK_IT_FIXES, PRESETS

    short = PRESETS["deep-sigmoid"].replace(steps=200, seed=3)
    name, label, fixed = readings.break_it_fix(short)
    assert (name, label) == ("deep-sigmoid", BREAK_IT_FIXES["deep-sigmoid"][0])
    assert fixed == short.replace(activation="relu", init="he")
    assert readings.break_it_fix(PRESETS["too-high-lr"])[2] == BREAK_IT_FIXES["too-high-lr"][1]
    assert readings.break_it_fix(PRESETS["deep-sigmoid"].replace(lr=0.5)) is None
    assert readings.break_it_fix(PRESETS["fast"]) is None


def test_a_stall_is_explained_from_the_health_records_when_they_show_a_cause():
    dead = readings.stall_cause([make(inactive=(0.9, 0.1), grad=(0.0, 0.0, 0.0))], "relu")
    assert dead.kind == "dead" and dead.text.startswith("90% of layer 1's ReLUs are dead")
    vanishing = readings.stall_cause([make(grad=(0.01, 0.1, 0.54))], "sigmoid")
    assert vanishing.kind == "vanishing"
    assert vanishing.text.startswith("its gradients vanish on the way back (layer 1's are 54x smaller than layer 3's)")
    assert readings.stall_cause([make(inactive=(0.4, 0.0), grad=(1, 1, 1))], "sigmoid").kind == "saturated"
    assert readings.stall_cause([make(grad=(1, 1, 1))], "relu") is None
    assert readings.stall_cause([], "relu") is None
