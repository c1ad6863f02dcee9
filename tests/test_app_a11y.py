"""The keyboard's ways to what the pointer does (issue #20), through Streamlit's AppTest: a
confusion-matrix cell chosen from a list filters the Mistakes gallery as a click on the chart
does; the Draw page reads a test digit chosen by number instead of a drawing; the charts carry
their one-line text summaries."""

from __future__ import annotations

import numpy as np

from mnistcore.analysis.describe import confusion_cells, confusion_summary, digit_alt
from mnistcore.analysis.evaluation import evaluate_model
from mnistcore.engine.model import TrainedModel
from pages.ui import state
from pages.ui.resources import DEFAULT_MODEL_PATH
from tests import app_support


def test_a_confusion_cell_chosen_from_the_list_filters_the_gallery(mnist):
    model = TrainedModel.load(DEFAULT_MODEL_PATH)
    ev = evaluate_model(model.network, mnist.test_x, mnist.test_y)
    at = app_support.open_page("pages/mistakes.py")
    assert confusion_summary(ev.confusion) in [c.value for c in at.caption]
    box = at.selectbox(key=state.MISTAKES_CELL)
    assert box.value is None and box.options[0] == "{} read as {}: {} times".format(*confusion_cells(ev.confusion)[0])
    true, predicted, count = confusion_cells(ev.confusion)[1]
    box.set_value((true, predicted, count)).run()
    assert not at.exception
    assert at.selectbox(key=state.MISTAKES_TRUE).value == true
    assert at.selectbox(key=state.MISTAKES_PREDICTED).value == predicted
    assert at.selectbox(key=state.MISTAKES_CELL).value is None  # ready for the next choice
    alts = [alt for group in app_support.pictures(at) for alt, _ in group]
    gallery = [alt for alt in alts if ", read as " in alt]
    assert len(gallery) >= min(count, 24)
    assert all(f": {'an' if true == 8 else 'a'} {true}, read as {predicted} (" in alt for alt in gallery)


def test_the_draw_page_reads_a_test_digit_without_a_pointer(mnist):
    at = app_support.open_page("pages/draw.py")
    at.radio(key=state.DRAW_SOURCE).set_value("test").run()
    assert not at.exception
    index = 1234
    at.number_input(key=state.DRAW_TEST_INDEX).set_value(index).run()
    assert not at.exception
    label = int(mnist.test_y[index])
    assert digit_alt(index, label) in [alt for group in app_support.pictures(at) for alt, _ in group]
    prediction = next(m for m in at.metric if m.label == "Prediction")
    assert prediction.value == str(label)  # the default model reads this one right
    alts = [alt for group in app_support.pictures(at) for alt, _ in group]
    assert any(alt.startswith("the 28×28 image the network sees, read as ") for alt in alts)
    assert np.isfinite(float(prediction.delta.split("%")[0]))


def test_the_draw_page_reads_an_uploaded_png_and_refuses_a_bad_one(mnist):
    import io

    from PIL import Image

    index = 77
    pixels = np.rint(mnist.test_x[index].reshape(28, 28) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(255 - pixels).save(buffer, format="PNG")  # dark on light, as on paper
    at = app_support.open_page("pages/draw.py")
    at.radio(key=state.DRAW_SOURCE).set_value("upload").run()
    at.get("file_uploader")[0].set_value(("my digit.png", buffer.getvalue(), "image/png")).run()
    assert not at.exception
    assert any("inverted" in c.value for c in at.caption)
    prediction = next(m for m in at.metric if m.label == "Prediction")
    assert prediction.value == str(int(mnist.test_y[index]))

    wide = io.BytesIO()
    Image.new("L", (280, 280)).save(wide, format="PNG")
    at.get("file_uploader")[0].set_value(("[a](http://x).png", wide.getvalue(), "image/png")).run()
    assert not at.exception
    errors = [app_support.shown(e.value) for e in at.error]
    assert errors == ["Refused [a](http://x).png: the image is 280×280 pixels; it must be 28×28."]
    assert not app_support.live_markup(at.error[0].value)  # the file's name is plain text, never a link
    assert not [m for m in at.metric if m.label == "Prediction"]
