"""Tests for mnistcore.engine.data.files: locating the four files (argument, $MNIST_DATA_DIR, the
cache), and downloading them from mirrors (a local HTTP server here) with checksums, fallback,
atomic writes and the unwritable-folder check."""

from __future__ import annotations

import gzip
import http.server
import socket
import sys
import threading
from pathlib import Path

import pytest

from mnistcore.engine.data import (
    ENV_VAR,
    FILES,
    DataError,
    DataNotFoundError,
    default_cache_dir,
    download,
    files,
    find_data_dir,
    load_mnist,
    read_idx,
)
from tests.data_support import corrupt_gzip, fake_mnist_files, sha256, touch_set, write_set

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
