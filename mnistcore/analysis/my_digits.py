""" "My digits": the drawings a visitor taught the network, kept as MNIST-style data.

``MyDigits`` holds up to ``MAX_DIGITS`` digits as (n, 28, 28) uint8 pixels (0..255, white ink
on black, as MNIST's files hold them) with their (n,) uint8 labels. It writes itself as an
``.npz`` of two plain arrays, ``images`` and ``labels`` (``np.load(f, allow_pickle=False)``
reads it anywhere), and ``from_npz`` reads one back from a stranger: like the model
checkpoint reader (``engine.checkpoint``), it believes nothing a file declares before checking
it, in this order: the file's size; that it is a zip of exactly the two members, neither
encrypted nor compressed in a way NumPy never writes; each member's ``.npy`` header (shape and
dtype, read without the data: no object arrays, at most ``MAX_DIGITS`` rows, no more bytes
declared than the member holds, so a small file declaring a huge array costs nothing); only
then the data, and the labels' range. Every refusal is one ``MyDigitsError`` line.

Deliberate limits: one format (two arrays, no metadata); the set is immutable (each change
returns a new one, so a page can keep the old one or compare); no deduplication but of the
exact same digit added twice in a row.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import numpy as np

MAX_DIGITS = 200
SIDE = 28
MAX_FILE_BYTES = 512 * 1024  # 200 digits are 157 KB uncompressed; room for the zip's records
MEMBERS = ("images.npy", "labels.npy")
_NPY_MAX_HEADER = 10_000
_MAX_MESSAGE_CHARS = 200


class MyDigitsError(ValueError):
    """A file that is not a valid "my digits" set, or a set that would grow past its cap."""


@dataclass(frozen=True, eq=False)
class MyDigits:
    """Kept drawings: ``pixels`` (n, 28, 28) uint8 and ``labels`` (n,) uint8 in 0..9, n <= MAX_DIGITS."""

    pixels: np.ndarray
    labels: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.labels)
        if self.pixels.shape != (n, SIDE, SIDE) or self.pixels.dtype != np.uint8:
            raise MyDigitsError(f"digits must be (n, 28, 28) uint8, got {self.pixels.dtype} {self.pixels.shape}")
        if self.labels.shape != (n,) or self.labels.dtype != np.uint8 or (n and self.labels.max() > 9):
            raise MyDigitsError("labels must be (n,) uint8 digits 0..9")
        if n > MAX_DIGITS:
            raise MyDigitsError(f"at most {MAX_DIGITS} digits are kept, got {n}")

    @classmethod
    def empty(cls) -> MyDigits:
        return cls(np.zeros((0, SIDE, SIDE), np.uint8), np.zeros(0, np.uint8))

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def full(self) -> bool:
        return len(self) >= MAX_DIGITS

    def added(self, pixels: np.ndarray, label: int) -> MyDigits:
        """The set with one more digit: ``pixels`` (28, 28) floats in [0, 1] (the network's
        view of a drawing) or uint8 bytes. The same digit and label as the last one is not
        added twice. Raises MyDigitsError when the set is full."""
        image = as_bytes(pixels)
        if not 0 <= int(label) <= 9:
            raise MyDigitsError(f"a label is a digit from 0 to 9, got {label!r}")
        if len(self) and self.labels[-1] == label and np.array_equal(self.pixels[-1], image):
            return self
        if self.full:
            raise MyDigitsError(f"My digits is full ({MAX_DIGITS}): download them, then clear the set to keep more")
        return MyDigits(np.concatenate([self.pixels, image[None]]), np.append(self.labels, np.uint8(label)))

    def merged(self, other: MyDigits) -> MyDigits:
        """This set followed by ``other``'s digits; MyDigitsError if together they pass the cap."""
        if len(self) + len(other) > MAX_DIGITS:
            raise MyDigitsError(
                f"the file's {len(other)} digits and the {len(self)} kept would pass the limit of {MAX_DIGITS}"
            )
        return MyDigits(np.concatenate([self.pixels, other.pixels]), np.concatenate([self.labels, other.labels]))

    def without_last(self) -> MyDigits:
        return MyDigits(self.pixels[:-1].copy(), self.labels[:-1].copy())

    def flat_pixels(self) -> np.ndarray:
        """(n, 784) uint8: rows as the MNIST loader gives them, for training."""
        return self.pixels.reshape(len(self), SIDE * SIDE)

    def to_npz(self) -> bytes:
        """The set as a compressed ``.npz`` of two plain arrays: ``images`` and ``labels``."""
        buffer = io.BytesIO()
        np.savez_compressed(buffer, images=self.pixels, labels=self.labels)
        return buffer.getvalue()

    @classmethod
    def from_npz(cls, data: bytes) -> MyDigits:
        """Read a set from a stranger's ``.npz`` bytes; MyDigitsError (one line) for anything else."""
        try:
            return _read(data)
        except MyDigitsError as exc:
            raise MyDigitsError(_one_line(str(exc))) from None
        except Exception as exc:  # noqa: BLE001 - a stranger's file never gives a traceback
            raise MyDigitsError(_one_line(f"not a readable .npz of digits ({type(exc).__name__})")) from None


