"""The pure chart builders: the Vega-Lite spec they produce (encodings, scales, data rows),
without a browser or Streamlit."""

from __future__ import annotations

import math

import pytest

from mnistcore.charts.training import (
    MAX_POINTS,
    MAX_RUNS,
    RUN_COLOURS,
    RUN_LEGEND_WIDTH,
    TRAIN,
    VALIDATION,
    accuracy_chart,
    loss_chart,
    loss_frame,
    network_chart,
    run_colours,
    thin,
    vega_lite_parts,
)
from mnistcore.engine.history import History, ProgressEvent


def events(n: int = 50, eval_every: int = 5, start_accuracy: float = 0.1) -> list[ProgressEvent]:
    """A run of ``n`` logged steps (10 steps apart) whose accuracy rises and loss falls."""
    out = []
    for i in range(1, n + 1):
        step = 10 * i
        out.append(
            ProgressEvent(
                step=step,
                epoch=step * 100 / 55_000,
                samples_seen=step * 100,
                batch_loss=2.0 / i,
                batch_accuracy=min(1.0, start_accuracy + i / n * 0.8),
                validation_accuracy=start_accuracy + i / n * 0.85 if i % eval_every == 0 else math.nan,
                learning_rate=0.1,
                elapsed=i * 0.01,
                samples_per_second=50_000.0,
            )
        )
    return out


def rows(spec: dict) -> list[dict]:
    """The chart's data rows (Altair puts a DataFrame in the top-level datasets)."""
    (dataset,) = spec["datasets"].values()
    return dataset


def encodings(spec: dict) -> list[dict]:
    return [layer["encoding"] for layer in spec.get("layer", [spec])]


def test_one_run_shows_train_batch_and_validation_accuracy_against_steps():
    run = events()
    spec = accuracy_chart(run).to_dict()
    data = rows(spec)
    train = [r for r in data if r["series"] == TRAIN]
    validation = [r for r in data if r["series"] == VALIDATION]
    assert [r["step"] for r in train] == [e.step for e in run]
    assert [r["step"] for r in validation] == [e.step for e in run if not math.isnan(e.validation_accuracy)]
    assert all(not math.isnan(r["accuracy"]) for r in data)  # unmeasured steps are left out, not NaN
    assert validation[-1]["accuracy"] == pytest.approx(0.95)
    for encoding in encodings(spec):
        assert encoding["x"]["field"] == "step" and encoding["x"]["title"] == "Step"
        assert encoding["y"]["field"] == "accuracy" and encoding["y"]["axis"]["format"] == ".0%"
        assert encoding["color"]["field"] == "series"  # one run: colour tells the two curves apart
        assert encoding["color"]["scale"]["domain"] == [TRAIN, VALIDATION]
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["line", "point"]  # validation measurements are also drawn as points


def test_the_x_axis_can_be_epochs_and_nothing_else():
    spec = accuracy_chart(events(), x="epoch").to_dict()
    assert all(e["x"]["field"] == "epoch" and e["x"]["title"] == "Epoch" for e in encodings(spec))
    assert rows(spec)[-1]["epoch"] == pytest.approx(500 * 100 / 55_000)
    with pytest.raises(ValueError, match="x must be one of step, epoch, got 'time'"):
        accuracy_chart(events(), x="time")


def test_several_runs_are_coloured_by_run_with_their_labels_in_the_legend():
    runs = {"#1 seed": events(start_accuracy=0.1), "#2 fast": events(30, start_accuracy=0.5)}
    spec = accuracy_chart(runs).to_dict()
    data = rows(spec)
    assert {r["run"] for r in data} == set(runs)
    assert {r["series"] for r in data} == {VALIDATION}  # batch curves of several runs would bury each other
    colour = encodings(spec)[0]["color"]
    assert colour["field"] == "run" and colour["sort"] == list(runs)
    both = rows(accuracy_chart(runs, series=(TRAIN, VALIDATION)).to_dict())
    assert {r["series"] for r in both} == {TRAIN, VALIDATION}


@pytest.mark.parametrize("count", [2, 3, MAX_RUNS])
def test_each_compared_run_has_its_own_colour_and_the_legend_never_takes_the_plots_height(count):
    """Issue #13: a theme's palette drew two runs in similar blues, and a legend of long labels
    under the plot squeezed it to a strip. Now each run's colour is fixed in the spec (far
    apart, the same in the accuracy and the loss chart), and the legend sits on the right
    with its labels cut at RUN_LEGEND_WIDTH px."""
    runs = {f"#{n} fast": events(20, start_accuracy=n / 20) for n in range(1, count + 1)}
    for spec in (accuracy_chart(runs, height=360).to_dict(), loss_chart(runs, height=360).to_dict()):
        assert spec["height"] == 360
        colour = encodings(spec)[0]["color"]
        assert colour["scale"]["domain"] == list(runs)
        assert colour["scale"]["range"] == list(RUN_COLOURS[:count])
        assert len(set(colour["scale"]["range"])) == count
        assert colour["legend"]["orient"] == "right" and colour["legend"]["labelLimit"] == RUN_LEGEND_WIDTH
    assert run_colours(MAX_RUNS) == list(RUN_COLOURS) and len(set(RUN_COLOURS)) == MAX_RUNS == 8
    assert run_colours(MAX_RUNS + 1)[-1] == RUN_COLOURS[0]  # past eight, colours repeat


