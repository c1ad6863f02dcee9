"""Issue #20's chart summaries on the pages (AppTest) and issue #16's class names where a
Fashion-MNIST model used to be described with digits: the Home page's network diagram, the
Draw page's test image, its hidden-layer grid and contribution bars, the Backprop page."""

from __future__ import annotations

import numpy as np

from mnistcore.analysis.describe import digit_alt, network_summary
from mnistcore.charts.training import network_chart
from mnistcore.engine.data import FASHION_MNIST
from mnistcore.engine.model import TrainedModel
from pages.ui import state
from pages.ui.wording import items_of
from tests.app_support import ROOT, fresh_job_manager, open_page, open_train, pictures  # noqa: F401 (an autouse fixture)

NAMES = FASHION_MNIST.class_names


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


def test_the_network_picture_labels_a_fashion_models_outputs_with_its_classes():
    spec = network_chart([784, 16, 10], "relu", "cross-entropy", class_names=NAMES).to_dict()
    rows = spec["datasets"][spec["layer"][2]["data"]["name"]]
    assert [r["text"] for r in sorted(rows, key=lambda r: -r["y"])] == list(NAMES)
    details = spec["datasets"][spec["layer"][5]["data"]["name"]]
    assert details[-1]["text"] == "10 classes · softmax"
    odd = network_chart([784, 3], class_names=NAMES).to_dict()  # names that do not fit: numbers
    assert [r["text"] for r in odd["datasets"][odd["layer"][2]["data"]["name"]]] == ["0", "1", "2"]


def test_the_home_page_summarises_the_network_in_the_models_classes(mnist, fashion):
    for path, names in (("default.npz", None), ("fashion.npz", NAMES)):
        model = TrainedModel.load(ROOT / "models" / path)
        at = open_page("pages/home.py", model)
        assert not at.exception, [e.value for e in at.exception]
        config = model.config
        assert network_summary(config.layer_sizes, config.activation, config.loss, names) in captions(at)
        assert any(c.startswith("Each image's 784" if names else "Each digit's 784") for c in captions(at))


def test_draw_shows_a_fashion_models_own_test_images_with_class_names(fashion):
    at = open_page("pages/draw.py", TrainedModel.load(ROOT / "models" / "fashion.npz"))
    at.radio(key=state.DRAW_SOURCE).set_value("test").run()
    index = 17
    at.number_input(key=state.DRAW_TEST_INDEX).set_value(index).run()
    assert not at.exception, [e.value for e in at.exception]
    label = int(fashion.test_y[index])
    alts = [alt for group in pictures(at) for alt, _ in group]
    assert digit_alt(index, label, names=NAMES) in alts
    assert any(c.startswith("First hidden layer: ") and "most active unit" in c for c in captions(at))
    pushed = [c for c in captions(at) if " up most (" in c]
    assert pushed and any(name in pushed[0] for name in NAMES), pushed
    titles = [str(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert any(f"push towards {name}" in t for t in titles for name in NAMES)


def test_backprop_summarises_its_deltas_and_gradients(mnist):
    at = open_page("pages/backprop.py")
    assert not at.exception, [e.value for e in at.exception]
    texts = captions(at)
    assert any(c.startswith("δ^(0): ") and "largest in size unit" in c for c in texts), texts
    assert any(c.startswith("∂L/∂W[1], all rows: ") and "most negative unit" in c for c in texts), texts
    at.button[[b.label for b in at.button].index("Take one SGD step")].click().run()
    assert not at.exception
    loss = [c for c in captions(at) if c.startswith("Loss on this digit: ")]
    assert loss and "after 1 step" in loss[0], loss
    assert np.isfinite(float(loss[0].split(": ")[1].split(" ")[0]))


def test_weights_summarises_its_heatmaps_legend_and_map_in_the_models_classes(mnist, fashion):
    for path, outputs in (("default.npz", "digits"), ("fashion.npz", "classes")):
        at = open_page("pages/weights.py", TrainedModel.load(ROOT / "models" / path))
        assert not at.exception, [e.value for e in at.exception]
        texts = captions(at)
        assert f"Output layer: hidden layer 1 → {outputs}" in [h.value for h in at.header]
        shown = [c for c in texts if c.startswith("Weights shown: ")]
        assert shown and "most negative unit" in shown[0], texts
        if outputs == "classes":
            assert any(name in shown[0] for name in NAMES), shown
            specs = [str(c.proto.spec) for c in at.get("vega_lite_chart")]
            assert any("Unit of hidden layer 1" in spec and "Ankle boot" in spec for spec in specs)  # heatmap axis
        assert any(c.startswith("Colour scale: blue for a negative weight (darkest at −") for c in texts), texts
        mapped = [c for c in texts if c.startswith("Hidden-space map: ")]
        assert mapped and "misclassified (crosses); the classes whose centres lie closest: " in mapped[0], texts


def test_the_train_form_says_images_for_fashion_mnist(mnist, fashion):
    assert (items_of("mnist"), items_of("fashion-mnist"), items_of("nonsense")) == ("digits", "images", "images")
    for preset, items in (("fast", "digits"), ("fashion-fast", "images")):
        at = open_train({"preset": preset})
        assert not at.exception, [e.value for e in at.exception]
        (length,) = [n for n in at.number_input if n.label == "Run length"]
        assert length.help.endswith(f"An epoch here is 55,000 {items}."), length.help
