"""The Train page through Streamlit's AppTest: controls and presets, share links (good and
bad), a short real training run on MNIST, a diverging run, the queue when the server is
full, and model upload. Plus the page's pure helpers (widgets <-> config)."""

from __future__ import annotations

import json
import math
import time
from datetime import UTC
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mnistcore.charts.training import MAX_RUNS
from mnistcore.engine.checkpoint import CheckpointError
from mnistcore.engine.config import FIELDS, TrainConfig
from mnistcore.engine.history import ProgressEvent
from mnistcore.engine.milestones import milestones_text
from mnistcore.engine.model import TrainedModel
from mnistcore.engine.presets import PRESET_NOTES, PRESETS
from mnistcore.server.jobs import JobStatus
from mnistcore.server.records import RunRecord
from pages.ui import resources, state, train_form, train_runs, wording
from tests.app_support import fresh_job_manager, open_train, shown  # noqa: F401 (an autouse fixture)

ROOT = Path(__file__).resolve().parents[1]
SEED = PRESETS["seed"]


def button(at: AppTest, label: str):
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r} among {[b.label for b in at.button]}"
    return matches[0]


def settings(at: AppTest) -> TrainConfig:
    return at.session_state["settings"]


def texts(elements) -> list[str]:
    """The text the elements show (outside text in them is escaped Markdown: see wording.plain)."""
    return [shown(e.value) for e in elements]


def run_until_done(at: AppTest, timeout: float = 180.0) -> AppTest:
    """Rerun the page, as the live fragment would, until the job has ended and been taken in."""
    deadline = time.monotonic() + timeout
    while True:
        time.sleep(0.3)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        job = at.session_state["job"]
        if job.done and "collected_job" in at.session_state and at.session_state["collected_job"] == job.id:
            return at.run()
        assert time.monotonic() < deadline, f"the run did not end in {timeout} s (status {job.status})"


# ------------------------------------------------------------------ rendering and controls


def test_the_page_renders_the_seed_settings_and_writes_them_into_the_link(mnist):
    at = open_train()
    assert at.title[0].value == "Train"
    assert settings(at) == SEED and at.selectbox(key="preset_choice").value == "seed"
    assert at.text_input(key="setting_hidden").value == "16"
    assert at.select_slider(key="setting_lr").value == 0.1
    assert at.number_input(key=state.LENGTH_KEY).value == 20000 and at.selectbox(key=state.UNIT_KEY).value == "steps"
    assert dict(at.query_params) == {"preset": "seed"}
    assert any(code.value.endswith("/train?preset=seed") for code in at.code)
    # Every setting of the engine has a control with its teaching help text.
    helps = {w.key: w.help for w in [*at.text_input, *at.selectbox, *at.select_slider, *at.number_input, *at.toggle]}
    assert helps[state.setting_key("lr")].startswith("Learning rate: the size of each step")
    assert sum(1 for key in helps if key.startswith("setting_")) == len(FIELDS)  # steps+epochs: number and unit


def test_choosing_a_preset_fills_every_control_and_the_link(mnist):
    at = open_train()
    fast = PRESETS["fast"]
    at.selectbox(key="preset_choice").set_value("fast").run()
    assert settings(at) == fast
    assert at.text_input(key="setting_hidden").value == " ".join(map(str, fast.hidden))
    assert at.selectbox(key="setting_activation").value == fast.activation
    assert at.selectbox(key="setting_optimizer").value == fast.optimizer
    assert at.select_slider(key="setting_lr").value == fast.lr
    assert at.number_input(key=state.LENGTH_KEY).value == fast.epochs
    assert at.selectbox(key=state.UNIT_KEY).value == "epochs"
    assert dict(at.query_params) == {"preset": "fast"}
    assert PRESET_NOTES["fast"] in texts(at.caption)


def test_changing_a_control_updates_the_settings_and_the_link_at_once_and_starts_nothing(mnist):
    """Issue #13: the address bar kept the old query until a button was pressed. Now every
    change is applied as it happens: the URL and the share box follow the widgets."""
    at = open_train()
    at.select_slider(key="setting_lr").set_value(0.5).run()
    assert settings(at) == SEED.replace(lr=0.5)
    assert dict(at.query_params) == {"preset": "seed", "lr": "0.5"}
    assert any(code.value.endswith("/train?preset=seed&lr=0.5") for code in at.code)
    at.select_slider(key="setting_batch_size").set_value(32).run()
    at.text_input(key="setting_hidden").set_value("64 32").run()
    assert settings(at) == SEED.replace(lr=0.5, batch_size=32, hidden=(64, 32))
    assert dict(at.query_params) == {"preset": "seed", "lr": "0.5", "batch_size": "32", "hidden": "64,32"}
    assert any(code.value.endswith("/train?preset=seed&hidden=64,32&lr=0.5&batch_size=32") for code in at.code)
    assert at.selectbox(key="preset_choice").value == "custom"
    assert "job" not in at.session_state  # changing settings never trains
    assert [b.label for b in at.button if "link" in b.label.lower()] == []  # no button needed for the link
    at.selectbox(key="preset_choice").set_value("fast").run()
    assert dict(at.query_params) == {"preset": "fast"} and at.select_slider(key="setting_lr").value == 0.1


