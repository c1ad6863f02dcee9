"""Tests for mnistcore.engine.runstore: a stored run comes back bit for bit, ids are
unguessable and checked, the limits hold (eviction, per hour, size), a crash at any write
step (a real one: a forked process killed there) leaves a consistent store, and a missing or
corrupt file is reported, never a crash."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from mnistcore.engine import runstore
from mnistcore.engine.config import TrainConfig
from mnistcore.engine.model import TrainedModel
from mnistcore.engine.runstore import (
    BadRunId,
    RunNotFound,
    RunStore,
    RunStoreError,
    RunStoreUnavailable,
    StoreLimits,
    check_run_id,
)
from mnistcore.engine.trainer import Trainer

WRITE_STEPS = ("temp written", "temp synced", "renamed", "indexed")


def small_model(seed: int = 0, name: str = "stored") -> TrainedModel:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (200, 784)).astype(np.float32)
    y = rng.integers(0, 10, 200)
    config = TrainConfig(hidden=(16,), batch_size=20, steps=12, epochs=None, eval_every=4, seed=seed)
    trainer = Trainer(config, x, y, x[:40], y[:40])
    trainer.run()
    return TrainedModel.from_trainer(trainer, test_accuracy=0.25, name=name)


@pytest.fixture(scope="module")
def model() -> TrainedModel:
    return small_model()


def test_round_trip_is_bit_identical(tmp_path, model):
    store = RunStore(tmp_path / "runs")
    run_id = store.save(model, owner="session-a")
    loaded = store.load(run_id)
    assert loaded.to_bytes() == model.to_bytes()  # every array, the config and the metadata
    assert loaded.fingerprint == model.fingerprint
    for ours, theirs in zip(loaded.network.parameters(), model.network.parameters()):
        assert ours.dtype == theirs.dtype and ours.tobytes() == theirs.tobytes()
    (info,) = store.runs()
    assert info.run_id == run_id and info.name == "stored" and info.test_accuracy == 0.25
    assert info.summary["config"] == model.config.to_dict()
    assert info.size == store.run_path(run_id).stat().st_size


def test_a_second_store_object_sees_the_runs(tmp_path, model):
    run_id = RunStore(tmp_path).save(model)
    assert RunStore(tmp_path).load(run_id).fingerprint == model.fingerprint


def test_ids_are_unguessable_and_distinct(tmp_path, model):
    store = RunStore(tmp_path)
    ids = {store.save(model) for _ in range(5)}
    assert len(ids) == 5
    assert all(not runstore.new_run_id().startswith("-") for _ in range(2000))  # never read as a CLI option
    for run_id in ids:
        assert check_run_id(run_id) == run_id and len(run_id) == 24  # 144 random bits
    assert runstore.RUN_ID_BYTES * 8 >= 128


@pytest.mark.parametrize(
    "hostile",
    [
        "../../etc/passwd",
        "x" * 10_000,
        "",
        "a" * 23,
        "a" * 25,
        "abc/def" + "a" * 17,
        "a" * 23 + "\x00",
        "-" + "a" * 23,
        None,
        12,
        "é" * 24,
    ],
)
def test_hostile_ids_are_refused_before_use(tmp_path, hostile):
    store = RunStore(tmp_path)
    with pytest.raises(BadRunId) as error:
        store.load(hostile)
    assert len(str(error.value)) < 120 and "\n" not in str(error.value)
    with pytest.raises(BadRunId):
        store.run_path(hostile)


def test_unknown_id_is_not_found(tmp_path):
    with pytest.raises(RunNotFound):
        RunStore(tmp_path).load(runstore.new_run_id())


def test_eviction_keeps_the_count_and_drops_the_least_recently_used(tmp_path, model):
    store = RunStore(tmp_path, StoreLimits(max_runs=3, keep_seconds=0))
    first, second, third = (store.save(model) for _ in range(3))
    store.load(first)  # used now: the run used longest ago is `second`
    fourth = store.save(model)
    kept = {info.run_id for info in store.runs()}
    assert kept == {first, third, fourth}
    assert not store.run_path(second).exists()
    with pytest.raises(RunNotFound):
        store.load(second)


def test_eviction_keeps_the_total_size(tmp_path, model):
    size = len(model.to_bytes())
    store = RunStore(tmp_path, StoreLimits(max_bytes=int(size * 2.5), keep_seconds=0))
    for _ in range(6):
        store.save(model)
        assert store.total_bytes() <= store.limits.max_bytes
    assert len(store.runs()) == 2
    files = list(store.runs_dir.iterdir())
    assert len(files) == 2 and sum(f.stat().st_size for f in files) <= store.limits.max_bytes


def test_a_flood_of_new_sessions_cannot_evict_recent_runs(tmp_path, model, monkeypatch):
    # Each reload is a new session with its own hourly allowance: only the keep window
    # protects the runs other visitors made or opened today.
    store = RunStore(tmp_path, StoreLimits(max_runs=3, keep_seconds=3600))
    clock = [1_000_000.0]
    monkeypatch.setattr(runstore.time, "time", lambda: clock[0])
    old = store.save(model, owner="a visitor")
    clock[0] += 7200  # two hours later: `old` may now make room
    recent = [store.save(model, owner="someone else") for _ in range(2)]
    flood = store.save(model, owner="flood 0")  # evicts `old`, the only run idle for over an hour
    assert {info.run_id for info in store.runs()} == {*recent, flood}
    assert not store.run_path(old).exists()
    for n in range(1, 4):  # every attacker session is refused; nothing of anyone else's is lost
        with pytest.raises(RunStoreUnavailable, match="full of runs made or opened in the last 1 hours"):
            store.save(model, owner=f"flood {n}")
    assert {info.run_id for info in store.runs()} == {*recent, flood}
    assert len(list(store.runs_dir.iterdir())) == 3 and not list(store.tmp_dir.iterdir())
    clock[0] += 3000
    store.load(recent[0])  # opened again: kept for another hour
    clock[0] += 1000  # recent[1] and flood are now idle for over an hour, recent[0] is not
    later = [store.save(model, owner=f"flood {n}") for n in (4, 5)]
    assert {info.run_id for info in store.runs()} == {recent[0], *later}


def test_a_run_larger_than_the_store_is_refused_before_writing(tmp_path, model):
    store = RunStore(tmp_path, StoreLimits(max_bytes=1000))
    with pytest.raises(RunStoreUnavailable, match="larger than the store allows"):
        store.save(model)
    assert not list(store.tmp_dir.iterdir()) if store.tmp_dir.exists() else True


def test_runs_per_hour_are_limited_per_owner(tmp_path, model):
    store = RunStore(tmp_path, StoreLimits(runs_per_hour=2))
    store.save(model, owner="a")
    store.save(model, owner="a")
    with pytest.raises(RunStoreUnavailable, match="last hour"):
        store.save(model, owner="a")
    store.save(model, owner="b")  # someone else
    with sqlite3.connect(tmp_path / runstore.INDEX_NAME) as db:
        owners = {row[0] for row in db.execute("SELECT owner FROM runs")}
    assert "a" not in owners and "b" not in owners  # only hashes of session ids are kept


def test_limits_from_the_environment():
    limits = runstore.limits_from_env({"MNIST_RUNS_MAX_MB": "10", "MNIST_RUNS_MAX_COUNT": "7"})
    assert limits == StoreLimits(max_bytes=10_000_000, max_runs=7, runs_per_hour=runstore.DEFAULT_RUNS_PER_HOUR)
    assert runstore.limits_from_env({}) == StoreLimits()
    assert StoreLimits().max_bytes == 2_000_000_000
    assert StoreLimits().keep_seconds == 24 * 3600
    assert runstore.limits_from_env({"MNIST_RUNS_KEEP_HOURS": "0.5"}).keep_seconds == 1800
    assert runstore.limits_from_env({"MNIST_RUNS_KEEP_HOURS": "0"}).keep_seconds == 0
    bad_values = (
        {"MNIST_RUNS_MAX_MB": "lots"},
        {"MNIST_RUNS_MAX_MB": "inf"},
        {"MNIST_RUNS_MAX_MB": "nan"},
        {"MNIST_RUNS_PER_HOUR": "0"},
        {"MNIST_RUNS_MAX_COUNT": "nan"},
        {"MNIST_RUNS_KEEP_HOURS": "-1"},
        {"MNIST_RUNS_KEEP_HOURS": "nan"},
    )
    for bad in bad_values:
        with pytest.raises(ValueError, match="MNIST_RUNS"):
            runstore.limits_from_env(bad)


def test_the_folder_follows_mnist_runs_dir(tmp_path):
    assert runstore.default_runs_dir({"MNIST_RUNS_DIR": str(tmp_path / "x")}) == tmp_path / "x"
    assert runstore.default_runs_dir({}).name == "runs"


def test_tests_never_write_into_the_real_cache():
    """The autouse fixture in conftest points every test at a temporary folder."""
    real_cache = runstore.default_runs_dir({})  # where runs would go without MNIST_RUNS_DIR
    assert Path(os.environ["MNIST_RUNS_DIR"]) != real_cache
    assert not Path(os.environ["MNIST_RUNS_DIR"]).is_relative_to(real_cache)
    assert RunStore.from_env().directory == runstore.default_runs_dir()


# ------------------------------------------------------------------ damage and crashes


def test_a_corrupt_or_missing_file_is_reported_and_skipped(tmp_path, model):
    store = RunStore(tmp_path)
    good, corrupt, missing = (store.save(model) for _ in range(3))
    store.run_path(corrupt).write_bytes(b"PK\x03\x04 not really a zip")
    store.run_path(missing).unlink()
    with pytest.raises(RunStoreError, match="cannot be read") as error:
        store.load(corrupt)
    assert "\n" not in str(error.value)
    with pytest.raises(RunStoreError):
        store.load(missing)
    listed = {info.run_id for info in store.runs()}
    assert good in listed and missing not in listed and corrupt not in listed  # the size gives it away
    assert store.load(good).fingerprint == model.fingerprint


def test_a_huge_stored_file_is_refused_like_an_upload(tmp_path, model):
    store = RunStore(tmp_path)
    run_id = store.save(model)
    with open(store.run_path(run_id), "r+b") as handle:
        handle.truncate(runstore.checkpoint.max_file_bytes() + 1)  # sparse: no real disk used
    with pytest.raises(RunStoreError, match="too large"):
        store.load(run_id)


def _save_and_die_at(directory: str, step: str, model: TrainedModel) -> None:
    """In a forked child: save, and be killed (os._exit, no cleanup at all) at ``step``."""

    def crash(reached: str) -> None:
        if reached == step:
            os._exit(9)

    RunStore(directory, fault=crash).save(model)
    os._exit(0)


@pytest.mark.parametrize("step", WRITE_STEPS)
def test_a_crash_at_any_write_step_leaves_a_consistent_store(tmp_path, model, step):
    store = RunStore(tmp_path)
    before = store.save(model)
    child = multiprocessing.get_context("fork").Process(target=_save_and_die_at, args=(str(tmp_path), step, model))
    child.start()
    child.join(60)
    assert child.exitcode == 9  # it really died at that step
    reopened = RunStore(tmp_path)
    listed = reopened.runs()
    assert [info.run_id for info in listed] == [before]  # the interrupted run is not there at all
    for info in listed:
        assert reopened.load(info.run_id).fingerprint == model.fingerprint
    removed = reopened.recover(older_than=0)  # what the crash left is cleaned up
    assert sorted(p.name for p in reopened.runs_dir.iterdir()) == [f"{before}.npz"]
    assert not list(reopened.tmp_dir.iterdir())
    left = "a temporary file" if step in ("temp written", "temp synced") else "a file without an index row"
    assert removed and all(name.endswith(".tmp" if left == "a temporary file" else ".npz") for name in removed), left
    after = reopened.save(model)  # and the store still works
    assert {info.run_id for info in reopened.runs()} == {before, after}


def test_a_crash_after_the_commit_keeps_the_whole_run(tmp_path, model):
    child = multiprocessing.get_context("fork").Process(target=_save_and_die_at, args=(str(tmp_path), "never", model))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    (info,) = RunStore(tmp_path).runs()
    assert RunStore(tmp_path).load(info.run_id).to_bytes() == model.to_bytes()


def test_a_read_only_store_refuses_writes_with_a_reason(tmp_path, model):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    store = RunStore(tmp_path / "ro")
    kept = store.save(model)
    for folder in (store.directory, store.runs_dir, store.tmp_dir):
        folder.chmod(0o555)
    (store.directory / runstore.INDEX_NAME).chmod(0o444)
    try:
        with pytest.raises(RunStoreUnavailable):
            RunStore(tmp_path / "ro").save(model)
        assert RunStore(tmp_path / "ro").load(kept).fingerprint == model.fingerprint  # reading still works
    finally:
        for folder in (store.directory, store.runs_dir, store.tmp_dir):
            folder.chmod(0o755)


def test_an_unusable_folder_is_unavailable_not_a_crash(tmp_path, model):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(RunStoreUnavailable, match="cannot be used"):
        RunStore(blocker / "runs").save(model)


def test_a_full_disk_is_refused_before_writing(tmp_path, model, monkeypatch):
    store = RunStore(tmp_path)
    monkeypatch.setattr(runstore.shutil, "disk_usage", lambda path: type("U", (), {"free": 1000})())
    with pytest.raises(RunStoreUnavailable, match="almost full"):
        store.save(model)
    assert not list(store.runs_dir.iterdir()) and not store.runs()


def test_a_write_error_is_unavailable_and_leaves_nothing(tmp_path, model, monkeypatch):
    """As on a read-only or full disk (whatever the user: root ignores read-only folders)."""
    import errno

    store = RunStore(tmp_path)

    def refuse(path, mode="r", *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(runstore, "open", refuse, raising=False)
    with pytest.raises(RunStoreUnavailable, match="Read-only file system"):
        store.save(model)
    assert not store.runs() and not list(store.runs_dir.iterdir()) and not list(store.tmp_dir.iterdir())
