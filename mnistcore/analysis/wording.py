"""The analysis in words: the short texts the Mistakes page and the insight pages' header show.

``mistake_caption`` is a gallery thumbnail's caption; ``model_summary`` is the one line
naming the model the page shows. Both return Markdown for ``st.markdown``/``st.image``.

Markdown safety: these texts reach Markdown, and some of what they quote comes from outside
(a model's name is set by whoever saved an uploaded checkpoint, a source names an uploaded
file). Nothing here quotes outside text on its own: the numbers and settings it writes are
validated values, and ``title`` and ``source`` are taken as Markdown the caller has already
escaped (``pages.ui.wording.model_title`` and ``pages.ui.wording.plain`` do). So ``model_summary``
takes the title from its caller and never falls back to the model's raw name.

Deliberate limits: UI-free (plain strings); English only.
"""

from __future__ import annotations

from collections.abc import Sequence

from mnistcore.analysis.mistakes import Mistake
from mnistcore.engine.data.datasets import dataset_named
from mnistcore.engine.model import percent
from mnistcore.engine.network import shape_text


def mistake_caption(mistake: Mistake, class_names: Sequence[str] | None = None) -> str:
    """Two short lines: '4 → 9 · 97%' (true → predicted, confidence in the prediction) and
    '4: 1% · #1234' (confidence in the true digit, test-set index). With ``class_names``
    (Fashion-MNIST's), the labels are names: 'Shirt → T-shirt/top · 81%'."""
    true, predicted = mistake.true, mistake.predicted
    if class_names is not None:
        true, predicted = class_names[true], class_names[predicted]  # type: ignore[assignment]
    return (
        f"{true} → {predicted} · {mistake.confidence:.0%}  \n{true}: {mistake.true_confidence:.0%} · #{mistake.index}"
    )


def model_summary(model, accuracy: float, title: str, source: str = "") -> str:
    """One Markdown line naming the model shown: title, where it came from, shape, accuracy.

    ``model`` is a ``TrainedModel``; ``accuracy`` comes from its evaluation, so the line is
    right even for a model saved without a measured test accuracy. ``title`` and ``source``
    are Markdown, inserted as they are: escape any outside text in them first (see the
    module's docstring).
    """
    config = model.config
    shape = shape_text(model.network.layer_sizes)
    origin = f", {source}" if source else ""
    if config.dataset != "mnist":  # MNIST's line stays as it was; any other dataset is named
        origin += f" · for **{dataset_named(config.dataset).title}**"
    return (
        f"Model shown: **{title}**{origin} · {shape} units, {config.activation}, {config.loss} · "
        f"test accuracy **{percent(accuracy)}**"
    )