def test_switching_the_run_length_unit_converts_the_number(mnist):
    at = open_train({"preset": "fast", "steps": "1100"})
    at.selectbox(key=state.UNIT_KEY).set_value("epochs").run()
    assert at.number_input(key=state.LENGTH_KEY).value == 2  # 1,100 steps of 100 digits
    assert settings(at) == PRESETS["fast"].replace(epochs=2.0) and dict(at.query_params) == {
        "preset": "fast",
        "epochs": "2",
    }
    at.selectbox(key=state.UNIT_KEY).set_value("steps").run()
    assert at.number_input(key=state.LENGTH_KEY).value == 1100 and settings(at).steps == 1100
    tiny = open_train({"preset": "fast", "steps": "1"})  # 0.0018 epochs: below the box's 0.01, which it keeps
    tiny.selectbox(key=state.UNIT_KEY).set_value("epochs").run()
    assert not tiny.exception and tiny.number_input(key=state.LENGTH_KEY).value == 0.01


def test_an_invalid_value_is_refused_with_a_message_naming_it_and_train_refuses_it_too(mnist):
    at = open_train()
    at.text_input(key="setting_hidden").set_value("12 many").run()
    assert any(
        "Settings not applied (the link keeps the settings in use): hidden must be" in e for e in texts(at.error)
    )
    assert settings(at) == SEED and dict(at.query_params) == {"preset": "seed"}
    button(at, "Train").click().run()
    assert any(e.startswith("Not started: hidden must be") for e in texts(at.error))
    assert "job" not in at.session_state


def test_train_comes_before_the_settings_which_are_folded_by_topic(mnist):
    """Issue #13: on a phone, Train sat under about 2,270 px of settings. It now comes right
    after the preset; the settings follow in expanders, the common ones open."""
    at = open_train()
    order = [(node.type, getattr(node, "label", None)) for node in flat(at.sidebar)]
    train = order.index(("button", "Train"))
    assert order.index(("selectbox", "Preset")) < train
    assert train < min(i for i, (kind, _) in enumerate(order) if kind == "expander")
    expanders = {e.label: e.proto.expanded for e in at.sidebar.expander}
    assert expanders == {
        "Architecture": True,
        "Output and loss": False,
        "Optimisation": True,
        "Schedule": False,
        "Run length": True,
        "Seed": False,
    }


def flat(node) -> list:
    """The elements and blocks under ``node``, in the order the page shows them."""
    out = []
    for child in getattr(node, "children", {}).values():
        out += [child, *flat(child)]
    return out


# ------------------------------------------------------------------ share links


def test_query_parameters_restore_the_settings(mnist):
    at = open_train({"preset": "fast", "steps": "300", "hidden": "64,32", "seed": "7"})
    expected = PRESETS["fast"].replace(steps=300, hidden=(64, 32), seed=7)
    assert settings(at) == expected and not at.warning
    assert at.select_slider(key="setting_lr").value == expected.lr
    assert at.text_input(key="setting_hidden").value == "64 32"
    assert at.number_input(key=state.LENGTH_KEY).value == 300 and at.selectbox(key=state.UNIT_KEY).value == "steps"
    assert at.number_input(key="setting_seed").value == 7
    assert at.selectbox(key="preset_choice").value == "custom"


def test_bad_query_values_warn_and_fall_back(mnist):
    at = open_train({"preset": "seed", "lr": "abc", "batch_size": "999999", "colour": "red"})
    warnings = " | ".join(texts(at.warning))
    assert "Setting lr: 'abc' is not valid" in warnings and "using the default 0.1" in warnings
    assert "Setting batch_size: '999999' is not in [1, 55000]; clamped to 55000" in warnings
    assert "Ignored unknown setting 'colour'" in warnings
    assert settings(at) == SEED.replace(batch_size=55_000)
    assert not at.exception
    # the URL and the share box now hold the settings in use, not the link's values
    assert dict(at.query_params) == {"preset": "seed", "batch_size": "55000"}
    (link,) = [code.value for code in at.code if "/train?" in code.value]
    assert link.endswith("/train?preset=seed&batch_size=55000")
    at.run()  # the rewritten URL is not read as a new link: the warnings stay, nothing changes
    assert settings(at) == SEED.replace(batch_size=55_000) and len(at.warning) == 3


