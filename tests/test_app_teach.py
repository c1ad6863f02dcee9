"""AppTest of the Draw page's "Teach it" and "My digits" sections (``pages/ui/teach.py``), on a
real drawing (tests/data/drawn_digits.npz), the shipped model and real MNIST; and the Train
page's "Train on MNIST + my digits". (The canvas itself needs a browser: test_browser_teach.py.)"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from mnistcore import TrainedModel
from mnistcore.analysis.my_digits import MAX_DIGITS, MyDigits
from pages.ui import resources, state
from tests.app_support import fresh_job_manager, live_markup, shown  # noqa: F401 (an autouse fixture)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "models" / "default.npz"


def teach_page() -> None:
    """The sections as the Draw page shows them, for a drawn 4 (drawing #4 of the test set)."""
    from pathlib import Path

    import numpy as np

    from mnistcore.analysis.predict import predict_drawing
    from pages.ui import state, teach

    drawings = np.load(Path("tests/data/drawn_digits.npz"), allow_pickle=False)
    pixels = drawings["images"][4]
    prediction = predict_drawing(state.current_model().network, pixels)
    state.set_drawn_digit(prediction.image, prediction.digit)
    teach.teach_section(prediction)
    teach.my_digits_section()


def open_teach(model: TrainedModel | None = None) -> AppTest:
    at = AppTest.from_function(teach_page, default_timeout=60)
    if model is not None:
        at.session_state[state.MODEL] = model
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def parameter_bytes(model: TrainedModel) -> list[bytes]:
    return [p.tobytes() for p in model.network.parameters()]


def test_the_right_label_is_preset_to_the_prediction_and_teaching_changes_it(mnist):
    shipped = parameter_bytes(resources.default_model())
    at = open_teach()
    label = at.segmented_control(key=state.TEACH_LABEL)
    assert label.value == 4 and label.label == "The right label"
    label.set_value(9).run()
    button(at, "Teach it").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert metrics(at)["Reads your drawing as"] == "9"
    summary = [c.value for c in at.caption if c.value.startswith("Your drawing: read as 4 (")]
    assert summary and "after. Test accuracy per digit changed most for " in summary[0], summary
    taught = at.session_state[state.MODEL]
    assert taught is not resources.default_model()
    assert parameter_bytes(resources.default_model()) == shipped  # the shared model is never written
    assert "taught on the Draw page" in at.session_state[state.MODEL_SOURCE]
    kept = at.session_state[state.MY_DIGITS]
    assert len(kept) == 1 and kept.labels.tolist() == [9] and kept.pixels.dtype == np.uint8
    assert len(at.get("vega_lite_chart")) >= 2  # probabilities and per-digit accuracy, before and after
    print(metrics(at), at.caption[-1].value if at.caption else "")

    button(at, "Undo").click().run()  # back to the shipped default: the session's own model is dropped
    assert state.MODEL not in at.session_state and button(at, "Undo").disabled
    assert "Reads your drawing as" not in metrics(at)
    assert any("Undone" in s.value for s in at.success)
    assert len(at.session_state[state.MY_DIGITS]) == 1  # the drawing stays kept


def test_undo_restores_the_sessions_own_model_bit_for_bit(mnist):
    own = TrainedModel.load(DEFAULT)
    before = parameter_bytes(own)
    at = open_teach(own)
    at.segmented_control(key=state.TEACH_LABEL).set_value(2).run()
    button(at, "Teach it").click().run()
    button(at, "Teach it").click().run()  # twice: two undos
    assert at.session_state[state.MODEL] is not own
    assert len(at.session_state[state.MY_DIGITS]) == 1  # the same drawing and label are kept once
    button(at, "Undo").click().run()
    button(at, "Undo").click().run()
    assert at.session_state[state.MODEL] is own and parameter_bytes(own) == before
    assert button(at, "Undo").disabled


def test_without_replay_the_accuracy_falls_further(mnist):
    at = open_teach()
    at.segmented_control(key=state.TEACH_LABEL).set_value(9).run()
    falls = {}
    for replay in (True, False):
        at.toggle(key=state.TEACH_REPLAY).set_value(replay).run()
        button(at, "Teach it").click().run()
        result = at.session_state[state.TEACH_RESULT][1]
        falls[replay] = result.before.accuracy - result.after.accuracy
        button(at, "Undo").click().run()
    assert falls[False] > falls[True] + 0.05, falls
    print(falls)


def test_my_digits_download_and_upload_round_trip_and_hostile_uploads_are_refused(mnist):
    at = open_teach()
    at.segmented_control(key=state.TEACH_LABEL).set_value(9).run()
    button(at, "Teach it").click().run()
    kept: MyDigits = at.session_state[state.MY_DIGITS]
    data = kept.to_npz()
    at.file_uploader(key=state.MY_DIGITS_UPLOAD).upload("mine.npz", data).run()
    assert not at.exception
    assert len(at.session_state[state.MY_DIGITS]) == 2
    assert any("Added 1 digit from mine" in shown(s.value) for s in at.success)

    buffer = io.BytesIO()
    np.savez(buffer, images=np.zeros((3, 28, 28), np.uint8), labels=np.array([1, 2, 12]))
    at.file_uploader(key=state.MY_DIGITS_UPLOAD).upload("bad.npz", buffer.getvalue()).run()
    (error,) = at.error
    assert shown(error.value).startswith("Refused bad.npz: labels must be digits") and "\n" not in error.value
    assert len(at.session_state[state.MY_DIGITS]) == 2  # unchanged

    buffer = io.BytesIO()  # a member's name is quoted in the refusal: as plain text, never Markdown
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("![x](http://example.com/x.png).npy", b"")
    at.file_uploader(key=state.MY_DIGITS_UPLOAD).upload("[link](http://example.com).npz", buffer.getvalue()).run()
    (error,) = at.error
    assert "found: ![x](http://example.com/x.png).npy" in shown(error.value) and not live_markup(error.value)

    at.session_state[state.MY_DIGITS] = MyDigits(
        np.zeros((MAX_DIGITS, 28, 28), np.uint8), np.zeros(MAX_DIGITS, np.uint8)
    )
    at.run()
    button(at, "Teach it").click().run()
    assert any("not kept" in e.value for e in at.error)  # taught, but the set is full
    button(at, "Remove all").click().run()
    assert len(at.session_state[state.MY_DIGITS]) == 0


def test_the_train_page_offers_mnist_plus_my_digits_for_one_run(mnist):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/train.py")
    at.query_params.update({"preset": "fast", "steps": "5"})
    at.run()
    assert all(t.key != state.TRAIN_WITH_MY_DIGITS for t in at.toggle)  # nothing kept: no option
    digits = MyDigits(np.full((3, 28, 28), 200, np.uint8), np.array([1, 2, 3], np.uint8))
    at.session_state[state.MY_DIGITS] = digits
    at.run()
    option = at.toggle(key=state.TRAIN_WITH_MY_DIGITS)
    assert option.label == "Train on MNIST + my digits (3)" and option.value is False
    option.set_value(True).run()
    button(at, "Train").click().run()
    job = at.session_state[state.JOB]
    assert job.wait(120)
    assert job.name.endswith("+ my digits") and job.status == "finished", job.message
    assert job.trainer.total_steps == 5 and len(job.trainer.train_y) == 0  # its own 43 MB copy is let go
    assert len(resources.dataset().train_y) == 55_000  # the shared set is untouched


def test_undo_is_refused_once_the_model_was_replaced(mnist):
    at = open_teach()
    at.segmented_control(key=state.TEACH_LABEL).set_value(9).run()
    button(at, "Teach it").click().run()
    trained_since = TrainedModel.load(DEFAULT)  # as if a run had finished meanwhile
    at.session_state[state.MODEL] = trained_since
    at.run()
    assert button(at, "Undo").disabled
    assert at.session_state[state.MODEL] is trained_since
