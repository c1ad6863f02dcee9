"""How the dashboard's colours look to someone with red-green colour blindness, to check that
its palettes stay readable (tests/test_colour_vision.py).

``simulate`` applies Machado, Oliveira and Fernandes' model ("A physiologically-based model
for simulation of color vision deficiency", IEEE TVCG 2009) at full severity: a 3x3 matrix
on linear-light sRGB, one per deficiency. ``lightness`` and ``colour_distance`` measure the
result in CIELAB (D65), where a distance of about 2.3 is just noticeable and 10 or more is
plainly different.

Deliberate limits: protanopia and deuteranopia only (the red-green deficiencies, about 1 in
12 men); no tritanopia, no partial severities. NumPy only.
"""

from __future__ import annotations

import numpy as np

# Machado et al. 2009, severity 1.0, applied to linear RGB (rows: output R, G, B).
MACHADO = {
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
}
_SRGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
_WHITE_D65 = np.array([0.95047, 1.0, 1.08883])


def hex_to_rgb(colours: list[str]) -> np.ndarray:
    """['#rrggbb', ...] as an (n, 3) uint8 array."""
    return np.array([[int(c.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)] for c in colours], dtype=np.uint8)


def _to_linear(rgb: np.ndarray) -> np.ndarray:
    s = np.asarray(rgb, dtype=np.float64) / 255.0
    return np.where(s <= 0.04045, s / 12.92, ((s + 0.055) / 1.055) ** 2.4)


def _to_srgb(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0.0, 1.0)
    s = np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.rint(s * 255.0).astype(np.uint8)


def simulate(rgb: np.ndarray, deficiency: str) -> np.ndarray:
    """``rgb`` (..., 3) uint8 as seen with ``deficiency`` ('protanopia' or 'deuteranopia')."""
    if deficiency not in MACHADO:
        raise ValueError(f"deficiency must be one of {sorted(MACHADO)}, got {deficiency!r}")
    rgb = np.asarray(rgb)
    if rgb.shape[-1:] != (3,):
        raise ValueError(f"rgb must have shape (..., 3), got {rgb.shape}")
    return _to_srgb(_to_linear(rgb) @ MACHADO[deficiency].T)


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` (..., 3) uint8 sRGB as CIELAB (..., 3) float64: L* in [0, 100], a*, b*."""
    xyz = (_to_linear(rgb) @ _SRGB_TO_XYZ.T) / _WHITE_D65
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def lightness(rgb: np.ndarray) -> np.ndarray:
    """CIELAB L* (0 black .. 100 white) of each colour in ``rgb`` (..., 3)."""
    return to_lab(rgb)[..., 0]


def colour_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """CIE76 colour difference (Euclidean distance in CIELAB) between colours ``a`` and ``b``."""
    return np.linalg.norm(to_lab(a) - to_lab(b), axis=-1)


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2.1 contrast ratio of two '#rrggbb' colours, from 1 (same) to 21 (black on white);
    AA asks at least 4.5 for normal text, 3 for large text."""
    luminance = _to_linear(hex_to_rgb([foreground, background])) @ np.array([0.2126, 0.7152, 0.0722])
    lighter, darker = max(luminance), min(luminance)
    return float((lighter + 0.05) / (darker + 0.05))
