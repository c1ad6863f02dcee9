"""The Train page's settings: the preset selector, the Train button, one control per setting
(derived from ``config.FIELDS``, grouped in expanders), and the share link that carries them.

The settings in use are ``state.SETTINGS`` (a ``TrainConfig``); the widgets show them and the
URL's query holds them. The widgets are not in a form: each change is applied at once (its
callback validates the widgets and stores the settings), so the address bar and the share box
always say what the widgets show. A change only reruns the page; only Train starts a run.
The Train button sits right under the preset, above the settings: on a phone it is reached
without scrolling past them.

``widget_values``, ``config_from_widgets`` and ``slider_options`` are pure: testable without a page.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from mnistcore.engine.config import FIELDS, TRAIN_SIZE, ConfigError, TrainConfig, parse_value
from mnistcore.engine.data.datasets import dataset_named
from mnistcore.engine.data.extra import DEFAULT_REPEAT, with_extra_digits
from mnistcore.engine.presets import BREAK_IT_FIXES, PRESET_NOTES, PRESETS
from mnistcore.server import share
from mnistcore.server.jobs import TrainingJob
from mnistcore.server.limits import JobRefused
from pages.ui import run_links, state
from pages.ui.resources import dataset, job_manager
from pages.ui.state import LENGTH_KEY, UNIT_KEY, setting_key
from pages.ui.wording import items_of, plain

PRESET_CHOICES = [*PRESETS, share.CUSTOM]
GROUP_ORDER = ("architecture", "loss", "optimisation", "schedule", "run length", "seed")
GROUP_TITLES = {"loss": "Output and loss"}
LENGTH_RANGE = (0.01, 1e7)  # the run length box: 0.01 epochs to 10,000,000 steps
OPEN_GROUPS = {"architecture", "optimisation", "run length"}  # the settings changed most; the rest start folded
LABELS = {
    "hidden": "Hidden layer sizes",
    "activation": "Activation",
    "init": "Initial weights",
    "dtype": "Precision",
    "loss": "Output and loss",
    "optimizer": "Optimizer",
    "lr": "Learning rate",
    "momentum": "Momentum",
    "weight_decay": "Weight decay (L2)",
    "batch_size": "Batch size",
    "schedule": "Learning-rate schedule",
    "augment": "Augment training digits",
    "eval_every": "Validate every … steps",
    "seed": "Random seed",
    "dataset": "Dataset",
    share.RUN_LENGTH: "Run length",
}
# Sliders move between sensible stops; a value from a link that is not a stop is added.
SLIDER_STOPS: dict[str, tuple[float, ...]] = {
    "lr": (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0),
    "weight_decay": (0.0, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0),
    "batch_size": (1, 10, 16, 32, 50, 64, 100, 128, 200, 256, 500, 1000, 2000),
    "momentum": (0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999),
}


# ------------------------------------------------------------------------- widgets <-> config (pure)


def slider_options(name: str, current: float) -> list[float]:
    """The stops of ``name``'s slider, with ``current`` added if it is not one of them."""
    return sorted({*SLIDER_STOPS[name], current})


def widget_values(config: TrainConfig) -> dict[str, object]:
    """Widget key -> widget value showing ``config`` (hidden as text, run length as number + unit)."""
    values: dict[str, object] = {
        setting_key(name): getattr(config, name) for name in FIELDS if name not in ("hidden", "steps", "epochs")
    }
    values[setting_key("hidden")] = " ".join(str(n) for n in config.hidden)
    in_steps = config.steps is not None
    values[LENGTH_KEY] = float(config.steps if in_steps else config.epochs)  # type: ignore[arg-type]
    values[UNIT_KEY] = "steps" if in_steps else "epochs"
    return values


def config_from_widgets(values: Mapping[str, object]) -> TrainConfig:
    """The config the form's widgets describe; ConfigError names the first bad setting."""
    settings = {name: values[setting_key(name)] for name in FIELDS if name not in ("hidden", "steps", "epochs")}
    settings["hidden"] = parse_value("hidden", str(values[setting_key("hidden")]))
    length = float(values[LENGTH_KEY])  # type: ignore[arg-type]
    if values[UNIT_KEY] == "steps":
        if length != int(length):
            raise ConfigError(f"steps must be a whole number, got {length:g}")
        settings["steps"], settings["epochs"] = int(length), None
    else:
        settings["steps"], settings["epochs"] = None, length
    for name in ("eval_every", "seed", "batch_size"):
        settings[name] = int(settings[name])  # type: ignore[call-overload]
    return TrainConfig(**settings)  # type: ignore[arg-type]


# ------------------------------------------------------------------------- the settings and the link


