"""Mistakes: where the current model goes wrong on the 10,000 test digits.

Test accuracy, the confusion matrix (click a cell to filter), accuracy per digit, and a
paginated gallery of the misclassified digits, most confident mistakes first.
"""

from __future__ import annotations

import streamlit as st

from mnistcore.analysis import mistakes as insight
from mnistcore.analysis.describe import (
    class_accuracy_summary,
    confusion_cell_label,
    confusion_cells,
    confusion_summary,
    digit_alt,
    mistake_alt,
    probability_summary,
)
from mnistcore.analysis.images import digit_picture
from mnistcore.analysis.wording import mistake_caption
from mnistcore.charts import insight as charts
from mnistcore.engine.model import percent
from pages.ui import navigation, shell, state
from pages.ui.insight_header import evaluated_model_header
from pages.ui.pictures import picture
from pages.ui.state import (
    MISTAKES_CELL,
    MISTAKES_INSPECT,
    MISTAKES_ORDER,
    MISTAKES_PAGE,
    MISTAKES_PREDICTED,
    MISTAKES_SCROLL,
    MISTAKES_TRUE,
)
from pages.ui.wording import a_label, class_names_of, label_text

PER_PAGE = 24
BACKPROP = navigation.BACKPROP.path
BACKPROP_HELP = "Open this digit on the Backprop page: forward and backward through the network."
GALLERY_COLUMNS = 8
GALLERY_ANCHOR = "misclassified-test-digits"  # the gallery's heading, scrolled to after a confusion-cell click
ITEM_KEY = "mistake_item_"  # each digit of the gallery: a container whose whole area is its Backprop link
ITEM_STYLE = f"""<style>
[class*="st-key-{ITEM_KEY}"] {{ position: relative; border-radius: 0.5rem; }}
[class*="st-key-{ITEM_KEY}"] .stElementContainer {{ position: static; }}
[class*="st-key-{ITEM_KEY}"] [data-testid="stPageLink"] a::after {{
  content: ""; position: absolute; inset: 0; z-index: 1;
}}
[class*="st-key-{ITEM_KEY}"]:hover {{ background: rgba(31, 79, 180, 0.08); }}
</style>"""
DIGITS = ["Any", *range(10)]
ORDER_LABELS = {
    "most_confident": "Most confident mistakes first",
    "least_confident": "Least confident mistakes first",
    "index": "Test-set order",
}


def reset_page() -> None:
    st.session_state[MISTAKES_PAGE] = 1


def filter_from_click(chart_key: str) -> None:
    """Chart callback: a clicked cell sets the two digit filters (a diagonal cell: its row)."""
    points = st.session_state[chart_key].selection.get(charts.CELL_SELECTION, [])
    if not points:
        return
    filter_to_cell(int(points[0]["true"]), int(points[0]["predicted"]))


def filter_from_cell_box() -> None:
    """The keyboard's way to a confusion cell (a chart click cannot be made with keys)."""
    cell = st.session_state.get(MISTAKES_CELL)
    if cell is not None:
        filter_to_cell(cell[0], cell[1])
        st.session_state[MISTAKES_CELL] = None  # ready for the next choice


def filter_to_cell(true_digit: int, predicted_digit: int) -> None:
    st.session_state[MISTAKES_TRUE] = true_digit
    st.session_state[MISTAKES_PREDICTED] = "Any" if predicted_digit == true_digit else predicted_digit
    st.session_state[MISTAKES_SCROLL] = True  # the gallery is below the charts: bring it into view
    reset_page()


def as_digit(choice) -> int | None:
    return None if choice == "Any" else int(choice)


def overview(ev, names=None) -> None:
    accuracy, mistakes, weakest = st.columns(3)
    accuracy.metric("Test accuracy", percent(ev.accuracy), help="Share of the 10,000 test digits predicted right.")
    mistakes.metric("Mistakes", f"{ev.n_mistakes:,} of {ev.n_samples:,}")
    worst = int(ev.class_accuracy.argmin())
    weakest.metric(
        "Weakest digit" if names is None else "Weakest class",
        f"{label_text(worst, names)} ({ev.class_accuracy[worst]:.1%} right)",
    )


def charts_row(ev, true_digit: int | None, predicted_digit: int | None, names=None) -> None:
    left, right = st.columns(2)
    chart_key = state.mistakes_chart_key(true_digit, predicted_digit)
    with left:
        st.altair_chart(
            charts.confusion_heatmap(ev.confusion, true_digit, predicted_digit, class_names=names),
            key=chart_key,
            on_select=lambda: filter_from_click(chart_key),
            selection_mode=charts.CELL_SELECTION,
            width="content",
        )
        st.caption(confusion_summary(ev.confusion, names=names))
        st.selectbox(
            "Or choose a cell",
            confusion_cells(ev.confusion),
            index=None,
            format_func=lambda cell: confusion_cell_label(*cell, names=names),
            placeholder="The mistakes, most common first",
            key=MISTAKES_CELL,
            on_change=filter_from_cell_box,
            help="Does what a click on a cell does: shows those mistakes below.",
        )
    with right:
        st.altair_chart(charts.class_accuracy_bars(ev.class_accuracy, ev.accuracy, class_names=names))
        st.caption(class_accuracy_summary(ev.class_accuracy, ev.accuracy, names))