def as_bytes(pixels: np.ndarray) -> np.ndarray:
    """A (28, 28) or (784,) drawing as (28, 28) uint8 bytes; floats are taken to be in [0, 1]."""
    array = np.asarray(pixels)
    if array.size != SIDE * SIDE:
        raise MyDigitsError(f"a digit is 28x28 pixels, got shape {array.shape}")
    if array.dtype != np.uint8:
        array = np.rint(np.clip(np.nan_to_num(array.astype(np.float64)), 0, 1) * 255).astype(np.uint8)
    return array.reshape(SIDE, SIDE).copy()


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MAX_MESSAGE_CHARS else line[: _MAX_MESSAGE_CHARS - 3] + "..."


def _read(data: bytes) -> MyDigits:
    if len(data) > MAX_FILE_BYTES:
        raise MyDigitsError(
            f"file too large: {len(data) / 1024:.0f} KB, a set of digits is at most {MAX_FILE_BYTES // 1024} KB"
        )
    if not data.startswith(b"PK"):
        raise MyDigitsError("not an .npz file of digits (pickled Python objects are never loaded)")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        names = sorted(info.filename for info in infos)
        if names != list(MEMBERS):
            shown = ", ".join(name[:40] for name in names[:4]) + (", ..." if len(names) > 4 else "")
            raise MyDigitsError(f"expected exactly the arrays images and labels, found: {shown or 'nothing'}")
        members = {info.filename: info for info in infos}
        for info in infos:
            if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise MyDigitsError(f"{info.filename} is encrypted or compressed in a way NumPy never writes")
        image_shape, image_dtype = _header(archive, members["images.npy"])
        label_shape, label_dtype = _header(archive, members["labels.npy"])
        n = label_shape[0] if len(label_shape) == 1 else -1
        if n < 0 or n > MAX_DIGITS:
            raise MyDigitsError(f"labels must be a list of at most {MAX_DIGITS} digits, got shape {label_shape}")
        if image_shape != (n, SIDE, SIDE) or image_dtype != np.uint8:
            raise MyDigitsError(
                f"images must be ({n}, 28, 28) uint8 to match the labels, got {image_dtype} {image_shape}"
            )
        if label_dtype.kind not in "iu":
            raise MyDigitsError(f"labels must be whole numbers, got dtype {label_dtype}")
        images = _array(archive, members["images.npy"])
        labels = _array(archive, members["labels.npy"])
    if n and (labels.min() < 0 or labels.max() > 9):
        raise MyDigitsError(f"labels must be digits 0..9, found {labels.min()}..{labels.max()}")
    return MyDigits(np.ascontiguousarray(images), labels.astype(np.uint8))


def _header(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[tuple[int, ...], np.dtype]:
    """A member's declared shape and dtype, decompressing only its first bytes; refused if
    it holds objects or declares more data than the member holds."""
    with archive.open(info) as stream:
        try:
            version = np.lib.format.read_magic(stream)
        except ValueError:
            raise MyDigitsError(f"{info.filename} is not a NumPy array") from None
        if version not in ((1, 0), (2, 0)):
            raise MyDigitsError(f"{info.filename} is in .npy format version {version}, which is not read here")
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(stream, max_header_size=_NPY_MAX_HEADER)
    if dtype.hasobject:
        raise MyDigitsError(f"{info.filename} holds Python objects, which are never loaded")
    if len(shape) > 3:
        raise MyDigitsError(f"{info.filename} declares the shape {shape}, which no set of digits has")
    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize  # Python ints: no overflow
    if declared > MAX_DIGITS * SIDE * SIDE:
        raise MyDigitsError(f"{info.filename} declares a {shape} array, more than {MAX_DIGITS} digits")
    if declared > info.file_size:
        raise MyDigitsError(f"{info.filename} declares {declared:,} bytes of data but holds only {info.file_size:,}")
    return tuple(shape), dtype


def _array(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    with archive.open(info) as stream:
        return np.lib.format.read_array(stream, allow_pickle=False, max_header_size=_NPY_MAX_HEADER)
