"""``state.persist``, the one way a widget keeps its value across page switches (AppTest).

Streamlit forgets a widget's value in the first run that does not draw it (a visit to another
page); ``persist`` keeps a copy under a non-widget key and puts it back. Here a tiny script
stands for a page: its widget is drawn, then not (another page), then again."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app_support import fresh_job_manager, open_page  # noqa: F401 (an autouse fixture)


def page_with_a_widget():
    import streamlit as st

    from pages.ui import state

    if st.session_state.get("shown", True):  # False: the visitor is on another page
        high = st.session_state.get("high", 9)
        state.persist("number", 3, fix=state.clamp(0, high))
        st.number_input("A number", min_value=0, max_value=high, key="number")
        with st.form("form"):
            state.persist("text", "start")
            st.text_input("Text", key="text")
            st.form_submit_button("Apply")


def visit_another_page_and_come_back(at: AppTest) -> AppTest:
    at.session_state["shown"] = False
    at.run()
    assert "number" not in at.session_state  # Streamlit dropped the widget's own value
    at.session_state["shown"] = True
    return at.run()


def test_a_widget_starts_at_its_default_and_keeps_its_value_across_a_page_switch():
    at = AppTest.from_function(page_with_a_widget).run()
    assert at.number_input(key="number").value == 3
    at.number_input(key="number").set_value(7).run()
    visit_another_page_and_come_back(at)
    assert not at.exception and at.number_input(key="number").value == 7


def test_a_kept_value_that_is_no_longer_valid_is_fixed():
    at = AppTest.from_function(page_with_a_widget).run()
    at.number_input(key="number").set_value(8).run()
    at.session_state["high"] = 5  # a new model with fewer units, say
    visit_another_page_and_come_back(at)
    assert not at.exception and at.number_input(key="number").value == 5


def test_a_form_widget_keeps_its_submitted_value():
    at = AppTest.from_function(page_with_a_widget).run()
    at.text_input(key="text").set_value("typed")
    at.button[0].click().run()  # the form's Apply
    at.number_input(key="number").set_value(4).run()  # another widget reruns the page
    assert at.text_input(key="text").value == "typed"
    visit_another_page_and_come_back(at)
    assert at.text_input(key="text").value == "typed" and at.number_input(key="number").value == 4


def test_choices_on_the_pages_survive_a_visit_to_another_page(mnist):
    at = open_page("pages/weights.py")
    at.number_input(key="weights_unit").set_value(5)
    at.radio(key="weights_view").set_value("Change since the start of training")
    at.selectbox(key="weights_units_page").set_value(1).run()
    at.switch_page("pages/backprop.py").run()
    at.select_slider(key="backprop_lr").set_value(0.1).run()
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/weights.py").run()
    assert not at.exception
    assert at.number_input(key="weights_unit").value == 5
    assert at.radio(key="weights_view").value == "Change since the start of training"
    assert at.selectbox(key="weights_units_page").value == 1
    at.switch_page("pages/backprop.py").run()
    assert at.select_slider(key="backprop_lr").value == 0.1
