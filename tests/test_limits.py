"""What a run may cost on a shared server: the network-size, checkpoint and memory limits
(checked by ``JobManager.check`` before anything trains), the memory estimate measured
against real runs, the limits read from the environment, and the BLAS thread cap."""

from __future__ import annotations

import io
import os
import tracemalloc

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from mnistcore.engine.checkpoint import MAX_CHECKPOINT_BYTES
from mnistcore.engine.config import MAX_HISTORY_EVENTS, parameter_count
from mnistcore.engine.model import estimated_checkpoint_bytes
from mnistcore.engine.network import MLP
from mnistcore.engine.presets import PRESETS
from mnistcore.server.jobs import JobManager
from mnistcore.server.limits import (
    DEFAULT_MAX_RUN_MB,
    EVENT_BYTES,
    RUN_OVERHEAD_BYTES,
    JobRefused,
    estimated_run_memory,
)
from mnistcore.server.tuning import limit_blas_threads
from tests.test_jobs import SMALL


@pytest.mark.parametrize(
    "config, words",
    [
        (SMALL.replace(hidden=(2000, 2000)), "weights and biases; this server trains at most"),
        (SMALL.replace(hidden=(1200,), dtype="float64"), "model file would be about"),
    ],
)
def test_networks_over_the_limits_are_refused_before_training(config, words):
    manager = JobManager(max_parameters=5_000_000)
    with pytest.raises(JobRefused, match=words):
        manager.check(config)
    manager.check(PRESETS["best"])  # 784-800-10 fits


def test_every_preset_fits_the_default_memory_cap_with_room_to_spare():
    manager = JobManager()
    assert manager.max_run_mb == DEFAULT_MAX_RUN_MB
    for name, config in PRESETS.items():
        manager.check(config)
        assert estimated_run_memory(config).total < 0.6 * DEFAULT_MAX_RUN_MB * 1e6, name


def test_a_huge_batch_of_a_wide_network_is_refused_with_what_to_lower():
    manager = JobManager()  # the default limits
    link = PRESETS["fast"].replace(hidden=(1250,), batch_size=55000)  # measured: +1,160 MB of RSS
    assert estimated_run_memory(link).total > 1.1e9
    with pytest.raises(JobRefused) as refused:
        manager.check(link)
    message = str(refused.value)
    assert message.startswith("this run would need about 1,2") and "allows 256 MB per run" in message
    fits = estimated_run_memory(link).largest_batch(256e6)
    assert 5000 < fits < 7000 and f"Lower the batch size (now 55,000; about {fits:,} fits with these layers)" in message
    manager.check(link.replace(batch_size=fits))
    with pytest.raises(JobRefused, match=f"about {fits:,} fits"):
        manager.check(link.replace(batch_size=fits + 1))
    # When even a batch of one is too big, the advice is about the network.
    tight = JobManager(max_run_mb=40, max_parameters=None)
    with pytest.raises(JobRefused, match=r"Use fewer or narrower hidden layers or float32\.$"):
        tight.check(PRESETS["best"].replace(dtype="float64", hidden=(700,)))
    JobManager(max_run_mb=None).check(link)  # no cap


def test_the_memory_estimate_adds_up_its_parts():
    base = PRESETS["fast"]  # 784-128-10, momentum, float32, batch 100
    memory = estimated_run_memory(base)
    assert memory.total == memory.fixed + 100 * memory.per_row
    bigger = estimated_run_memory(base.replace(batch_size=1000))
    assert bigger.fixed == memory.fixed and bigger.total - memory.total == 900 * memory.per_row
    # Per row: x (784 float32), the bytes and one-hot targets twice (np.take(out=) copies),
    # 3 buffers per layer, a logging step's temporaries.
    assert memory.per_row == 784 * 4 + 2 * (784 + 40) + 3 * (128 + 10) * 4 + 2 * 40 + 24
    params = parameter_count(base) * 4
    adam = estimated_run_memory(base.replace(optimizer="adam"))
    sgd = estimated_run_memory(base.replace(optimizer="sgd"))
    assert (adam.fixed - memory.fixed, memory.fixed - sgd.fixed) == (params, params)
    assert memory.fixed > MAX_HISTORY_EVENTS * EVENT_BYTES + RUN_OVERHEAD_BYTES