def filter_controls(names=None) -> tuple[int | None, int | None, str]:
    true_col, predicted_col, order_col = st.columns(3)
    shown = {"format_func": lambda c: c if c == "Any" else label_text(c, names)}
    true_choice = true_col.selectbox(
        "True digit" if names is None else "True class", DIGITS, key=MISTAKES_TRUE, on_change=reset_page, **shown
    )
    predicted_choice = predicted_col.selectbox(
        "Predicted as", DIGITS, key=MISTAKES_PREDICTED, on_change=reset_page, **shown
    )
    order = order_col.selectbox(
        "Order", list(ORDER_LABELS), format_func=ORDER_LABELS.get, key=MISTAKES_ORDER, on_change=reset_page
    )
    return as_digit(true_choice), as_digit(predicted_choice), order


def describe_filter(true_digit: int | None, predicted_digit: int | None, names=None) -> str:
    parts = []
    if true_digit is not None:
        parts.append(f"true {'digit' if names is None else 'class'} {label_text(true_digit, names)}")
    if predicted_digit is not None:
        parts.append(f"predicted as {label_text(predicted_digit, names)}")
    return ", ".join(parts) or ("all digits" if names is None else "all classes")


def gallery(ev, data, indices, true_digit: int | None, predicted_digit: int | None) -> list:
    """Show one page of mistakes; return their ``Mistake`` records."""
    n_pages = insight.paginate(len(indices), 1, PER_PAGE)[1]
    state.persist(MISTAKES_PAGE, 1, fix=state.clamp(1, n_pages))
    page_col, info_col = st.columns([1, 3])
    page = page_col.number_input(f"Page (of {n_pages})", min_value=1, max_value=n_pages, step=1, key=MISTAKES_PAGE)
    page_slice, _ = insight.paginate(len(indices), int(page), PER_PAGE)
    shown = ev.describe(indices[page_slice])
    names = class_names_of(data)
    item = "digit" if names is None else "image"
    info_col.markdown(
        f"**{len(indices):,}** mistakes for {describe_filter(true_digit, predicted_digit, names)}; "
        f"showing {page_slice.start + 1}–{page_slice.stop}.  \nUnder each {item}: true → predicted · the network's "
        f"confidence in its answer; then its confidence in the true {item if names is None else 'class'} · the "
        f"test-set index. Click {'a digit' if names is None else 'an image'} to follow it through backprop."
    )
    columns = st.columns(GALLERY_COLUMNS)
    for position, mistake in enumerate(shown):
        with columns[position % GALLERY_COLUMNS].container(key=f"{ITEM_KEY}{position}"):  # a link all over
            picture(
                digit_picture(data.test_x[mistake.index], scale=4),
                mistake_alt(mistake, names),
                mistake_caption(mistake, names),
            )
            st.page_link(BACKPROP, label="Backprop", query_params={"digit": mistake.index}, help=BACKPROP_HELP)
    st.html(ITEM_STYLE)
    return shown


def closer_look(ev, data, shown: list) -> None:
    """One digit from the page, large, with the network's full output."""
    by_index = {m.index: m for m in shown}
    names = class_names_of(data)
    state.persist(MISTAKES_INSPECT, shown[0].index, fix=lambda index: index if index in by_index else shown[0].index)
    chosen = st.selectbox(
        "Look closer at one of these digits",
        list(by_index),
        format_func=lambda i: (
            f"#{i}: {a_label(by_index[i].true, names)} the network read as {label_text(by_index[i].predicted, names)}"
        ),
        key=MISTAKES_INSPECT,
    )
    mistake = by_index[chosen]
    picture_col, bars = st.columns([1, 2])
    with picture_col:
        picture(
            digit_picture(data.test_x[chosen], scale=8),
            digit_alt(chosen, mistake.true, mistake.predicted, mistake.confidence, names),
            f"Test {'digit' if names is None else 'image'} #{chosen}: true {label_text(mistake.true, names)}, "
            f"predicted {label_text(mistake.predicted, names)}",
        )
    with bars:
        st.altair_chart(charts.probability_bars(ev.probs[chosen], mistake.true, class_names=names))
        st.caption(probability_summary(ev.probs[chosen], mistake.true, names))
    st.page_link(
        BACKPROP,
        label=f"Follow #{chosen} through backprop",
        query_params={"digit": chosen},
        icon=":material/account_tree:",
    )


def main() -> None:
    data, model, ev = evaluated_model_header("Mistakes")
    names = class_names_of(data)
    overview(ev, names)

    true_choice, predicted_choice = state.persist(MISTAKES_TRUE, "Any"), state.persist(MISTAKES_PREDICTED, "Any")
    state.persist(MISTAKES_ORDER, "most_confident")
    charts_row(ev, as_digit(true_choice), as_digit(predicted_choice), names)

    st.header("Misclassified test digits" if names is None else "Misclassified test images", anchor=GALLERY_ANCHOR)
    if st.session_state.pop(MISTAKES_SCROLL, False):
        shell.scroll_to(GALLERY_ANCHOR)
    true_digit, predicted_digit, order = filter_controls(names)
    indices = ev.mistakes(true_digit, predicted_digit, order)
    if len(indices) == 0:
        found = describe_filter(true_digit, predicted_digit, names)
        st.info(f"No mistakes for {found}: the model got all of them right.")
        return
    shown = gallery(ev, data, indices, true_digit, predicted_digit)
    st.header("A closer look")
    closer_look(ev, data, shown)


main()
