"""The hidden-space map: PCA by NumPy's SVD, the fixed sample of test images, the map of a real
model on MNIST and Fashion-MNIST, the replay from training snapshots, and its Altair chart."""

from __future__ import annotations

import base64
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from mnistcore.analysis.hidden_space import MAP_SIZE, hidden_map, map_sample, pca_2d, png_data_url, training_maps
from mnistcore.charts.hidden_space import CLASS_COLOURS, hidden_space_scatter
from mnistcore.engine.model import TrainedModel

ROOT = Path(__file__).resolve().parents[1]


def separation(points) -> float:
    """Between-class spread of the class centres over the mean within-class spread (higher: apart)."""
    centres = np.array([points.xy[points.labels == c].mean(axis=0) for c in range(10)])
    within = np.mean([points.xy[points.labels == c].std(axis=0).sum() for c in range(10)])
    return float(centres.std(axis=0).sum() / within)


def test_pca_matches_the_svd_of_the_centred_data_and_is_deterministic():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(300, 12)) * np.arange(1, 13)
    xy, explained = pca_2d(values)
    u, s, _ = np.linalg.svd(values - values.mean(axis=0), full_matrices=False)
    np.testing.assert_allclose(np.abs(xy), np.abs(u[:, :2] * s[:2]), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(explained, s[:2] ** 2 / np.sum(s**2))
    assert explained[0] >= explained[1] and explained.sum() <= 1
    np.testing.assert_array_equal(pca_2d(values)[0], xy)  # the same picture every time
    flipped, _ = pca_2d(-values)  # the signs are pinned to the data's axes, not to chance
    np.testing.assert_allclose(np.abs(flipped), np.abs(xy))


def test_pca_refuses_what_has_no_map():
    with pytest.raises(ValueError, match="finite"):
        pca_2d(np.array([[0.0, np.nan], [1.0, 2.0]]))
    with pytest.raises(ValueError, match="n >= 2"):
        pca_2d(np.zeros((1, 3)))
    xy, explained = pca_2d(np.ones((5, 1)))  # one constant feature: nothing varies
    assert xy.shape == (5, 2) and not explained.any()


def test_the_sample_is_fixed_sorted_and_unique():
    chosen = map_sample(10_000)
    assert chosen.size == MAP_SIZE == np.unique(chosen).size and np.all(np.diff(chosen) > 0)
    np.testing.assert_array_equal(chosen, map_sample(10_000))
    assert map_sample(50).size == 50


def test_png_data_url_is_a_valid_28x28_greyscale_png():
    pixels = np.linspace(0, 1, 784)
    url = png_data_url(pixels)
    assert url.startswith("data:image/png;base64,")
    png = base64.b64decode(url.split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert (width, height, depth, colour) == (28, 28, 8, 0)
    idat_length = struct.unpack(">I", png[33:37])[0]
    rows = zlib.decompress(png[41 : 41 + idat_length])
    image = np.frombuffer(rows, np.uint8).reshape(28, 29)[:, 1:]
    assert image[0, 0] == 255 and image[-1, -1] == 0  # no ink is white, full ink black
    big = base64.b64decode(png_data_url(pixels, scale=2).split(",", 1)[1])  # each pixel 2x2
    assert struct.unpack(">II", big[16:24]) == (56, 56)


@pytest.mark.parametrize("path", ["default.npz", "fashion.npz"])
def test_the_shipped_models_map_their_own_test_set_and_the_classes_separate_during_training(path, mnist, fashion):
    model = TrainedModel.load(ROOT / "models" / path)
    data = fashion if model.config.dataset == "fashion-mnist" else mnist
    now = hidden_map(model.network, data.test_x, data.test_y)
    assert now.xy.shape == (MAP_SIZE, 2) and now.step is None
    np.testing.assert_array_equal(now.labels, data.test_y[now.indices])
    accuracy = 1 - now.wrong.mean()
    assert abs(accuracy - model.test_accuracy) < 0.02  # the sample is typical of the test set
    frames = training_maps(model.snapshot_steps, model.snapshot_weights, model.network, data.test_x, data.test_y)
    assert [f.step for f in frames][0] == 0 and len(frames) == 4
    first, last = separation(frames[0]), separation(frames[-1])
    print(f"{path}: separation at step 0 {first:.2f}, at step {frames[-1].step} {last:.2f}, now {separation(now):.2f}")
    assert last > first  # training pulls the classes apart


@pytest.mark.parametrize("path", ["default.npz", "fashion.npz"])
def test_the_chart_colours_classes_marks_mistakes_and_shows_the_image(path, mnist, fashion):
    model = TrainedModel.load(ROOT / "models" / path)
    data = fashion if model.config.dataset == "fashion-mnist" else mnist
    points = hidden_map(model.network, data.test_x, data.test_y, size=200)
    pictures = [png_data_url(data.test_x[i]) for i in points.indices]
    spec = hidden_space_scatter(points, data.class_names, pictures).to_dict()
    encoding = spec["encoding"]
    assert encoding["color"]["scale"] == {"domain": list(data.class_names), "range": list(CLASS_COLOURS)}
    assert encoding["shape"]["scale"]["range"] == ["circle", "cross"]
    assert [t["field"] for t in encoding["tooltip"]][:3] == ["image", "true", "predicted"]
    rows = next(iter(spec["datasets"].values()))
    assert len(rows) == 200 and {r["true"] for r in rows} <= set(data.class_names)
    assert sum(r["answer"] == "wrong" for r in rows) == int(points.wrong.sum())
    with pytest.raises(ValueError, match="one picture per point"):
        hidden_space_scatter(points, data.class_names, pictures[:5])
