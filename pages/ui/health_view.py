"""The Health view: why a run learns or stalls, per layer (``mnistcore.engine.health``).

Four charts (gradient size, step size against weight size, dead or saturated units, the
outputs' histogram), each with its reading in plain words underneath
(``mnistcore.analysis.health_readings``). Shown in the Train page's Health tab, live, and on
the Weights page for a finished or uploaded model, from its history. A break-it preset's
lesson and its fix are shown above the charts.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from mnistcore.analysis.health_readings import READINGS, break_it_fix
from mnistcore.charts import health as health_charts
from mnistcore.charts.training import vega_lite_parts
from mnistcore.engine.config import TrainConfig
from mnistcore.engine.health import HealthLog
from mnistcore.engine.presets import PRESET_NOTES

NO_HEALTH = (
    "This model has no recorded training health: it was saved before the statistics existed "
    "(or trained elsewhere). Train it again here to see them."
)
WHAT_IT_SHOWS = (
    "Measured on one training batch every few steps. Layer 1 is next to the input; the last is the output layer."
)


def health_view(
    log: HealthLog,
    config: TrainConfig,
    key: str,
    use_fix: Callable[[TrainConfig], None] | None = None,
) -> None:
    """The four charts of ``log`` with their readings; ``use_fix`` (a button callback taking
    settings) offers a break-it preset's fix."""
    broken = break_it_fix(config)
    if use_fix is not None and broken is not None:
        lesson(*broken, key=key, use_fix=use_fix)
    records = log.snapshot()
    if not records:
        st.caption("Waiting for the first steps…" if key == "live" else NO_HEALTH)
        return
    st.caption(WHAT_IT_SHOWS)
    built = health_charts.health_charts(records, config.activation)
    names = list(READINGS)
    for row in (names[:2], names[2:]):
        for column, name in zip(st.columns(2), row):
            spec, data = vega_lite_parts(built[name])  # cheaper than st.altair_chart twice a second
            column.vega_lite_chart(data, spec, key=f"{key}_health_{name}", width="stretch")
            column.markdown(READINGS[name](records, config.activation))


def lesson(preset: str, label: str, fixed: TrainConfig, key: str, use_fix: Callable[[TrainConfig], None]) -> None:
    """The break-it preset's one-line lesson, and its fix one click away."""
    st.info(f"**{preset}** · {PRESET_NOTES[preset]}", icon=":material/science:")
    st.button(
        label,
        key=f"{key}_health_fix",
        on_click=use_fix,
        args=(fixed,),
        icon=":material/build:",
        help="Puts the same settings with this one change in the sidebar; press Train to compare.",
    )
