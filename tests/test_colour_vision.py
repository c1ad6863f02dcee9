"""The dashboard's palettes seen with red-green colour blindness (Machado et al. 2009
simulation, mnistcore.analysis.colour_vision): the weight pictures' blue-white-red scale and
the confusion matrix's colours must still read the same way (issue #20)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from mnistcore.analysis.colour_vision import (
    MACHADO,
    colour_distance,
    contrast_ratio,
    hex_to_rgb,
    lightness,
    simulate,
    to_lab,
)
from mnistcore.analysis.images import legend_stops, to_diverging_rgb
from mnistcore.charts.insight import CORRECT_GREY, confusion_heatmap

DEFICIENCIES = sorted(MACHADO)
NOTICEABLE = 10.0  # CIE76 distance: about 2.3 is just noticeable; 10 is plainly another colour


def test_simulation_keeps_greys_and_blue_and_merges_red_with_green():
    greys = np.array([[0, 0, 0], [128, 128, 128], [255, 255, 255]], dtype=np.uint8)
    for deficiency in DEFICIENCIES:
        assert np.abs(simulate(greys, deficiency).astype(int) - greys).max() <= 2
        red, green = simulate(hex_to_rgb(["#d62728", "#2ca02c"]), deficiency)
        # the classic confusion: plainly different colours become hard to tell apart
        assert colour_distance(red, green) < colour_distance(*hex_to_rgb(["#d62728", "#2ca02c"])) / 2


def test_lab_of_white_and_black():
    np.testing.assert_allclose(to_lab(np.array([255, 255, 255], np.uint8)), [100, 0, 0], atol=0.01)
    np.testing.assert_allclose(to_lab(np.array([0, 0, 0], np.uint8)), [0, 0, 0], atol=0.01)


def test_unknown_deficiency_is_refused():
    with pytest.raises(ValueError, match="deficiency"):
        simulate(np.zeros((1, 3), np.uint8), "tritanomaly")


@pytest.mark.parametrize("deficiency", DEFICIENCIES)
def test_weight_colours_still_show_size_and_sign(deficiency):
    """Weights from -limit to +limit: seen through the simulation, each half still grows darker
    away from white at zero (so size reads as lightness), and a weight stays plainly distinct
    from its opposite (so sign reads as hue: blue against a dark yellow instead of red)."""
    values, colours = legend_stops(1.0, 21)
    seen = simulate(hex_to_rgb(colours), deficiency)
    light = lightness(seen)
    assert np.all(np.diff(light[:11]) > 0) and np.all(np.diff(light[10:]) < 0)
    opposite = colour_distance(seen, seen[::-1])
    assert np.all(opposite[np.abs(values) >= 0.25] > NOTICEABLE), opposite
    # the pictures use the same colours as the legend
    np.testing.assert_array_equal(to_diverging_rgb(values, 1.0), hex_to_rgb(colours))


@pytest.mark.parametrize("deficiency", DEFICIENCIES)
def test_confusion_matrix_colours_stay_in_order(deficiency):
    """Mistake counts go white -> light orange -> dark red: seen through the simulation they
    still darken in that order, and right answers (grey) stay plainly apart from a few mistakes."""
    spec = json.dumps(confusion_heatmap(np.diag([5] * 10) + np.eye(10, k=1, dtype=int)).to_dict())
    mistake_range = json.loads(re.search(r'"range": (\["#ffffff"[^\]]*\])', spec).group(1))
    seen = simulate(hex_to_rgb(mistake_range), deficiency)
    assert np.all(np.diff(lightness(seen)) < -10), lightness(seen)
    grey, fewest = simulate(hex_to_rgb([CORRECT_GREY, mistake_range[1]]), deficiency)
    assert colour_distance(grey, fewest) > NOTICEABLE


def test_captions_pass_wcag_aa_contrast_on_both_backgrounds():
    """The theme's faded captions were #717683 on the sidebar's #F3F5FA: 4.16:1, under AA's 4.5."""
    import tomllib
    from pathlib import Path

    from pages.ui.shell import CAPTION_COLOUR

    theme = tomllib.loads((Path(__file__).resolve().parents[1] / ".streamlit/config.toml").read_text())["theme"]
    assert contrast_ratio("#717683", "#F3F5FA") == pytest.approx(4.16, abs=0.01)
    for background in (theme["backgroundColor"], theme["secondaryBackgroundColor"]):
        assert contrast_ratio(CAPTION_COLOUR, background) >= 4.5
        assert contrast_ratio(theme["textColor"], background) >= 4.5
