"""Tests for mnistcore.engine.data: IDX parsing, locating, downloading, loading real MNIST."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import socket
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from mnistcore.engine.data import (
    ENV_VAR,
    FILES,
    IMAGES_MAGIC,
    LABELS_MAGIC,
    DataError,
    DataNotFoundError,
    Mnist,
    default_cache_dir,
    download,
    files,
    find_data_dir,
    load_mnist,
    one_hot,
    read_idx,
    scale_pixels,
)

# --------------------------------------------------------------------------- helpers


def idx_bytes(array: np.ndarray, dtype_code: int = 0x08) -> bytes:
    """Encode a uint8 array as IDX: 0, 0, dtype code, ndim, big-endian dims, payload."""
    header = bytes([0, 0, dtype_code, array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def fake_images(count: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (count, 28, 28), dtype=np.uint8)


def fake_labels(count: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 10, count, dtype=np.uint8)


def fake_mnist_files() -> dict[str, bytes]:
    """Small valid IDX content for the four file names (train images span 2 chunks)."""
    return {
        FILES["train_images"]: idx_bytes(fake_images(120, seed=1)),
        FILES["train_labels"]: idx_bytes(fake_labels(120, seed=2)),
        FILES["test_images"]: idx_bytes(fake_images(7, seed=3)),
        FILES["test_labels"]: idx_bytes(fake_labels(7, seed=4)),
    }


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def write_set(directory: Path, contents: dict[str, bytes], compress: bool) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in contents.items():
        target = directory / (f"{name}.gz" if compress else name)
        target.write_bytes(gzip.compress(content, mtime=0) if compress else content)


def touch_set(directory: Path) -> Path:
    """A directory where all four names exist (content irrelevant to find_data_dir)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in FILES.values():
        (directory / f"{name}.gz").write_bytes(b"")
    return directory


# --------------------------------------------------------------------------- read_idx


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("kind", ["images", "labels"])
def test_read_idx_round_trips_raw_and_gzip_detected_by_content(tmp_path, compress, kind):
    array = fake_images(5) if kind == "images" else fake_labels(5)
    content = idx_bytes(array)
    # Suffix deliberately contradicts the content: detection must use magic bytes.
    path = tmp_path / ("file" if compress else "file.gz")
    path.write_bytes(gzip.compress(content) if compress else content)

    loaded = read_idx(path, expected_count=5)

    assert loaded.dtype == np.uint8
    np.testing.assert_array_equal(loaded, array)


def test_read_idx_checks_expected_magic_and_count(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes(fake_labels(4)))

    assert read_idx(path, expected_magic=LABELS_MAGIC).shape == (4,)
    with pytest.raises(DataError, match=f"{IMAGES_MAGIC}") as wrong_magic:
        read_idx(path, expected_magic=IMAGES_MAGIC)
    with pytest.raises(DataError, match="4 items, expected 5") as wrong_count:
        read_idx(path, expected_count=5)
    assert str(path) in str(wrong_magic.value) and str(path) in str(wrong_count.value)