def store_settings(config: TrainConfig) -> None:
    """Make ``config`` the page's settings: widgets, preset, and the URL's share link."""
    st.session_state[state.SETTINGS] = config
    st.session_state[state.PRESET] = st.session_state[state.PRESET_CHOICE] = share.matching_preset(config)
    st.session_state.update(widget_values(config))
    params = share.settings_to_params(config)
    st.query_params.from_dict({**params, **run_links.link_params()})  # the run link stays
    st.session_state[state.LINK_PARAMS] = params


def use_settings(config: TrainConfig) -> None:
    """Settings chosen with a button or a preset: stored, and the last link's warnings dropped."""
    store_settings(config)
    st.session_state[state.LINK_WARNINGS] = []


def sync_with_link() -> None:
    """Read settings from the URL when it changed (a shared link, a hand edit); when the URL
    has none (first visit, or back from another page), write the session's settings into it.

    A link read is written back as the settings in use: the URL and the share box then say
    what runs (values clamped, unknown or unreadable ones dropped), never the raw link."""
    params = {key: value for key, value in st.query_params.to_dict().items() if key not in run_links.LINK_KEYS}
    if not params:
        store_settings(state.current_settings())
    elif params != st.session_state.get(state.LINK_PARAMS):
        config, _, warnings = share.params_to_settings(params)
        store_settings(config)
        st.session_state[state.LINK_WARNINGS] = warnings


def link_warnings() -> list[str]:
    """What was wrong with the link the settings were read from (quoting its values: plain text)."""
    return st.session_state.get(state.LINK_WARNINGS, [])


def on_preset_change() -> None:
    choice = st.session_state.get(state.PRESET_CHOICE)
    if choice in PRESETS:
        use_settings(PRESETS[choice])


def apply_widgets(refusal: str) -> TrainConfig | None:
    """Validate the widgets; if they describe valid settings, make them the settings in use
    (widgets, preset, link) and return them. Else keep the settings in use and say why, after
    ``refusal`` ('Settings not applied'), for the page to show."""
    st.session_state[state.FORM_ERROR] = ""
    try:
        config = config_from_widgets(st.session_state)
    except (ConfigError, ValueError, TypeError) as exc:
        st.session_state[state.FORM_ERROR] = f"{refusal}: {exc}"
        return None
    if config != state.current_settings() or st.session_state.get(state.LINK_PARAMS) is None:
        st.session_state[state.LINK_WARNINGS] = []  # the settings are no longer the link's
        store_settings(config)
    return config


def on_setting_change() -> None:
    """A setting's widget changed: apply it at once, so the link follows. Nothing starts."""
    apply_widgets("Settings not applied (the link keeps the settings in use)")


def on_unit_change() -> None:
    """Run length measured in steps <-> epochs: the number is converted, so the run keeps its length."""
    settings = state.current_settings()
    steps = settings.total_steps()
    length = (
        steps if st.session_state.get(UNIT_KEY) == "steps" else float(f"{steps * settings.batch_size / TRAIN_SIZE:.4g}")
    )
    st.session_state[LENGTH_KEY] = float(min(max(length, LENGTH_RANGE[0]), LENGTH_RANGE[1]))  # the box's range
    on_setting_change()


def on_train() -> None:
    """The Train button: the widgets' settings (refused if invalid), then a new run with them."""
    config = apply_widgets("Not started")
    if config is not None:
        start_training(config)


def start_training(config: TrainConfig) -> None:
    data, name = dataset(config.dataset), state.current_preset()
    digits = state.my_digits()
    if config.dataset == "mnist" and st.session_state.get(state.TRAIN_WITH_MY_DIGITS) and len(digits):
        # This run's own copy of the training split with the drawings added; the cached set is untouched.
        data, name = with_extra_digits(data, digits.flat_pixels(), digits.labels), f"{name} + my digits"
    try:
        job = job_manager().submit(
            config,
            data,
            owner=state.session_id(),
            name=name,
            is_alive=state.session_liveness(),  # a closed tab stops its run within seconds
            store=run_links.run_store(),  # the ended run is stored: a reload or a link brings it back
        )
    except JobRefused as exc:
        st.session_state[state.FORM_ERROR] = f"Not started: {exc}"
        return
    state.set_session_job(job)


# ------------------------------------------------------------------------- the sidebar's settings


