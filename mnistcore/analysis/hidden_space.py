"""Hidden space: what the first hidden layer makes of the test set, flattened to a 2-D map.

Each test image becomes a point: its first hidden layer's activations (H numbers) projected
onto the two directions along which they vary most (PCA: the top two singular vectors of the
centred activations' scatter matrix, by NumPy's SVD). Images the network finds alike land close
together, so a trained network's classes form clusters and a fresh one's are mixed.

``hidden_map`` maps the current network; ``training_maps`` replays the map at the steps the
trainer kept first-layer snapshots of. Snapshots hold weights, not biases, so the replay maps
the layer's weighted input x·W (before the bias and the activation): PCA centres its input,
so a bias would shift every point alike and change nothing, and the frames compare with
each other. The current map uses the real activations.

Why PCA and not t-SNE: PCA is a few lines of NumPy, deterministic, and its axes mean
something (the directions of most variance). t-SNE shows clusters more sharply but needs a
package: the well-kept openTSNE (1.0.4) needs scikit-learn, SciPy and a compiled extension, as
does scikit-learn's TSNE, and the small ones (tsne 0.3.1, bhtsne 0.1.9) have had no release since
2016-2020; the project's NumPy-only rule for ``mnistcore`` leaves both kinds out.

Deliberate limits: 2,000 test images (chosen once, the same for every model, balanced as the
test set is); UI-free.
"""

from __future__ import annotations

import base64
import struct
import zlib
from dataclasses import dataclass

import numpy as np

__all__ = ["MAP_SIZE", "HiddenMap", "hidden_map", "map_sample", "pca_2d", "png_data_url", "training_maps"]

MAP_SIZE = 2000  # test images on the map: enough for clusters, few enough for a browser chart


@dataclass(frozen=True)
class HiddenMap:
    """Points of a 2-D map of the hidden layer, one per test image.

    Attributes
    ----------
    xy : (n, 2) float64, the two principal coordinates.
    indices : (n,) test-set index of each point.
    labels, predicted : (n,) true and predicted class of each point.
    explained : (2,) share of the variance each axis holds (0..1).
    step : training step the map is of (None: the current network).
    """

    xy: np.ndarray
    indices: np.ndarray
    labels: np.ndarray
    predicted: np.ndarray
    explained: np.ndarray
    step: int | None = None

    @property
    def wrong(self) -> np.ndarray:
        """(n,) bool: the points the network gets wrong."""
        return self.labels != self.predicted


def map_sample(n_test: int, size: int = MAP_SIZE, seed: int = 0) -> np.ndarray:
    """Which test images go on the map: ``size`` of ``n_test`` indices, sorted, the same for
    every model and page (a fixed seed), so maps of two models show the same images."""
    size = min(size, n_test)
    return np.sort(np.random.default_rng(seed).choice(n_test, size, replace=False))


def pca_2d(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project rows of ``values`` (n, d) onto their two principal axes.

    Returns (xy (n, 2), explained (2,)): the coordinates, and the share of the total
    variance each axis holds. Each axis's sign is fixed (its largest loading positive), so
    the same data always give the same picture. Fewer than 2 features or constant data
    give zeros for the missing axes.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] < 2:
        raise ValueError(f"values must be (n >= 2, d), got {values.shape}")
    if not np.isfinite(values).all():  # a diverged network's: no directions to find
        raise ValueError("values must be finite numbers (a diverged network has no map)")
    centred = values - values.mean(axis=0)
    # The SVD of the (d, d) scatter matrix C = Xᵀ X, not of X (n, d): the same principal axes
    # (C = V S² Vᵀ, so its singular vectors are X's right ones and its singular values X's
    # squared), at a fraction of the cost for n = 2,000 rows (0.02 s against 1 s for d = 128).
    axes, variances, _ = np.linalg.svd(centred.T @ centred)
    k = min(2, variances.size)
    top = axes[:, :k]
    signs = np.sign(top[np.abs(top).argmax(axis=0), np.arange(k)])
    signs[signs == 0] = 1.0
    xy = np.zeros((values.shape[0], 2))
    xy[:, :k] = (centred @ top) * signs
    total = float(np.sum(variances))
    explained = np.zeros(2)
    if total > 0:
        explained[:k] = variances[:k] / total
    return xy, explained


def hidden_map(network, test_x: np.ndarray, test_y: np.ndarray, size: int = MAP_SIZE) -> HiddenMap:
    """The map of ``network``'s first hidden layer on ``size`` test images (see the module)."""
    indices = map_sample(len(test_y), size)
    x = np.asarray(test_x[indices], dtype=network.dtype)
    _, activations = network.forward_trace(x)
    xy, explained = pca_2d(activations[1])
    predicted = activations[-1].argmax(axis=1)
    return HiddenMap(xy, indices, np.asarray(test_y)[indices], predicted, explained)


def training_maps(
    snapshot_steps: np.ndarray,
    snapshot_weights: np.ndarray,
    network,
    test_x: np.ndarray,
    test_y: np.ndarray,
    frames: int = 4,
    size: int = MAP_SIZE,
) -> list[HiddenMap]:
    """Maps at up to ``frames`` of the kept snapshots (first, last and evenly between), of the
    first layer's weighted input x·W at that step. ``predicted`` is the finished network's
    answer (the snapshots keep no later layers), so the marked points are the same in every
    frame: watch where its mistakes sit while the classes separate."""
    if snapshot_weights is None or len(snapshot_steps) == 0:
        return []
    chosen = np.unique(np.linspace(0, len(snapshot_steps) - 1, min(frames, len(snapshot_steps))).round().astype(int))
    indices = map_sample(len(test_y), size)
    x = np.asarray(test_x[indices], dtype=np.float64)
    labels = np.asarray(test_y)[indices]
    predicted = network.predict(np.asarray(x, dtype=network.dtype))
    maps = []
    for i in chosen:
        weighted = x @ np.asarray(snapshot_weights[i], dtype=np.float64)
        if not np.isfinite(weighted).all():
            continue  # a step after the run diverged
        xy, explained = pca_2d(weighted)
        maps.append(HiddenMap(xy, indices, labels, predicted, explained, step=int(snapshot_steps[i])))
    return maps


def png_data_url(pixels: np.ndarray, scale: int = 1) -> str:
    """A 28x28 image (784,) in [0, 1] as a ``data:image/png`` URL, dark ink on white as the
    pages draw digits, each pixel ``scale`` x ``scale`` (a tooltip shows it at that size).
    A minimal greyscale PNG, by the standard library."""
    image = np.rint(255.0 * (1.0 - np.clip(np.asarray(pixels, dtype=np.float64).reshape(28, 28), 0, 1)))
    image = image.repeat(scale, axis=0).repeat(scale, axis=1)
    side = 28 * scale
    rows = b"".join(b"\x00" + row.astype(np.uint8).tobytes() for row in image)  # filter byte 0 per row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit greyscale, no interlace
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
