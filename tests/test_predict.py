"""Tests for mnistcore.analysis.predict (drawing -> prediction + explanation) and mnistcore.charts.draw."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mnistcore.analysis.drawing import DrawingError
from mnistcore.analysis.predict import NOT_SURE_THRESHOLD, Prediction, predict_drawing, unit_sensitivities
from mnistcore.analysis.units import top_contributors
from mnistcore.charts import draw as draw_charts
from mnistcore.engine.model import TrainedModel
from mnistcore.engine.network import MLP

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "default.npz"
CANVAS = 280


def canvas_from_digit(digit: np.ndarray, scale: int = 10, top: int = 0, left: int = 0) -> np.ndarray:
    """A 280x280 RGBA canvas (white ink on transparent black) holding a 28x28 [0, 1] digit
    enlarged ``scale`` times with whole pixels, its top-left corner at (top, left)."""
    big = np.kron(np.rint(digit.reshape(28, 28) * 255).astype(np.uint8), np.ones((scale, scale), np.uint8))
    canvas = np.zeros((CANVAS, CANVAS, 4), np.uint8)
    canvas[top : top + big.shape[0], left : left + big.shape[1], :3] = big[:, :, None]
    canvas[top : top + big.shape[0], left : left + big.shape[1], 3] = big
    return canvas


def stroke_canvas() -> np.ndarray:
    """A hand-made '1'-like vertical bar on an opaque black canvas."""
    canvas = np.zeros((CANVAS, CANVAS, 4), np.uint8)
    canvas[:, :, 3] = 255
    canvas[40:240, 130:150, :3] = 255
    return canvas


@pytest.fixture(scope="module")
def small_net() -> MLP:
    return MLP.create([784, 16, 10], activation="relu", loss="cross-entropy", init="he", rng=np.random.default_rng(0))


@pytest.fixture(scope="module")
def default_model() -> TrainedModel:
    return TrainedModel.load(DEFAULT_MODEL)


# ----------------------------------------------------------------- empty input


@pytest.mark.parametrize(
    "image",
    [
        None,
        np.zeros((CANVAS, CANVAS, 4), np.uint8),  # transparent, as the canvas starts
        np.tile(np.array([0, 0, 0, 255], np.uint8), (CANVAS, CANVAS, 1)),  # opaque black
        np.tile(np.array([255, 255, 255, 0], np.uint8), (CANVAS, CANVAS, 1)),  # white but fully transparent
    ],
    ids=["none", "transparent", "opaque-black", "invisible-white"],
)
def test_empty_canvas_gives_no_prediction(small_net, image):
    assert predict_drawing(small_net, image) is None


def test_a_dot_gives_no_prediction(small_net):
    canvas = np.zeros((CANVAS, CANVAS, 4), np.uint8)
    canvas[135:147, 135:147] = 255  # a click with a 12 px pen
    assert predict_drawing(small_net, canvas) is None


# ------------------------------------------------------------ the prediction


def test_prediction_fields_agree_with_the_network(small_net):
    prediction = predict_drawing(small_net, stroke_canvas(), top_k=3)
    assert isinstance(prediction, Prediction)
    x = prediction.image.reshape(1, 784)
    hidden, output = small_net.layer_outputs(x)
    np.testing.assert_allclose(prediction.probabilities, output[0], rtol=1e-6)
    np.testing.assert_allclose(prediction.hidden, hidden[0], rtol=1e-6)
    assert prediction.probabilities.shape == (10,) and prediction.probabilities.sum() == pytest.approx(1.0)
    assert prediction.digit == int(np.argmax(output[0]))
    assert prediction.confidence == pytest.approx(output[0].max())
    assert prediction.image.shape == (28, 28) and 0.0 <= prediction.image.min() and prediction.image.max() <= 1.0
    # With one hidden layer the contributions are exactly activation x outgoing weight.
    expected = top_contributors(hidden[0], small_net.weights[1], prediction.digit, k=3)
    assert [u for u, _ in prediction.contributors] == [u for u, _ in expected]
    np.testing.assert_allclose([c for _, c in prediction.contributors], [c for _, c in expected], rtol=1e-5)


def test_not_sure_follows_the_threshold(small_net):
    prediction = predict_drawing(small_net, stroke_canvas())
    assert prediction.not_sure == (prediction.confidence < NOT_SURE_THRESHOLD)
    unsure = Prediction(3, 0.31, np.full(10, 0.069), np.zeros((28, 28)), np.zeros(16), [])
    sure = Prediction(3, 0.93, np.full(10, 0.0078), np.zeros((28, 28)), np.zeros(16), [])
    assert unsure.not_sure and not sure.not_sure


def test_sensitivities_match_finite_differences_in_a_deeper_network():
    rng = np.random.default_rng(5)
    net = MLP.create([784, 12, 9, 10], "tanh", "cross-entropy", "xavier", rng, dtype=np.float64)
    x = rng.random((1, 784))
    outputs = net.layer_outputs(x)
    jacobian = unit_sensitivities(net, outputs)

    def logits_from_first_hidden(a1: np.ndarray) -> np.ndarray:
        a2 = np.tanh(a1 @ net.weights[1] + net.biases[1])
        return a2 @ net.weights[2] + net.biases[2]

    a1, eps = outputs[0][0], 1e-6
    numeric = np.stack(
        [
            (logits_from_first_hidden(a1 + eps * np.eye(12)[j]) - logits_from_first_hidden(a1 - eps * np.eye(12)[j]))
            / (2 * eps)
            for j in range(12)
        ]
    )
    np.testing.assert_allclose(jacobian, numeric, rtol=1e-6, atol=1e-8)


def test_contributors_of_a_deeper_network_use_the_sensitivities():
    net = MLP.create([784, 12, 9, 10], "relu", "cross-entropy", "he", np.random.default_rng(3))
    prediction = predict_drawing(net, stroke_canvas(), top_k=4)
    outputs = net.layer_outputs(prediction.image.reshape(1, 784))
    expected = top_contributors(outputs[0][0], unit_sensitivities(net, outputs), prediction.digit, k=4)
    assert prediction.hidden.shape == (12,)
    assert [unit for unit, _ in prediction.contributors] == [unit for unit, _ in expected]
    np.testing.assert_allclose([c for _, c in prediction.contributors], [c for _, c in expected], rtol=1e-5)


def test_a_network_without_hidden_layers_still_predicts():
    net = MLP.create([784, 10], activation="sigmoid", loss="cross-entropy", rng=np.random.default_rng(1))
    prediction = predict_drawing(net, stroke_canvas())
    assert prediction is not None and prediction.contributors == []
    assert prediction.hidden.shape == (10,)


# ------------------------------------------------------ agreement with MNIST


def test_upscaled_mnist_digits_are_read_like_the_originals(mnist, default_model):
    """MNIST test digits drawn x10 into the canvas (at various places) get the label the
    default model gives the original 28x28: the canvas path loses nothing that matters.
    (Measured: 49/50 here; 200/200 at x10 in the top-left corner.)"""
    rng = np.random.default_rng(42)
    indices = rng.choice(len(mnist.test_y), size=50, replace=False)
    net = default_model.network
    originals = net.predict(mnist.test_x[indices])
    agree = 0
    for index, original in zip(indices, originals):
        scale = int(rng.integers(6, 11))  # 168..280 px tall
        room = CANVAS - 28 * scale
        top, left = (int(rng.integers(0, room + 1)) for _ in range(2))
        prediction = predict_drawing(net, canvas_from_digit(mnist.test_x[index], scale, top, left))
        agree += prediction is not None and prediction.digit == original
    assert agree >= 45, f"only {agree}/50 canvas drawings were read like the original 28x28 digits"


# ------------------------------------------------------------ hostile input


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros(784, np.uint8), "1-D"),
        (np.zeros((2, 2, 2, 2, 2), np.uint8), "5-D"),
        (np.zeros((CANVAS, CANVAS, 2), np.uint8), "channels"),
        (np.broadcast_to(np.uint8(0), (100_000, 100_000, 4)), "sides"),  # 40 GB if ever materialised
        (np.zeros((0, CANVAS, 4), np.uint8), "sides"),
        (np.full((CANVAS, CANVAS), np.nan, np.float32), "NaN"),
        (np.full((CANVAS, CANVAS), np.inf), "infinite"),
        (np.full((CANVAS, CANVAS), 7.5), r"\[0, 1\]"),
        (np.full((CANVAS, CANVAS), -3, np.int64), "0..255"),
        (np.array([["a", "b"], ["c", "d"]]), "dtype"),
        ("not an image", "D"),
    ],
    ids=["1d", "5d", "2-channels", "huge", "no-rows", "nan", "inf", "float-range", "negative", "strings", "str"],
)
def test_hostile_input_raises_a_clear_drawing_error(small_net, image, message):
    with pytest.raises(DrawingError, match=message):
        predict_drawing(small_net, image)


def test_a_network_of_the_wrong_size_is_refused():
    net = MLP.create([100, 8, 10], rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="784"):
        predict_drawing(net, stroke_canvas())


@pytest.mark.parametrize("top_k", [0, -1, 2.5, True])
def test_top_k_must_be_a_positive_integer(small_net, top_k):
    with pytest.raises(ValueError, match="top_k"):
        predict_drawing(small_net, stroke_canvas(), top_k=top_k)


# ------------------------------------------------------------------- charts


def test_probability_bars_show_every_digit_and_highlight_the_prediction():
    probabilities = np.array([0.01, 0.02, 0.03, 0.7, 0.04, 0.05, 0.05, 0.04, 0.03, 0.03])
    spec = draw_charts.probability_bars(probabilities, predicted=3).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert [row["digit"] for row in rows] == list(range(10))
    assert [row["predicted"] for row in rows] == [d == 3 for d in range(10)]
    assert rows[3]["probability"] == pytest.approx(0.7)


def test_activation_grid_has_one_clickable_cell_per_unit():
    hidden = np.linspace(0, 2, 128)
    spec = draw_charts.activation_grid(hidden, chosen=5).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert len(rows) == 128 and sorted(row["unit"] for row in rows) == list(range(128))
    assert {(row["row"], row["col"]) for row in rows} == {(u // 12, u % 12) for u in range(128)}
    assert [row["unit"] for row in rows if row["chosen"]] == [5]
    assert [param["name"] for param in spec["params"]] == [draw_charts.UNIT_SELECTION]


def test_activation_grid_of_a_wide_layer_stays_compact():
    spec = draw_charts.activation_grid(np.ones(800)).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert max(row["col"] for row in rows) + 1 <= 32
    assert 32 * spec["width"]["step"] <= 320 and spec["height"] == spec["width"]


def test_activation_grid_survives_a_diverged_model():
    spec = draw_charts.activation_grid(np.array([np.nan, np.inf, -1.0, 2.0])).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert all(np.isfinite(row["activation"]) for row in rows)


def test_contribution_bars_keep_the_given_order():
    spec = draw_charts.contribution_bars([(7, 2.5), (3, 1.0), (11, 0.2)], digit=4).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert [row["unit"] for row in rows] == ["unit 7", "unit 3", "unit 11"]
    assert spec["encoding"]["y"]["sort"] == ["unit 7", "unit 3", "unit 11"]


@pytest.mark.parametrize(
    ("state", "unit"),
    [
        ({"selection": {draw_charts.UNIT_SELECTION: [{"unit": 17}]}}, 17),
        ({"selection": {draw_charts.UNIT_SELECTION: [{"unit": 2}, {"unit": 9}]}}, 9),
        ({"selection": {draw_charts.UNIT_SELECTION: []}}, None),
        ({"selection": {draw_charts.UNIT_SELECTION: {}}}, None),
        ({"selection": {}}, None),
        (None, None),
        ({"selection": {draw_charts.UNIT_SELECTION: [{"unit": "x"}]}}, None),
    ],
)
def test_unit_from_selection(state, unit):
    assert draw_charts.unit_from_selection(state) == unit


# ------------------------------------------------- the page, through app.py (AppTest)
# AppTest cannot draw on the canvas; drawing and the prediction itself are covered by
# tests/test_browser_draw.py in a real browser.


def open_draw_page(model: TrainedModel | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(DEFAULT_MODEL.parents[1] / "app.py"), default_timeout=120)
    if model is not None:
        at.session_state["model"] = model
    at.run()
    at.switch_page("pages/draw.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("session_model", [False, True], ids=["default-model", "session-model"])
def test_draw_page_prompts_for_a_digit_and_names_the_model(session_model):
    from mnistcore.engine.config import TrainConfig

    model = None
    if session_model:
        config = TrainConfig(hidden=(24,), activation="tanh")
        network = MLP.create(config.layer_sizes, config.activation, config.loss, "xavier", np.random.default_rng(0))
        model = TrainedModel(network=network, config=config, name="my tiny net")
    at = open_draw_page(model)
    assert any("draw a digit" in info.value.lower() for info in at.info)
    assert len(at.metric) == 0
    caption = " ".join(c.value for c in at.caption)
    if session_model:
        assert "my tiny net" in caption and "784-24-10" in caption and "tanh" in caption
    else:
        assert "shipped default model" in caption and "784-128-10" in caption