# ------------------------------------------------------------------ training


def test_a_short_real_run_trains_live_and_leaves_a_run_history(mnist):
    at = open_train({"preset": "fast", "steps": "300", "eval_every": "50"})
    button(at, "Train").click().run()
    job = at.session_state["job"]
    assert job.config == PRESETS["fast"].replace(steps=300, eval_every=50)
    # Going to another page and back re-attaches to the same run.
    at.switch_page("pages/home.py").run()
    assert not at.exception
    at.switch_page("pages/train.py").run()
    assert at.session_state["job"] is job
    assert button(at, "Train").disabled or job.done  # one run at a time per session

    run_until_done(at)
    assert job.status == "finished"
    (run,) = at.session_state["runs"]
    validation = [e.validation_accuracy for e in run.events if e.validation_accuracy == e.validation_accuracy]
    assert len(validation) == 6 and validation[-1] > validation[0] and validation[-1] > 0.9
    assert at.session_state["model"] is job.model  # the new model is the session's current model
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["Test accuracy"].rstrip("%")) > 90
    assert any(s.startswith("Finished 300 steps") for s in texts(at.success))
    assert not button(at, "Train").disabled
    assert at.get("vega_lite_chart"), "the run's accuracy and loss charts are drawn"
    milestones = milestones_text(job.events(), running=False)  # "... 97%: 0.4 s · 98%: not reached ..."
    assert any(c.startswith(milestones) for c in texts(at.caption)), texts(at.caption)


def test_a_diverging_run_explains_itself_and_the_page_stays_usable(mnist):
    at = open_train({"preset": "seed", "lr": "10", "weight_decay": "1", "steps": "2000"})
    button(at, "Train").click().run()
    run_until_done(at)
    assert at.session_state["job"].status == "diverged"
    (error,) = texts(at.error)
    assert "diverged" in error and "Try a smaller learning rate (now 10)" in error
    assert "model" not in at.session_state  # the current model stays the shipped default
    button(at, "Use learning rate 1 instead").click().run()
    assert settings(at).lr == 1.0 and at.select_slider(key="setting_lr").value == 1.0
    assert not button(at, "Train").disabled


def test_a_full_server_queues_the_run_and_shows_its_place(mnist, monkeypatch):
    monkeypatch.setenv("MNIST_MAX_JOBS", "1")
    resources.job_manager.clear()
    blocker = resources.job_manager().submit(SEED.replace(steps=10_000_000), mnist, owner="another session")
    at = open_train({"preset": "fast", "steps": "200"})
    button(at, "Train").click().run()
    job = at.session_state["job"]
    assert job.status == "queued"
    assert any("Queued: place 1" in info and "it trains 1 run at a time" in info for info in texts(at.info))
    blocker.stop()
    run_until_done(at)
    assert job.status == "finished" and len(at.session_state["runs"]) == 1


# ------------------------------------------------------------------ comparing runs


def fake_run(number: int, config: TrainConfig, accuracy: float) -> RunRecord:
    """A finished run of 20 logged steps whose validation accuracy climbs to ``accuracy``."""
    events = tuple(
        ProgressEvent(
            step=10 * i,
            epoch=10 * i * config.batch_size / 55_000,
            samples_seen=10 * i * config.batch_size,
            batch_loss=2.0 / i,
            batch_accuracy=accuracy * i / 20,
            validation_accuracy=accuracy * i / 20 if i % 5 == 0 else math.nan,
            learning_rate=config.lr,
            elapsed=i * 0.01,
            samples_per_second=50_000.0,
        )
        for i in range(1, 21)
    )
    return RunRecord(number, "custom", config, events, JobStatus.FINISHED, test_accuracy=accuracy, train_seconds=0.4)


def vega_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def test_compared_runs_have_short_labels_their_own_colours_and_a_table_of_what_differs(mnist):
    """Issue #13: long labels in the legend squeezed the plot, and two runs came out in similar
    blues. Three runs of fast at lr 0.1, 0.01 and 1, as the session would hold them."""
    fast = PRESETS["fast"].replace(steps=200)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/train.py")
    at.session_state["runs"] = [
        fake_run(n, fast.replace(lr=lr), a) for n, lr, a in ((1, 0.1, 0.93), (2, 0.01, 0.88), (3, 1.0, 0.86))
    ]
    at.run()
    assert not at.exception
    (picker,) = at.multiselect
    assert picker.value == [1, 2, 3] and picker.proto.max_selections == MAX_RUNS
    accuracy, loss = vega_specs(at)[-2:]
    labels = ["#1 custom", "#2 custom", "#3 custom"]
    for spec in (accuracy, loss):
        colour = spec["layer"][0]["encoding"]["color"] if "layer" in spec else spec["encoding"]["color"]
        assert spec["height"] == train_runs.COMPARE_HEIGHT >= 300
        assert colour["scale"]["domain"] == labels and len(set(colour["scale"]["range"])) == 3
        assert colour["legend"]["orient"] == "right"
    assert accuracy["title"] == "Accuracy" and loss["title"].startswith("Loss")
    table = at.dataframe[-1].value
    assert list(table["Run"]) == labels and list(table["Test accuracy"]) == [0.93, 0.88, 0.86]
    assert list(table["Learning rate"]) == ["0.1", "0.01", "1"]  # the one setting that differs
    assert "Hidden layer sizes" not in table.columns  # the settings the runs share are folded away
    assert any(e.label == "Settings the 3 runs share" for e in at.expander)
    at.segmented_control(key=state.COMPARE_X).set_value("step").run()
    assert all(layer["encoding"]["x"]["field"] == "step" for layer in vega_specs(at)[-2]["layer"])


