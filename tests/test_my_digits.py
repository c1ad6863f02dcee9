"""The "my digits" set (``mnistcore.analysis.my_digits``): kept drawings, capped, written as an
``.npz`` of two plain arrays and read back from a stranger's file with every check done before
anything is allocated; and MNIST plus those digits for one training run (``engine.data.extra``)."""

from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np
import pytest

from mnistcore.analysis.my_digits import MAX_DIGITS, MAX_FILE_BYTES, MyDigits, MyDigitsError
from mnistcore.engine.data.extra import DEFAULT_REPEAT, with_extra_digits


def some_digits(n: int, seed: int = 0) -> MyDigits:
    rng = np.random.default_rng(seed)
    return MyDigits(rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n).astype(np.uint8))


def npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def test_a_set_survives_the_npz_round_trip_and_plain_numpy_reads_it():
    digits = some_digits(37)
    data = digits.to_npz()
    back = MyDigits.from_npz(data)
    assert np.array_equal(back.pixels, digits.pixels) and np.array_equal(back.labels, digits.labels)
    with np.load(io.BytesIO(data), allow_pickle=False) as plain:
        assert sorted(plain.files) == ["images", "labels"]
        assert plain["images"].dtype == np.uint8 and plain["images"].shape == (37, 28, 28)
    assert MyDigits.from_npz(MyDigits.empty().to_npz()).pixels.shape == (0, 28, 28)
    full = some_digits(MAX_DIGITS)
    assert len(full.to_npz()) < MAX_FILE_BYTES  # a full set, even of noise, can be uploaded again


def test_adding_keeps_drawings_as_bytes_and_never_twice_in_a_row():
    drawing = np.linspace(0, 1, 784).reshape(28, 28)
    digits = MyDigits.empty().added(drawing, 3)
    assert digits.pixels.dtype == np.uint8 and digits.pixels[0, -1, -1] == 255 and digits.labels.tolist() == [3]
    assert len(digits.added(drawing, 3)) == 1  # the same press twice
    assert digits.added(drawing, 4).labels.tolist() == [3, 4]  # the same drawing, another label
    assert len(digits.added(drawing, 4).without_last()) == 1


def test_the_set_is_capped():
    full = some_digits(MAX_DIGITS)
    assert full.full
    with pytest.raises(MyDigitsError, match="full"):
        full.added(np.zeros((28, 28)), 1)
    with pytest.raises(MyDigitsError, match="limit"):
        some_digits(150).merged(some_digits(60, seed=1))
    assert len(some_digits(150).merged(some_digits(50, seed=1))) == MAX_DIGITS


