"""The Mistakes page, driven through the real app shell with Streamlit's AppTest (and one
real-browser test of clicking the confusion matrix)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from mnistcore import PRESETS, TrainedModel, train
from mnistcore.analysis.evaluation import evaluate_model
from tests import app_support

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/mistakes.py"
CAPTION = re.compile(r"^(\d) → (\d) · (\d+)%  \n(\d): (\d+)% · #(\d+)$")


@pytest.fixture(scope="module")
def default_model() -> TrainedModel:
    return TrainedModel.load(ROOT / "models" / "default.npz")


@pytest.fixture(scope="module")
def default_eval(default_model, mnist):
    return evaluate_model(default_model.network, mnist.test_x, mnist.test_y)


@pytest.fixture(scope="module")
def small_model(mnist) -> TrainedModel:
    return train(PRESETS["fast"].replace(steps=200, hidden=(32,)), mnist, name="small test model")


def open_page(model: TrainedModel | None = None) -> AppTest:
    """This page of the app, with ``model`` as the session's model if given."""
    return app_support.open_page(PAGE, model)


def gallery(at: AppTest) -> list[tuple[int, int, int]]:
    """(true, predicted, test index) of every gallery image on the page."""
    shown = []
    for group in app_support.pictures(at):
        for alt, caption in group:
            match = CAPTION.match(caption)
            if match:
                true, predicted, confidence, true_again, _, index = map(int, match.groups())
                assert true_again == true
                assert (
                    alt
                    == f"test digit {index}: {'an' if true == 8 else 'a'} {true}, read as {predicted} ({confidence}%)"
                )
                shown.append((true, predicted, index))
    return shown


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_default_model_page_shows_accuracy_matrix_and_most_confident_mistakes(mnist, default_model, default_eval):
    at = open_page()
    assert at.metric[0].label == "Test accuracy" and at.metric[0].value == f"{default_eval.accuracy:.2%}"
    assert at.metric[1].value == f"{default_eval.n_mistakes:,} of 10,000"
    assert any("Model shown" in m.value and "shipped default" in m.value for m in at.markdown)
    assert len(at.get("vega_lite_chart")) == 3  # confusion matrix, per-digit accuracy, probabilities
    shown = gallery(at)
    expected = default_eval.mistakes(order="most_confident")[:24]
    assert len(shown) == 24 and {i for _, _, i in shown} == set(expected.tolist())
    for true, predicted, index in shown:
        assert (true, predicted) == (mnist.test_y[index], default_eval.predictions[index])
    # The closer look starts on the most confident mistake of all.
    assert at.selectbox(key="mistakes_inspect").value == expected[0]


@pytest.mark.parametrize(("true_digit", "predicted_digit"), [(4, 9), (7, 2), (3, "Any"), ("Any", 8)])
def test_digit_filters_show_only_matching_mistakes(default_eval, true_digit, predicted_digit):
    at = open_page()
    at.selectbox(key="mistakes_true").set_value(true_digit)
    at.selectbox(key="mistakes_predicted").set_value(predicted_digit)
    shown = gallery(rerun(at))
    wanted_true = None if true_digit == "Any" else true_digit
    wanted_predicted = None if predicted_digit == "Any" else predicted_digit
    expected = default_eval.mistakes(wanted_true, wanted_predicted)
    assert len(shown) == min(24, len(expected)) > 0
    for true, predicted, _ in shown:
        assert true != predicted
        assert wanted_true is None or true == wanted_true
        assert wanted_predicted is None or predicted == wanted_predicted
    summary = next(m.value for m in at.markdown if "mistakes for" in m.value)
    assert summary.startswith(f"**{len(expected):,}** mistakes for")


def test_a_filter_with_no_mistakes_says_so(mnist):
    at = open_page()
    at.selectbox(key="mistakes_true").set_value(1)
    at.selectbox(key="mistakes_predicted").set_value(1)
    rerun(at)
    assert gallery(at) == []
    assert any("No mistakes for true digit 1, predicted as 1" in i.value for i in at.info)


def test_order_and_pages_walk_through_the_mistakes(default_eval):
    at = open_page()
    at.selectbox(key="mistakes_order").set_value("least_confident")
    rerun(at)
    least = default_eval.mistakes(order="least_confident")
    assert {i for _, _, i in gallery(at)} == set(least[:24].tolist())
    at.number_input(key="mistakes_page").set_value(2)
    rerun(at)
    assert {i for _, _, i in gallery(at)} == set(least[24:48].tolist())
    # A new filter goes back to page 1.
    at.selectbox(key="mistakes_true").set_value(9)
    rerun(at)
    assert at.number_input(key="mistakes_page").value == 1


def test_closer_look_shows_the_chosen_digit(default_eval):
    at = open_page()
    choices = at.selectbox(key="mistakes_inspect").options
    assert len(choices) == 24
    chosen = default_eval.mistakes()[5]
    at.selectbox(key="mistakes_inspect").set_value(chosen)
    rerun(at)
    captions = app_support.picture_captions(at)
    true, predicted = default_eval.labels[chosen], default_eval.predictions[chosen]
    assert f"Test digit #{chosen}: true {true}, predicted {predicted}" in captions