def test_the_comparison_shows_the_latest_eight_runs_and_says_when_settings_are_the_same(mnist):
    fast = PRESETS["fast"].replace(steps=200)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/train.py")
    at.session_state["runs"] = [fake_run(n, fast, 0.9) for n in range(1, 11)]
    at.run()
    assert at.multiselect[0].value == list(range(3, 11))
    assert len(set(vega_specs(at)[-1]["encoding"]["color"]["scale"]["range"])) == MAX_RUNS
    assert "These runs have the same settings, seed included: the same run, repeated." in texts(at.caption)
    assert list(at.dataframe[-1].value.columns) == ["Run", "Test accuracy", "Status", "Training time (s)", "Samples/s"]


# ------------------------------------------------------------------ save and load


def test_an_upload_that_is_not_a_checkpoint_is_refused_and_a_real_one_is_loaded(mnist):
    at = open_train()
    at.file_uploader(key="upload").set_value(("weights.npz", b"PK\x03\x04 not really a zip", "application/zip")).run()
    (error,) = texts(at.error)
    assert error.startswith("Refused weights.npz: not a readable .npz checkpoint") and "unchanged" in error
    assert "model" not in at.session_state

    good = resources.DEFAULT_MODEL_PATH.read_bytes()
    at.file_uploader(key="upload").set_value(("mine.npz", good, "application/octet-stream")).run()
    assert not at.error
    assert any(s.startswith("Loaded mine.npz (test accuracy") for s in texts(at.success))
    loaded = at.session_state["model"]
    assert loaded.fingerprint == TrainedModel.load(good).fingerprint
    assert at.session_state["model_source"] == "uploaded from mine.npz"


def test_uploads_are_size_checked_before_they_are_parsed(monkeypatch):
    good = resources.DEFAULT_MODEL_PATH.read_bytes()
    monkeypatch.setattr(train_runs, "MAX_UPLOAD_BYTES", 1000)
    with pytest.raises(CheckpointError, match=r"file too large: 3\.\d MB, the limit is 0 MB"):
        train_runs.read_uploaded_model(good)
    with pytest.raises(CheckpointError, match="the file is empty"):
        train_runs.read_uploaded_model(b"")


# ------------------------------------------------------------------ pure helpers


@pytest.mark.parametrize(
    "config",
    [*PRESETS.values(), PRESETS["fast"].replace(steps=300, hidden=(64, 32), lr=0.003, augment=True, seed=9)],
)
def test_widget_values_and_config_round_trip(config):
    values = train_form.widget_values(config)
    assert train_form.config_from_widgets(values) == config
    for name in train_form.SLIDER_STOPS:
        assert values[state.setting_key(name)] in train_form.slider_options(name, getattr(config, name))


def test_run_length_widgets_refuse_fractional_steps():
    values = train_form.widget_values(SEED)
    values[state.LENGTH_KEY] = 12.5
    with pytest.raises(ValueError, match="steps must be a whole number, got 12.5"):
        train_form.config_from_widgets(values)
    values[state.UNIT_KEY] = "epochs"
    assert train_form.config_from_widgets(values).epochs == 12.5


def test_model_descriptions():
    from datetime import datetime

    model = resources.default_model()
    model_copy = TrainedModel(
        model.network, PRESETS["fast"], test_accuracy=0.9761, trained_at="2026-01-02T03:04:05+00:00"
    )
    assert wording.model_file_name(model_copy) == "mnist-fast-97.6.npz"
    now = datetime(2026, 1, 2, 5, 4, 5, tzinfo=UTC)
    assert wording.trained_when(model_copy, now) == "2026-01-02 03:04 UTC (2 h ago)"
    assert wording.trained_when(TrainedModel(model.network, SEED, trained_at="garbage")) == "unknown"
    assert train_form.slider_options("lr", 0.07)[:9] == [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.02, 0.05, 0.07, 0.1]
