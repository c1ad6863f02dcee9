"""Tests for mnistcore.analysis.wording: the captions and the model line, word for word."""

from __future__ import annotations

from pathlib import Path

import pytest

from mnistcore.analysis.mistakes import Mistake
from mnistcore.analysis.wording import mistake_caption, model_summary
from mnistcore.engine.model import TrainedModel
from mnistcore.engine.network import shape_text

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "default.npz"


@pytest.fixture(scope="module")
def default_model() -> TrainedModel:
    return TrainedModel.load(DEFAULT_MODEL)


def test_mistake_caption_names_both_digits_and_both_confidences():
    caption = mistake_caption(Mistake(index=1234, true=4, predicted=9, confidence=0.97, true_confidence=0.012))
    assert caption == "4 → 9 · 97%  \n4: 1% · #1234"


def test_model_summary_names_the_model_and_its_accuracy(default_model):
    line = model_summary(default_model, 0.9797, title="fast", source="the shipped default model")
    assert "**fast**" in line and "the shipped default model" in line
    shape = shape_text(default_model.network.layer_sizes)
    assert shape.startswith("784-") and shape in line and "97.97%" in line