def test_a_smoothed_loss_keeps_its_steps_and_calms_the_noise():
    run = events(200)
    noisy = [ProgressEvent(**{**e.__dict__, "batch_loss": 1.0 + (0.5 if i % 2 else -0.5)}) for i, e in enumerate(run)]
    raw, smooth = loss_frame(noisy), loss_frame(noisy, smooth=True)
    assert list(smooth["step"]) == list(raw["step"]) and (smooth["loss"] > 0).all()
    assert smooth["loss"].std() < raw["loss"].std() / 5
    assert smooth["loss"].mean() == pytest.approx(1.0, abs=0.01)
    spec = loss_chart({"#1": noisy, "#2": run}, smooth=True).to_dict()
    assert spec["title"] == "Loss on each training batch (moving average)"
    assert loss_chart(run).to_dict()["title"] == "Loss on each training batch"


def test_a_history_object_is_accepted_as_one_run():
    history = History(events(20))
    assert rows(accuracy_chart(history).to_dict()) == rows(accuracy_chart(events(20)).to_dict())


def test_long_runs_are_thinned_but_keep_their_last_point():
    run = events(3000, eval_every=1)
    data = rows(accuracy_chart(run).to_dict())
    for series in (TRAIN, VALIDATION):
        steps = [r["step"] for r in data if r["series"] == series]
        assert len(steps) <= MAX_POINTS and steps[-1] == run[-1].step and steps == sorted(steps)
    assert thin(list(range(10)), 4) == [0, 3, 6, 9]
    assert thin(list(range(3)), 4) == [0, 1, 2]
    assert thin(list(range(11)), 5) == [0, 3, 6, 10]


def test_the_loss_chart_uses_a_log_scale_and_only_positive_finite_losses():
    run = events(10)
    run[3] = ProgressEvent(**{**run[3].__dict__, "batch_loss": 0.0})
    spec = loss_chart(run).to_dict()
    assert spec["encoding"]["y"]["scale"]["type"] == "log"
    assert spec["encoding"]["y"]["field"] == "loss" and spec["encoding"]["x"]["field"] == "step"
    assert [r["step"] for r in rows(spec)] == [e.step for i, e in enumerate(run) if i != 3]
    several = loss_chart({"a": events(5), "b": events(5)}, x="epoch").to_dict()
    assert several["encoding"]["color"]["field"] == "run" and several["encoding"]["x"]["field"] == "epoch"


def test_an_empty_run_gives_an_empty_chart_not_an_error():
    assert rows(accuracy_chart([]).to_dict()) == [] and rows(loss_chart([]).to_dict()) == []


def test_a_chart_splits_into_a_data_free_spec_and_its_table_for_fast_redraws():
    chart = accuracy_chart(events(30), x="epoch")
    spec, frame = vega_lite_parts(chart)
    full = chart.to_dict()
    assert "data" not in spec and "datasets" not in spec and all("data" not in layer for layer in spec["layer"])
    assert spec["layer"] == full["layer"] and spec["title"] == full["title"] and spec["height"] == full["height"]
    assert frame.to_dict("records") == rows(full)
    loss_spec, loss_table = vega_lite_parts(loss_chart(events(30)))
    assert loss_spec["encoding"]["y"]["scale"]["type"] == "log" and len(loss_table) == 30


def test_charts_built_from_one_cached_structure_keep_their_own_data():
    first, second = accuracy_chart(events(10)), accuracy_chart(events(20))
    assert len(rows(first.to_dict())) < len(rows(second.to_dict()))
    assert len(first.data) == 10 + 2  # 10 batch points and 2 validation points, untouched by the second call


def layer_rows(spec: dict, index: int) -> list[dict]:
    """Rows of the ``index``-th layer of a layered chart (each layer has its own table)."""
    return spec["datasets"][spec["layer"][index]["data"]["name"]]


def test_the_network_picture_draws_units_connections_and_labels():
    spec = network_chart([784, 16, 10], "sigmoid", "mse", max_shown=10).to_dict()
    edges, units, digits, gaps, titles, details, weights = (layer_rows(spec, i) for i in range(7))
    per_layer = [sum(1 for u in units if u["layer"] == layer) for layer in range(3)]
    assert per_layer == [10, 10, 10]  # 784 and 16 units: 10 drawn each (with a gap); the 10 outputs all drawn
    assert [g["layer"] for g in gaps] == [0, 1]  # an ellipsis where units are left out
    assert len(edges) == 10 * 10 + 10 * 10  # every drawn unit connects to every drawn unit of the next layer
    assert [d["text"] for d in sorted(digits, key=lambda d: -d["y"])] == [str(d) for d in range(10)]
    assert [t["text"] for t in titles] == ["Input", "Hidden 1", "Output"]
    assert [d["text"] for d in details] == ["784 pixels (28×28)", "16 units · sigmoid", "10 digits · sigmoid"]
    assert [w["text"] for w in weights] == ["12,544 weights + 16 biases", "160 weights + 10 biases"]
    deep = network_chart([784, 256, 64, 10], "relu", "cross-entropy").to_dict()
    assert [t["text"] for t in layer_rows(deep, 4)] == ["Input", "Hidden 1", "Hidden 2", "Output"]
    assert layer_rows(deep, 5)[-1]["text"] == "10 digits · softmax"
    small = network_chart([784, 3, 10], max_shown=10).to_dict()
    assert sum(1 for u in layer_rows(small, 1) if u["layer"] == 1) == 3 and len(layer_rows(small, 3)) == 1
    with pytest.raises(ValueError, match="at least two positive sizes"):
        network_chart([784, 0, 10])