def zip_of(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def declared_npy(shape: tuple[int, ...], dtype: str = "|u1", payload: bytes = b"") -> bytes:
    """A .npy header declaring ``shape`` followed by ``payload`` (not what it declares)."""
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + payload


GOOD_IMAGES = np.zeros((2, 28, 28), np.uint8)
GOOD_LABELS = np.array([1, 2], np.uint8)

HOSTILE = {
    "a pickle": pickle.dumps({"images": GOOD_IMAGES, "labels": GOOD_LABELS}),
    "empty": b"",
    "a single .npy": npy(GOOD_IMAGES),
    "object arrays": npz(images=np.array([object()] * 2, dtype=object), labels=GOOD_LABELS),
    "pickled labels": zip_of({"images.npy": npy(GOOD_IMAGES), "labels.npy": npy(np.array([1, None], dtype=object))}),
    "wrong image shape": npz(images=np.zeros((2, 28, 27), np.uint8), labels=GOOD_LABELS),
    "images as floats": npz(images=np.zeros((2, 28, 28), np.float32), labels=GOOD_LABELS),
    "labels as floats": npz(images=GOOD_IMAGES, labels=np.array([1.0, 2.0])),
    "too few labels": npz(images=GOOD_IMAGES, labels=np.array([1], np.uint8)),
    "labels out of range": npz(images=GOOD_IMAGES, labels=np.array([1, 10], np.int64)),
    "negative labels": npz(images=GOOD_IMAGES, labels=np.array([-1, 2], np.int8)),
    "too many rows": npz(
        images=np.zeros((MAX_DIGITS + 1, 28, 28), np.uint8), labels=np.zeros(MAX_DIGITS + 1, np.uint8)
    ),
    "a missing member": npz(images=GOOD_IMAGES),
    "an extra member": npz(images=GOOD_IMAGES, labels=GOOD_LABELS, other=GOOD_LABELS),
    "a bz2 member": zip_of({"images.npy": npy(GOOD_IMAGES), "labels.npy": npy(GOOD_LABELS)}, zipfile.ZIP_BZIP2),
    "not an array": zip_of({"images.npy": b"hello", "labels.npy": npy(GOOD_LABELS)}),
    "a zip bomb by declared size": zip_of(
        {"images.npy": declared_npy((10**9, 28, 28)), "labels.npy": declared_npy((10**9,))}
    ),
    "more declared than held": zip_of(
        {"images.npy": declared_npy((200, 28, 28)), "labels.npy": declared_npy((200,), payload=bytes(200))}
    ),
    "too large a file": b"PK" + bytes(MAX_FILE_BYTES),
    "a truncated zip": npz(images=GOOD_IMAGES, labels=GOOD_LABELS)[:300],
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_files_are_refused_with_one_short_line(name):
    with pytest.raises(MyDigitsError) as refusal:
        MyDigits.from_npz(HOSTILE[name])
    message = str(refusal.value)
    assert "\n" not in message and 0 < len(message) <= 200
    assert "allow_pickle" not in message
    print(f"{name}: {message}")


def test_a_zip_bomb_member_is_refused_from_its_header_alone():
    """A member that inflates to 100 MB of zeros, declaring a huge array: refused before reading it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("images.npy", "w", force_zip64=True) as member:
            member.write(declared_npy((100_000, 28, 28)))
            zeros = bytes(1 << 20)
            for _ in range(100):
                member.write(zeros)
        archive.writestr("labels.npy", declared_npy((100_000,), payload=bytes(100_000)))
    data = buffer.getvalue()
    assert len(data) < MAX_FILE_BYTES
    with pytest.raises(MyDigitsError, match="labels|images"):
        MyDigits.from_npz(data)


def test_mnist_plus_my_digits_adds_them_to_training_only(mnist):
    digits = some_digits(5)
    extra = with_extra_digits(mnist, digits.flat_pixels(), digits.labels)
    n = len(mnist.train_y)
    assert extra.train_pixels.shape == (n + 5 * DEFAULT_REPEAT, 784)
    assert np.array_equal(extra.train_pixels[:n], mnist.train_pixels)
    assert np.array_equal(
        extra.train_pixels[n : n + DEFAULT_REPEAT], np.repeat(digits.flat_pixels()[:1], DEFAULT_REPEAT, 0)
    )
    assert extra.train_y[-1] == digits.labels[-1]
    assert extra.test_x is mnist.test_x and np.array_equal(extra.val_y, mnist.val_y)  # measured like any run
    assert len(mnist.train_y) == n and not mnist.pixels.flags.writeable  # the shared set is untouched


@pytest.mark.parametrize(
    "pixels, labels",
    [
        (np.zeros((2, 28, 28), np.float32), np.zeros(2, np.uint8)),
        (np.zeros((2, 27, 28), np.uint8), np.zeros(2, np.uint8)),
        (np.zeros((2, 784), np.uint8), np.zeros(3, np.uint8)),
        (np.zeros((2, 784), np.uint8), np.array([0, 10])),
        (np.zeros((2000, 784), np.uint8), np.zeros(2000, np.uint8)),
    ],
)
def test_extra_digits_are_validated(mnist, pixels, labels):
    with pytest.raises(ValueError):
        with_extra_digits(mnist, pixels, labels)
