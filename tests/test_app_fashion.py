"""Fashion-MNIST in the app (AppTest): choose it on the Train page, train a preset for a few
steps, see class names on the Mistakes page; the shipped Fashion default model; the hidden-space
map on the Weights page for both datasets."""

from __future__ import annotations

from mnistcore.engine.data import FASHION_MNIST
from mnistcore.engine.model import TrainedModel
from pages.ui import resources
from tests.app_support import ROOT, fresh_job_manager, open_page, open_train, picture_captions, shown  # noqa: F401 (an autouse fixture)
from tests.test_app_train import button, run_until_done

NAMES = set(FASHION_MNIST.class_names)


def test_the_dataset_choice_switches_the_settings_the_link_and_the_preset(mnist, fashion):
    at = open_train({"preset": "fast"})
    (choice,) = [s for s in at.selectbox if s.label == "Dataset"]
    assert choice.value == "mnist"
    choice.set_value("fashion-mnist").run()
    assert not at.exception
    settings = at.session_state["settings"]
    assert settings.dataset == "fashion-mnist" and at.session_state["preset"] == "fashion-fast"
    assert at.query_params["preset"] in ("fashion-fast", ["fashion-fast"])


def test_a_link_names_the_dataset_and_a_fashion_preset_trains_and_shows_class_names_on_mistakes(mnist, fashion):
    at = open_train({"preset": "fashion-fast", "steps": "120", "eval_every": "40"})
    assert at.session_state["settings"].dataset == "fashion-mnist"
    button(at, "Train").click().run()
    run_until_done(at)
    model = at.session_state["model"]
    assert model.config.dataset == "fashion-mnist" and model.test_accuracy > 0.5
    at.switch_page("pages/mistakes.py").run()
    assert not at.exception, [e.value for e in at.exception]
    captions = picture_captions(at)
    named = [c for c in captions if " → " in c]
    assert named and all(c.split(" → ")[0] in NAMES for c in named), named[:3]
    assert any(s.label == "True class" for s in at.selectbox)
    assert any(m.label == "Weakest class" for m in at.metric)


def test_a_first_visit_with_fashion_chosen_uses_the_shipped_fashion_model(mnist, fashion):
    model = TrainedModel.load(ROOT / "models" / "fashion.npz")
    assert model.config.dataset == "fashion-mnist" and model.test_accuracy >= 0.88
    at = open_train({"preset": "fashion-fast"})
    at.switch_page("pages/mistakes.py").run()
    assert not at.exception, [e.value for e in at.exception]
    summary = next(shown(m.value) for m in at.markdown if m.value.startswith("Model shown"))
    assert "fashion-default" in summary and "Fashion-MNIST" in summary and "88.30%" in summary


def test_the_hidden_space_map_renders_for_both_datasets(mnist, fashion):
    for path in ("default.npz", "fashion.npz"):
        model = TrainedModel.load(ROOT / "models" / path)
        at = open_page("pages/weights.py", model)
        headers = [h.value for h in at.subheader]
        assert any(h.startswith("Hidden space") for h in headers), headers
        charts = at.get("vega_lite_chart")
        specs = [c.proto.spec for c in charts]
        assert any("Principal axis 1" in spec for spec in specs), f"{path}: no hidden-space chart"
        name = model.config.dataset
        expected = "Ankle boot" if name == "fashion-mnist" else '"7"'
        assert any(expected in spec for spec in specs if "Principal axis 1" in spec)
    assert resources.dataset("fashion-mnist").name == "fashion-mnist"


def test_the_hidden_space_map_replays_a_training_step(mnist):
    model = TrainedModel.load(ROOT / "models" / "default.npz")
    at = open_page("pages/weights.py", model)
    at.session_state["weights_map_when"] = 0  # the first kept snapshot: the random start
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(c.value.startswith("At step 0: the snapshot keeps") for c in at.caption)