def test_the_closer_look_says_an_8(mnist):
    at = open_page()
    at.selectbox(key="mistakes_true").set_value(8)
    rerun(at)
    options = at.selectbox(key="mistakes_inspect").options
    assert options and all(": an 8 the network read as " in option for option in options)
    assert not any(" a 8" in option for option in options)


def test_filters_survive_a_visit_to_another_page(mnist):
    at = open_page()
    at.selectbox(key="mistakes_true").set_value(5)
    rerun(at)
    at.switch_page("pages/weights.py")
    rerun(at)
    at.switch_page(PAGE)
    rerun(at)
    assert at.selectbox(key="mistakes_true").value == 5
    assert all(true == 5 for true, _, _ in gallery(at))


def test_freshly_trained_model_is_evaluated_and_shown(small_model, mnist):
    at = open_page(small_model)
    expected = evaluate_model(small_model.network, mnist.test_x, mnist.test_y)
    assert at.metric[0].value == f"{expected.accuracy:.2%}"
    assert any("784-32-10" in m.value for m in at.markdown)
    shown = gallery(at)
    assert shown and all(expected.predictions[i] == p and expected.labels[i] == t for t, p, i in shown)


def test_evaluation_runs_once_per_model_and_again_for_a_new_one(monkeypatch, small_model):
    from pages.ui import resources

    calls = []

    def counting(network, test_x, test_y):
        calls.append(network)
        return evaluate_model(network, test_x, test_y)

    st.cache_data.clear()
    monkeypatch.setattr(resources, "evaluate_model", counting)
    at = open_page()
    for page in ("pages/weights.py", PAGE, "pages/weights.py"):
        at.switch_page(page)
        rerun(at)
    assert len(calls) == 1  # one evaluation shared by both pages and every rerun
    at.session_state["model"] = small_model
    rerun(at)
    assert len(calls) == 2 and calls[-1] is small_model.network
    assert any("784-32-10" in m.value for m in at.markdown)


# --------------------------------------------------------------------------
# Clicking a confusion-matrix cell in a real browser
# --------------------------------------------------------------------------


@pytest.mark.browser
def test_clicking_a_confusion_cell_filters_the_gallery(mnist):
    from tests.browser_support import app_in_browser, exceptions_on, wait_for_app

    with app_in_browser() as (browser, base_url):
        page = browser.new_page(viewport={"width": 1400, "height": 900})  # the gallery starts below
        page.goto(base_url)
        wait_for_app(page)
        page.locator('[data-testid="stSidebarNavLink"]', has_text="Mistakes").click()
        wait_for_app(page, timeout=60)
        for true, predicted in [(4, 9), (5, 3)]:
            click_cell(page, true, predicted)
            wait_for_app(page)
            page.wait_for_function(
                "t => [...document.querySelectorAll('[data-testid=stMarkdownContainer]')]"
                ".some(e => e.innerText.includes(t))",
                arg=f"true digit {true}, predicted as {predicted}",
                timeout=20_000,
            )
            captions = page.locator("figure.picture figcaption").all_inner_texts()
            pairs = {tuple(c.split("·")[0].split("→")) for c in captions if "→" in c}
            assert pairs == {(f"{true} ", f" {predicted} ")}
            # The filtered gallery is brought into view: its heading near the top of the screen.
            heading = page.locator("#misclassified-test-digits")
            page.wait_for_function(
                "() => { const r = document.getElementById('misclassified-test-digits')"
                ".getBoundingClientRect(); return r.top >= -5 && r.top < 200; }",
                timeout=10_000,
            )
            assert heading.is_visible()
        # A digit of the gallery is a link all over: clicking its picture opens it on Backprop.
        first = page.locator('[class*="st-key-mistake_item_0"]')
        caption = first.locator("figure.picture figcaption").inner_text()
        index = int(caption.rsplit("#", 1)[1])
        picture = first.locator("img").bounding_box()
        page.mouse.click(picture["x"] + picture["width"] / 2, picture["y"] + picture["height"] / 2)
        page.wait_for_url(f"**/backprop?digit={index}*", timeout=30_000)  # a run adds run=
        wait_for_app(page, timeout=60)
        assert exceptions_on(page) == []


def click_cell(page, true: int, predicted: int) -> None:
    """Click the middle of a confusion-matrix cell (on its number)."""
    from mnistcore.charts.insight import CELL_PX

    svg = page.locator('[data-testid="stVegaLiteChart"] svg').first
    svg.scroll_into_view_if_needed()  # after a click the page scrolls down to the gallery
    box = svg.bounding_box()
    group = svg.locator("g").first.get_attribute("transform")
    left, top = map(float, re.search(r"translate\(([\d.]+),([\d.]+)\)", group).groups())
    x = box["x"] + left + CELL_PX * (predicted + 0.5)
    y = box["y"] + top + CELL_PX * (true + 0.5)
    page.mouse.click(x, y)


def test_caption_pattern_matches_the_page_format():
    from mnistcore.analysis.mistakes import Mistake
    from mnistcore.analysis.wording import mistake_caption

    caption = mistake_caption(Mistake(index=12, true=3, predicted=5, confidence=0.5, true_confidence=0.25))
    assert CAPTION.match(caption).groups() == ("3", "5", "50", "3", "25", "12")


def test_a_digit_takes_the_article_of_its_spoken_name():
    from pages.ui.wording import a_digit

    assert [a_digit(d) for d in (0, 3, 8)] == ["a 0", "a 3", "an 8"]