@pytest.mark.parametrize(
    "config",
    [
        PRESETS["fast"].replace(hidden=(256, 64), batch_size=4000, optimizer="adam", weight_decay=1e-4),
        PRESETS["best"].replace(hidden=(300,), batch_size=1000, dtype="float64", augment=True),
    ],
)
def test_the_memory_estimate_covers_what_a_real_run_allocates(mnist, config):
    """NumPy reports its arrays to tracemalloc: the peak of a real job on MNIST (training,
    a validation pass, the test set, packaging) must stay under the estimate's arrays."""
    config = config.replace(steps=6, eval_every=3)
    manager = JobManager(max_concurrent=1, max_seconds=60, max_run_mb=None)
    assert mnist.val_x.dtype == mnist.test_x.dtype == np.float32  # the float splits exist before we count
    tracemalloc.start()
    try:
        job = manager.submit(config, mnist)
        assert job.wait(120) and job.status == "finished"
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    arrays = estimated_run_memory(config).total - RUN_OVERHEAD_BYTES - MAX_HISTORY_EVENTS * EVENT_BYTES
    assert 0.6 * arrays < peak <= arrays


def test_parameter_count_and_checkpoint_estimate_match_the_real_thing():
    from mnistcore.engine.model import TrainedModel

    config = SMALL.replace(hidden=(32, 16))
    network = MLP.create(config.layer_sizes, "relu", "cross-entropy", "he", np.random.default_rng(0), np.float32)
    assert parameter_count(config) == sum(p.size for p in network.parameters())
    snapshots = np.zeros((9, 784, 32), np.float32)  # what a full run keeps
    model = TrainedModel(network, config, snapshot_steps=np.arange(9), snapshot_weights=snapshots)
    buffer = io.BytesIO()
    model.save(buffer)
    import zipfile

    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        stored = sum(info.file_size for info in archive.infolist() if "history" not in info.filename)
    assert abs(stored - estimated_checkpoint_bytes(config)) < 5_000  # headers and metadata aside
    assert estimated_checkpoint_bytes(PRESETS["best"]) < MAX_CHECKPOINT_BYTES


def test_limits_come_from_the_environment_and_bad_values_are_named():
    env = {"MNIST_MAX_JOBS": "3", "MNIST_MAX_RUN_SECONDS": "90", "MNIST_MAX_PARAMS": "1000", "MNIST_MAX_RUN_MB": "64"}
    manager = JobManager.from_env(env)
    limits = (manager.max_concurrent, manager.max_seconds, manager.max_parameters, manager.max_run_mb)
    assert limits == (3, 90.0, 1000, 64.0)
    defaults = JobManager.from_env({})
    assert (defaults.max_concurrent, defaults.max_seconds, defaults.max_run_mb) == (2, 600.0, 256.0)
    with pytest.raises(ValueError, match="MNIST_MAX_RUN_MB must be a number, got 'lots'"):
        JobManager.from_env({"MNIST_MAX_RUN_MB": "lots"})
    with pytest.raises(ValueError, match="MNIST_MAX_JOBS must be a whole number, got 'two'"):
        JobManager.from_env({"MNIST_MAX_JOBS": "two"})
    with pytest.raises(ValueError, match="MNIST_MAX_JOBS must be at least 1"):
        JobManager.from_env({"MNIST_MAX_JOBS": "0"})
    for variable in ("MNIST_MAX_RUN_MB", "MNIST_MAX_RUN_SECONDS"):  # nan compares false: it would lift the cap
        for text in ("nan", "inf", "-inf"):
            with pytest.raises(ValueError, match=f"{variable} must be a finite number, got '{text}'"):
                JobManager.from_env({variable: text})


def test_the_manager_limits_numpys_blas_threads_to_one_per_job():
    def blas_threads() -> list[int]:
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    original = blas_threads()
    assert original, "NumPy should have loaded a BLAS that threadpoolctl knows"
    several = min(2, os.cpu_count() or 1)
    try:
        assert limit_blas_threads(several) and blas_threads() == [several] * len(original)
        JobManager(blas_threads=1)
        assert blas_threads() == [1] * len(original)
    finally:
        limit_blas_threads(max(original))