def corrupt_gzip(content: bytes) -> bytes:
    packed = bytearray(gzip.compress(content))
    packed[len(packed) // 2] ^= 0xFF  # damages the deflate stream or its CRC
    return bytes(packed)


LABELS = idx_bytes(np.array([3, 1, 4, 1, 5], dtype=np.uint8))
IMAGES = idx_bytes(fake_images(2))
CORRUPTIONS = {
    "not idx magic": (b"\x12\x34" + LABELS[2:], "magic"),
    "wrong dimension count": (LABELS[:3] + b"\x02" + LABELS[4:], "dimensions"),
    "wrong dtype byte": (LABELS[:2] + b"\x0d" + LABELS[3:], "dtype byte 0x0d"),
    "truncated payload": (IMAGES[:-1], "truncated"),
    "extra bytes": (LABELS + b"\x00", "extra bytes"),
    "truncated header": (IMAGES[:10], "truncated inside its IDX header"),
    "too short": (b"\x00\x00", "too short"),
    "not 28x28": (idx_bytes(np.zeros((2, 27, 28), np.uint8)), "27x28"),
    "label out of range": (
        idx_bytes(np.array([1, 10, 2], np.uint8)),
        "label 10 at index 1",
    ),
    "bad gzip": (corrupt_gzip(IMAGES), "corrupt gzip"),
    "truncated gzip": (gzip.compress(IMAGES)[:-40], "corrupt gzip"),
}


@pytest.mark.parametrize("case", CORRUPTIONS, ids=list(CORRUPTIONS))
def test_read_idx_refuses_corrupt_file_naming_it(tmp_path, case):
    content, expected_problem = CORRUPTIONS[case]
    path = tmp_path / "broken-idx-file"
    path.write_bytes(content)

    with pytest.raises(DataError) as excinfo:
        read_idx(path)

    assert str(path) in str(excinfo.value)
    assert expected_problem in str(excinfo.value)


def test_read_idx_missing_file_names_it(tmp_path):
    with pytest.raises(DataError, match="no-such-file"):
        read_idx(tmp_path / "no-such-file")


# --------------------------------------------------------------------------- locating


def test_default_cache_dir_honours_xdg_cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(files, "platformdirs", None)  # the fallback path
    assert default_cache_dir() == tmp_path / "xdg" / "mnistcore" / "mnist"

    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "mnistcore" / "mnist"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG is a Linux rule")
def test_default_cache_dir_with_platformdirs_honours_xdg(tmp_path, monkeypatch):
    pytest.importorskip("platformdirs")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir().is_relative_to(tmp_path / "xdg")


@pytest.fixture
def three_complete_dirs(tmp_path, monkeypatch):
    """Complete argument, env and cache directories, with XDG pointing at the cache."""
    monkeypatch.setattr(files, "platformdirs", None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    argument_dir = touch_set(tmp_path / "argument")
    env_dir = touch_set(tmp_path / "env")
    cache_dir = touch_set(default_cache_dir())
    monkeypatch.setenv(ENV_VAR, str(env_dir))
    return argument_dir, env_dir, cache_dir


def test_find_data_dir_prefers_argument_then_env_then_cache(three_complete_dirs, monkeypatch):
    argument_dir, env_dir, cache_dir = three_complete_dirs

    assert find_data_dir(argument_dir) == argument_dir
    assert find_data_dir(str(argument_dir)) == argument_dir
    assert find_data_dir() == env_dir
    monkeypatch.delenv(ENV_VAR)
    assert find_data_dir() == cache_dir
    (cache_dir / f"{FILES['test_labels']}.gz").unlink()
    assert find_data_dir() is None  # an incomplete cache is simply "not found"


def test_find_data_dir_accepts_raw_and_gz_names(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for index, name in enumerate(FILES.values()):
        (mixed / (name if index % 2 else f"{name}.gz")).write_bytes(b"")
    assert find_data_dir(mixed) == mixed


def test_incomplete_explicit_dir_raises_listing_missing_files(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / f"{FILES['train_images']}.gz").write_bytes(b"")

    with pytest.raises(DataNotFoundError) as excinfo:
        find_data_dir(partial)

    message = str(excinfo.value)
    assert str(partial) in message
    for key in ("train_labels", "test_images", "test_labels"):
        assert FILES[key] in message
    assert f"is missing {FILES['train_images']}" not in message


def test_incomplete_env_dir_raises_naming_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(DataNotFoundError, match=f"{ENV_VAR}.*does not exist"):
        find_data_dir()


def test_load_mnist_offline_without_data_says_where_to_put_files(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(files, "platformdirs", None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))

    with pytest.raises(DataNotFoundError) as excinfo:
        load_mnist(download_missing=False)

    message = str(excinfo.value)
    assert str(default_cache_dir()) in message and ENV_VAR in message
    assert all(f"{name}.gz" in message for name in FILES.values())


# --------------------------------------------------------------------------- checksums and loading


def test_load_mnist_refuses_wrong_content_naming_the_file(tmp_path):
    write_set(tmp_path, fake_mnist_files(), compress=True)
    with pytest.raises(DataError, match="SHA-256") as excinfo:
        load_mnist(tmp_path, download_missing=False)
    assert str(tmp_path / FILES["train_labels"]) in str(excinfo.value)


def test_load_mnist_without_verify_keeps_the_bytes_in_one_buffer_and_scales_splits(tmp_path):
    contents = fake_mnist_files()
    write_set(tmp_path, contents, compress=False)

    loaded = load_mnist(tmp_path, download_missing=False, verify=False)

    train_images = read_idx(tmp_path / FILES["train_images"]).reshape(120, 784)
    test_labels = read_idx(tmp_path / FILES["test_labels"])
    assert loaded.pixels.shape == (127, 784) and loaded.pixels.dtype == np.uint8
    np.testing.assert_array_equal(loaded.pixels[:120], train_images)
    np.testing.assert_array_equal(loaded.train_pixels, train_images[loaded.n_val :])
    assert loaded.val_x.dtype == loaded.test_x.dtype == loaded.train_x.dtype == np.float32
    np.testing.assert_allclose(loaded.val_x, train_images[: loaded.n_val] / 255.0, rtol=1e-6)
    np.testing.assert_allclose(loaded.train_x, train_images[loaded.n_val :] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(loaded.test_y, test_labels)
    assert loaded.labels.dtype == np.int64 and loaded.test_x.shape == (7, 784)


def test_load_mnist_downloads_into_cache_when_nothing_found(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(files, "platformdirs", None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    calls = []

    def fake_download(dest_dir, progress=None):
        calls.append(Path(dest_dir))
        write_set(Path(dest_dir), fake_mnist_files(), compress=False)
        return Path(dest_dir)

    monkeypatch.setattr(files, "download", fake_download)
    loaded = load_mnist(verify=False)

    assert calls == [default_cache_dir()]
    assert loaded.pixels.shape == (127, 784)


def test_mnist_rejects_inconsistent_shapes_splits_and_float_pixels():
    with pytest.raises(ValueError, match="labels"):
        Mnist(np.zeros((4, 784), np.uint8), np.zeros(3, np.int64), n_train=4, n_val=1)
    with pytest.raises(ValueError, match="n_val"):
        Mnist(np.zeros((4, 784), np.uint8), np.zeros(4, np.int64), n_train=2, n_val=3)
    with pytest.raises(ValueError, match="uint8"):
        Mnist(np.zeros((4, 784), np.float32), np.zeros(4, np.int64), n_train=4, n_val=1)


def test_scale_pixels_maps_every_byte_exactly_and_keeps_float32():
    codes = np.arange(256, dtype=np.uint8).reshape(1, 256)
    scaled = scale_pixels(codes)
    assert scaled.dtype == np.float32 and scaled[0, 0] == 0.0 and scaled[0, 255] == 1.0
    np.testing.assert_array_equal(scaled, (codes / 255.0).astype(np.float32))
    wide = scale_pixels(codes, np.empty((1, 256), np.float64))  # a float64 run's batch: the same values
    np.testing.assert_array_equal(wide, scaled.astype(np.float64))


def test_one_hot_marks_exactly_the_label_column():
    labels = np.array([0, 9, 3, 3])
    encoded = one_hot(labels)
    assert encoded.shape == (4, 10) and encoded.dtype == np.float32
    np.testing.assert_array_equal(encoded.sum(axis=1), 1)
    np.testing.assert_array_equal(encoded.argmax(axis=1), labels)
    assert Mnist.one_hot(labels, 12, np.float64).shape == (4, 12)
    with pytest.raises(ValueError, match="0..9"):
        one_hot(np.array([10]))


# --------------------------------------------------------------------------- downloading


class FakeMirrorHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.routes``: path -> (status, body, declared Content-Length)."""

    def do_GET(self):  # the name is fixed by http.server
        self.server.requested.append(self.path)
        status, body, declared = self.server.routes.get(self.path, (404, b"missing", None))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body) if declared is None else declared))
        self.end_headers()
        self.wfile.write(body)  # HTTP/1.0: the connection closes after this

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def mirror(monkeypatch):
    """A local HTTP server; returns it (set .routes) and its base URL."""
    for variable in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeMirrorHandler)
    server.routes, server.requested = {}, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def fake_set():
    contents = fake_mnist_files()
    return contents, {name: sha256(content) for name, content in contents.items()}


def serve(server, prefix: str, contents: dict[str, bytes], truncate: bool = False) -> None:
    for name, content in contents.items():
        body = gzip.compress(content, mtime=0)
        declared = len(body) if not truncate else len(body) + 1000
        sent = body if not truncate else body[: len(body) // 2]
        server.routes[f"{prefix}{name}.gz"] = (200, sent, declared)


def test_download_writes_all_files_and_reports_progress(tmp_path, mirror, fake_set):
    server, base = mirror
    contents, checksums = fake_set
    serve(server, "/a/", contents)
    progress = []

    result = download(
        tmp_path / "dest",
        mirrors=[f"{base}/a/"],
        progress=lambda *call: progress.append(call),
        timeout=5,
        checksums=checksums,
    )

    assert result == tmp_path / "dest"
    assert sorted(p.name for p in result.iterdir()) == sorted(contents)  # no temp files
    for name, content in contents.items():
        assert (result / name).read_bytes() == content
        counts = [done for file, done, _ in progress if file == name]
        total = len(gzip.compress(content, mtime=0))
        assert counts[0] == 0 and counts[-1] == total and counts == sorted(counts)
        assert {t for file, _, t in progress if file == name} == {total}
    big = [done for file, done, _ in progress if file == FILES["train_images"]]
    assert len(big) >= 3  # streamed in chunks, not one read


@pytest.mark.parametrize("failure", ["404", "truncated body", "wrong content", "bad gzip"])
def test_download_falls_back_to_next_mirror(tmp_path, mirror, fake_set, failure):
    server, base = mirror
    contents, checksums = fake_set
    if failure == "truncated body":
        serve(server, "/bad/", contents, truncate=True)
    elif failure == "wrong content":
        serve(
            server,
            "/bad/",
            {name: content[:-1] + b"\x01" for name, content in contents.items()},
        )
    elif failure == "bad gzip":
        for name, content in contents.items():
            server.routes[f"/bad/{name}.gz"] = (200, corrupt_gzip(content), None)
    serve(server, "/good/", contents)

    dest = download(
        tmp_path,
        mirrors=[f"{base}/bad/", f"{base}/good/"],
        timeout=5,
        checksums=checksums,
    )

    for name, content in contents.items():
        assert (dest / name).read_bytes() == content
        assert server.requested.index(f"/bad/{name}.gz") < server.requested.index(f"/good/{name}.gz")
    assert sorted(p.name for p in dest.iterdir()) == sorted(contents)


@pytest.mark.parametrize("failure", ["truncated body", "wrong content"])
def test_download_failing_everywhere_leaves_no_file(tmp_path, mirror, fake_set, failure):
    server, base = mirror
    contents, checksums = fake_set
    if failure == "truncated body":
        serve(server, "/m1/", contents, truncate=True)
        serve(server, "/m2/", contents, truncate=True)
    else:
        wrong = {name: b"\x00" + content[1:-1] + b"\x02" for name, content in contents.items()}
        serve(server, "/m1/", wrong)
        serve(server, "/m2/", wrong)

    with pytest.raises(DataError) as excinfo:
        download(
            tmp_path,
            mirrors=[f"{base}/m1/", f"{base}/m2/"],
            timeout=5,
            checksums=checksums,
        )

    message = str(excinfo.value)
    first = FILES["train_images"]
    assert f"{base}/m1/{first}.gz" in message and f"{base}/m2/{first}.gz" in message
    assert ("truncated download" if failure == "truncated body" else "SHA-256") in message
    assert list(tmp_path.iterdir()) == []  # neither a final file nor a temp file


def test_download_offline_error_says_where_to_put_files(tmp_path, fake_set):
    _, checksums = fake_set
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/mnist/"
    dest = tmp_path / "cache"

    with pytest.raises(DataError) as excinfo:
        download(dest, mirrors=[dead], timeout=5, checksums=checksums)

    message = str(excinfo.value)
    assert dead in message and str(dest) in message and ENV_VAR in message
    assert all(f"{name}.gz" in message for name in FILES.values())
    assert list(dest.iterdir()) == []


def test_download_skips_valid_files_and_replaces_invalid_ones(tmp_path, mirror, fake_set):
    server, base = mirror
    contents, checksums = fake_set
    serve(server, "/m/", contents)
    write_set(tmp_path, contents, compress=True)  # all present and valid
    stale = FILES["test_labels"]
    (tmp_path / f"{stale}.gz").unlink()
    (tmp_path / stale).write_bytes(b"stale, wrong content")

    download(tmp_path, mirrors=[f"{base}/m/"], timeout=5, checksums=checksums)

    assert server.requested == [f"/m/{stale}.gz"]
    assert (tmp_path / stale).read_bytes() == contents[stale]
    assert read_idx(tmp_path / stale).shape == (7,)


def assert_not_writable_message(message: str, folder: Path) -> None:
    """One line: which folder, that it is not writable, and the two fixes."""
    assert "\n" not in message, message
    assert f"MNIST directory {folder} (" in message and "needs a writable folder" in message
    assert "Make it writable" in message and f"set {ENV_VAR}" in message


def failing(error: OSError):
    """A stand-in for a file-creating function that fails with ``error``."""

    def fail(*args, **kwargs):
        raise error

    return fail


def refuse_writes(monkeypatch) -> None:
    """Make every new file fail as in a read-only folder (tests run as root, where chmod does not)."""
    monkeypatch.setattr(files.tempfile, "TemporaryFile", failing(PermissionError(13, "Permission denied")))
    monkeypatch.setattr(files.tempfile, "mkstemp", failing(PermissionError(13, "Permission denied")))


@pytest.mark.parametrize("where", ["under a regular file", "a regular file"])
def test_a_download_folder_that_cannot_be_made_is_one_clear_line_before_anything_is_fetched(
    tmp_path, monkeypatch, fake_set, where
):
    _, checksums = fake_set
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    dest = blocker / "mnist" if where == "under a regular file" else blocker
    monkeypatch.setattr(files, "_fetch", lambda *args: pytest.fail("fetched before the folder was checked"))

    with pytest.raises(DataError) as excinfo:
        download(dest, mirrors=["http://127.0.0.1:9/"], timeout=5, checksums=checksums)

    assert_not_writable_message(str(excinfo.value), dest)


def test_a_read_only_download_folder_is_one_clear_line_before_anything_is_fetched(tmp_path, monkeypatch, fake_set):
    _, checksums = fake_set
    dest = tmp_path / "cache"
    dest.mkdir()
    dest.chmod(0o555)  # enough when not root
    refuse_writes(monkeypatch)
    monkeypatch.setattr(files, "_fetch", lambda *args: pytest.fail("fetched before the folder was checked"))
    try:
        with pytest.raises(DataError) as excinfo:
            download(dest, mirrors=["http://127.0.0.1:9/"], timeout=5, checksums=checksums)
    finally:
        dest.chmod(0o755)

    assert_not_writable_message(str(excinfo.value), dest)
    assert "Permission denied" in str(excinfo.value)


def test_a_folder_that_turns_read_only_during_the_download_is_one_clear_line(tmp_path, mirror, monkeypatch, fake_set):
    server, base = mirror
    contents, checksums = fake_set
    serve(server, "/m/", contents)
    monkeypatch.setattr(files.tempfile, "mkstemp", failing(OSError(28, "No space left")))  # after the folder check

    with pytest.raises(DataError) as excinfo:
        download(tmp_path, mirrors=[f"{base}/m/"], timeout=5, checksums=checksums)

    assert_not_writable_message(str(excinfo.value), tmp_path)
    assert "No space left" in str(excinfo.value) and list(tmp_path.iterdir()) == []


def test_a_read_only_folder_that_already_holds_the_files_needs_no_writing(tmp_path, monkeypatch, fake_set):
    contents, checksums = fake_set
    write_set(tmp_path, contents, compress=True)
    refuse_writes(monkeypatch)

    assert download(tmp_path, mirrors=["http://127.0.0.1:9/"], timeout=5, checksums=checksums) == tmp_path


# --------------------------------------------------------------------------- real MNIST

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_real_mnist_shapes_dtypes_and_range(mnist):
    assert mnist.pixels.shape == (70000, 784) and mnist.pixels.dtype == np.uint8
    assert mnist.labels.shape == (70000,) and mnist.labels.dtype == np.int64
    assert mnist.pixels.min() == 0 and mnist.pixels.max() == 255
    assert mnist.train_pixels.shape == (55000, 784) and mnist.train_y.shape == (55000,)
    assert mnist.val_x.shape == (5000, 784) and mnist.val_y.shape == (5000,)
    assert mnist.test_x.shape == (10000, 784) and mnist.test_y.shape == (10000,)
    for split in (mnist.val_x, mnist.test_x):
        assert split.dtype == np.float32 and split.min() == 0.0 and split.max() == 1.0


def test_real_mnist_splits_are_read_only_and_floats_are_made_once(mnist):
    """The bytes are one buffer (splits are views); each float split is scaled once and kept."""
    assert mnist.pixels.flags.owndata and mnist.pixels.flags.c_contiguous
    assert np.shares_memory(mnist.train_pixels, mnist.pixels)
    for split in (mnist.train_y, mnist.val_y, mnist.test_y):
        assert np.shares_memory(split, mnist.labels)
    assert mnist.val_x is mnist.val_x and mnist.test_x is mnist.test_x
    for split in (mnist.pixels, mnist.train_pixels, mnist.val_x, mnist.test_x, mnist.labels):
        with pytest.raises(ValueError):
            split[0] = 0
    np.testing.assert_array_equal(mnist.test_x, scale_pixels(mnist.pixels[60000:]))


def test_real_mnist_matches_published_facts(mnist):
    np.testing.assert_array_equal(mnist.val_y[:10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
    np.testing.assert_array_equal(np.bincount(mnist.labels[:60000], minlength=10), TRAIN_COUNTS)
    np.testing.assert_array_equal(np.bincount(mnist.test_y, minlength=10), TEST_COUNTS)
    mean_pixel = mnist.pixels[:60000].mean(dtype=np.float64)
    assert mean_pixel == pytest.approx(33.318, abs=1e-3)


def test_real_mnist_one_hot(mnist):
    encoded = mnist.one_hot(mnist.test_y)
    assert encoded.shape == (10000, 10)
    np.testing.assert_array_equal(encoded.sum(axis=0), TEST_COUNTS)
    np.testing.assert_array_equal(encoded.argmax(axis=1), mnist.test_y)


def test_real_idx_file_matches_loaded_pixels(mnist):
    directory = find_data_dir()
    path = files.existing_file(directory, FILES["test_images"])
    raw = read_idx(path, expected_magic=IMAGES_MAGIC, expected_count=10000)
    np.testing.assert_array_equal(np.rint(mnist.test_x * 255).astype(np.uint8), raw.reshape(10000, 784))