def settings_panel(job: TrainingJob | None) -> None:
    """Preset selector, the Train button, why settings were refused, then every setting in
    expanders by topic (the common ones open)."""
    shown = widget_values(state.current_settings())
    setting_widget("dataset", shown)  # first: the presets and every setting below are for this data
    state.persist(state.PRESET_CHOICE, state.current_preset())
    st.selectbox(
        "Preset",
        PRESET_CHOICES,
        key=state.PRESET_CHOICE,
        on_change=on_preset_change,
        help="Fill in every setting from a named preset; change any of them and it becomes custom.",
    )
    st.caption(PRESET_NOTES.get(state.current_preset(), "Your own settings."))
    fix_button(state.current_preset())
    train_button(busy=job is not None and job.active)
    my_digits_option()
    if st.session_state.get(state.FORM_ERROR):
        st.error(plain(st.session_state[state.FORM_ERROR]))  # may quote what was typed
    for group in GROUP_ORDER:
        with st.expander(GROUP_TITLES.get(group, group.capitalize()), expanded=group in OPEN_GROUPS):
            for name in [n for n, f in FIELDS.items() if f.group == group]:
                setting_widget(name, shown)


def fix_button(preset: str) -> None:
    """Under a break-it preset's lesson: the same run with the fix, one click away."""
    if preset in BREAK_IT_FIXES:
        label, fixed = BREAK_IT_FIXES[preset]
        st.button(label, key=state.FIX_PRESET, on_click=use_settings, args=(fixed,), icon=":material/build:")


def train_button(busy: bool) -> None:
    st.button(
        "Train",
        type="primary",
        icon=":material/play_arrow:",
        disabled=busy,
        width="stretch",
        on_click=on_train,
        help="Train a new network with the settings below. Changing a setting never starts a run.",
    )
    if busy:
        st.caption("A run is in progress: stop it to start another.")


def my_digits_option() -> None:
    """ "Train on MNIST + my digits": offered once the Draw page has kept some drawings."""
    count = len(state.my_digits())
    if not count or st.session_state.get(setting_key("dataset"), "mnist") != "mnist":
        return  # drawings of digits only make sense beside MNIST's digits
    state.persist(state.TRAIN_WITH_MY_DIGITS, False)
    st.toggle(
        f"Train on MNIST + my digits ({count})",
        key=state.TRAIN_WITH_MY_DIGITS,
        help=f"Adds the {count} drawings you taught on the Draw page, each {DEFAULT_REPEAT} times, to the 55,000 "
        "training digits of this run only. Validation and test stay MNIST's own.",
    )


def setting_widget(name: str, shown: Mapping[str, object]) -> None:
    """One control for setting ``name``, chosen by its kind; run length is one control.
    ``shown``: the widget values of the settings in use, for a control Streamlit dropped."""
    field, key, label = FIELDS[name], setting_key(name), LABELS.get(name, name)
    if name == "epochs":
        return
    if name == "steps":
        number, unit = st.columns(2)
        state.persist(LENGTH_KEY, shown[LENGTH_KEY])
        number.number_input(
            "Run length",
            min_value=LENGTH_RANGE[0],
            max_value=LENGTH_RANGE[1],
            step=1.0,
            format="%g",
            key=LENGTH_KEY,
            on_change=on_setting_change,
            help=f"{FIELDS['epochs'].help} An epoch here is 55,000 "
            f"{items_of(st.session_state.get(setting_key('dataset'), 'mnist'))}.",
        )
        state.persist(UNIT_KEY, shown[UNIT_KEY])
        unit.selectbox("measured in", ["epochs", "steps"], key=UNIT_KEY, on_change=on_unit_change, help=field.help)
        return
    value = state.persist(key, shown[key])
    common = {"key": key, "help": field.help, "on_change": on_setting_change}
    if name in SLIDER_STOPS:
        options = slider_options(name, value)  # type: ignore[arg-type]
        st.select_slider(label, options=options, format_func=lambda v: f"{v:g}", **common)
    elif field.kind is tuple:
        st.text_input(label, **{**common, "help": f"{field.help} Separate layers by spaces: 256 64."})
    elif name == "dataset":
        st.selectbox(label, field.choices, format_func=lambda choice: dataset_named(choice).title, **common)
    elif field.kind is str:
        st.selectbox(label, field.choices, **common)
    elif field.kind is bool:
        st.toggle(label, **common)
    else:
        st.number_input(label, min_value=int(field.low), max_value=int(field.high), step=1, **common)


def share_link() -> None:
    params = st.session_state.get(state.LINK_PARAMS) or share.settings_to_params(state.current_settings())
    st.markdown("**Share these settings**")
    st.code(share.share_url(page_url(), params), language=None, wrap_lines=True)
    st.caption(
        "The link opens this page with the settings in the sidebar, the random seed included, so the "
        "run replays exactly. It does not carry trained weights: download the model for those."
    )


def page_url() -> str:
    """This page's address without the query: from the browser if known, else from the Host header."""
    url = getattr(st.context, "url", None)
    if url:
        return url
    host = st.context.headers.get("Host", "localhost:8501") if st.context.headers else "localhost:8501"
    return f"http://{host}/train"
